"""Loading the toolkit into the database, and recording each trainee's visits and reflections."""

from pathlib import Path

from flask import current_app, url_for
from sqlalchemy import select

from lms.extensions import db
from lms.models import utcnow
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
    lesson_urls = {docs["vi"].path.resolve(): f"/lessons/{docs['vi'].key}"
                   for m in parsed for docs in m.lessons.values()}
    lesson_urls |= {docs["en"].path.resolve(): f"/lessons/{docs['vi'].key}"
                    for m in parsed for docs in m.lessons.values()}

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
            setattr(module, f"intro_{lang}", render_markdown(
                "\n\n".join(b.markdown for b in doc.blocks)))
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


def active_modules() -> list[Module]:
    return list(db.session.scalars(
        select(Module).where(Module.archived.is_(False)).order_by(Module.position)))


def default_modules_for(user) -> list[Module]:
    """Without a cohort: the common modules and those of the trainee's organisation type."""
    audience = ORG_TYPE_AUDIENCE.get(user.org_type)
    return [m for m in active_modules()
            if "all" in m.audience_list or (audience and audience in m.audience_list)]


def progress_by_lesson(user, lesson_ids=None) -> dict[int, LessonProgress]:
    query = select(LessonProgress).where(LessonProgress.user_id == user.id)
    if lesson_ids is not None:
        query = query.where(LessonProgress.lesson_id.in_(lesson_ids))
    return {p.lesson_id: p for p in db.session.scalars(query)}


def record_visit(user, lesson: Lesson) -> LessonProgress:
    progress = db.session.scalar(select(LessonProgress).where(
        LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id))
    if progress is None:
        progress = LessonProgress(user_id=user.id, lesson_id=lesson.id)
        db.session.add(progress)
    progress.last_viewed_at = utcnow()
    return progress


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
        select(Lesson).join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
        .where(LessonProgress.user_id == user.id, Lesson.id.in_(lesson_ids))
        .order_by(LessonProgress.last_viewed_at.desc()).limit(1))


def save_reflection(user, lesson: Lesson, block_key: str, answer: str) -> Reflection:
    reflection = db.session.scalar(select(Reflection).where(
        Reflection.user_id == user.id, Reflection.lesson_id == lesson.id,
        Reflection.block_key == block_key))
    if reflection is None:
        reflection = Reflection(user_id=user.id, lesson_id=lesson.id, block_key=block_key)
        db.session.add(reflection)
    reflection.answer = answer
    return reflection


def reflections_for(user, lesson: Lesson) -> dict[str, str]:
    return {r.block_key: r.answer for r in db.session.scalars(select(Reflection).where(
        Reflection.user_id == user.id, Reflection.lesson_id == lesson.id))}
