"""Print pages for the cards and templates that lesson activities use (facilitators only)."""

from pathlib import Path

from flask import abort, current_app, render_template

from lms.i18n import content_language
from lms.modules.blueprint import bp
from lms.modules.content import load_material, render_material
from lms.permissions import Permission, require


@bp.get("/preview/materials/<key>")
@require(Permission.PREVIEW_CONTENT)
def print_material(key: str):
    lang = content_language()
    docs, problems = load_material(Path(current_app.config["CONTENT_DIR"]), key)
    if docs is None:
        if problems:  # edited after `content check`: show nothing rather than a half material
            current_app.logger.warning("material %s is invalid: %s", key, "; ".join(problems))
        abort(404)
    return render_template("modules/material.html", material=render_material(docs[lang]), lang=lang)
