"""an import batch is complete once its surveys are live (written chunk by chunk before)

Revision ID: a7e1c9d3f5b8
Revises: d5f7a9b1c3e5
Create Date: 2026-11-30 02:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a7e1c9d3f5b8"
down_revision = "d5f7a9b1c3e5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("complete", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.drop_column("complete")
