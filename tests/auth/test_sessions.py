"""A copied session or remember-me cookie dies with sign-out and with a password change;
one-time passwords expire."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from tests.conftest import PASSWORD


def _copy(app, client, *names):
    """A second browser holding copies of these cookies, as a thief would."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def _signed_in(client) -> bool:
    response = client.get("/account")
    return response.status_code == 200 or "/password" in (response.location or "")


def test_sign_out_ends_a_copied_session_and_remember_me_cookie(app, client, make_user):
    user = make_user()
    client.post("/login", data={"username": user.username, "password": PASSWORD, "remember": "y"})
    session_copy = _copy(app, client, "session")
    remember_copy = _copy(app, client, "remember_token")
    assert _signed_in(session_copy) and _signed_in(remember_copy)
    client.post("/logout")
    assert not _signed_in(client)
    assert not _signed_in(session_copy)
    assert not _signed_in(remember_copy)


def test_a_password_change_ends_every_other_session_but_this_one(app, client, auth, make_user):
    user = make_user()
    auth.login(user)
    other = _copy(app, client, "session")
    assert _signed_in(other)
    response = client.post(
        "/password",
        data={"current_password": PASSWORD, "new_password": "a new secret 42", "confirm": "a new secret 42"},
    )
    assert response.status_code == 302
    assert _signed_in(client)
    assert not _signed_in(other)


def test_a_password_reset_by_staff_ends_the_trainees_sessions(app, client, auth, make_user):
    trainee = make_user()
    auth.login(trainee)
    stolen = _copy(app, client, "session")
    auth.logout()
    auth.login(make_user("staff"))
    assert client.post(f"/users/{trainee.id}/reset-password").status_code == 200
    assert not _signed_in(stolen)


def test_remember_me_lasts_thirty_days_not_a_year(client, make_user):
    user = make_user()
    client.post("/login", data={"username": user.username, "password": PASSWORD, "remember": "y"})
    expires = client.get_cookie("remember_token").expires
    assert datetime.now(UTC) + timedelta(days=29) < expires < datetime.now(UTC) + timedelta(days=31)


def test_a_one_time_password_expires(client, auth, make_user):
    auth.login(make_user("staff"))
    page = client.post(
        "/users/new",
        data={
            "username": "moi",
            "full_name": "Người Mới",
            "role": "trainee",
            "org_type": "police",
            "language": "en",
        },
    ).get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == "moi"))
    password = next(
        word
        for word in page.replace("<", " ").replace(">", " ").split()
        if len(word) == 8 and word.isalnum() and word.islower() and word != "trainee"
    )
    expires = user.password_expires_at.replace(tzinfo=user.password_expires_at.tzinfo or UTC)
    assert timedelta(hours=71) < expires - datetime.now(UTC) < timedelta(hours=73)
    auth.logout()
    user.password_expires_at = datetime.now(UTC) - timedelta(minutes=1)  # three days later
    db.session.commit()
    response = client.post(
        "/login", data={"username": "moi", "password": password}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert "This one-time password has expired" in response.get_data(as_text=True)
    assert not _signed_in(client)
    user.password_expires_at = datetime.now(UTC) + timedelta(hours=1)
    db.session.commit()
    assert auth.login("moi", password).status_code == 302  # still valid: change it now
