"""mail outbox: every e-mail is a row, delivered by ``lms mail send`` / ``lms mail worker``

Revision ID: 0016_mail_outbox
Revises: 0015_user_sessions
Create Date: 2026-12-07 14:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_mail_outbox'
down_revision = '0015_user_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=400), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=True),
    sa.Column('message_id', sa.String(length=250), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('handed_over_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mail_outbox_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox')),
    sa.UniqueConstraint('message_id', name=op.f('uq_mail_outbox_message_id'))
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_mail_outbox_status_next', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_outbox_user_id'), ['user_id'], unique=False)


def downgrade():
    """Refused while messages wait to be delivered (they would be lost); the delivered and
    failed ones are a log of what went out, dropped with the table."""
    waiting = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM mail_outbox WHERE status IN ('queued', 'sending')")).scalar()
    if waiting:
        raise RuntimeError(f"{waiting} e-mail(s) still wait in the outbox: run `lms mail send` "
                           "until it is empty, then downgrade")
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_outbox_user_id'))
        batch_op.drop_index('ix_mail_outbox_status_next')
    op.drop_table('mail_outbox')
