"""organisation needs: every needs round and curriculum version belongs to one organisation

``needs_rounds.organisation_id`` and ``curriculum_versions.organisation_id`` (not null,
foreign key to ``organisations``, indexed) say whose round or curriculum it is: only that
organisation's people, and those of the organisations above it, manage and analyse it
(docs/organisations.md, section 3).

The backfill gives a round the organisation of its scope's units, or, for a round without
units (the whole library), the only top-level organisation; a curriculum version takes its
round's organisation, else the only top-level one. When that cannot be decided (a round's
units in two organisations, or no round and several top-level organisations) the upgrade
stops with the ids to settle, changing nothing: a wrong owner would show one library's
needs to another.

SQLite cannot add a NOT NULL foreign key to a table in place, and rebuilding a table that
others reference deletes or blocks their rows while foreign keys are on; so on SQLite the
upgrade commits the revisions before it, turns foreign keys off for the rebuild, checks them
with ``PRAGMA foreign_key_check`` and turns them on again.

Revision ID: 0026_organisation_needs
Revises: 0025_course_organisations
Create Date: 2026-12-07 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_organisation_needs'
down_revision = '0025_course_organisations'
branch_labels = None
depends_on = None

TABLES = ('needs_rounds', 'curriculum_versions')
ROUND_CHECK = sa.CheckConstraint('closes_on >= opens_on', name='ck_needs_rounds_dates_in_order')


def _owners(bind) -> tuple[dict[int, int], dict[int, int]]:
    """``({round id: organisation}, {version id: organisation})`` for rows without one; raises
    naming every row that cannot be decided."""
    tops = [row[0] for row in bind.execute(sa.text(
        'SELECT o.unit_id FROM organisations o JOIN units u ON u.id = o.unit_id WHERE u.parent_id IS NULL'))]
    single = tops[0] if len(tops) == 1 else None
    scopes: dict[int, set] = {}
    for round_id, organisation_id in bind.execute(sa.text(
            'SELECT r.id, u.organisation_id FROM needs_rounds r '
            'LEFT JOIN needs_round_units s ON s.round_id = r.id LEFT JOIN units u ON u.id = s.unit_id '
            'WHERE r.organisation_id IS NULL')):
        scopes.setdefault(round_id, set())
        if organisation_id is not None:
            scopes[round_id].add(organisation_id)
    rounds, problems = {}, []
    for round_id, found in sorted(scopes.items()):
        owner = found.pop() if len(found) == 1 else (single if not found else None)
        if owner is None:
            problems.append(f'needs round {round_id}: its units belong to {len(found) + 1} organisations'
                            if found else f'needs round {round_id}: no units and {len(tops)} top-level organisations')
        rounds[round_id] = owner
    known = dict(bind.execute(sa.text('SELECT id, organisation_id FROM needs_rounds')).all())
    versions = {}
    for version_id, round_id in bind.execute(sa.text(
            'SELECT id, round_id FROM curriculum_versions WHERE organisation_id IS NULL ORDER BY id')):
        owner = (rounds.get(round_id) or known.get(round_id)) if round_id is not None else single
        if owner is None:
            problems.append(f'curriculum version {version_id}: no round and {len(tops)} top-level organisations')
        versions[version_id] = owner
    if problems:
        raise RuntimeError('cannot tell which organisation owns these; set organisation_id by hand and upgrade '
                           'again (nothing was changed): ' + '; '.join(problems))
    return rounds, versions


def _sqlite_foreign_keys(bind, on: bool) -> None:
    """Commit what is pending (the revisions before this one stay applied) and switch SQLite's
    foreign keys, which only changes outside a transaction."""
    raw = bind.connection.dbapi_connection
    if raw.in_transaction:
        raw.commit()
    raw.execute(f'PRAGMA foreign_keys={"ON" if on else "OFF"}')


def upgrade():
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table in TABLES:
        if 'organisation_id' not in {column['name'] for column in inspector.get_columns(table)}:
            with op.batch_alter_table(table, recreate='never') as batch_op:
                batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
    rounds, versions = _owners(bind)
    for round_id, owner in rounds.items():
        bind.execute(sa.text('UPDATE needs_rounds SET organisation_id = :org WHERE id = :id'),
                     {'org': owner, 'id': round_id})
    for version_id, owner in versions.items():
        bind.execute(sa.text('UPDATE curriculum_versions SET organisation_id = :org WHERE id = :id'),
                     {'org': owner, 'id': version_id})
    sqlite = bind.dialect.name == 'sqlite'
    if sqlite:
        _sqlite_foreign_keys(bind, on=False)
    try:
        for table in TABLES:
            indexes = {index['name'] for index in sa.inspect(bind).get_indexes(table)}
            keys = {key['name'] for key in sa.inspect(bind).get_foreign_keys(table)}
            with op.batch_alter_table(table, recreate='auto',
                                      table_args=(ROUND_CHECK,) if sqlite and table == 'needs_rounds' else ()
                                      ) as batch_op:
                batch_op.alter_column('organisation_id', existing_type=sa.Integer(), nullable=False)
                if f'fk_{table}_organisation_id_organisations' not in keys:
                    batch_op.create_foreign_key(f'fk_{table}_organisation_id_organisations', 'organisations',
                                                ['organisation_id'], ['unit_id'], ondelete='RESTRICT')
                if f'ix_{table}_organisation_id' not in indexes:
                    batch_op.create_index(f'ix_{table}_organisation_id', ['organisation_id'], unique=False)
        if sqlite:
            broken = bind.connection.dbapi_connection.execute('PRAGMA foreign_key_check').fetchall()
            if broken:
                raise RuntimeError(f'foreign keys broken by the rebuild: {broken[:5]}')
    finally:
        if sqlite:
            _sqlite_foreign_keys(bind, on=True)


def downgrade():
    """Keeps both columns and their owners (code before 0026 ignores them; dropping them would
    lose whose round each was) but lets them be empty, so that code can create rounds and
    versions again. The upgrade fills the ones created in between."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    if sqlite:
        _sqlite_foreign_keys(bind, on=False)
    try:
        for table in TABLES:
            with op.batch_alter_table(table, recreate='auto',
                                      table_args=(ROUND_CHECK,) if sqlite and table == 'needs_rounds' else ()
                                      ) as batch_op:
                batch_op.alter_column('organisation_id', existing_type=sa.Integer(), nullable=True)
    finally:
        if sqlite:
            _sqlite_foreign_keys(bind, on=True)
