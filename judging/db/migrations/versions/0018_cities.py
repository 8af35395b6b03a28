"""nomination by the cities online: city entries (drafts and submissions), their files and versions

The nominator role needs no change: roles are stored as plain text.

Revision ID: 0018_cities
Revises: 0017_perf
Create Date: 2026-12-03 08:00:00
"""

from alembic import op
import sqlalchemy as sa
import judging.db.base


revision = '0018_cities'
down_revision = '0017_perf'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('city_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('city', sa.String(length=50), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'withdrawn', name='entrystatus', native_enum=False, length=16), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('nomination_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', judging.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', judging.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', judging.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_city_entries_category_id_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_city_entries_created_by_id_users')),
    sa.ForeignKeyConstraint(['edition_id'], ['editions.id'], name=op.f('fk_city_entries_edition_id_editions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['nomination_id'], ['nominations.id'], name=op.f('fk_city_entries_nomination_id_nominations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_city_entries'))
    )
    with op.batch_alter_table('city_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_city_entries_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_city_entries_city'), ['city'], unique=False)
        batch_op.create_index(batch_op.f('ix_city_entries_edition_id'), ['edition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_city_entries_nomination_id'), ['nomination_id'], unique=False)

    op.create_table('city_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('stored_name', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('removed', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['city_entries.id'], name=op.f('fk_city_files_entry_id_city_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_city_files')),
    sa.UniqueConstraint('entry_id', 'position', name=op.f('uq_city_files_entry_id_position'))
    )
    with op.batch_alter_table('city_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_city_files_entry_id'), ['entry_id'], unique=False)

    op.create_table('city_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('submitted_at', judging.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['city_entries.id'], name=op.f('fk_city_versions_entry_id_city_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_city_versions_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_city_versions')),
    sa.UniqueConstraint('entry_id', 'number', name=op.f('uq_city_versions_entry_id_number'))
    )
    with op.batch_alter_table('city_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_city_versions_entry_id'), ['entry_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('city_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_city_versions_entry_id'))

    op.drop_table('city_versions')
    with op.batch_alter_table('city_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_city_files_entry_id'))

    op.drop_table('city_files')
    with op.batch_alter_table('city_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_city_entries_nomination_id'))
        batch_op.drop_index(batch_op.f('ix_city_entries_edition_id'))
        batch_op.drop_index(batch_op.f('ix_city_entries_city'))
        batch_op.drop_index(batch_op.f('ix_city_entries_category_id'))

    op.drop_table('city_entries')
