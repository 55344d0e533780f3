"""surveys of an undone import are archived, so the same survey can be imported again

Revision ID: e6a8c0b2d4f1
Revises: d4e6f8a0b2c4
Create Date: 2026-11-29 23:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e6a8c0b2d4f1"
down_revision = "d4e6f8a0b2c4"
branch_labels = None
depends_on = None

# SQLite names nothing: the batch copy gives the old unnamed unique constraint this name.
CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}
WHERE = sa.text("NOT archived")


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("survey_response", schema=None, naming_convention=CONVENTION) as batch_op:
        batch_op.add_column(sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.drop_constraint(
            "survey_response_enrolment_id_phase_key"
            if postgresql
            else "uq_survey_response_enrolment_id_phase",
            type_="unique",
        )
    op.execute(
        "UPDATE survey_response SET archived = TRUE WHERE id IN ("
        "SELECT r.response_id FROM import_batch_response r JOIN import_batch b "
        "ON b.id = r.batch_id WHERE b.archived_at IS NOT NULL)"
    )
    op.create_index(
        "uq_survey_response_live",
        "survey_response",
        ["enrolment_id", "phase"],
        unique=True,
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.drop_index("uq_survey_response_live", table_name="survey_response")
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "survey_response_enrolment_id_phase_key" if postgresql else None, ["enrolment_id", "phase"]
        )
        batch_op.drop_column("archived")
