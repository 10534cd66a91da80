"""privacy: erasure (UU PDP) - users.erased_at, certificates.revoked_at, audit_personal

Personal values move out of the append-only audit log into ``audit_personal``, a table
beside it that erasure can delete from (docs/privacy.md): usernames in ``user.created``,
``user.activated``/``user.deactivated`` and ``learning.assigned``; the text of a post before
an edit, of meeting minutes before a change and of a rejection reason. The text of a
deleted post is not kept at all: only its SHA-256 stays in the log. This is the one time
the log's rows are rewritten (its triggers are dropped and restored around it); from now
on the writers put nothing personal in it.

Revision ID: 0018_privacy
Revises: 0015_user_sessions
Create Date: 2026-12-07 14:30:00

"""
import hashlib
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_privacy'
down_revision = '0015_user_sessions'
branch_labels = None
depends_on = None

SQLITE_NO_UPDATE = ("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")

# action -> (keys moved to audit_personal, how to find whose data it is)
PERSONAL_KEYS = {
    "user.created": ("username",),
    "user.activated": ("username",),
    "user.deactivated": ("username",),
    "learning.assigned": ("user",),
    "discussion.post_edited": ("before", "title_before"),
    "discussion.meeting_record_saved": ("minutes_before", "decisions_before"),
    "training_record.rejected": ("reason",),
}


def _subject(conn, action: str, target_id, actor_id, details: dict):
    """The id of the person whose data the moved values are."""
    if action.startswith("user."):
        return int(target_id) if target_id and str(target_id).isdigit() else None
    if action == "learning.assigned":
        if not details.get("user"):
            return None
        return conn.execute(sa.text("SELECT id FROM users WHERE username = :u"), {"u": details["user"]}).scalar()
    if action == "discussion.post_edited":
        return conn.execute(sa.text("SELECT author_id FROM discussion_posts WHERE id = :p"),
                            {"p": int(target_id)}).scalar() if target_id else None
    if action == "training_record.rejected":
        return details.get("user_id")
    return actor_id


def _move_personal_values(conn) -> None:
    rows = conn.execute(sa.text(
        "SELECT id, action, target_id, actor_id, details FROM audit_log WHERE action IN "
        "('user.created', 'user.activated', 'user.deactivated', 'learning.assigned', 'discussion.post_edited', "
        "'discussion.meeting_record_saved', 'training_record.rejected', 'discussion.post_deleted')")).all()
    personal = sa.table("audit_personal", sa.column("entry_id"), sa.column("user_id"), sa.column("key"),
                        sa.column("value"))
    for entry_id, action, target_id, actor_id, details in rows:
        details = json.loads(details) if isinstance(details, str) else dict(details or {})
        if action == "discussion.post_deleted":
            if "body" not in details:
                continue
            body = details.pop("body") or ""
            details["body_sha256"] = hashlib.sha256(body.encode("utf-8")).hexdigest()
        else:
            moved = {key: details.pop(key) for key in PERSONAL_KEYS[action] if key in details}
            if not moved:
                continue
            subject = _subject(conn, action, target_id, actor_id, details)
            values = [{"entry_id": entry_id, "user_id": subject, "key": key, "value": str(value)}
                      for key, value in moved.items() if value is not None]
            if values:
                conn.execute(personal.insert(), values)
        conn.execute(sa.text("UPDATE audit_log SET details = :d WHERE id = :i"),
                     {"d": json.dumps(details), "i": entry_id})


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('audit_personal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['audit_log.id'], name=op.f('fk_audit_personal_entry_id_audit_log'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_personal_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_personal'))
    )
    with op.batch_alter_table('audit_personal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_personal_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_personal_user_id'), ['user_id'], unique=False)

    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        conn.execute(sa.text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        _move_personal_values(conn)
        conn.execute(sa.text(SQLITE_NO_UPDATE))
    else:
        conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
        _move_personal_values(conn)
        conn.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change"))


def downgrade():
    """Drops the erasure marks and the personal values beside the audit log (not put back
    into the log: that would undo the erasures made since)."""
    with op.batch_alter_table('audit_personal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_personal_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_personal_entry_id'))
    op.drop_table('audit_personal')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
