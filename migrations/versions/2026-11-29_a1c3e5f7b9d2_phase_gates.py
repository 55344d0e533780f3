"""Survey phase gates as rows (one per cohort and phase), longer phase names

Revision ID: a1c3e5f7b9d2
Revises: f84f51518888
Create Date: 2026-11-29 20:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a1c3e5f7b9d2"
down_revision = "f84f51518888"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "phase_gate",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohort.id"]),
        sa.PrimaryKeyConstraint("cohort_id", "phase"),
    )
    # Every gate a facilitator had opened stays open; closed gates need no row.
    for phase, column in (("pre", "pre_survey_open"), ("post", "post_survey_open")):
        op.execute(
            f"INSERT INTO phase_gate (cohort_id, phase, is_open) "  # noqa: S608 (constants)
            f"SELECT id, '{phase}', {column} FROM cohort WHERE {column}"
        )
    with op.batch_alter_table("cohort") as batch_op:
        batch_op.drop_column("pre_survey_open")
        batch_op.drop_column("post_survey_open")
    for table in ("survey_response", "draft_answer"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(
                "phase",
                existing_type=sa.String(length=4),
                type_=sa.String(length=20),
                existing_nullable=False,
            )


def downgrade():
    for table in ("survey_response", "draft_answer"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(
                "phase",
                existing_type=sa.String(length=20),
                type_=sa.String(length=4),
                existing_nullable=False,
            )
    with op.batch_alter_table("cohort") as batch_op:
        batch_op.add_column(
            sa.Column("pre_survey_open", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("post_survey_open", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    for phase, column in (("pre", "pre_survey_open"), ("post", "post_survey_open")):
        op.execute(
            f"UPDATE cohort SET {column} = TRUE WHERE id IN "  # noqa: S608 (constants)
            f"(SELECT cohort_id FROM phase_gate WHERE phase = '{phase}' AND is_open)"
        )
    op.drop_table("phase_gate")
