"""The toolkit as trainee pages read it: the live modules and their lessons, kept in memory by
each process for one toolkit version and shared, read-only, by every request.

Modules and lessons change only when the content is loaded (`flask content sync`), yet a
trainee's home and lesson pages need all of them for every cohort the trainee is in; reading
them as ORM rows was most of those pages' cost. Any write to a module or lesson row gives the
toolkit a new version (the flush hook below), and the journey's facts query reads that version
with the trainee's facts, so a process never serves a toolkit older than the request's data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from threading import Lock

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lms.extensions import db
from lms.modules.models import Bilingual, Lesson, Module, ModuleTraits, ToolkitVersion


@dataclass(frozen=True, eq=False)
class ToolkitLesson(Bilingual):
    id: int
    key: str
    module_id: int
    position: int
    minutes: int
    required: bool
    title_vi: str
    title_en: str
    content_version: str | None
    module: ToolkitModule = field(init=False, repr=False)


@dataclass(frozen=True, eq=False)
class ToolkitModule(ModuleTraits):
    id: int
    key: str
    position: int
    audiences: str
    title_vi: str
    title_en: str
    summary_vi: str
    summary_en: str
    lessons: tuple[ToolkitLesson, ...]


@dataclass(frozen=True)
class Toolkit:
    modules: dict[int, ToolkitModule]  # live modules by id, in toolkit order
    lessons: dict[str, ToolkitLesson]  # live lessons by key


def _load() -> Toolkit:
    modules = {}
    lessons = {}
    rows = db.session.execute(
        select(
            Module.id,
            Module.key,
            Module.position,
            Module.audiences,
            Module.title_vi,
            Module.title_en,
            Module.summary_vi,
            Module.summary_en,
        )
        .where(Module.archived.is_(False))
        .order_by(Module.position, Module.id)
    ).all()
    by_module: dict[int, list[ToolkitLesson]] = {row.id: [] for row in rows}
    for row in db.session.execute(
        select(
            Lesson.id,
            Lesson.key,
            Lesson.module_id,
            Lesson.position,
            Lesson.minutes,
            Lesson.required,
            Lesson.title_vi,
            Lesson.title_en,
            Lesson.content_version,
        )
        .where(Lesson.archived.is_(False))
        .order_by(Lesson.position, Lesson.id)
    ):
        if row.module_id in by_module:
            by_module[row.module_id].append(ToolkitLesson(*row))
    for row in rows:
        module = modules[row.id] = ToolkitModule(*row, lessons=tuple(by_module[row.id]))
        for lesson in module.lessons:
            object.__setattr__(lesson, "module", module)  # set once, before anyone reads it
            lessons[lesson.key] = lesson
    return Toolkit(modules, lessons)


_CACHE: dict[str, Toolkit] = {}
_LOCK = Lock()


def toolkit(version: str | None) -> Toolkit:
    """The toolkit at `version` (read with the request's other facts). Without a version (a
    database whose toolkit was never written through the ORM) it is read from the database."""
    if version is None:
        return _load()
    found = _CACHE.get(version)
    if found is None:
        found = _load()
        with _LOCK:
            if len(_CACHE) >= 8:  # old versions: a process outlives few content loads
                _CACHE.clear()
            _CACHE[version] = found
    return found


def version_query():
    return select(ToolkitVersion.version).where(ToolkitVersion.id == 1)


@event.listens_for(Session, "before_flush")
def _new_version_when_the_toolkit_changes(session, flush_context, instances):
    changed = any(isinstance(obj, Module | Lesson) for obj in (*session.new, *session.deleted))
    changed = changed or any(
        isinstance(obj, Module | Lesson) and session.is_modified(obj) for obj in session.dirty
    )
    if not changed:
        return
    state = session.get(ToolkitVersion, 1)
    if state is None:
        state = ToolkitVersion(id=1)
        session.add(state)
    state.version = uuid.uuid4().hex
