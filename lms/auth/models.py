"""Accounts and sign-in attempts."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models import Timestamps, utcnow
from lms.permissions import Permission, Role, has_permission
from lms.text import fold


class User(UserMixin, Timestamps, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)  # stored lower-case
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(256))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # When a one-time password stops working (None: the user chose their own password).
    password_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Part of the id kept in session and remember-me cookies: raising it signs out every copy.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    role: Mapped[str] = mapped_column(String(20), default=Role.TRAINEE)
    language: Mapped[str | None] = mapped_column(String(5))
    org_type: Mapped[str] = mapped_column(String(20), default="other")
    province: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Name, login, email and phone folded by lms.text.fold: what account searches match.
    search_key: Mapped[str] = mapped_column(String(600), default="")

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def can(self, permission: Permission) -> bool:
        return has_permission(self, permission)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _fill_search_key(mapper, connection, user: User) -> None:
    parts = (user.full_name, user.username, user.email, user.phone)
    user.search_key = fold(" ".join(p for p in parts if p))


class LoginFailure(db.Model):
    """One failed sign-in (or code guess): counted per key over a time window to throttle."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))  # "user:<login>", "addr:<ip>", "verify:<ip>"
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_login_failure_key_at", "key", "at"),)


class AuditEvent(db.Model):
    """Who did what, to what, when and why: role changes, resets, certificates, exports."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[str | None] = mapped_column(String(2000))


def audit(
    actor, action: str, target: str | None = None, reason: str | None = None, details: str | None = None
) -> AuditEvent:
    """Add an audit event to the session; it is committed with the change it records."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None), action=action, target=target, reason=reason, details=details
    )
    db.session.add(event)
    return event
