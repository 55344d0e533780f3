"""anonymous respondents without an account

Revision ID: 72d2e0b70830
Revises: e6a8c0b2d4f1
Create Date: 2026-11-29 22:42:59.218917

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "72d2e0b70830"
down_revision = "e6a8c0b2d4f1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "anonymous_respondent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=True),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("code_full", sa.String(length=64), nullable=True),
        sa.Column("code_masked", sa.String(length=400), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohort.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
        ),
        sa.ForeignKeyConstraint(["response_id"], ["survey_response.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("response_id"),
        sa.UniqueConstraint("token"),
    )
    with op.batch_alter_table("anonymous_respondent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_anonymous_respondent_cohort_id"), ["cohort_id"], unique=False)

    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("anonymous_certificates", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.alter_column("anonymous_certificates", server_default=None)

    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.alter_column("user_id", existing_type=sa.INTEGER(), nullable=True)


def downgrade():
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.alter_column("user_id", existing_type=sa.INTEGER(), nullable=False)

    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.drop_column("anonymous_certificates")

    with op.batch_alter_table("anonymous_respondent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_anonymous_respondent_cohort_id"))

    op.drop_table("anonymous_respondent")
