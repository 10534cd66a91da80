"""patron answer scales: answers on the common 1-5 range as real numbers

Patron surveys may now use any answer scale of 2-10 points (lms/plugins/needs/
answer_scales.py); each answer is stored mapped onto the analysis' 1-5 range, which is no
longer a whole number for scales other than five points (a 4-point scale gives 1, 2.33,
3.67, 5). Existing answers (1-5) keep their values. The 1-5 check stays.

Revision ID: 0020_patron_answer_scales
Revises: 0019_xapi_lrs
Create Date: 2026-12-07 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_patron_answer_scales'
down_revision = '0019_xapi_lrs'
branch_labels = None
depends_on = None

CHECK = 'value IS NULL OR (value >= 1 AND value <= 5)'


def _retype(old, new):
    # SQLite rebuilds the table; name the check again so the rebuilt table keeps it.
    with op.batch_alter_table('needs_patron_answers', schema=None,
                              table_args=(sa.CheckConstraint(CHECK, name='ck_needs_patron_answers_value_1_5'),)
                              if op.get_bind().dialect.name == 'sqlite' else ()) as batch_op:
        batch_op.alter_column('value', existing_type=old, type_=new, existing_nullable=False)


def upgrade():
    _retype(sa.Integer(), sa.Float())


def downgrade():
    """Refused while an answer holds a fraction (it came from a scale other than 5 points):
    rounding it would change what a patron answered."""
    fractions = op.get_bind().execute(sa.text(
        'SELECT COUNT(*) FROM needs_patron_answers WHERE value <> ROUND(value)')).scalar()
    if fractions:
        raise RuntimeError(f'{fractions} patron answer(s) come from scales other than 5 points and are not whole '
                           'numbers; delete those imports before downgrading')
    _retype(sa.Float(), sa.Integer())
