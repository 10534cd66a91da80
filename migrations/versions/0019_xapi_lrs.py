"""xAPI for a learning record store: the fact each learning event records, and deliveries

``learning_events.source`` names the fact behind an event (``quiz-attempt:12``, ...; unique,
the root of the statement id). Events written before this migration keep NULL: the table is
append-only and nothing rewrites them (their statement ids come from their event id).
``xapi_deliveries`` remembers which statement ids a record store accepted, so
``lms export xapi --lrs`` resumes and never sends a statement twice.

Revision ID: 0019_xapi_lrs
Revises: 0018_privacy
Create Date: 2026-12-07 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_xapi_lrs'
down_revision = '0018_privacy'
branch_labels = None
depends_on = None


def upgrade():
    """Adds what is missing (a downgrade keeps ``source``, see below)."""
    inspector = sa.inspect(op.get_bind())
    if 'source' not in {column['name'] for column in inspector.get_columns('learning_events')}:
        # A new nullable column fires no row trigger: the append-only triggers stay as they are.
        with op.batch_alter_table('learning_events', recreate='never') as batch_op:
            batch_op.add_column(sa.Column('source', sa.String(length=160), nullable=True))
    if 'uq_learning_events_source' not in {index['name'] for index in inspector.get_indexes('learning_events')}:
        op.create_index('uq_learning_events_source', 'learning_events', ['source'], unique=True)
    if not inspector.has_table('xapi_deliveries'):
        op.create_table('xapi_deliveries',
        sa.Column('lrs', sa.String(length=500), nullable=False),
        sa.Column('statement_id', sa.String(length=36), nullable=False),
        sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('lrs', 'statement_id', name=op.f('pk_xapi_deliveries'))
        )


def downgrade():
    """Drops ``xapi_deliveries`` (what record stores accepted: after an upgrade the next push
    sends those statements again, and the stores recognise them by their ids) but keeps
    ``learning_events.source``: without it the events would get new statement ids after the
    next upgrade and record stores would keep duplicates. Code before 0019 ignores the
    column; the upgrade adds only what is missing."""
    op.drop_table('xapi_deliveries')
