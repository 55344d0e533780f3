"""Loading the toolkit into the database, and recording each trainee's visits and reflections."""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from flask import current_app, url_for
from sqlalchemy import bindparam, func, select

from lms.extensions import db
from lms.i18n import current_language
from lms.models import utcnow
from lms.modules import toolkit  # noqa: F401  (its flush hook versions every toolkit write)
from lms.modules.content import LANGUAGES, parse_toolkit, render_blocks, render_markdown
from lms.modules.models import Lesson, LessonProgress, Module, Reflection
from lms.signals import lesson_completed
from lms.vocab import ORG_TYPE_AUDIENCE


class ContentError(Exception):
    """The content files have problems; `problems` lists them as file:line: message."""

    def __init__(self, problems: list[str]):
        super().__init__(f"{len(problems)} problem(s) in the content files")
        self.problems = problems


def sync_toolkit(content_dir: Path | None = None) -> dict[str, int]:
    """Load modules and lessons by stable ID; content gone from the files is archived, never
    deleted, so trainees' progress and reflections survive."""
    content_dir = Path(content_dir or current_app.config["CONTENT_DIR"])
    parsed, problems = parse_toolkit(content_dir)
    if problems:
        raise ContentError(problems)
    lesson_urls = {
        docs["vi"].path.resolve(): f"/lessons/{docs['vi'].key}" for m in parsed for docs in m.lessons.values()
    }
    lesson_urls |= {
        docs["en"].path.resolve(): f"/lessons/{docs['vi'].key}" for m in parsed for docs in m.lessons.values()
    }

    def image_url(path: Path) -> str:
        relative = path.relative_to(content_dir.resolve())
        return url_for("modules.content_file", path=str(relative))

    modules = {m.key: m for m in db.session.scalars(select(Module))}
    lessons = {lesson.key: lesson for lesson in db.session.scalars(select(Lesson))}
    seen_modules, seen_lessons = set(), set()
    for parsed_module in parsed:
        vi, en = parsed_module.docs["vi"], parsed_module.docs["en"]
        module = modules.get(vi.key) or Module(key=vi.key)
        db.session.add(module)
        module.folder, module.position = parsed_module.folder, int(vi.meta["order"])
        module.audiences = vi.meta["audiences"].replace(" ", "")
        module.archived = False
        for lang, doc in (("vi", vi), ("en", en)):
            setattr(module, f"title_{lang}", doc.meta["title"])
            setattr(module, f"summary_{lang}", doc.meta["summary"])
            setattr(module, f"intro_{lang}", render_markdown("\n\n".join(b.markdown for b in doc.blocks)))
        seen_modules.add(vi.key)
        for filename, docs in parsed_module.lessons.items():
            key = docs["vi"].key
            lesson = lessons.get(key) or Lesson(key=key)
            db.session.add(lesson)
            lesson.module = module
            lesson.filename = filename
            lesson.position = int(docs["vi"].meta["order"])
            lesson.minutes = int(docs["vi"].meta["minutes"])
            lesson.required = docs["vi"].meta["required"] == "true"
            lesson.archived = False
            for lang in LANGUAGES:
                setattr(lesson, f"title_{lang}", docs[lang].meta["title"])
                setattr(lesson, f"blocks_{lang}", render_blocks(docs[lang], lesson_urls, image_url))
            lesson.content_version = _content_version(lesson)
            seen_lessons.add(key)
    archived = 0
    for key, module in modules.items():
        if key not in seen_modules and not module.archived:
            module.archived, archived = True, archived + 1
    for key, lesson in lessons.items():
        if key not in seen_lessons and not lesson.archived:
            lesson.archived, archived = True, archived + 1
    db.session.flush()
    return {"modules": len(seen_modules), "lessons": len(seen_lessons), "archived": archived}


def _content_version(lesson: Lesson) -> str:
    blocks = [getattr(lesson, f"blocks_{lang}") for lang in LANGUAGES]
    return hashlib.sha256(json.dumps(blocks, sort_keys=True).encode()).hexdigest()[:16]


# (lesson id, language, content version) -> the lesson's blocks, Markdown already rendered and
# sanitised: shared by every request of the process; a new version is a new key.
_BLOCKS: dict[tuple[int, str, str], list] = {}
_BLOCKS_MAX = 4000


def lesson_blocks(lesson: Lesson, lang: str | None = None) -> list:
    """The lesson's blocks in `lang` (default: the page's language), from the process cache when
    the lesson has a content version; otherwise read from the database. `lesson`: a Lesson or
    a ToolkitLesson (lms.modules.toolkit), which carries no blocks."""
    lang = lang if lang in LANGUAGES else current_language()
    if not lesson.content_version:
        return lesson.text("blocks", lang)
    key = (lesson.id, lang, lesson.content_version)
    blocks = _BLOCKS.get(key)
    if blocks is None:
        if len(_BLOCKS) >= _BLOCKS_MAX:
            _BLOCKS.clear()
        vi, en = db.session.execute(
            select(Lesson.blocks_vi, Lesson.blocks_en).where(Lesson.id == lesson.id)
        ).one()
        blocks = _BLOCKS[key] = (en if lang == "en" else None) or vi
    return blocks


