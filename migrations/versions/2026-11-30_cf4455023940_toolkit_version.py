"""toolkit version: one row that changes whenever a module or lesson does

Revision ID: cf4455023940
Revises: b2bc64b20261
Create Date: 2026-11-30 02:15:00

"""

import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "cf4455023940"
down_revision = "b2bc64b20261"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "toolkit_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # A database that already holds a toolkit gets a version, so app servers cache it at once.
    if op.get_bind().scalar(sa.text("SELECT COUNT(*) FROM module")):
        op.bulk_insert(table, [{"id": 1, "version": uuid.uuid4().hex}])


def downgrade():
    op.drop_table("toolkit_version")
