"""dashboard quiz scores: per learner and module summary of quiz attempts (filled from the attempts), and covering indexes on lesson views and module completions for the dashboard

Revision ID: 0013_dashboard_quiz_scores
Revises: 0012_needs_quiz_index
Create Date: 2026-12-04 03:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_dashboard_quiz_scores'
down_revision = '0012_needs_quiz_index'
branch_labels = None
depends_on = None

# The same figures as lms.plugins.quizzes.services.score_figures (kept literal here: a
# migration must not change when the application code does).
FILL = """
INSERT INTO quiz_scores (user_id, module_id, attempts, submitted, passed, scored, percent_hundredths,
                         best, latest, latest_at, latest_id, last_submitted_at)
SELECT user_id, module_id, count(*),
       sum(CASE WHEN status = 'submitted' THEN 1 ELSE 0 END),
       sum(CASE WHEN status = 'submitted' AND passed THEN 1 ELSE 0 END),
       sum(is_scored),
       coalesce(sum(CASE WHEN is_scored = 1 THEN CAST(round(percent * 100) AS INTEGER) END), 0),
       max(CASE WHEN status = 'submitted' THEN percent END),
       max(CASE WHEN recency = 1 AND is_scored = 1 THEN percent END),
       max(CASE WHEN recency = 1 AND is_scored = 1 THEN submitted_at END),
       max(CASE WHEN recency = 1 AND is_scored = 1 THEN id END),
       max(submitted_at)
FROM (SELECT user_id, module_id, id, status, passed, percent, submitted_at,
             CASE WHEN status = 'submitted' AND percent IS NOT NULL THEN 1 ELSE 0 END AS is_scored,
             row_number() OVER (PARTITION BY user_id, module_id
                                ORDER BY CASE WHEN status = 'submitted' AND percent IS NOT NULL THEN 0 ELSE 1 END,
                                         submitted_at DESC, id DESC) AS recency
      FROM quiz_attempts) AS ranked
GROUP BY user_id, module_id
"""


def upgrade():
    op.create_table('quiz_scores',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('submitted', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('scored', sa.Integer(), nullable=False),
    sa.Column('percent_hundredths', sa.Integer(), nullable=False),
    sa.Column('best', sa.Float(), nullable=True),
    sa.Column('latest', sa.Float(), nullable=True),
    sa.Column('latest_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('latest_id', sa.Integer(), nullable=True),
    sa.Column('last_submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_quiz_scores_module_id_modules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_quiz_scores_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'module_id', name=op.f('pk_quiz_scores')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('quiz_scores', schema=None) as batch_op:
        batch_op.create_index('ix_quiz_scores_user_latest', ['user_id', 'latest_at', 'latest_id', 'latest'], unique=False)
    with op.batch_alter_table('lesson_views', schema=None) as batch_op:
        batch_op.create_index('ix_lesson_views_user_module_seconds', ['user_id', 'module_id', 'seconds'], unique=False)
    with op.batch_alter_table('module_completions', schema=None) as batch_op:
        batch_op.create_index('ix_module_completions_user_completed', ['user_id', 'completed_at', 'module_id'], unique=False)
    op.execute(FILL)
    # statistics for the filled table at once (both dialects): without them PostgreSQL plans
    # the dashboard's per-unit reads of quiz_scores as a scan of the whole table until
    # autovacuum gets round to it, and SQLite guesses its row count
    op.execute("ANALYZE quiz_scores")


def downgrade():
    with op.batch_alter_table('module_completions', schema=None) as batch_op:
        batch_op.drop_index('ix_module_completions_user_completed')
    with op.batch_alter_table('lesson_views', schema=None) as batch_op:
        batch_op.drop_index('ix_lesson_views_user_module_seconds')
    with op.batch_alter_table('quiz_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_quiz_scores_user_latest')
    op.drop_table('quiz_scores')
