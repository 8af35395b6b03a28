"""the committee's approved list (what may go public) and approvals without a notice

Revision ID: 0016_rules
Revises: 0016_ballot
Create Date: 2026-12-02 11:40:00
"""

from alembic import op
import sqlalchemy as sa
import judging.db.base


revision = '0016_rules'
down_revision = '0016_ballot'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('approved_winners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('nomination_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('first_inventor', sa.String(length=100), nullable=False),
    sa.Column('employer', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=50), nullable=False),
    sa.Column('notice_version', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('approved_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', judging.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_approved_winners_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['nomination_id'], ['nominations.id'], name=op.f('fk_approved_winners_nomination_id_nominations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_approved_winners_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approved_winners')),
    sa.UniqueConstraint('category_id', 'nomination_id', name=op.f('uq_approved_winners_category_id_nomination_id')),
    )
    with op.batch_alter_table('approved_winners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approved_winners_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approved_winners_nomination_id'), ['nomination_id'], unique=False)
    # A category that skips the public notice is approved without one.
    with op.batch_alter_table('committee_approvals', schema=None) as batch_op:
        batch_op.alter_column('notice_id', existing_type=sa.Integer(), nullable=True)
    # Approvals recorded before publication became its own act had published at once: their list is the
    # one that went public.
    op.execute("INSERT INTO approved_winners (category_id, nomination_id, place, title, first_inventor, employer, "
               "city, notice_version, reference, approved_on, recorded_by_id, recorded_at) "
               "SELECT a.category_id, p.nomination_id, p.place, p.title, p.first_inventor, p.employer, p.city, "
               "n.version, a.reference, a.approved_on, a.recorded_by_id, a.recorded_at "
               "FROM committee_approvals a JOIN notices n ON n.id = a.notice_id "
               "JOIN notice_entries e ON e.notice_id = a.notice_id "
               "JOIN publications p ON p.nomination_id = e.nomination_id")


def downgrade() -> None:
    with op.batch_alter_table('committee_approvals', schema=None) as batch_op:
        batch_op.alter_column('notice_id', existing_type=sa.Integer(), nullable=False)
    op.drop_table('approved_winners')
