"""score freezes owned by scoring (were listeners of the results part on every session)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 08:40:00
"""

from alembic import op
import sqlalchemy as sa
import judging.db.base


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('score_freezes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('frozen_at', judging.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_score_freezes_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_score_freezes_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_freezes')),
    sa.UniqueConstraint('round_id', 'category_id', name=op.f('uq_score_freezes_round_id_category_id')),
    )
    # Rounds approved before scoring owned the rule stay frozen.
    op.execute("INSERT INTO score_freezes (round_id, category_id, reason, frozen_at) "
               "SELECT round_id, category_id, 'result run ' || run_id || ' approved', approved_at FROM run_approvals")


def downgrade() -> None:
    op.drop_table('score_freezes')
