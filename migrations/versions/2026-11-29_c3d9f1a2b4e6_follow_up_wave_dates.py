"""Follow-up waves: the date each scheduled wave opens, on its phase gate

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


def downgrade():
    with op.batch_alter_table("phase_gate") as batch_op:
        batch_op.drop_column("opens_on")
