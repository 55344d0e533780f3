"""Follow-up waves: the date each scheduled wave opens, on its phase gate; anonymous cohorts
and the keyed hashes of self-generated identification codes

Revision ID: c3d9f1a2b4e6
Revises: 5e1a9c3d7b20
Create Date: 2026-11-29 21:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c3d9f1a2b4e6"
down_revision = "5e1a9c3d7b20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("phase_gate") as batch_op:
        batch_op.add_column(sa.Column("opens_on", sa.Date(), nullable=True))
    with op.batch_alter_table("cohort") as batch_op:
        batch_op.add_column(sa.Column("anonymous", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "identification_code",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("full", sa.String(length=64), nullable=False),
        sa.Column("masked", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["survey_response.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohort.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("response_id"),
    )
    op.create_index("ix_identification_code_cohort_id", "identification_code", ["cohort_id"])


def downgrade():
    op.drop_index("ix_identification_code_cohort_id", table_name="identification_code")
    op.drop_table("identification_code")
    with op.batch_alter_table("cohort") as batch_op:
        batch_op.drop_column("anonymous")
    with op.batch_alter_table("phase_gate") as batch_op:
        batch_op.drop_column("opens_on")
