"""lesson content version: a hash of both languages' blocks, the key of the rendered-lesson cache

Revision ID: c3d9e1f27a4b
Revises: 5e1a9c3d7b20
Create Date: 2026-11-29 21:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c3d9e1f27a4b"
down_revision = "c3d9f1a2b4e6"
branch_labels = None
depends_on = None


def upgrade():
    # Empty until the next `flask content sync` (run by `make setup`); until then a lesson's
    # blocks are read from the database on every view, as before.
    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_version", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("lesson", schema=None) as batch_op:
        batch_op.drop_column("content_version")
