"""documents: one table of stored PDFs (run reports, notices, tally sheets)

The run reports move from result_reports (their ids kept, so /results/reports/<id> links still work)
and each notice's PDF from its notices.pdf column; both old places are dropped.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:00:00
"""

from alembic import op
import sqlalchemy as sa
import judging.db.base


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

documents = sa.table(
    'documents', sa.column('id', sa.Integer), sa.column('kind', sa.String), sa.column('subject_type', sa.String),
    sa.column('subject_id', sa.Integer), sa.column('filename', sa.String), sa.column('content', sa.LargeBinary),
    sa.column('sha256', sa.String), sa.column('pages', sa.Integer), sa.column('details', sa.JSON),
    sa.column('created_by_id', sa.Integer), sa.column('created_at', judging.db.base.UTCDateTime(timezone=True)))

# Typed, so that the moved timestamps and flags read and write alike on both backends.
_old_reports = sa.table(
    'result_reports', sa.column('id', sa.Integer), sa.column('run_id', sa.Integer), sa.column('kind', sa.String),
    sa.column('audience', sa.String), sa.column('subject_id', sa.Integer), sa.column('draft', sa.Boolean),
    sa.column('filename', sa.String), sa.column('content', sa.LargeBinary), sa.column('sha256', sa.String),
    sa.column('pages', sa.Integer), sa.column('created_by_id', sa.Integer),
    sa.column('created_at', judging.db.base.UTCDateTime(timezone=True)))
_old_notices = sa.table(
    'notices', sa.column('id', sa.Integer), sa.column('category_id', sa.Integer), sa.column('year', sa.Integer),
    sa.column('version', sa.Integer), sa.column('pdf', sa.LargeBinary), sa.column('pdf_sha256', sa.String),
    sa.column('published_by_id', sa.Integer), sa.column('published_at', judging.db.base.UTCDateTime(timezone=True)))


def _page_count(pdf: bytes) -> int:
    """Pages of a stored notice PDF (the notices table did not keep the count)."""
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages) if pdf else 0


def upgrade() -> None:
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', judging.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_documents_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('ix_documents_subject', ['subject_type', 'subject_id'], unique=False)

    bind = op.get_bind()
    for row in bind.execute(sa.select(_old_reports).order_by(_old_reports.c.id)).mappings():
        op.execute(documents.insert().values(
            id=row['id'], kind=f"{row['kind']}_report", subject_type='result_run', subject_id=row['run_id'],
            filename=row['filename'], content=row['content'], sha256=row['sha256'], pages=row['pages'],
            details={'audience': row['audience'], 'draft': bool(row['draft']), 'about': row['subject_id']},
            created_by_id=row['created_by_id'], created_at=row['created_at']))
    if bind.dialect.name == 'postgresql':  # ids were given: move the sequence past them
        op.execute("SELECT setval(pg_get_serial_sequence('documents', 'id'), "
                   "COALESCE((SELECT MAX(id) FROM documents), 0) + 1, false)")
    for row in bind.execute(sa.select(_old_notices).order_by(_old_notices.c.id)).mappings():
        op.execute(documents.insert().values(
            kind='notice', subject_type='notice', subject_id=row['id'],
            filename=f"notice-{row['year']}-{row['id']}-v{row['version']}.pdf", content=row['pdf'],
            sha256=row['pdf_sha256'], pages=_page_count(row['pdf']),
            details={'version': row['version'], 'category': row['category_id']},
            created_by_id=row['published_by_id'], created_at=row['published_at']))

    with op.batch_alter_table('result_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_result_reports_run_id'))
    op.drop_table('result_reports')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('pdf_sha256')
        batch_op.drop_column('pdf')


def downgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:  # filled below, then made NOT NULL
        batch_op.add_column(sa.Column('pdf', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('pdf_sha256', sa.String(length=64), nullable=True))
    op.create_table('result_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('draft', sa.Boolean(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', judging.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_result_reports_created_by_id_users')),
    sa.ForeignKeyConstraint(['run_id'], ['result_runs.id'], name=op.f('fk_result_reports_run_id_result_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result_reports'))
    )
    with op.batch_alter_table('result_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_result_reports_run_id'), ['run_id'], unique=False)
    reports, notices = _old_reports, _old_notices
    stored = sa.select(documents).where(documents.c.kind.in_(
        ['ranking_report', 'nomination_report', 'judge_report', 'audit_report', 'notice']))
    for row in op.get_bind().execute(stored).mappings():
        if row['kind'] == 'notice':
            op.execute(notices.update().where(notices.c.id == row['subject_id'])
                       .values(pdf=row['content'], pdf_sha256=row['sha256']))
            continue
        details = row['details'] or {}
        op.execute(reports.insert().values(
            id=row['id'], run_id=row['subject_id'], kind=row['kind'].removesuffix('_report'),
            audience=details.get('audience', 'committee'), subject_id=details.get('about'),
            draft=bool(details.get('draft', True)), filename=row['filename'], content=row['content'],
            sha256=row['sha256'], pages=row['pages'], created_by_id=row['created_by_id'],
            created_at=row['created_at']))
    # A notice whose PDF was still being prepared had none before this revision either way: empty bytes.
    op.execute(notices.update().where(notices.c.pdf.is_(None)).values(pdf=b'', pdf_sha256=''))
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.alter_column('pdf', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column('pdf_sha256', existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_subject')
    op.drop_table('documents')
