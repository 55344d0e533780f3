"""Accounts: creating users, signing in with throttling, passwords and one-time passwords."""

import secrets
import threading
from datetime import UTC, timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from lms.auth.models import LoginFailure, User, audit
from lms.extensions import db
from lms.models import utcnow
from lms.permissions import MANAGEABLE_ROLES, Permission, Role
from lms.text import nfc

# No 0/O, 1/l/I: one-time passwords are read off paper slips in a workshop.
OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
MIN_PASSWORD_LENGTH = 8
# scrypt takes ~32 MB and ~70 ms per check: one at a time per worker keeps a room full of
# trainees signing in at once from multiplying the worker's memory.
_password_check = threading.BoundedSemaphore(1)


class AccountError(ValueError):
    """A rule about accounts was broken; the message is translated and shown to the user."""


def normalise_username(username: str) -> str:
    return nfc(username or "").lower()


def hash_password(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def one_time_password(length: int = 8) -> str:
    return "".join(secrets.choice(OTP_ALPHABET) for _ in range(length))


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == normalise_username(username)))


def create_user(
    username: str,
    full_name: str,
    password: str | None = None,
    *,
    role: str = Role.TRAINEE,
    must_change_password: bool = False,
    **profile,
) -> tuple[User, str]:
    """Add a user to the session; returns it with the password (generated when not given)."""
    from flask_babel import gettext as _

    username = normalise_username(username)
    if not username:
        raise AccountError(_("A login name is required."))
    if find_user(username) is not None:
        raise AccountError(_("The login name %(name)s is already taken.", name=username))
    if password is None:
        password, must_change_password = one_time_password(), True
    user = User(
        username=username,
        full_name=nfc(full_name),
        role=role,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
        password_expires_at=_one_time_expiry() if must_change_password else None,
        **profile,
    )
    db.session.add(user)
    return user, password


def _one_time_expiry():
    return utcnow() + timedelta(hours=current_app.config["ONE_TIME_PASSWORD_HOURS"])


def one_time_password_expired(user: User) -> bool:
    expires = user.password_expires_at
    if not user.must_change_password or expires is None:
        return False
    if expires.tzinfo is None:  # SQLite keeps no time zone: stored values are UTC
        expires = expires.replace(tzinfo=UTC)
    return expires < utcnow()


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: every session and remember-me cookie stops working."""
    user.session_version = (user.session_version or 0) + 1


def _recent_failures(key: str, since) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.key == key, LoginFailure.at >= since)
    )


def throttled(keys: dict[str, int], minutes: int) -> bool:
    """True when any key has reached its limit of failures within the window."""
    since = utcnow() - timedelta(minutes=minutes)
    return any(_recent_failures(key, since) >= limit for key, limit in keys.items())


def record_failure(*keys: str) -> None:
    for key in keys:
        db.session.add(LoginFailure(key=key))
    db.session.commit()


def clear_failures(key: str) -> None:
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == key))


def authenticate(username: str, password: str, address: str) -> User:
    """The user for these credentials, or AccountError (throttled after repeated failures)."""
    from flask_babel import gettext as _

    cfg = current_app.config
    # Logins have at most 80 characters: a longer guess must still fit the failure's key column.
    user_key, addr_key = f"user:{normalise_username(username)[:80]}", f"addr:{address[:100]}"
    limits = {user_key: cfg["LOGIN_MAX_FAILURES"], addr_key: cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]}
    # Count this attempt as a failure before checking anything, and commit it, so that
    # simultaneous guesses see one another: at most the limit of them reach the password check.
    attempt = [LoginFailure(key=user_key), LoginFailure(key=addr_key)]
    db.session.add_all(attempt)
    db.session.commit()
    since = utcnow() - timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
    if any(_recent_failures(key, since) > limit for key, limit in limits.items()):
        _forget_attempt(attempt)  # a refused attempt does not lengthen the lock
        raise AccountError(
            _(
                "Too many failed sign-in attempts. Please wait %(minutes)s minutes "
                "and try again, or ask your facilitator to reset your password.",
                minutes=cfg["LOGIN_LOCK_MINUTES"],
            )
        )
    user = find_user(username)
    with _password_check:
        valid = user is not None and check_password_hash(user.password_hash, password)
    if not valid or not user.active:
        raise AccountError(_("The login name or password is not correct."))  # attempt stays
    if one_time_password_expired(user):
        raise AccountError(
            _(
                "This one-time password has expired. Please ask your facilitator "
                "or programme staff for a new one."
            )
        )
    _forget_attempt(attempt)
    clear_failures(user_key)
    user.last_login_at = utcnow()
    return user


def _forget_attempt(attempt: list[LoginFailure]) -> None:
    db.session.execute(delete(LoginFailure).where(LoginFailure.id.in_([failure.id for failure in attempt])))
    db.session.commit()


def set_password(user: User, new_password: str) -> None:
    from flask_babel import gettext as _

    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH))
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.password_expires_at = None
    end_sessions(user)  # a copied cookie must not outlive the old password


def can_manage(actor: User, target_role: str) -> bool:
    """Whether the actor may create or reset accounts of this role."""
    return actor.can(Permission.MANAGE_USERS) and Role(target_role) in MANAGEABLE_ROLES.get(
        Role(actor.role), set()
    )


def reset_password(actor: User, user: User, reason: str | None = None) -> str:
    """Give the user a one-time password they must change at next sign-in; audited."""
    password = one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.password_expires_at = _one_time_expiry()
    end_sessions(user)
    clear_failures(f"user:{user.username}")
    audit(actor, "password_reset", f"user:{user.id}", reason)
    return password


def change_role(actor: User, user: User, role: str, reason: str | None = None) -> None:
    if user.role != role:
        audit(actor, "role_change", f"user:{user.id}", reason, f"{user.role} -> {role}")
        user.role = role
