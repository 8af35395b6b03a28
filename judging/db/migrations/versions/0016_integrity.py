"""integrity: experts' industry, random draws of experts, organizer's notes on experts

Revision ID: 0016_integrity
Revises: 0016_rules
Create Date: 2026-12-02 11:40:00
"""

from alembic import op
import sqlalchemy as sa
import judging.db.base


revision = '0016_integrity'
down_revision = '0016_rules'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('experts') as batch:
        batch.add_column(sa.Column('industry', sa.String(length=100), nullable=False, server_default=''))
    op.create_table('expert_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('excluded', sa.JSON(), nullable=False),
    sa.Column('drawn', sa.JSON(), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('redraw_reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', judging.db.base.UTCDateTime(), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', judging.db.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_expert_draws_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_expert_draws_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_expert_draws_created_by_id_users')),
    sa.ForeignKeyConstraint(['replaces_id'], ['expert_draws.id'], name=op.f('fk_expert_draws_replaces_id_expert_draws')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_expert_draws_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_draws')),
    )
    op.create_index(op.f('ix_expert_draws_category_id'), 'expert_draws', ['category_id'], unique=False)
    op.create_index(op.f('ix_expert_draws_round_id'), 'expert_draws', ['round_id'], unique=False)
    op.create_table('expert_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', judging.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_expert_notes_created_by_id_users')),
    sa.ForeignKeyConstraint(['edition_id'], ['editions.id'], name=op.f('fk_expert_notes_edition_id_editions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_expert_notes_expert_id_experts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_notes')),
    )
    op.create_index(op.f('ix_expert_notes_expert_id'), 'expert_notes', ['expert_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_expert_notes_expert_id'), table_name='expert_notes')
    op.drop_table('expert_notes')
    op.drop_index(op.f('ix_expert_draws_round_id'), table_name='expert_draws')
    op.drop_index(op.f('ix_expert_draws_category_id'), table_name='expert_draws')
    op.drop_table('expert_draws')
    with op.batch_alter_table('experts') as batch:
        batch.drop_column('industry')
