"""people: e-mail and city of accounts, one-time account links, the notification outbox

Revision ID: 0016_people
Revises: 0016_integrity
Create Date: 2026-12-02 11:20:00
"""

from alembic import op
import sqlalchemy as sa
import judging.db.base


revision = '0016_people'
down_revision = '0016_integrity'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('email', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('city', sa.String(length=50), nullable=True))
        batch.create_index(batch.f('ix_users_city'), ['city'], unique=False)
    op.create_index(op.f('ix_login_failures_username_client_address'), 'login_failures',
                    ['username', 'client_address'], unique=False)
    op.create_table('account_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('next_path', sa.String(length=200), nullable=True),
    sa.Column('created_at', judging.db.base.UTCDateTime(), nullable=False),
    sa.Column('expires_at', judging.db.base.UTCDateTime(), nullable=False),
    sa.Column('used_at', judging.db.base.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', judging.db.base.UTCDateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_account_tokens_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_tokens_token_hash')),
    )
    op.create_index(op.f('ix_account_tokens_user_id'), 'account_tokens', ['user_id'], unique=False)
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.Enum('email', 'sms', 'web', name='channel', native_enum=False, length=8), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link_token_id', sa.Integer(), nullable=True),
    sa.Column('link_path', sa.String(length=200), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'failed', 'shown', name='deliverystatus', native_enum=False, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', judging.db.base.UTCDateTime(), nullable=False),
    sa.Column('claim', sa.String(length=32), nullable=True),
    sa.Column('claimed_at', judging.db.base.UTCDateTime(), nullable=True),
    sa.Column('sent_at', judging.db.base.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', judging.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['link_token_id'], ['account_tokens.id'], name=op.f('fk_notifications_link_token_id_account_tokens'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('message_id', name=op.f('uq_notifications_message_id')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notifications_dedupe_key')),
    )
    op.create_index(op.f('ix_notifications_user_id'), 'notifications', ['user_id'], unique=False)
    op.create_index(op.f('ix_notifications_status_next_attempt_at'), 'notifications', ['status', 'next_attempt_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_table('notifications')
    op.drop_table('account_tokens')
    op.drop_index(op.f('ix_login_failures_username_client_address'), table_name='login_failures')
    with op.batch_alter_table('users') as batch:
        batch.drop_index(batch.f('ix_users_city'))
        batch.drop_column('city')
        batch.drop_column('email')
