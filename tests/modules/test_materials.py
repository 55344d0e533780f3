"""Printable materials: checked like lessons, printed for facilitators, linked from activities."""

import re
from pathlib import Path

from sqlalchemy import select

from lms.extensions import db
from lms.modules.content import LANGUAGES, parse_materials, parse_toolkit
from lms.modules.models import Lesson

MATERIAL = "materials/law-2026-statement-cards.md"
LESSON = "modules/03-harm-reduction/04-law-and-institutions-2026.md"
URL = "/preview/materials/law-2026-statement-cards"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_bundled_materials_are_valid_and_each_is_linked_from_a_lesson():
    from lms.config import ROOT

    problems: list[str] = []
    materials = parse_materials(ROOT / "content", problems)
    assert problems == []
    kinds = {docs["vi"].meta["kind"] for docs in materials.values()}
    assert kinds == {"situation-cards", "role-cards", "picture-codes", "problem-tree"}
    modules, _ = parse_toolkit(ROOT / "content")
    linked = {
        target
        for m in modules
        for docs in m.lessons.values()
        for doc in docs.values()
        for target in re.findall(r"\(material:([a-z0-9-]+)\)", " ".join(b.markdown for b in doc.blocks))
    }
    assert linked == set(materials)


def test_loader_refuses_an_id_that_differs_between_languages(content_copy):
    _edit(content_copy / "en" / MATERIAL, "id: law-2026-statement-cards", "id: law-cards")
    problems = parse_toolkit(content_copy)[1]
    assert any(f"en/{MATERIAL}:" in p and "'id' differs between languages" in p for p in problems)
    assert any("a material's file name must be its id" in p for p in problems)


def test_loader_refuses_a_missing_language_a_different_card_count_and_an_unknown_kind(content_copy):
    _edit(content_copy / "en" / MATERIAL, "::: card\n**10.**", "::: box\n**10.**")
    _edit(content_copy / "vi" / MATERIAL, "kind: situation-cards", "kind: poster")
    (content_copy / "vi/materials/extra.md").write_text("---\nid: extra\n---\n", encoding="utf-8")
    problems = parse_toolkit(content_copy)[1]
    assert any("'activities' differs between languages" in p for p in problems)
    assert any("unknown kind 'poster'" in p for p in problems)
    assert any("extra.md:1: material is missing in en" in p for p in problems)


def test_material_links_must_be_known_and_sit_in_facilitator_notes(content_copy):
    path = content_copy / "vi" / LESSON
    _edit(path, "material:law-2026-statement-cards", "material:no-such-cards")
    _edit(path, "::: reflection", "[thẻ](material:law-2026-statement-cards)\n\n::: reflection")
    problems = parse_toolkit(content_copy)[1]
    assert any(f"vi/{LESSON}:" in p and "unknown material 'material:no-such-cards'" in p for p in problems)
    assert any("link materials from a 'facilitator-notes' block" in p for p in problems)


def test_print_page_in_both_languages_for_facilitators(client, auth, make_user):
    auth.login(make_user("facilitator"))
    titles = {"vi": "Thẻ nhận định về pháp luật năm 2026", "en": "Statement cards on the law"}
    for lang in LANGUAGES:
        page = client.get(f"{URL}?content_lang={lang}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert titles[lang] in text and f'lang="{lang}"' in text
        assert text.count('class="material-card"') == 10
        assert 'class="material-box" id="box-answers"' in text
    assert client.get(f"{URL}?content_lang=fr").status_code == 404
    assert client.get("/preview/materials/no-such-cards").status_code == 404
    assert client.get("/preview/materials/..%2Fsurvey").status_code == 404


def test_a_material_broken_after_the_check_is_not_shown(app, client, auth, make_user, content_copy):
    _edit(content_copy / "en" / MATERIAL, "::: card\n**10.**", "::: box\n**10.**")
    app.config["CONTENT_DIR"] = str(content_copy)
    auth.login(make_user("facilitator"))
    assert client.get(f"{URL}?content_lang=vi").status_code == 404


def test_the_activity_links_the_material_for_facilitators_only(
    client, auth, make_user, enrolment, answer_survey
):
    lesson = db.session.scalar(select(Lesson).where(Lesson.key == "law-and-institutions-2026"))
    answer_survey(enrolment, "pre")
    trainee_page = client.get(f"/lessons/{lesson.key}")
    assert trainee_page.status_code == 200
    assert "/preview/materials/" not in trainee_page.get_data(as_text=True)
    assert client.get(f"{URL}?content_lang=vi").status_code == 403
    auth.logout()
    assert client.get(URL).status_code == 302  # to the sign-in page
    auth.login(make_user("facilitator"))
    for lang in LANGUAGES:
        page = client.get(f"/preview/lessons/{lesson.key}?content_lang={lang}").get_data(as_text=True)
        notes = page[page.index("activity-facilitator-notes") :]
        href = re.search(r'href="(/preview/materials/[^"]+)"', notes).group(1)
        assert href == f"{URL}?content_lang={lang}"
        assert client.get(href).status_code == 200
