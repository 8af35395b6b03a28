"""identity as the form knows it, sanitized and reviewed attachments, random judge handles

Revision ID: 0016_redact
Revises: 0016_finish
Create Date: 2026-12-02 12:00:00
"""

import secrets

from alembic import op
import sqlalchemy as sa
import judging.db.base


revision = '0016_redact'
down_revision = '0016_finish'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('nomination_identities') as batch:
        batch.add_column(sa.Column('short_names', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('team', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('employer_city', sa.String(length=50), nullable=False, server_default=''))
    with op.batch_alter_table('nomination_originals') as batch:
        batch.add_column(sa.Column('place_exceptions', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('attachments') as batch:
        batch.alter_column('stored_name', existing_type=sa.String(length=100), nullable=True)
        batch.add_column(sa.Column('review_name', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('state', sa.String(length=16), nullable=False, server_default='ok'))
        batch.add_column(sa.Column('refusal', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('findings', sa.JSON(), nullable=False, server_default='[]'))
        batch.create_unique_constraint(op.f('uq_attachments_review_name'), ['review_name'])
    op.create_table('employer_short_names',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('employer', sa.String(length=200), nullable=False),
    sa.Column('employer_key', sa.String(length=200), nullable=False),
    sa.Column('short_name', sa.String(length=60), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', judging.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['edition_id'], ['editions.id'], name=op.f('fk_employer_short_names_edition_id_editions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_short_names')),
    sa.UniqueConstraint('edition_id', 'employer_key', 'short_name', name=op.f('uq_employer_short_names_edition_id_employer_key_short_name')),
    )
    op.create_index(op.f('ix_employer_short_names_edition_id'), 'employer_short_names', ['edition_id'], unique=False)
    # Existing assignments get a random handle each before the column becomes required and unique.
    with op.batch_alter_table('assignments') as batch:
        batch.add_column(sa.Column('handle', sa.String(length=32), nullable=True))
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM assignments"))]
    for assignment_id in ids:
        connection.execute(sa.text("UPDATE assignments SET handle = :h WHERE id = :i"),
                           {"h": secrets.token_urlsafe(12), "i": assignment_id})
    with op.batch_alter_table('assignments') as batch:
        batch.alter_column('handle', existing_type=sa.String(length=32), nullable=False)
        batch.create_unique_constraint(op.f('uq_assignments_handle'), ['handle'])


def downgrade() -> None:
    with op.batch_alter_table('assignments') as batch:
        batch.drop_constraint(op.f('uq_assignments_handle'), type_='unique')
        batch.drop_column('handle')
    op.drop_index(op.f('ix_employer_short_names_edition_id'), table_name='employer_short_names')
    op.drop_table('employer_short_names')
    with op.batch_alter_table('attachments') as batch:
        batch.drop_constraint(op.f('uq_attachments_review_name'), type_='unique')
        batch.drop_column('findings')
        batch.drop_column('refusal')
        batch.drop_column('state')
        batch.drop_column('review_name')
        batch.alter_column('stored_name', existing_type=sa.String(length=100), nullable=False)
    with op.batch_alter_table('nomination_originals') as batch:
        batch.drop_column('place_exceptions')
    with op.batch_alter_table('nomination_identities') as batch:
        batch.drop_column('employer_city')
        batch.drop_column('team')
        batch.drop_column('short_names')
