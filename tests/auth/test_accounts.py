"""Signing in and out, throttling, safe redirects, passwords, account management, NFC."""

import unicodedata

from sqlalchemy import select

from lms.auth.models import AuditEvent, User
from lms.extensions import db
from tests.conftest import PASSWORD


def test_sign_in_and_out(client, auth, make_user):
    user = make_user("trainee", full_name="Nguyễn Thị Hương")
    response = auth.login(user)
    assert response.status_code == 302
    assert "Nguyễn Thị Hương" in client.get("/").get_data(as_text=True)
    auth.logout()
    assert "/login" in client.get("/modules").location


def test_wrong_password_is_refused_with_a_translated_message(client, make_user):
    user = make_user()
    response = client.post("/login", data={"username": user.username, "password": "wrong"})
    assert response.status_code == 422
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.get_data(as_text=True)


def test_login_name_is_case_insensitive(client, make_user):
    make_user(username="huong")
    response = client.post("/login", data={"username": " HUONG ", "password": PASSWORD})
    assert response.status_code == 302


def test_repeated_failures_throttle_the_account_even_with_the_right_password(app, client, make_user):
    user = make_user()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"username": user.username, "password": "nope"})
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 422
    assert "Anh/chị đã đăng nhập sai quá nhiều lần" in response.get_data(as_text=True)


def test_failures_from_one_address_are_throttled_across_accounts(app, client, make_user):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for n in range(3):
        client.post("/login", data={"username": f"ghost{n}", "password": "nope"})
    user = make_user()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 422


def test_next_redirects_only_to_this_site(client, make_user):
    user = make_user()
    for target, expected in [
        ("/modules", "/modules"),
        ("https://evil.example/x", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
    ]:
        client.post("/logout")
        response = client.post(
            f"/login?next={target}", data={"username": user.username, "password": PASSWORD}
        )
        assert response.location == expected, target


def test_csrf_token_is_required_when_enabled(app, client, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "<html" in response.get_data(as_text=True)


def test_security_headers_and_cookie_flags(client, make_user, auth):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    response = auth.login(make_user())
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_password_change(client, auth, make_user):
    user = make_user()
    auth.login(user)
    response = client.post(
        "/password", data={"current_password": "bad", "new_password": "newpass123", "confirm": "newpass123"}
    )
    assert "Mật khẩu hiện tại không đúng" in response.get_data(as_text=True)
    client.post(
        "/password",
        data={"current_password": PASSWORD, "new_password": "newpass123", "confirm": "newpass123"},
    )
    auth.logout()
    assert auth.login(user.username, "newpass123").status_code == 302


def test_staff_reset_gives_a_one_time_password_that_must_be_changed(client, auth, make_user):
    trainee = make_user("trainee")
    auth.login(make_user("staff"))
    page = client.post(f"/users/{trainee.id}/reset-password", data={"reason": "quên mật khẩu"})
    otp = page.get_data(as_text=True).split('class="mono big">')[1].split("<")[0]
    assert len(otp) == 8 and not set(otp) & set("0O1lI")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "password_reset"))
    assert event.target == f"user:{trainee.id}" and event.reason == "quên mật khẩu"
    auth.logout()
    auth.login(trainee.username, otp)
    response = client.get("/modules")
    assert response.status_code == 302 and response.location == "/password"
    client.post(
        "/password", data={"current_password": otp, "new_password": "mine-now-1", "confirm": "mine-now-1"}
    )
    assert client.get("/modules").status_code == 200


def test_staff_cannot_reset_an_admin_and_facilitators_cannot_manage_accounts(client, auth, make_user):
    admin = make_user("admin")
    auth.login(make_user("staff"))
    assert client.post(f"/users/{admin.id}/reset-password").status_code == 403
    auth.logout()
    auth.login(make_user("facilitator"))
    assert client.get("/users").status_code == 403


def test_staff_creates_a_user_and_role_changes_are_audited(client, auth, make_user):
    auth.login(make_user("staff"))
    response = client.post(
        "/users/new",
        data={
            "username": "hoa.tran",
            "full_name": "Trần Thị Hoa",
            "role": "trainee",
            "org_type": "police",
            "province": "ha-noi",
            "language": "vi",
        },
    )
    assert response.status_code == 200 and "hoa.tran" in response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == "hoa.tran"))
    assert user.must_change_password
    client.post(
        f"/users/{user.id}",
        data={
            "full_name": "Trần Thị Hoa",
            "role": "facilitator",
            "org_type": "police",
            "province": "ha-noi",
            "language": "vi",
            "active": "y",
            "reason": "giảng viên mới",
        },
    )
    db.session.refresh(user)
    assert user.role == "facilitator"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "role_change"))
    assert event.details == "trainee -> facilitator" and event.reason == "giảng viên mới"


def test_duplicate_login_name_is_a_form_error(client, auth, make_user):
    make_user(username="taken")
    auth.login(make_user("staff"))
    response = client.post(
        "/users/new",
        data={
            "username": "Taken",
            "full_name": "X",
            "role": "trainee",
            "org_type": "police",
            "province": "",
            "language": "vi",
        },
    )
    assert "đã được sử dụng" in response.get_data(as_text=True)


def test_decomposed_vietnamese_is_stored_composed_and_found_either_way(client, auth, make_user):
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hương")
    assert decomposed != "Nguyễn Thị Hương"
    auth.login(make_user("staff"))
    client.post(
        "/users/new",
        data={
            "username": "huong2",
            "full_name": decomposed,
            "role": "trainee",
            "org_type": "police",
            "province": "",
            "language": "vi",
        },
    )
    user = db.session.scalar(select(User).where(User.username == "huong2"))
    assert user.full_name == "Nguyễn Thị Hương"
    for query in ("Nguyễn", unicodedata.normalize("NFD", "Nguyễn"), "nguyen thi huong", "HUONG"):
        page = client.get("/users", query_string={"q": query}).get_data(as_text=True)
        assert "Nguyễn Thị Hương" in page, query
    assert "Nguyễn Thị Hương" not in client.get("/users", query_string={"q": "%"}).get_data(as_text=True)


def test_cli_creates_a_user_of_any_role(runner):
    result = runner.invoke(args=["user", "create", "lan", "Đỗ Thị Lan", "--role", "staff"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "lan"))
    assert user.role == "staff" and user.must_change_password


def test_demo_seed_prints_credentials_and_only_runs_on_an_empty_database(runner):
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert "facilitator" in result.output and "Mã tham gia" not in result.output
    assert db.session.scalar(select(User).where(User.username == "trainee")) is not None
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert again.exit_code == 0 and "demo-2026" in again.output


def test_simultaneous_guesses_are_all_counted_before_any_is_checked(app, make_user, monkeypatch):
    import threading
    import time

    from lms.auth import services

    username = make_user().username
    checked = []
    real_check = services.check_password_hash

    def counting_check(hash_, password):
        checked.append(password)
        time.sleep(0.05)  # as slow as scrypt: the other guesses arrive meanwhile
        return real_check(hash_, password)

    monkeypatch.setattr(services, "check_password_hash", counting_check)
    start = threading.Barrier(20)
    statuses = []

    def guess(n):
        client = app.test_client()
        start.wait()
        statuses.append(
            client.post("/login", data={"username": username, "password": f"guess {n}"}).status_code
        )

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [422] * 20
    assert len(checked) <= app.config["LOGIN_MAX_FAILURES"] == 5
