"""privacy: erasure (UU PDP) - privacy_erasures, and personal values beside the audit log

``privacy_erasures`` says who was erased and when (their certificates are revoked since
then); the upgrade fills it from the audit log's ``user.erased`` entries.

``audit_personal`` holds the personal values of audit entries, where erasure can delete
them without touching the append-only log (docs/privacy.md). The upgrade moves them out of
the log's details: usernames in ``user.created``, ``user.activated``/``user.deactivated`` and
``learning.assigned``; the text of a post before an edit, of meeting minutes before a change
and of a rejection reason. The text of a deleted post is not kept at all: only its SHA-256.
The log's rows are rewritten only here (its triggers are dropped and restored around it);
from now on its writers put nothing personal in it.

Revision ID: 0018_privacy
Revises: 0017_notification_preferences
Create Date: 2026-12-07 14:30:00

"""
import hashlib
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_privacy'
down_revision = '0017_notification_preferences'
branch_labels = None
depends_on = None

SQLITE_NO_UPDATE = ("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")

# action -> the keys of its details that are personal
PERSONAL_KEYS = {
    "user.created": ("username",),
    "user.activated": ("username",),
    "user.deactivated": ("username",),
    "learning.assigned": ("user",),
    "discussion.post_edited": ("before", "title_before"),
    "discussion.meeting_record_saved": ("minutes_before", "decisions_before"),
    "training_record.rejected": ("reason",),
}
ACTIONS = ", ".join(f"'{action}'" for action in list(PERSONAL_KEYS) + ["discussion.post_deleted"])


def _details(raw) -> dict:
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


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


def _set_details(conn, entry_id: int, details: dict) -> None:
    conn.execute(sa.text("UPDATE audit_log SET details = :d WHERE id = :i"), {"d": json.dumps(details), "i": entry_id})


def _move_out(conn) -> None:
    rows = conn.execute(sa.text(
        f"SELECT id, action, target_id, actor_id, details FROM audit_log WHERE action IN ({ACTIONS}) ORDER BY id")).all()
    personal = sa.table("audit_personal", sa.column("entry_id"), sa.column("user_id"), sa.column("key"),
                        sa.column("value"))
    for entry_id, action, target_id, actor_id, raw in rows:
        details = _details(raw)
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
        _set_details(conn, entry_id, details)


def _move_back(conn) -> None:
    """The values still beside the log go back into its details (those of erased people
    were deleted by their erasure and stay gone; deleted posts' texts are not restored)."""
    rows = conn.execute(sa.text(
        "SELECT a.id, a.details, p.key, p.value FROM audit_personal p JOIN audit_log a ON a.id = p.entry_id "
        "ORDER BY a.id, p.id")).all()
    merged: dict[int, dict] = {}
    for entry_id, raw, key, value in rows:
        merged.setdefault(entry_id, _details(raw))[key] = value
    for entry_id, details in merged.items():
        _set_details(conn, entry_id, details)


def _with_log_writable(conn, change) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(sa.text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        change(conn)
        conn.execute(sa.text(SQLITE_NO_UPDATE))
    else:
        conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
        change(conn)
        conn.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change"))


def upgrade():
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
    op.create_table('privacy_erasures',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_privacy_erasures_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_privacy_erasures'))
    )
    conn = op.get_bind()
    conn.execute(sa.text(
        "INSERT INTO privacy_erasures (user_id, erased_at) SELECT CAST(target_id AS INTEGER), MIN(at) FROM audit_log "
        "WHERE action = 'user.erased' AND target_type = 'user' GROUP BY target_id"))
    _with_log_writable(conn, _move_out)


def downgrade():
    """Puts the personal values back into the audit entries' details and drops the two tables
    (the upgrade writes both again: the erasures from the log's ``user.erased`` entries)."""
    _with_log_writable(op.get_bind(), _move_back)
    op.drop_table('privacy_erasures')
    with op.batch_alter_table('audit_personal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_personal_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_personal_entry_id'))
    op.drop_table('audit_personal')
