"""follow-up reminders: one row per trainee and wave emailed

Revision ID: d5f7a9b1c3e5
Revises: cf4455023940
Create Date: 2026-11-30 02:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d5f7a9b1c3e5"
down_revision = "cf4455023940"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enrolment_id", "phase"),
    )


def downgrade():
    op.drop_table("reminder")
