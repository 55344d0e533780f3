"""Junk in every form field of every POST route never produces a server error."""

import io

from sqlalchemy import select

from lms.cohorts.services import enrol
from lms.extensions import db
from lms.modules.models import Lesson

JUNK = ["", "💥", "<script>alert(1)</script>", "' OR 1=1 --", "9" * 40, "-1", "\x00", "Nguyễn"]


def _values(app, cohort, enrolment, lesson):
    return {
        "cohort_id": cohort.id,
        "enrolment_id": enrolment.id,
        "phase": "pre",
        "key": lesson.key,
        "block_key": "x",
        "code": "ABC",
        "token": "nope",
        "user_id": enrolment.user_id,
        "lang": "vi",
        "fmt": "csv",
    }


def test_junk_posted_to_every_route_never_gives_a_500(app, client, auth, make_user, make_cohort):
    cohort = make_cohort()
    admin = make_user("admin")
    enrolment = enrol(cohort, make_user("trainee"))
    cohort.facilitators.append(admin)
    db.session.commit()
    lesson = db.session.scalars(select(Lesson)).first()
    auth.login(admin)
    values = _values(app, cohort, enrolment, lesson)
    statuses = set()
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint == "auth.logout":
            continue
        args = {}
        for name, converter in rule._converters.items():
            args[name] = (
                sorted(converter.items)[0]
                if hasattr(converter, "items") and isinstance(converter.items, set)
                else values.get(name, "x")
            )
        url = rule.build(args)[1]
        for junk in JUNK:
            fields = {
                name: junk
                for name in (
                    "action",
                    "answer",
                    "reason",
                    "code",
                    "full_name",
                    "username",
                    "password",
                    "confirm",
                    "name",
                    "audience",
                    "province",
                    "start_date",
                    "end_date",
                    "language",
                    "org_type",
                    "role",
                    "pacing",
                    "status",
                    "knowledge_pass_percent",
                    "purpose",
                    "q",
                    "module_id",
                    "facilitators",
                    "modules",
                    "required_modules",
                )
            }
            fields["file"] = (io.BytesIO(b"\xff\xfe\x00junk" + junk.encode()), "list.xlsx")
            fields.update({f"item-{n}": junk for n in range(1, 40)})
            response = client.post(url, data=fields, content_type="multipart/form-data")
            assert response.status_code < 500, (rule.rule, repr(junk))
            assert "/login" not in (response.location or ""), rule.rule  # still signed in
            statuses.add(response.status_code)
    assert {200, 302} <= statuses and statuses & {400, 404, 422}  # forms were really checked


def test_junk_in_the_query_string_of_every_page_never_gives_a_500(app, client, auth, make_user, make_cohort):
    cohort = make_cohort()
    admin = make_user("admin")
    enrolment = enrol(cohort, make_user("trainee"))
    db.session.commit()
    lesson = db.session.scalars(select(Lesson)).first()
    auth.login(admin)
    values = _values(app, cohort, enrolment, lesson)
    names = (
        "q",
        "code",
        "page",
        "lang",
        "next",
        "cohort",
        "cohorts",
        "audience",
        "org_type",
        "province",
        "facilitator",
        "date_from",
        "date_to",
        "version",
        "source",
        "status",
        "sort",
        "track",
        "content_lang",
        "notes",
        "period",
        "filter",
    )
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        args = {
            name: sorted(converter.items)[0]
            if isinstance(getattr(converter, "items", None), set)
            else values.get(name, "x")
            for name, converter in rule._converters.items()
        }
        url = rule.build(args)[1]
        for junk in JUNK:
            response = client.get(url, query_string={name: junk for name in names})
            assert response.status_code < 500, (rule.rule, repr(junk))


def test_an_id_too_large_for_any_column_is_a_404_on_every_route(app, client, auth, make_user, make_cohort):
    cohort = make_cohort()
    enrolment = enrol(cohort, make_user("trainee"))
    db.session.commit()
    lesson = db.session.scalars(select(Lesson)).first()
    auth.login(make_user("admin"))
    values = _values(app, cohort, enrolment, lesson)
    checked = 0
    for rule in app.url_map.iter_rules():
        ints = [
            name
            for name, converter in rule._converters.items()
            if type(converter).__name__ in ("BoundedInt", "IntegerConverter")
        ]
        if not ints:
            continue
        for huge in (2**63, 2**64 + 1, 2**31):
            args = {
                name: sorted(converter.items)[0]
                if isinstance(getattr(converter, "items", None), set)
                else values.get(name, "x")
                for name, converter in rule._converters.items()
            }
            url = rule.build(args)[1]
            for name in ints:
                url = url.replace(f"/{args[name]}", f"/{huge}", 1)
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = client.open(url, method=method)
                assert response.status_code == 404, (method, url)
                checked += 1
    assert checked > 20


def test_a_line_break_in_next_never_splits_the_redirect(client):
    for target in ("/\r\nSet-Cookie: a=b", "/modules\nLocation: //evil.example", "/%0d%0ax"):
        response = client.get("/lang/en", query_string={"next": target})
        assert response.status_code == 302
        assert "\n" not in response.location and "evil" not in response.location
        assert "Set-Cookie: a=b" not in str(response.headers)


def test_a_login_longer_than_any_account_is_refused_politely(client, make_user):
    response = client.post("/login", data={"username": "a" * 300, "password": "x" * 300})
    assert response.status_code == 422
    assert "/login" not in (response.location or "")


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.data[:4] == b"\x00\x00\x01\x00" and "icon" in response.mimetype
