"""the secret ballot survives a database reader: encrypted ballots, key shares, ballot handles

Meetings opened before this revision have no key: they cannot be tallied and are held again (the
upgrade leaves them as they are; docs/operations.md). The anonymous paper-ballot queue is gone: a paper
ballot now goes through the encrypted path at once, confirmed by the member or by the chair.

Revision ID: 0016_ballot
Revises: 0015
Create Date: 2026-12-05 10:00:00
"""

import secrets

from alembic import op
import sqlalchemy as sa


revision = '0016_ballot'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meeting_keys',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('public_n', sa.Text(), nullable=False),
    sa.Column('slots', sa.Integer(), nullable=False),
    sa.Column('slot_bits', sa.Integer(), nullable=False),
    sa.Column('sealed_key', sa.Text(), nullable=True),
    sa.Column('aggregate', sa.Text(), nullable=True),
    sa.Column('totals_plain', sa.Text(), nullable=True),
    sa.Column('totals_randomness', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_keys_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', name=op.f('pk_meeting_keys'))
    )
    op.create_table('meeting_key_shares',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=8), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('wrapped', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_key_shares_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_key_shares_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_key_shares')),
    sa.UniqueConstraint('meeting_id', 'holder', name=op.f('uq_meeting_key_shares_meeting_id_holder'))
    )
    with op.batch_alter_table('meeting_key_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_key_shares_meeting_id'), ['meeting_id'], unique=False)
    op.create_table('meeting_ballots',
    sa.Column('receipt', sa.String(length=64), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('ciphertext', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_ballots_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('receipt', name=op.f('pk_meeting_ballots'))
    )
    with op.batch_alter_table('meeting_ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_ballots_meeting_id'), ['meeting_id'], unique=False)

    with op.batch_alter_table('meeting_nominations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handle', sa.String(length=16), nullable=True))
    bind = op.get_bind()
    rows = sa.table('meeting_nominations', sa.column('id', sa.Integer), sa.column('handle', sa.String))
    for (row_id,) in bind.execute(sa.select(rows.c.id)).all():
        bind.execute(rows.update().where(rows.c.id == row_id).values(handle=secrets.token_hex(8)))
    with op.batch_alter_table('meeting_nominations', schema=None) as batch_op:
        batch_op.alter_column('handle', existing_type=sa.String(length=16), nullable=False)

    with op.batch_alter_table('meeting_paper_ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_paper_ballots_meeting_id'))
    op.drop_table('meeting_paper_ballots')


def downgrade() -> None:
    op.create_table('meeting_paper_ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'confirmed', 'discarded', name='paperstatus', native_enum=False, length=16), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_meeting_paper_ballots_decided_by_id_users')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_meeting_paper_ballots_entered_by_id_users')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_paper_ballots_meeting_id_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_paper_ballots'))
    )
    with op.batch_alter_table('meeting_paper_ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_paper_ballots_meeting_id'), ['meeting_id'], unique=False)
    with op.batch_alter_table('meeting_nominations', schema=None) as batch_op:
        batch_op.drop_column('handle')
    with op.batch_alter_table('meeting_ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_ballots_meeting_id'))
    op.drop_table('meeting_ballots')
    with op.batch_alter_table('meeting_key_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_key_shares_meeting_id'))
    op.drop_table('meeting_key_shares')
    op.drop_table('meeting_keys')
