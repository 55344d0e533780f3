"""Sending email with smtplib, configured by MAIL_SERVER, MAIL_PORT, MAIL_USERNAME,
MAIL_PASSWORD, MAIL_USE_TLS and MAIL_FROM. Without MAIL_SERVER, email is not set up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    import smtplib

# smtplib and the email package are imported by the methods that send: app servers that never
# send mail do not load them (the reminders job runs in the jobs worker).

TIMEOUT = 20  # seconds to wait for the mail server on each step


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def sender() -> str:
    config = current_app.config
    return config.get("MAIL_FROM") or config.get("MAIL_USERNAME") or "lms@localhost"


class Mailer:
    """One connection to the mail server for a batch of messages:

        with Mailer() as mailer:
            ok = mailer.send(to, subject, body)  # False when the server refused it

    A message the server refuses does not stop the others; a dropped connection is opened
    again for the next message."""

    def __init__(self):
        config = current_app.config
        self.server, self.port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
        self.username, self.password = config.get("MAIL_USERNAME"), config.get("MAIL_PASSWORD")
        self.use_tls = bool(config.get("MAIL_USE_TLS"))
        self.sender = sender()
        self.smtp: smtplib.SMTP | None = None

    def connect(self) -> None:
        import smtplib
        import ssl

        smtp = smtplib.SMTP(self.server, self.port, timeout=TIMEOUT)
        try:
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        self.smtp = smtp

    def __enter__(self) -> Mailer:
        import smtplib

        try:
            self.connect()
        except (smtplib.SMTPException, OSError):
            current_app.logger.warning("mail server %s:%s unreachable", self.server, self.port)
            self.smtp = None  # every send tries again, and fails, one by one
        return self

    def __exit__(self, *exc) -> None:
        import smtplib

        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None

    def send(self, to: str, subject: str, body: str) -> bool:
        import smtplib
        from email.message import EmailMessage
        from email.utils import make_msgid

        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(body)  # UTF-8 text
        for attempt in range(2):
            try:
                if self.smtp is None:
                    self.connect()
                self.smtp.send_message(message)
                return True
            except smtplib.SMTPServerDisconnected:
                self.smtp = None
                if attempt:
                    break
            except (smtplib.SMTPException, OSError):
                # Refused by the server (a bad address) or unreachable: this one fails. The
                # address is not logged: the log names nobody.
                current_app.logger.warning("a message was not accepted by the mail server")
                if self.smtp is not None:
                    try:
                        self.smtp.rset()
                    except (smtplib.SMTPException, OSError):
                        self.smtp.close()
                        self.smtp = None
                return False
        return False
