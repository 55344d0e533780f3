"""practice items: the recall period of a self-reported practice question

Revision ID: d4e6f8a0b2c4
Revises: c3d5e7f9a1b2
Create Date: 2026-11-29 23:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "d4e6f8a0b2c4"
down_revision = "c3d5e7f9a1b2"
branch_labels = None
depends_on = None


def upgrade():
    # Existing items are attitude, policy and knowledge items: no recall period (NULL).
    with op.batch_alter_table("survey_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("months", sa.Integer(), nullable=True))


def downgrade():
    # Answers to practice items go with their items: the older code cannot show them.
    op.execute("DELETE FROM answer WHERE item_id IN (SELECT id FROM survey_item WHERE kind = 'practice')")
    op.execute(
        "DELETE FROM draft_answer WHERE item_id IN (SELECT id FROM survey_item WHERE kind = 'practice')"
    )
    op.execute("DELETE FROM survey_item WHERE kind = 'practice'")
    with op.batch_alter_table("survey_item", schema=None) as batch_op:
        batch_op.drop_column("months")
