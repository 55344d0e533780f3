"""Configuration read from the environment, with documented defaults (see README)."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("LMS_INSTANCE_PATH", ROOT / "instance"))


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret_key() -> str:
    """Generate the secret key once and keep it in instance/ so sessions survive restarts."""
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'lms.sqlite'}")
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the psycopg 3 driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _engine_options() -> dict:
    options: dict = {"pool_pre_ping": True}
    # Behind PgBouncer in transaction pooling, a server connection changes between transactions:
    # psycopg 3 must not prepare statements on it (PgBouncer 1.21+ with max_prepared_statements
    # can keep them; then leave PGBOUNCER unset).
    if _env_bool("PGBOUNCER") and _database_url().startswith("postgresql"):
        options["connect_args"] = {"prepare_threshold": None}
    return options


class Config:
    """Defaults for a single-machine install: SQLite in instance/, key kept in instance/."""

    SECRET_KEY = os.environ.get("SECRET_KEY") or None  # filled in by load()
    SQLALCHEMY_DATABASE_URI = ""
    SQLALCHEMY_ENGINE_OPTIONS: dict = _engine_options()
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("HTTPS")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _env_bool("HTTPS")
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_DAYS", "30")))
    # A one-time password (new account, reset, import) stops working after this many hours.
    ONE_TIME_PASSWORD_HOURS = int(os.environ.get("ONE_TIME_PASSWORD_HOURS", "72"))
    # Reverse proxies in front of the app (nginx: 1): their X-Forwarded-For/-Proto are trusted,
    # so sign-in throttling counts real client addresses, not the proxy's.
    PROXIES = int(os.environ.get("PROXIES", "0"))
    PREFERRED_URL_SCHEME = "https" if _env_bool("HTTPS") else "http"
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "5")) * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # a trainee may keep a survey open all afternoon
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("TIMEZONE", "Asia/Ho_Chi_Minh")
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    LANGUAGES = ("vi", "en")
    # Uploaded imports wait here between preview and commit (then they are deleted).
    IMPORT_DIR = os.environ.get("IMPORT_DIR", str(INSTANCE / "imports"))
    IMPORT_KEEP_MINUTES = int(os.environ.get("IMPORT_KEEP_MINUTES", "60"))
    # An XLSX is a zip: its unpacked size is checked before it is opened.
    IMPORT_MAX_UNPACKED_MB = int(os.environ.get("IMPORT_MAX_UNPACKED_MB", "50"))
    CONTENT_DIR = os.environ.get("CONTENT_DIR", str(ROOT / "content"))
    # Public address used in QR codes and certificates; falls back to the request's host.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "").rstrip("/")
    ORGANISATION_NAME = os.environ.get("ORGANISATION_NAME", "")
    ORGANISATION_LOGO = os.environ.get("ORGANISATION_LOGO", "")
    # werkzeug's default (scrypt); tests and benchmarks set a faster one.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    REPORT_MIN_N = int(os.environ.get("REPORT_MIN_N", "5"))
    TODAY = os.environ.get("LMS_TODAY") or None  # a fixed "today" (YYYY-MM-DD) for tests, demos
    # A subscale score counts when this share of its items was answered before and after.
    REPORT_MIN_ITEM_SHARE = float(os.environ.get("REPORT_MIN_ITEM_SHARE", "0.8"))
    # p-values: "exact" (three significant figures) or "threshold" ("< 0.001").
    REPORT_P_STYLE = os.environ.get("REPORT_P_STYLE", "exact")
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "30"))
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", "15"))
    # Anonymous surveys started from one address in that time (a workshop room shares one).
    ANONYMOUS_MAX_STARTS_PER_ADDRESS = int(os.environ.get("ANONYMOUS_MAX_STARTS_PER_ADDRESS", "200"))
    # Unknown certificate codes tried from one address before verification is paused.
    VERIFY_MAX_FAILURES = int(os.environ.get("VERIFY_MAX_FAILURES", "20"))
    VERIFY_LOCK_MINUTES = int(os.environ.get("VERIFY_LOCK_MINUTES", "15"))
    # Background jobs (certificate ZIPs, the historical import, programme-wide exports): the
    # queue is instance/jobs.db (SQLite) unless JOBS_URL names Redis (redis://host:6379/0).
    JOBS_URL = os.environ.get("JOBS_URL", "")
    JOBS_IMMEDIATE = _env_bool("JOBS_IMMEDIATE")  # run each job inside the request (tests)
    JOBS_WORKERS = int(os.environ.get("JOBS_WORKERS", "2"))  # threads of `flask jobs worker`
    JOBS_KEEP_HOURS = int(os.environ.get("JOBS_KEEP_HOURS", "24"))  # then a job's file is deleted
    # Small enough to hand over at once: a cohort's ZIP of at most this many certificates, a
    # report export of at most this many named cohorts. Anything larger becomes a job.
    JOBS_DIRECT_CERTIFICATES = int(os.environ.get("JOBS_DIRECT_CERTIFICATES", "20"))
    JOBS_DIRECT_COHORTS = int(os.environ.get("JOBS_DIRECT_COHORTS", "1"))
    # Email (follow-up reminders), sent with smtplib. Without MAIL_SERVER nothing is emailed:
    # the follow-up page points to the printed come-back slips instead.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)  # STARTTLS after connecting
    MAIL_FROM = os.environ.get("MAIL_FROM", "")  # blank: MAIL_USERNAME
    TESTING = False

    @classmethod
    def load(cls) -> dict:
        """Resolve values that need the file system or a check, as a plain dict."""
        values = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        production = _env_bool("PRODUCTION")
        if production and not (os.environ.get("SECRET_KEY") and os.environ.get("DATABASE_URL")):
            raise RuntimeError("PRODUCTION=1 needs SECRET_KEY and DATABASE_URL in the environment")
        values["SECRET_KEY"] = os.environ.get("SECRET_KEY") or _instance_secret_key()
        values["SQLALCHEMY_DATABASE_URI"] = cls.SQLALCHEMY_DATABASE_URI or _database_url()
        return values


class TestConfig(Config):
    """Used by the test suite: CSRF off unless a test turns it on, fast password hashing."""

    TESTING = True
    WTF_CSRF_ENABLED = False
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 (a method name, not a password)
    JOBS_IMMEDIATE = True  # a job runs inside the request that starts it: deterministic tests
    MAIL_SERVER = ""  # no email unless a test starts its own SMTP server
