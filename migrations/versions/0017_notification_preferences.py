"""notification preferences: how e-mail reaches a person, per kind of notification

One row per person and kind whose choice differs from the kind's default (immediately, in
the daily digest, or never; lms/plugins/notifications/preferences.py). Empty at first:
everyone keeps the defaults, which are what Pembina did before (assignments and reminders
at once, discussions in the digest).

Revision ID: 0017_notification_preferences
Revises: 0016_mail_outbox
Create Date: 2026-12-07 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_notification_preferences'
down_revision = '0016_mail_outbox'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=10), nullable=False),
    sa.CheckConstraint("email IN ('immediate', 'digest', 'never')", name=op.f('ck_notification_preferences_email_choice')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_preferences'))
    )


def downgrade():
    """Drops the choices: everyone is back on the defaults."""
    op.drop_table('notification_preferences')
