"""rubric versions for the saves' rubric cache

Revision ID: 0016_perf
Revises: 0015
Create Date: 2026-12-02 12:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0016_perf'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rubrics') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('rubrics') as batch:
        batch.drop_column('version')
