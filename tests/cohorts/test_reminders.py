"""Follow-up reminders by email: a facilitator sends them from the cohort page as a job, to a
real SMTP server started by the test; nobody is emailed twice, nor anyone who answered."""

import re
import socket
from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from sqlalchemy import func, select

from lms.cohorts.models import Reminder
from lms.cohorts.services import enrol, set_cohort_modules
from lms.extensions import db

BAD = "refused@example.org"


class Inbox:
    """An SMTP server's handler: keeps what it accepts, refuses one address."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address == BAD:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def take(self) -> dict[str, object]:
        """The messages received since the last call, by recipient."""
        received = {to: message for tos, message in self.messages for to in tos}
        self.messages.clear()
        return received


@pytest.fixture
def smtp_server(app):
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_FROM="training@example.org"
    )
    yield inbox
    controller.stop()


@pytest.fixture
def wave_cohort(make_cohort, make_user, answer_survey):
    """A cohort whose first follow-up opens in ten days: an English trainee and a Vietnamese
    one with an email address, one who already answered the follow-up, one without an
    address and one whose address the server refuses. All answered after the training."""
    cohort = make_cohort()
    set_cohort_modules(cohort, [], [])
    people = {
        "en": make_user("trainee", email="an@example.org", language="en", full_name="An Tran"),
        "vi": make_user("trainee", email="binh@example.org", full_name="Lê Thị Bình"),
        "answered": make_user("trainee", email="cuong@example.org"),
        "no_email": make_user("trainee"),
        "bad": make_user("trainee", email=BAD),
    }
    enrolments = {key: enrol(cohort, user) for key, user in people.items()}
    db.session.commit()
    for enrolment in enrolments.values():
        answer_survey(enrolment, "pre")
        answer_survey(enrolment, "post")
    cohort.schedule_wave("follow-1", date.today() + timedelta(days=10))
    db.session.commit()
    answer_survey(enrolments["answered"], "follow-1")
    return cohort, enrolments


def _send(client, cohort, phase="follow-1"):
    return client.post(
        f"/cohorts/{cohort.id}/waves/{phase}/reminders", data={"next": f"/cohorts/{cohort.id}"}
    )


def _counts(page: str) -> dict[str, int]:
    return {
        name: int(value)
        for name, value in re.findall(r'data-count="(sent|already|skipped|failed)">(\d+)<', page)
    }


def test_reminders_reach_those_who_have_not_answered_once(app, client, auth, smtp_server, wave_cohort):
    cohort, enrolments = wave_cohort
    auth.login(cohort.facilitators[0])
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert 'data-send-reminders="follow-1"' in page

    started = _send(client, cohort)
    assert started.status_code == 303 and "/jobs/" in started.location
    job_page = client.get(started.location).get_data(as_text=True)
    assert _counts(job_page) == {"sent": 2, "already": 0, "skipped": 1, "failed": 1}
    assert BAD not in job_page  # failures are counted, never named
    assert 'data-count="job-done">4<' in job_page and 'data-count="job-total">4<' in job_page

    received = smtp_server.take()
    assert set(received) == {"an@example.org", "binh@example.org"}
    english, vietnamese = received["an@example.org"], received["binh@example.org"]
    assert english["Subject"] == "Training follow-up survey"
    assert english["From"] == "training@example.org"
    body = english.get_content()
    assert f"/surveys/{enrolments['en'].id}/follow-1" in body and "An Tran" in body
    wave_day = cohort.wave_date("follow-1")
    assert str(wave_day.year) in body and str(wave_day.day) in body
    assert vietnamese["Subject"] == "Khảo sát theo dõi sau khóa tập huấn"
    body = vietnamese.get_content()
    assert f"/surveys/{enrolments['vi'].id}/follow-1" in body and "anh/chị" in body
    for message in (english, vietnamese):
        text = (message["Subject"] + message.get_content()).lower()
        assert not any(word in text for word in ("hiv", "drug", "ma túy", "ma tuý", "kỳ thị"))
        assert cohort.name not in message.get_content()  # the cohort's name may say too much

    # A second click emails nobody, and says how many were reminded already.
    again = client.get(_send(client, cohort).location).get_data(as_text=True)
    assert _counts(again) == {"sent": 0, "already": 2, "skipped": 1, "failed": 1}
    assert smtp_server.take() == {}
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 2
    waves = client.get(f"/cohorts/{cohort.id}/waves").get_data(as_text=True)
    assert 'data-reminded="follow-1"' in waves and "2 trainees reminded" in waves


def test_a_job_started_again_emails_nobody_twice(app, client, auth, smtp_server, wave_cohort):
    """A worker stopped before the job was marked done: at its restart the job runs again
    (lms.jobs.runner.recover), and the reminders written with each batch stop every email."""
    from sqlalchemy import update

    from lms.jobs.models import Job, JobState
    from lms.jobs.runner import recover

    cohort, _enrolments = wave_cohort
    auth.login(cohort.facilitators[0])
    assert client.get(_send(client, cohort).location).status_code == 200
    assert len(smtp_server.take()) == 2
    db.session.execute(
        update(Job).values(
            state=JobState.RUNNING, outcome=None, payload={"cohort_id": cohort.id, "phase": "follow-1"}
        )
    )
    db.session.commit()
    assert recover() == 1  # queued again, and run at once (immediate mode)
    assert smtp_server.take() == {}
    job = db.session.scalar(select(Job).where(Job.kind == "follow_up_reminders"))
    db.session.refresh(job)
    assert job.state == JobState.DONE
    assert job.outcome["already"] == 2 and job.outcome["sent"] == 0


def test_without_a_mail_server_the_page_points_to_the_slips(app, client, auth, wave_cohort):
    cohort, _enrolments = wave_cohort
    auth.login(cohort.facilitators[0])
    for url in (f"/cohorts/{cohort.id}", f"/cohorts/{cohort.id}/waves"):
        page = client.get(url).get_data(as_text=True)
        assert "data-send-reminders" not in page
        assert "Email is not set up" in page and f"/cohorts/{cohort.id}/waves/come-back.pdf" in page
    refused = _send(client, cohort)
    assert refused.status_code == 302 and "/jobs/" not in refused.location


def test_no_button_for_a_wave_more_than_two_weeks_away(app, client, auth, smtp_server, wave_cohort):
    cohort, _enrolments = wave_cohort
    cohort.schedule_wave("follow-1", date.today() + timedelta(days=15))
    db.session.commit()
    auth.login(cohort.facilitators[0])
    assert "data-send-reminders" not in client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    refused = _send(client, cohort)
    assert refused.status_code == 302 and "/jobs/" not in refused.location
    assert smtp_server.take() == {}
    # Opened early by the facilitator: reminders may go out at once.
    cohort.set_gate("follow-1", True)
    db.session.commit()
    assert "/jobs/" in _send(client, cohort).location
    assert len(smtp_server.take()) == 2


def test_only_the_cohorts_facilitators_and_staff_may_send(
    app, client, auth, make_user, smtp_server, wave_cohort
):
    cohort, _enrolments = wave_cohort
    auth.login(make_user("facilitator"))
    assert _send(client, cohort).status_code == 404
    auth.logout()
    auth.login(make_user("trainee"))
    assert _send(client, cohort).status_code == 403
    auth.logout()
    assert smtp_server.take() == {}
    auth.login(make_user("staff", language="en"))
    assert "/jobs/" in _send(client, cohort).location
    assert len(smtp_server.take()) == 2


def test_a_trainee_who_cannot_answer_the_wave_yet_gets_no_reminder(
    client, auth, smtp_server, make_cohort, make_user, answer_survey
):
    """The follow-up stays locked until the survey after the training is done: no email
    leading to a locked page."""
    cohort = make_cohort()
    set_cohort_modules(cohort, [], [])
    ready = enrol(cohort, make_user("trainee", email="ready@example.org"))
    not_yet = enrol(cohort, make_user("trainee", email="notyet@example.org"))
    db.session.commit()
    answer_survey(ready, "pre"), answer_survey(ready, "post"), answer_survey(not_yet, "pre")
    cohort.schedule_wave("follow-1", date.today() + timedelta(days=3))
    db.session.commit()
    auth.login(cohort.facilitators[0])
    job_page = client.get(_send(client, cohort).location).get_data(as_text=True)
    assert _counts(job_page)["sent"] == 1
    assert set(smtp_server.take()) == {"ready@example.org"}


def test_claims_are_committed_before_the_mail_server_is_reached(
    app, client, auth, smtp_server, wave_cohort, monkeypatch
):
    """Trainees' writes never wait on the mail server: when it is reached, this batch's
    claims are already committed (another connection sees them) and the write is over."""
    from lms import mail

    cohort, _ = wave_cohort
    seen = []
    send = mail.Mailer.send

    def send_and_look(self, *args):
        with db.engine.connect() as other:  # another connection, as another request's
            seen.append(other.scalar(select(func.count()).select_from(Reminder)))
        return send(self, *args)

    monkeypatch.setattr(mail.Mailer, "send", send_and_look)
    auth.login(cohort.facilitators[0])
    client.get(_send(client, cohort).location)
    assert seen and all(count == 3 for count in seen)  # the batch's three claims, committed
