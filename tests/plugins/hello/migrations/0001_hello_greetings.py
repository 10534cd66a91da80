"""hello: greetings (the test plugin's own table, on its own branch)

The first revision of the ``hello`` branch: no ``down_revision``, the branch label, and
``depends_on`` the product revision whose table it refers to (users, 0001_core).

Revision ID: 0001_hello_greetings
Revises:
Create Date: 2026-12-07 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001_hello_greetings'
down_revision = None
branch_labels = ('hello',)
depends_on = '0001_core'


def upgrade():
    op.create_table(
        'hello_greetings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_hello_greetings_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hello_greetings')),
    )
    with op.batch_alter_table('hello_greetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hello_greetings_user_id'), ['user_id'], unique=False)


def downgrade():
    """Drops the hello plugin's table and its data (the greetings)."""
    with op.batch_alter_table('hello_greetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hello_greetings_user_id'))
    op.drop_table('hello_greetings')
