"""survey instrument v2: cases (vignettes), "don't know" and "not applicable"

Revision ID: b7c4e2a19d35
Revises: f84f51518888
Create Date: 2026-11-29 20:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b7c4e2a19d35"
down_revision = "0aaf5062bcac"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("survey_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vignettes", sa.JSON(), nullable=True))

    with op.batch_alter_table("survey_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dont_know", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("vignette", sa.String(length=20), nullable=True))

    with op.batch_alter_table("survey_item", schema=None) as batch_op:
        batch_op.alter_column("dont_know", server_default=None)

    # "Not applicable" on a policy item is an answer without a score.
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.alter_column("score", existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM answer WHERE score IS NULL")
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.alter_column("score", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("survey_item", schema=None) as batch_op:
        batch_op.drop_column("vignette")
        batch_op.drop_column("dont_know")

    with op.batch_alter_table("survey_version", schema=None) as batch_op:
        batch_op.drop_column("vignettes")
