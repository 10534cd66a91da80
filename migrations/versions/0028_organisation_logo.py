"""organisation logo: each library's logo, and the one each certificate was issued with

``organisation_logos`` keeps every logo ever set, as a re-encoded PNG keyed by the SHA-256 of
its bytes (lms/logos.py): in the database rather than a file, so every app server reads the
same logo without a shared folder and a backup holds it. ``organisations.logo`` points at the
current one; ``certificates.issuer_logo`` keeps the one of the day of issue, as
``issuer_name`` keeps the name. No foreign keys: logo rows are never deleted, and SQLite
cannot add a constraint to an existing table without rebuilding it.

Revision ID: 0028_organisation_logo
Revises: 0027_discussion_organisations
Create Date: 2026-12-07 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028_organisation_logo'
down_revision = '0027_discussion_organisations'
branch_labels = None
depends_on = None


def upgrade():
    """Adds what is missing: a downgrade keeps everything (see below)."""
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table('organisation_logos'):
        op.create_table('organisation_logos',
            sa.Column('sha256', sa.String(length=64), nullable=False),
            sa.Column('data', sa.LargeBinary(), nullable=False),
            sa.Column('width', sa.Integer(), nullable=False),
            sa.Column('height', sa.Integer(), nullable=False),
            sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint('sha256', name=op.f('pk_organisation_logos'))
        )
    for table, column in (('organisations', 'logo'), ('certificates', 'issuer_logo')):
        if column not in {found['name'] for found in inspector.get_columns(table)}:
            with op.batch_alter_table(table, recreate='never') as batch_op:
                batch_op.add_column(sa.Column(column, sa.String(length=64), nullable=True))


def downgrade():
    """Keeps the logos, ``organisations.logo`` and the certificates' ``issuer_logo``: code
    before 0028 ignores them, and dropping them would lose each library's logo and the one
    printed on its certificates. The upgrade adds only what is missing."""
