"""session version and one-time password expiry

Revision ID: 5e1a9c3d7b20
Revises: f84f51518888
Create Date: 2026-11-29 20:10:00

"""

from datetime import UTC, datetime, timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5e1a9c3d7b20"
down_revision = "b7c4e2a19d35"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
    # One-time passwords handed out before this version stop working in 72 hours too.
    op.get_bind().execute(
        sa.text('UPDATE "user" SET password_expires_at = :at WHERE must_change_password'),
        {"at": datetime.now(UTC) + timedelta(hours=72)},
    )


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_version")
        batch_op.drop_column("password_expires_at")
