"""Module and lesson pages for trainees; preview and print views for facilitators."""

from types import SimpleNamespace

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, undefer

from lms.extensions import db
from lms.i18n import content_language
from lms.modules.blueprint import bp
from lms.modules.models import Lesson, Module
from lms.modules.services import (
    active_modules,
    lesson_blocks,
    mark_complete,
    progress_by_lesson,
    save_reflection,
    visit_lesson,
)
from lms.permissions import Permission, public, require
from lms.progress.states import ModuleAccess
from lms.progress.trainee import module_step, trainee_modules
from lms.quizzes.models import Phase


def _module_or_404(key: str) -> Module:
    return db.session.scalar(select(Module).where(Module.key == key, Module.archived.is_(False))) or abort(
        404
    )


def _lesson_or_404(key: str) -> Lesson:
    """The lesson with its module and both languages' blocks, in one query."""
    return db.session.scalar(
        select(Lesson)
        .options(joinedload(Lesson.module), undefer(Lesson.blocks_vi), undefer(Lesson.blocks_en))
        .where(Lesson.key == key, Lesson.archived.is_(False))
    ) or abort(404)


def _open_module_or_redirect(module: Module):
    """The trainee's access to the module; a redirect when the module is not open to them."""
    return _step_or_redirect(module_step(current_user, module))


def _step_or_redirect(step):
    if step is None:
        abort(403)  # another cohort's module, or not for this audience
    if step.access == ModuleAccess.NEEDS_PRE_SURVEY:
        flash(_("Please complete the survey before the training first."), "info")
        return step, redirect(url_for("quizzes.take", enrolment_id=step.enrolment.id, phase=Phase.PRE))
    if step.access == ModuleAccess.LOCKED:
        flash(_("Your facilitator has not opened this module yet."), "info")
        return step, redirect(url_for("modules.index"))
    return step, None


def _open_lesson_or_redirect(key: str):
    lesson = _lesson_or_404(key)
    return lesson, _open_module_or_redirect(lesson.module)[1]


@bp.get("/modules")
@require(Permission.LEARN)
def index():
    return render_template("modules/index.html", modules=trainee_modules(current_user)[1])


@bp.get("/modules/<key>")
@require(Permission.LEARN)
def module(key: str):
    module = _module_or_404(key)
    step, redirect_response = _open_module_or_redirect(module)
    if redirect_response:
        return redirect_response
    progress = progress_by_lesson(current_user, [lesson.id for lesson in module.lessons])
    return render_template("modules/module.html", module=module, progress=progress, step=step)


@bp.get("/lessons/<key>")
@require(Permission.LEARN)
def lesson(key: str):
    # The trainee's journeys already hold their modules' lessons: no query for the lesson,
    # none for its blocks (cached per content version), one statement for the visit and the
    # reflections.
    trainee_journeys, steps = trainee_modules(current_user)
    found = next(
        ((step, lesson) for step in steps for lesson in step.module.lessons if lesson.key == key), None
    )
    if found is None:  # not one of theirs: 404 for an unknown lesson, otherwise 403
        lesson = _lesson_or_404(key)
        step = next((s for s in steps if s.module.id == lesson.module_id), None)
    else:
        step, lesson = found
    redirect_response = _step_or_redirect(step)[1]
    if redirect_response:
        return redirect_response
    completed_at, reflections = visit_lesson(
        current_user, lesson, trainee_journeys[0].last_viewed if trainee_journeys else None
    )
    # Rendered before the commit, which would expire (and reload) every object the page shows.
    page = _render_lesson(
        lesson, progress=SimpleNamespace(completed_at=completed_at), reflections=reflections
    )
    db.session.commit()
    return page


def _render_lesson(lesson: Lesson, lang: str | None = None, preview: bool = False, **context):
    siblings = lesson.module.lessons
    index = next(i for i, sibling in enumerate(siblings) if sibling.id == lesson.id)
    return render_template(
        "modules/lesson.html",
        lesson=lesson,
        module=lesson.module,
        blocks=lesson_blocks(lesson, lang),
        lang=lang,
        preview=preview,
        show_notes=preview,
        position=index + 1,
        count=len(siblings),
        previous=siblings[index - 1] if index > 0 else None,
        next=siblings[index + 1] if index + 1 < len(siblings) else None,
        **context,
    )


@bp.post("/lessons/<key>/complete")
@require(Permission.LEARN)
def complete_lesson(key: str):
    lesson, redirect_response = _open_lesson_or_redirect(key)
    if redirect_response:
        return redirect_response
    mark_complete(current_user, lesson)  # the last lesson may earn a certificate (lms.progress)
    db.session.commit()
    siblings = lesson.module.lessons
    following = [s for s in siblings if s.position > lesson.position]
    if following:
        return redirect(url_for("modules.lesson", key=following[0].key))
    flash(_("You have finished the module “%(title)s”.", title=lesson.module.text("title")), "success")
    return redirect(url_for("modules.module", key=lesson.module.key))


@bp.post("/lessons/<key>/reflections/<block_key>")
@require(Permission.LEARN)
def reflection(key: str, block_key: str):
    lesson, redirect_response = _open_lesson_or_redirect(key)
    if redirect_response:
        return redirect_response
    if not any(b["id"] == block_key and b["type"] == "reflection" for b in lesson.blocks_vi):
        abort(404)
    answer = (request.form.get("answer") or "")[:5000]
    save_reflection(current_user, lesson, block_key, answer)
    db.session.commit()
    if request.headers.get("X-Requested-With") == "fetch":
        return {"saved": True}
    flash(_("Your answer has been saved. Only you can see it."), "success")
    return redirect(url_for("modules.lesson", key=key) + f"#reflection-{block_key}")


@bp.get("/preview")
@require(Permission.PREVIEW_CONTENT)
def preview_index():
    return render_template("modules/preview_index.html", modules=active_modules())


@bp.get("/preview/lessons/<key>")
@require(Permission.PREVIEW_CONTENT)
def preview_lesson(key: str):
    lang = content_language()
    return _render_lesson(_lesson_or_404(key), lang=lang, preview=True, reflections={})


@bp.get("/preview/modules/<key>/print")
@require(Permission.PREVIEW_CONTENT)
def print_module(key: str):
    lang = content_language()
    notes = request.args.get("notes") == "1"
    return render_template("modules/print.html", module=_module_or_404(key), lang=lang, show_notes=notes)


@bp.get("/content-files/<path:path>")
@public
def content_file(path: str):
    """Images referenced by lessons (only files under an images/ folder are served)."""
    if "/images/" not in path:
        abort(404)
    return send_from_directory(current_app.config["CONTENT_DIR"], path, max_age=86400)
