"""gunicorn settings read from the project folder (gunicorn loads ./gunicorn.conf.py by default;
elsewhere pass `--config /path/to/gunicorn.conf.py`). `make serve` gives the rest on its
command line.

Memory: workers are forked from a master that has imported the app and nothing heavier, and
a trainee's pages never load numpy, scipy or openpyxl. A staff report or an export does, and
Python never gives those modules back: the worker would keep 25–150 MiB more for the rest of
its life. So a worker whose resident memory has grown by more than WORKER_MEMORY_GROWTH_MIB
since it was ready to serve finishes the requests it holds and hands over to a fresh fork of
the master, as gunicorn's --max-requests does (uWSGI calls this reload-on-rss).
"""

import os

# 64 MiB: a worker serving trainees grows by about 12–15 MiB (templates, the toolkit, its
# caches; measured after 800 lesson and home pages), a certificate PDF (ReportLab) or a
# cohort's XLSX (openpyxl, numpy) by 20–35 MiB in all; a statistics report (scipy,
# statsmodels) by about 150 MiB, a large import preview by more than 64. Handing over costs
# the next such request its imports and a fresh worker its caches, so the cheap and frequent
# downloads stay below the line and only the heavy, rare pages cross it. 0 turns it off.
WORKER_MEMORY_GROWTH_MIB = int(os.environ.get("WORKER_MEMORY_GROWTH_MIB", "64"))
_PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_mib() -> float | None:
    """This process's resident memory now (Linux), or None where /proc is missing."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE / 2**20
    except OSError:
        return None


def post_worker_init(worker):
    # Ready to serve: the app is imported (in the master with --preload, here without).
    worker.resident_when_ready = resident_mib()


def post_request(worker, req, environ, resp):
    start, now = getattr(worker, "resident_when_ready", None), resident_mib()
    if not WORKER_MEMORY_GROWTH_MIB or start is None or now is None or not worker.alive:
        return
    if now - start > WORKER_MEMORY_GROWTH_MIB:
        worker.log.info(
            "Worker grew from %.0f to %.0f MiB (%s %s): restarting after its current requests",
            start,
            now,
            environ.get("REQUEST_METHOD"),
            environ.get("PATH_INFO"),
        )
        worker.alive = False
