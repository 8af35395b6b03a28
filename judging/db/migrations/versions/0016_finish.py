"""indexes for the auditor's log: filter by actor, action, object or time and page by seq at millions of events

Revision ID: 0016_finish
Revises: 0016_people
Create Date: 2026-12-02 12:00:00
"""

from alembic import op


revision = '0016_finish'
down_revision = '0016_people'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_audit_events_actor_seq', 'audit_events', ['actor', 'seq'], unique=False)
    op.create_index('ix_audit_events_action_seq', 'audit_events', ['action', 'seq'], unique=False)
    op.create_index('ix_audit_events_object_seq', 'audit_events', ['object_type', 'object_id', 'seq'], unique=False)
    op.create_index('ix_audit_events_at', 'audit_events', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_events_at', table_name='audit_events')
    op.drop_index('ix_audit_events_object_seq', table_name='audit_events')
    op.drop_index('ix_audit_events_action_seq', table_name='audit_events')
    op.drop_index('ix_audit_events_actor_seq', table_name='audit_events')
