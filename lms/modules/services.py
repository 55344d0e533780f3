"""Loading the toolkit into the database, and what each trainee may open and has completed."""

from dataclasses import dataclass
from pathlib import Path

from flask import current_app, url_for
from sqlalchemy import select

from lms.extensions import db
from lms.models import utcnow
from lms.modules.content import LANGUAGES, parse_toolkit, render_blocks, render_markdown
from lms.modules.models import Lesson, LessonProgress, Module, Reflection
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


@dataclass
class ModuleAccess:
    """What a trainee may do with one module, and why not when they may not."""

    module: Module
    required: bool
    open: bool
    reason: str | None  # "pre_survey" | "locked" | None
    enrolment: object | None


def progress_by_lesson(user, lesson_ids=None) -> dict[int, LessonProgress]:
    query = select(LessonProgress).where(LessonProgress.user_id == user.id)
    if lesson_ids is not None:
        query = query.where(LessonProgress.lesson_id.in_(lesson_ids))
    return {p.lesson_id: p for p in db.session.scalars(query)}


def module_completion(module: Module, progress: dict[int, LessonProgress]) -> tuple[int, int]:
    """(required lessons completed, required lessons) — a module is complete when equal."""
    required = [lesson for lesson in module.lessons if lesson.required]
    done = sum(1 for lesson in required if progress.get(lesson.id) and
               progress[lesson.id].completed_at)
    return done, len(required)


def is_module_complete(module: Module, progress: dict[int, LessonProgress]) -> bool:
    done, total = module_completion(module, progress)
    return done == total


def module_access_for(user) -> list[ModuleAccess]:
    """Every module this trainee can see, through their cohorts or their organisation type."""
    from lms.cohorts.services import active_enrolments
    from lms.quizzes.services import pre_survey_pending

    enrolments = active_enrolments(user)
    if not enrolments:
        return [ModuleAccess(m, True, True, None, None) for m in default_modules_for(user)]
    seen: dict[int, ModuleAccess] = {}
    for enrolment in enrolments:
        cohort = enrolment.cohort
        waiting_for_survey = pre_survey_pending(enrolment)
        for cohort_module in cohort.modules:
            if cohort_module.module.archived or cohort_module.module_id in seen:
                continue
            reason = None
            if waiting_for_survey:
                reason = "pre_survey"
            elif cohort.pacing == "facilitator" and not cohort_module.unlocked:
                reason = "locked"
            seen[cohort_module.module_id] = ModuleAccess(
                cohort_module.module, cohort_module.required, reason is None, reason, enrolment)
    return list(seen.values())


def access_to_module(user, module: Module) -> ModuleAccess | None:
    return next((a for a in module_access_for(user) if a.module.id == module.id), None)


def record_visit(user, lesson: Lesson) -> LessonProgress:
    progress = db.session.scalar(select(LessonProgress).where(
        LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id))
    if progress is None:
        progress = LessonProgress(user_id=user.id, lesson_id=lesson.id)
        db.session.add(progress)
    progress.last_viewed_at = utcnow()
    return progress


def mark_complete(user, lesson: Lesson) -> LessonProgress:
    progress = record_visit(user, lesson)
    progress.completed_at = progress.completed_at or utcnow()
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


def trainee_dashboard(user) -> dict:
    """Home page data: the trainee's cohorts, modules with progress, and where to resume."""
    from lms.cohorts.services import active_enrolments
    from lms.quizzes.services import survey_status

    access = module_access_for(user)
    progress = progress_by_lesson(user)
    modules = [(a, module_completion(a.module, progress)) for a in access]
    return {
        "enrolments": [(e, survey_status(e)) for e in active_enrolments(user)],
        "modules": modules,
        "resume": resume_lesson(user, [a.module for a in access if a.open]),
    }
