"""rubric versions for the saves' rubric cache; audit events numbered by the database and sealed into a
Merkle tree with signed heads (no global lock on append)

Revision ID: 0017_perf
Revises: 0016_redact
Create Date: 2026-12-02 12:00:00
"""

from alembic import op
import sqlalchemy as sa
import judging.db.base


revision = '0017_perf'
down_revision = '0016_redact'
branch_labels = None
depends_on = None

# The transaction gets its id before it takes a number: the sealer's rule for telling a rolled-back
# number from one still in flight rests on it (judging/audit/sealer.py).
NEXT_SEQ = """
CREATE FUNCTION audit_next_seq() RETURNS bigint LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN pg_current_xact_id() IS NOT NULL THEN nextval('audit_events_seq_seq') END
$$
"""


def upgrade() -> None:
    with op.batch_alter_table('rubrics') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('audit_events') as batch:
        batch.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=True)
        batch.alter_column('hash', existing_type=sa.String(length=64), nullable=True)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE SEQUENCE audit_events_seq_seq OWNED BY audit_events.seq")
        op.execute("SELECT setval('audit_events_seq_seq', coalesce((SELECT max(seq) FROM audit_events), 0) + 1, false)")
        op.execute(NEXT_SEQ)
        op.execute("ALTER TABLE audit_events ALTER COLUMN seq SET DEFAULT audit_next_seq()")
    op.create_table('audit_tree_heads',
    sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root_hash', sa.String(length=64), nullable=False),
    sa.Column('signed_at', judging.db.base.UTCDateTime(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('frontier', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('tree_size', name=op.f('pk_audit_tree_heads')),
    )
    op.create_table('audit_sealer',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('observed_seq', sa.BigInteger(), nullable=False),
    sa.Column('observed_xid', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_sealer')),
    )


def downgrade() -> None:
    op.drop_table('audit_sealer')
    op.drop_table('audit_tree_heads')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE audit_events ALTER COLUMN seq DROP DEFAULT")
        op.execute("DROP FUNCTION audit_next_seq()")
        op.execute("DROP SEQUENCE audit_events_seq_seq")
    with op.batch_alter_table('rubrics') as batch:
        batch.drop_column('version')
