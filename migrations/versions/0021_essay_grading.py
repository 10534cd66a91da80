"""essay grading: the learner's file and the grader's grade of an essay answer

Practical tasks graded by a trainer (issue 19 item 4): ``essay_uploads`` keeps one file
per essay answer (stored like the records plugin's evidence), ``essay_grades`` the
grader's levels, feedback, who and when. The answer's credit stays in ``quiz_answers``.

Revision ID: 0021_essay_grading
Revises: 0020_patron_answer_scales
Create Date: 2026-12-07 18:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_essay_grading'
down_revision = '0020_patron_answer_scales'
branch_labels = None
depends_on = None


def upgrade():
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table('essay_uploads'):
        op.create_table('essay_uploads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attempt_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('stored', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], name=op.f('fk_essay_uploads_attempt_id_quiz_attempts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_essay_uploads_question_id_questions'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_essay_uploads_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_essay_uploads')),
        sa.UniqueConstraint('attempt_id', 'question_id', name=op.f('uq_essay_uploads_attempt_id_question_id'))
        )
        with op.batch_alter_table('essay_uploads', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_essay_uploads_user_id'), ['user_id'], unique=False)

    if not inspector.has_table('essay_grades'):
        op.create_table('essay_grades',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.Column('grader_id', sa.Integer(), nullable=True),
        sa.Column('graded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('levels', sa.JSON(), nullable=False),
        sa.Column('feedback', sa.Text(), nullable=False),
        sa.Column('credit', sa.Float(), nullable=False),
        sa.Column('times', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['answer_id'], ['quiz_answers.id'], name=op.f('fk_essay_grades_answer_id_quiz_answers'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['grader_id'], ['users.id'], name=op.f('fk_essay_grades_grader_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_essay_grades')),
        sa.UniqueConstraint('answer_id', name=op.f('uq_essay_grades_answer_id'))
        )
        with op.batch_alter_table('essay_grades', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_essay_grades_grader_id'), ['grader_id'], unique=False)


def downgrade():
    """Drops ``essay_uploads`` and ``essay_grades``: the data of practical tasks - the
    learners' file records and the trainers' levels and feedback - is lost (the files stay
    on disk, the answers' credits stay in ``quiz_answers``). Back up first."""
    with op.batch_alter_table('essay_grades', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_essay_grades_grader_id'))
    op.drop_table('essay_grades')
    with op.batch_alter_table('essay_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_essay_uploads_user_id'))
    op.drop_table('essay_uploads')
