"""Which queue JOBS_URL selects: SQLite in instance/ by default, Redis when it names Redis."""

from huey import RedisHuey, SqliteHuey
from huey.storage import MemoryStorage

from lms.jobs.queue import huey as job_queue
from lms.jobs.services import init_app


def test_the_default_queue_is_a_sqlite_file_in_instance(app, tmp_path):
    app.instance_path = str(tmp_path / "instance")
    app.config.update(JOBS_IMMEDIATE=False, JOBS_URL="")
    init_app(app)
    huey = job_queue()
    assert isinstance(huey, SqliteHuey) and not huey.immediate
    assert (tmp_path / "instance" / "jobs.db").is_file()


def test_redis_is_chosen_by_its_url(app):
    app.config.update(JOBS_IMMEDIATE=False, JOBS_URL="redis://127.0.0.1:6390/3")
    init_app(app)
    huey = job_queue()
    assert isinstance(huey, RedisHuey)
    assert huey.storage.pool.connection_kwargs["db"] == 3  # no connection is opened yet


def test_tests_run_jobs_at_once(app):
    huey = job_queue()
    assert huey.immediate and isinstance(huey.storage, MemoryStorage)
