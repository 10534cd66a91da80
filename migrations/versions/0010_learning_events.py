"""learning events: append-only xAPI-shaped events (lesson viewed, quiz graded, module and course completed)

Revision ID: 0010_learning_events
Revises: 0009_notifications
Create Date: 2026-11-25 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_learning_events'
down_revision = '0009_notifications'
branch_labels = None
depends_on = None


# Same statements as lms/plugins/interop/models.py (which creates them for create_all schemas).
APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER learning_events_no_update BEFORE UPDATE ON learning_events "
    "BEGIN SELECT RAISE(ABORT, 'learning_events is append-only'); END",
    "CREATE TRIGGER learning_events_no_delete BEFORE DELETE ON learning_events "
    "BEGIN SELECT RAISE(ABORT, 'learning_events is append-only'); END",
]
APPEND_ONLY_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION learning_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'learning_events is append-only'; END $$",
    "CREATE TRIGGER learning_events_no_change BEFORE UPDATE OR DELETE ON learning_events "
    "FOR EACH ROW EXECUTE FUNCTION learning_events_append_only()",
]


def _append_only_triggers(create: bool) -> None:
    """Learning events refuse UPDATE and DELETE in the database itself, like the audit log."""
    dialect = op.get_bind().dialect.name
    if create:
        statements = APPEND_ONLY_SQLITE if dialect == "sqlite" else APPEND_ONLY_POSTGRESQL
    elif dialect == "sqlite":
        statements = ["DROP TRIGGER IF EXISTS learning_events_no_update",
                      "DROP TRIGGER IF EXISTS learning_events_no_delete"]
    else:
        statements = ["DROP TRIGGER IF EXISTS learning_events_no_change ON learning_events",
                      "DROP FUNCTION IF EXISTS learning_events_append_only()"]
    for statement in statements:
        op.execute(statement)


def upgrade():
    op.create_table('learning_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('verb', sa.String(length=16), nullable=False),
    sa.Column('object_type', sa.String(length=16), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('object_iri', sa.String(length=500), nullable=False),
    sa.Column('object_name', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_learning_events_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_events'))
    )
    with op.batch_alter_table('learning_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_events_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index('ix_learning_events_user_occurred', ['user_id', 'occurred_at'], unique=False)

    _append_only_triggers(create=True)


def downgrade():
    """Lossy: drops the data of this revision's feature (learning events) with its tables learning_events; back up
    first (docs/reliability.md)."""
    _append_only_triggers(create=False)
    with op.batch_alter_table('learning_events', schema=None) as batch_op:
        batch_op.drop_index('ix_learning_events_user_occurred')
        batch_op.drop_index(batch_op.f('ix_learning_events_occurred_at'))

    op.drop_table('learning_events')
