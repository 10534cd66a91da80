"""course organisations: a course shared across the network or private to one library

``courses.organisation_id`` names the organisation a private course belongs to; null means
shared (every existing course stays shared). docs/organisations.md, section 3.

Revision ID: 0025_course_organisations
Revises: 0024_organisation_roles
Create Date: 2026-12-07 21:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_course_organisations'
down_revision = '0024_organisation_roles'
branch_labels = None
depends_on = None


def upgrade():
    """Adds the column unless a downgrade left it in place (then nothing is missing)."""
    columns = {column['name'] for column in sa.inspect(op.get_bind()).get_columns('courses')}
    if 'organisation_id' in columns:
        return
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_courses_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_courses_organisation_id_organisations'), 'organisations',
                                    ['organisation_id'], ['unit_id'], ondelete='RESTRICT')


def downgrade():
    """Keeps ``courses.organisation_id`` (code before 0025 ignores it; the upgrade finds it in
    place), but is refused while a course is private: code before 0025 would show it to every
    library without anyone deciding it. Make those courses shared first (remove
    ``organisation:`` from their ``course.md`` and import, or choose "shared" in the browser)."""
    private = op.get_bind().execute(
        sa.text("SELECT count(*) FROM courses WHERE organisation_id IS NOT NULL")).scalar()
    if private:
        raise RuntimeError(f"{private} course(s) are private to one organisation: below 0025 every library "
                           "would see them. Make them shared first.")
