"""discussion organisations: each library its own discussion space on a shared course

``discussion_threads.organisation_id`` is the organisation of a module thread's author when
the thread was started; module threads are shown to the people of that organisation only
(docs/organisations.md, section 4). Existing module threads take their author's current
organisation; threads whose author is gone or has no unit keep None (the space of people
without an organisation, and of install-wide admins and trainers).

Revision ID: 0027_discussion_organisations
Revises: 0026_organisation_needs
Create Date: 2026-12-07 21:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_discussion_organisations'
down_revision = '0026_organisation_needs'
branch_labels = None
depends_on = None


def upgrade():
    """Adds what is missing (a downgrade keeps everything, see below), then gives every module
    thread without a space its author's organisation."""
    inspector = sa.inspect(op.get_bind())
    if 'organisation_id' not in {column['name'] for column in inspector.get_columns('discussion_threads')}:
        with op.batch_alter_table('discussion_threads', recreate='never') as batch_op:
            batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
    if 'ix_discussion_threads_module_organisation' not in {
            index['name'] for index in inspector.get_indexes('discussion_threads')}:
        op.create_index('ix_discussion_threads_module_organisation', 'discussion_threads',
                        ['module_id', 'organisation_id', 'last_post_at'], unique=False)
    op.execute("""
        UPDATE discussion_threads SET organisation_id = (
            SELECT units.organisation_id FROM users JOIN units ON units.id = users.unit_id
            WHERE users.id = discussion_threads.author_id)
        WHERE module_id IS NOT NULL AND organisation_id IS NULL
    """)


def downgrade():
    """Keeps ``discussion_threads.organisation_id`` and its index: code before 0027 ignores
    them (and shows every module thread to everyone again), and dropping them would lose
    which library's space each thread was started in. The upgrade adds only what is missing
    and gives threads started in between their author's organisation."""
