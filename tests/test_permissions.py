"""Every registered route, for every role (anonymous included), answers as its rule intends."""

import pytest
from flask import Blueprint

from lms.permissions import ROLE_PERMISSIONS, Permission, Role, check_every_view_has_a_rule

ROLES = [None, *Role]
DUMMY = {"IntegerConverter": 999999, "BoundedInt": 999999, "PathConverter": "nonexistent/images/none.png"}


def _url(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if type(converter).__name__ == "AnyConverter":
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = DUMMY.get(type(converter).__name__, "nonexistent")
    return rule.build(values)[1] if values else rule.rule


def _routes(app):
    # Signing out last, so every other route is walked while signed in.
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint == "auth.logout"):
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        yield rule, method, app.view_functions[rule.endpoint].access_rule


def _expected(access, role) -> str:
    if access == "public":
        return "allowed"
    if role is None:
        return "login"
    if access == "signed_in" or Permission(access) in ROLE_PERMISSIONS[role]:
        return "allowed"
    return "forbidden"


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_every_route_answers_each_role_as_intended(app, client, make_user, auth, role):
    if role is not None:
        auth.login(make_user(role))
    checked = 0
    for rule, method, access in _routes(app):
        response = client.open(_url(rule), method=method)
        expected = _expected(access, role)
        where = f"{method} {rule.rule} ({rule.endpoint}) as {role or 'anonymous'}"
        assert response.status_code < 500, where
        if expected == "login":
            assert response.status_code == 302 and "/login" in response.location, where
        elif expected == "forbidden":
            assert response.status_code == 403, where
        else:
            assert response.status_code not in (401, 403), where
        checked += 1
    assert checked > 20


def test_a_view_without_an_access_rule_stops_the_app(app):
    extra = Blueprint("extra", __name__)

    @extra.get("/unguarded")
    def unguarded():
        return "oops"

    app.register_blueprint(extra)
    with pytest.raises(RuntimeError, match="extra.unguarded"):
        check_every_view_has_a_rule(app)


def test_admin_has_every_permission_and_trainee_only_learns():
    assert ROLE_PERMISSIONS[Role.ADMIN] == frozenset(Permission)
    assert ROLE_PERMISSIONS[Role.TRAINEE] == {Permission.LEARN}
    assert Permission.EXPORT_RESEARCH_DATA not in ROLE_PERMISSIONS[Role.FACILITATOR]
