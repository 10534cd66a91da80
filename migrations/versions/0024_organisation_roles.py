"""organisation roles: an admin or a trainer for one organisation only

``organisation_roles`` holds roles held for one organisation (and those below it): an
organisation admin manages that library's users, units and settings; a trainer may teach in
one library or several. ``user_roles`` stays the install-wide roles, so an existing install
keeps every right it had (docs/organisations.md, section 2).

Revision ID: 0024_organisation_roles
Revises: 0023_organisations
Create Date: 2026-12-07 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_organisation_roles'
down_revision = '0023_organisations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organisation_roles',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.unit_id'],
                                name=op.f('fk_organisation_roles_organisation_id_organisations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_organisation_roles_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'organisation_id', 'role', name=op.f('pk_organisation_roles'))
    )
    with op.batch_alter_table('organisation_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_roles_organisation_id'), ['organisation_id'],
                              unique=False)


def downgrade():
    """Drops the organisation roles and their data: no earlier revision can hold a role for one
    library. Grant them again install-wide (``lms users``) before downgrading if needed."""
    with op.batch_alter_table('organisation_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_roles_organisation_id'))
    op.drop_table('organisation_roles')
