"""rubric versions for the saves' rubric cache; audit events numbered by the database and sealed into a
Merkle tree with signed heads (no global lock on append); assignment plans' pairs packed (PairList)

Revision ID: 0017_perf
Revises: 0016_redact
Create Date: 2026-12-02 12:00:00
"""

import zlib

import numpy as np
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


def _pack(pairs: list) -> bytes:  # judging.panels.models.PairList's format, as it was at this revision
    array = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return zlib.compress(np.concatenate([np.diff(array[:, 0], prepend=0), array[:, 1]]).astype("<i8").tobytes(), 6)


def _unpack(data: bytes) -> list:
    packed = np.frombuffer(zlib.decompress(data), dtype="<i8")
    half = len(packed) // 2
    return np.stack([np.cumsum(packed[:half]), packed[half:]], axis=1).tolist()


def _repack_plans(old_type: sa.types.TypeEngine, new_type: sa.types.TypeEngine, convert) -> None:
    """Move every plan's pairs into a new column of ``new_type``, which then takes the name ``pairs``."""
    with op.batch_alter_table('assignment_plans') as batch:
        batch.add_column(sa.Column('pairs_new', new_type, nullable=True))
    bind = op.get_bind()
    plans = sa.table('assignment_plans', sa.column('id', sa.Integer()), sa.column('pairs', old_type),
                     sa.column('pairs_new', new_type))
    for plan_id, pairs in bind.execute(sa.select(plans.c.id, plans.c.pairs)).all():
        bind.execute(plans.update().where(plans.c.id == plan_id).values(pairs_new=convert(pairs)))
    with op.batch_alter_table('assignment_plans') as batch:
        batch.drop_column('pairs')
        batch.alter_column('pairs_new', new_column_name='pairs', existing_type=new_type, nullable=False)


def upgrade() -> None:
    _repack_plans(sa.JSON(), sa.LargeBinary(), lambda pairs: _pack(pairs or []))
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
    _repack_plans(sa.LargeBinary(), sa.JSON(), _unpack)
