"""historical imports as batches that can be undone

Revision ID: c3d5e7f9a1b2
Revises: 5e1a9c3d7b20
Create Date: 2026-11-29 21:15:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c3d5e7f9a1b2"
down_revision = "c3d9e1f27a4b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("surveys", sa.Integer(), nullable=False),
        sa.Column("trainees", sa.Integer(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["archived_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["survey_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "import_batch_response",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batch.id"],
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolment.id"],
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_response.id"],
        ),
        sa.PrimaryKeyConstraint("batch_id", "response_id"),
    )
    with op.batch_alter_table("import_batch_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_import_batch_response_enrolment_id"), ["enrolment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_import_batch_response_response_id"), ["response_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("import_batch_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batch_response_response_id"))
        batch_op.drop_index(batch_op.f("ix_import_batch_response_enrolment_id"))
    op.drop_table("import_batch_response")
    op.drop_table("import_batch")
