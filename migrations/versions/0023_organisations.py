"""organisations: a library is a unit marked as one, with its own settings

``organisations`` holds, per library, what used to be written into the code: full and short
name, time zone, yearly JP target, default language, certificate signatory and e-mail
signature. ``units.organisation_id`` names each unit's nearest organisation at or above it.
Certificates keep a snapshot of their issuer and signatory, like the learner's name.

The upgrade makes every top-level unit an organisation named after the unit (an existing
install has one: its library) and fills ``organisation_id`` for units that have none; old
certificates get their holder's organisation as issuer.

Revision ID: 0023_organisations
Revises: 0022_evaluations
Create Date: 2026-12-07 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_organisations'
down_revision = '0022_evaluations'
branch_labels = None
depends_on = None

CERTIFICATE_COLUMNS = (('issuer_name', 200), ('signatory_name', 200), ('signatory_position', 200),
                       ('signatory_nip', 32))


def upgrade():
    """Adds what is missing (a downgrade keeps everything, see below), then fills the gaps."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if not inspector.has_table('organisations'):
        op.create_table('organisations',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('full_name', sa.String(length=200), nullable=False),
        sa.Column('short_name', sa.String(length=80), nullable=False),
        sa.Column('time_zone', sa.String(length=64), nullable=False),
        sa.Column('jp_target', sa.Float(), nullable=False),
        sa.Column('default_locale', sa.String(length=8), nullable=False),
        sa.Column('signatory_name', sa.String(length=200), nullable=False),
        sa.Column('signatory_position', sa.String(length=200), nullable=False),
        sa.Column('signatory_nip', sa.String(length=32), nullable=False),
        sa.Column('email_signature', sa.String(length=500), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_organisations_unit_id_units'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_organisations'))
        )
    if 'organisation_id' not in {column['name'] for column in inspector.get_columns('units')}:
        with op.batch_alter_table('units', recreate='never') as batch_op:
            batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
    if 'ix_units_organisation_id' not in {index['name'] for index in inspector.get_indexes('units')}:
        op.create_index(op.f('ix_units_organisation_id'), 'units', ['organisation_id'], unique=False)
    present = {column['name'] for column in inspector.get_columns('certificates')}
    missing = [(name, size) for name, size in CERTIFICATE_COLUMNS if name not in present]
    if missing:
        with op.batch_alter_table('certificates', recreate='never') as batch_op:
            for name, size in missing:
                batch_op.add_column(sa.Column(name, sa.String(length=size), server_default='', nullable=False))
    _fill(bind)


def _fill(bind):
    """Every top-level unit an organisation; every unit its nearest one; old certificates
    their holder's organisation. Units are few (hundreds), so the walk is done here."""
    units = {row.id: row for row in bind.execute(sa.text('SELECT id, name, parent_id, organisation_id FROM units'))}
    organisations = {row[0] for row in bind.execute(sa.text('SELECT unit_id FROM organisations'))}
    for unit in units.values():
        if unit.parent_id is None and unit.id not in organisations:
            bind.execute(sa.text(
                'INSERT INTO organisations (unit_id, full_name, short_name, time_zone, jp_target, default_locale, '
                "signatory_name, signatory_position, signatory_nip, email_signature, updated_at) VALUES "
                "(:id, :name, :short, 'Asia/Jakarta', 20, 'id', '', '', '', '', CURRENT_TIMESTAMP)"),
                {'id': unit.id, 'name': unit.name[:200], 'short': unit.name[:80]})
            organisations.add(unit.id)

    def nearest(unit_id):
        seen = set()
        while unit_id is not None and unit_id not in seen:
            if unit_id in organisations:
                return unit_id
            seen.add(unit_id)
            unit_id = units[unit_id].parent_id
        return None

    for unit in units.values():
        found = nearest(unit.id)
        if unit.organisation_id != found:
            bind.execute(sa.text('UPDATE units SET organisation_id = :org WHERE id = :id'),
                         {'org': found, 'id': unit.id})
    bind.execute(sa.text(
        "UPDATE certificates SET issuer_name = COALESCE((SELECT o.full_name FROM users u "
        "JOIN units n ON n.id = u.unit_id JOIN organisations o ON o.unit_id = n.organisation_id "
        "WHERE u.id = certificates.user_id), '') WHERE issuer_name = ''"))


def downgrade():
    """Keeps ``organisations``, ``units.organisation_id`` and the certificates' issuer
    snapshot: code before 0023 ignores them, and dropping them would lose each library's
    settings and what printed certificates say. The upgrade adds only what is missing and
    fills units created in between."""
