"""evaluations: post-training evaluation at work (Kirkpatrick level 3)

``competencies.indicators`` holds each competency's observable behaviours from
competencies.yml (empty until the next import). ``evaluation_windows`` is one person x one
competency, opened after a completion or for a group; ``evaluation_responses`` the
self-report and the supervisor's observation of a window; ``evaluation_ratings`` how often
each indicator was applied (1-4), with the indicator's words as answered.

Revision ID: 0022_evaluations
Revises: 0021_essay_grading
Create Date: 2026-12-07 17:48:28

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_evaluations'
down_revision = '0021_essay_grading'
branch_labels = None
depends_on = None


def upgrade():
    """Adds what is missing: a downgrade keeps ``competencies.indicators`` (see below)."""
    _create_tables()
    columns = {column['name'] for column in sa.inspect(op.get_bind()).get_columns('competencies')}
    if 'indicators' not in columns:
        # existing rows get an empty list (filled by the next import). ALTER TABLE ADD COLUMN,
        # never a rebuild: on SQLite rebuilding competencies would have to drop a table that
        # modules, questions and evaluations point at.
        with op.batch_alter_table('competencies', recreate='never') as batch_op:
            batch_op.add_column(sa.Column('indicators', sa.JSON(), nullable=False, server_default='[]'))


def _create_tables():
    op.create_table('evaluation_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('competency_id', sa.String(length=64), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('origin', sa.String(length=12), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('opens_on', sa.Date(), nullable=False),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("origin IN ('completion', 'group')", name=op.f('ck_evaluation_windows_origin_known')),
    sa.CheckConstraint('closes_on >= opens_on', name=op.f('ck_evaluation_windows_dates_in_order')),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], name=op.f('fk_evaluation_windows_competency_id_competencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_evaluation_windows_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_evaluation_windows_module_id_modules'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_evaluation_windows_unit_id_units'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_evaluation_windows_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_windows')),
    sa.UniqueConstraint('user_id', 'competency_id', 'key', name=op.f('uq_evaluation_windows_user_id_competency_id_key'))
    )
    with op.batch_alter_table('evaluation_windows', schema=None) as batch_op:
        batch_op.create_index('ix_evaluation_windows_competency_unit', ['competency_id', 'unit_id'], unique=False)
        batch_op.create_index('ix_evaluation_windows_dates', ['closes_on', 'opens_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_windows_user_id'), ['user_id'], unique=False)

    op.create_table('evaluation_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('responder_id', sa.Integer(), nullable=True),
    sa.Column('example', sa.Text(), nullable=False),
    sa.Column('barriers', sa.JSON(), nullable=False),
    sa.Column('barrier_note', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('evidence_name', sa.String(length=200), nullable=True),
    sa.Column('evidence_stored', sa.String(length=64), nullable=True),
    sa.Column('evidence_type', sa.String(length=40), nullable=True),
    sa.Column('evidence_size', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('self', 'supervisor')", name=op.f('ck_evaluation_responses_kind_known')),
    sa.ForeignKeyConstraint(['responder_id'], ['users.id'], name=op.f('fk_evaluation_responses_responder_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['window_id'], ['evaluation_windows.id'], name=op.f('fk_evaluation_responses_window_id_evaluation_windows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_responses')),
    sa.UniqueConstraint('evidence_stored', name=op.f('uq_evaluation_responses_evidence_stored')),
    sa.UniqueConstraint('window_id', 'kind', name=op.f('uq_evaluation_responses_window_id_kind'))
    )
    with op.batch_alter_table('evaluation_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_responses_responder_id'), ['responder_id'], unique=False)

    op.create_table('evaluation_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.Integer(), nullable=False),
    sa.Column('text_id', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('frequency', sa.Integer(), nullable=False),
    sa.CheckConstraint('frequency >= 1 AND frequency <= 4', name=op.f('ck_evaluation_ratings_frequency_1_4')),
    sa.ForeignKeyConstraint(['response_id'], ['evaluation_responses.id'], name=op.f('fk_evaluation_ratings_response_id_evaluation_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_ratings')),
    sa.UniqueConstraint('response_id', 'indicator', name=op.f('uq_evaluation_ratings_response_id_indicator'))
    )


def downgrade():
    """Drops the evaluation tables: the self-reports and observations are data no earlier
    revision can hold, so this downgrade loses them (back up first). Keeps
    ``competencies.indicators``: code before 0022 ignores it, and dropping a column on
    SQLite rebuilds a table that others point at."""
    op.drop_table('evaluation_ratings')
    op.drop_table('evaluation_responses')
    op.drop_table('evaluation_windows')