def active_modules() -> list[Module]:
    return list(
        db.session.scalars(select(Module).where(Module.archived.is_(False)).order_by(Module.position))
    )


def default_modules_for(user) -> list[Module]:
    """Without a cohort: the common modules and those of the trainee's organisation type."""
    audience = ORG_TYPE_AUDIENCE.get(user.org_type)
    return [
        m for m in active_modules() if "all" in m.audience_list or (audience and audience in m.audience_list)
    ]


def progress_by_lesson(user, lesson_ids=None) -> dict[int, LessonProgress]:
    query = select(LessonProgress).where(LessonProgress.user_id == user.id)
    if lesson_ids is not None:
        query = query.where(LessonProgress.lesson_id.in_(lesson_ids))
    return {p.lesson_id: p for p in db.session.scalars(query)}


def record_visit(user, lesson: Lesson) -> LessonProgress:
    progress = db.session.scalar(
        select(LessonProgress).where(LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id)
    )
    if progress is None:
        progress = LessonProgress(user_id=user.id, lesson_id=lesson.id)
        db.session.add(progress)
    progress.last_viewed_at = utcnow()
    return progress


# A lesson opened again within this time, with no other lesson opened in between, is not
# written again: its last visit already says where the trainee stopped (a refresh, or going
# back and forth between the page and its reflections, writes nothing).
VISIT_REFRESH = timedelta(minutes=5)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@cache
def _visit_statements(dialect: str):
    """(read, upsert) for visit_lesson, built once per process and dialect (parameters
    `user_id`, `lesson_id`, `now`): the trainee's completion of the lesson and their
    reflections on it as one JSON object {block key: answer}."""
    user_id, lesson_id = bindparam("user_id"), bindparam("lesson_id")
    answers = (func.json_object_agg if dialect == "postgresql" else func.json_group_object)(
        Reflection.block_key, Reflection.answer
    )
    reflections = (
        select(answers)
        .where(Reflection.user_id == user_id, Reflection.lesson_id == lesson_id)
        .scalar_subquery()
    )
    read = select(LessonProgress.completed_at, reflections).where(
        LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson_id
    )
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = bindparam("now", type_=LessonProgress.last_viewed_at.type)
    upsert = (
        insert(LessonProgress)
        .values(user_id=user_id, lesson_id=lesson_id, last_viewed_at=now)
        .on_conflict_do_update(index_elements=["user_id", "lesson_id"], set_={"last_viewed_at": now})
        .returning(LessonProgress.completed_at, reflections)
    )
    return read, upsert


def visit_lesson(
    user, lesson: Lesson, last_viewed: dict[int, datetime] | None = None
) -> tuple[datetime | None, dict[str, str]]:
    """record_visit and reflections_for in one statement: an upsert of the visit returning
    when the lesson was completed and the trainee's reflections on it.

    `last_viewed`: lesson id -> the trainee's last visit, when the caller already has it; a
    lesson that is the trainee's latest visit, made within VISIT_REFRESH, is only read."""
    dialect = db.session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        progress = record_visit(user, lesson)
        db.session.flush()
        return progress.completed_at, reflections_for(user, lesson)
    read, upsert = _visit_statements(dialect)
    now = utcnow()
    seen = (last_viewed or {}).get(lesson.id)
    recent = seen is not None and seen == max(last_viewed.values()) and now - _aware(seen) < VISIT_REFRESH
    completed_at, answers = db.session.execute(
        read if recent else upsert, {"user_id": user.id, "lesson_id": lesson.id, "now": now}
    ).one()
    if isinstance(answers, str):
        answers = json.loads(answers)
    return completed_at, dict(answers or {})


def mark_complete(user, lesson: Lesson) -> LessonProgress:
    """Mark the lesson completed (once) and announce it: the last one may earn a certificate."""
    progress = record_visit(user, lesson)
    if progress.completed_at is None:
        progress.completed_at = utcnow()
        db.session.flush()
        lesson_completed.send(user, lesson=lesson)
    return progress


def resume_lesson(user, modules: list[Module]) -> Lesson | None:
    """Where the trainee stopped: the last lesson they opened among these modules."""
    lesson_ids = [lesson.id for m in modules for lesson in m.lessons]
    if not lesson_ids:
        return None
    return db.session.scalar(
        select(Lesson)
        .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
        .where(LessonProgress.user_id == user.id, Lesson.id.in_(lesson_ids))
        .order_by(LessonProgress.last_viewed_at.desc())
        .limit(1)
    )


def save_reflection(user, lesson: Lesson, block_key: str, answer: str) -> Reflection:
    reflection = db.session.scalar(
        select(Reflection).where(
            Reflection.user_id == user.id,
            Reflection.lesson_id == lesson.id,
            Reflection.block_key == block_key,
        )
    )
    if reflection is None:
        reflection = Reflection(user_id=user.id, lesson_id=lesson.id, block_key=block_key)
        db.session.add(reflection)
    reflection.answer = answer
    return reflection


def reflections_for(user, lesson: Lesson) -> dict[str, str]:
    return {
        r.block_key: r.answer
        for r in db.session.scalars(
            select(Reflection).where(Reflection.user_id == user.id, Reflection.lesson_id == lesson.id)
        )
    }
