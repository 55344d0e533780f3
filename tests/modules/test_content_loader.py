"""The content checker and loader: every kind of problem, sanitising, sync that never deletes."""

from pathlib import Path

import pytest
from sqlalchemy import select

from lms.cli import sync_content
from lms.extensions import db
from lms.modules.content import parse_toolkit, render_markdown
from lms.modules.models import Lesson, LessonProgress, Module, Reflection
from lms.modules.services import ContentError
from lms.quizzes.instrument import parse_instrument

LESSON = "modules/01-understanding-stigma/01-what-is-stigma.md"


def _problems(content: Path) -> list[str]:
    return parse_toolkit(content)[1] + parse_instrument(content)[1]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_bundled_toolkit_is_valid_and_complete():
    from lms.config import ROOT

    modules, problems = parse_toolkit(ROOT / "content")
    assert problems == []
    assert len(modules) >= 7
    for module in modules:
        assert len(module.lessons) >= 3, module.folder
    assert parse_instrument(ROOT / "content")[1] == []


def test_check_command_reports_ok(runner):
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0 and "7 modules" in result.output


def test_missing_lesson_in_one_language(content_copy):
    (content_copy / "en" / LESSON).unlink()
    problems = _problems(content_copy)
    assert any("01-what-is-stigma.md:1: lesson is missing in en" in p for p in problems)


def test_missing_module_in_one_language(content_copy):
    import shutil

    shutil.rmtree(content_copy / "vi/modules/05-centre-staff")
    assert any("module folder is missing in vi" in p for p in _problems(content_copy))


def test_structural_field_differs_between_languages(content_copy):
    _edit(content_copy / "en" / LESSON, "minutes: ", "minutes: 9")
    problems = _problems(content_copy)
    assert any(
        "'minutes' differs between languages" in p and ":4:" in p or "'minutes' differs" in p
        for p in problems
    )


def test_unknown_metadata_has_file_and_line(content_copy):
    _edit(content_copy / "vi" / LESSON, "order:", "colour: blue\norder:")
    problems = _problems(content_copy)
    assert any(
        p.endswith("unknown metadata 'colour' (allowed: id, minutes, order, required, title)")
        and f"vi/{LESSON}:" in p
        for p in problems
    )


def test_broken_internal_link_and_image(content_copy):
    path = content_copy / "en" / LESSON
    path.write_text(
        path.read_text(encoding="utf-8")
        + "\n[next](../01-understanding-stigma/99-missing.md)\n![map](images/none.png)\n",
        encoding="utf-8",
    )
    problems = [p for p in _problems(content_copy) if "broken link" in p]
    assert len(problems) == 2 and all(f"en/{LESSON}:" in p for p in problems)


def test_activity_block_errors(content_copy):
    path = content_copy / "vi" / LESSON
    path.write_text(
        path.read_text(encoding="utf-8")
        + "\n::: quiz\nx\n:::\n::: reflection\nno id\n:::\n::: discussion\nopen\n",
        encoding="utf-8",
    )
    problems = _problems(content_copy)
    assert any("unknown activity type 'quiz'" in p for p in problems)
    assert any("a reflection needs an ID" in p for p in problems)
    assert any("is not closed with ':::'" in p for p in problems)


def test_survey_mismatch_between_languages(content_copy):
    _edit(content_copy / "en/survey.toml", "reverse = true", "reverse = false")
    problems = _problems(content_copy)
    assert any("survey.toml" in p and "differs between languages" in p for p in problems)


def test_survey_unknown_subscale_and_bad_answer(content_copy):
    _edit(content_copy / "vi/survey.toml", 'subscale = "blame"', 'subscale = "guilt"')
    _edit(content_copy / "vi/survey.toml", "answer = ", "answer = 9")
    problems = _problems(content_copy)
    assert any("unknown subscale 'guilt'" in p for p in problems)
    assert any("'answer' must be the index of an option" in p for p in problems)


def test_check_command_exits_non_zero_with_file_line_messages(app, runner, content_copy):
    (content_copy / "en" / LESSON).unlink()
    app.config["CONTENT_DIR"] = str(content_copy)
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 1
    assert f"{content_copy}/vi/{LESSON}:1: lesson is missing in en" in result.output


def test_sanitising_removes_scripts_handlers_and_javascript_urls():
    html = render_markdown(
        '<script>alert(1)</script>\n\n<img src="x.png" onerror="alert(2)">\n\n'
        '[click](javascript:alert(3)) <a href="https://ok.example">ok</a>'
    )
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert 'href="https://ok.example"' in html


def test_sync_never_deletes_progress_and_archives_removed_content(app, content_copy, make_user):
    lesson = db.session.scalar(select(Lesson).where(Lesson.key == "what-is-stigma"))
    user = make_user()
    db.session.add_all(
        [
            LessonProgress(user_id=user.id, lesson_id=lesson.id),
            Reflection(user_id=user.id, lesson_id=lesson.id, block_key="k", answer="a"),
        ]
    )
    db.session.commit()
    for lang in ("vi", "en"):
        (content_copy / lang / LESSON).unlink()
    sync_content(content_copy)
    db.session.refresh(lesson)
    assert lesson.archived
    assert db.session.scalar(select(Reflection).where(Reflection.user_id == user.id)).answer == "a"
    assert db.session.scalar(select(LessonProgress).where(LessonProgress.user_id == user.id))
    from lms.config import ROOT

    sync_content(ROOT / "content")  # restoring the file brings the same lesson back
    db.session.refresh(lesson)
    assert not lesson.archived


def test_sync_refuses_invalid_content_and_writes_nothing(app, content_copy):
    before = db.session.scalar(select(Module).where(Module.key == "understanding-stigma")).title_vi
    _edit(content_copy / "vi/modules/01-understanding-stigma/module.md", "title:", "title: ĐỔI\nx:")
    with pytest.raises(ContentError):
        sync_content(content_copy)
    db.session.rollback()
    assert db.session.scalar(select(Module).where(Module.key == "understanding-stigma")).title_vi == before


def test_every_lesson_is_a_real_lesson_in_both_languages():
    """400–900 words, a participatory activity, facilitator notes and cited sources."""
    import re

    from lms.config import ROOT
    from lms.modules.content import PARTICIPATORY

    # \w+ counts Vietnamese syllables, about 1.4 per English word: the same range in syllables
    lengths = {"en": (400, 900), "vi": (560, 1300)}
    modules, _ = parse_toolkit(ROOT / "content")
    for module in modules:
        for docs in module.lessons.values():
            for lang, doc in docs.items():
                words = len(re.findall(r"\w+", " ".join(b.markdown for b in doc.blocks)))
                types = {b.type for b in doc.blocks}
                shortest, longest = lengths[lang]
                assert shortest <= words <= longest, (doc.path, words)
                assert types & PARTICIPATORY, doc.path
                assert {"facilitator-notes", "sources"} <= types, doc.path


def test_stigmatising_words_appear_only_inside_exercises_that_examine_them():
    from lms.config import ROOT

    avoid = {"vi": ["con nghiện", "tệ nạn xã hội", "đối tượng nghiện"], "en": ["addict"]}
    modules, _ = parse_toolkit(ROOT / "content")
    for module in modules:
        for docs in [module.docs, *module.lessons.values()]:
            for lang, doc in docs.items():
                for block in doc.blocks:
                    if block.type in ("words-matter", "scenario", "facilitator-notes", "discussion"):
                        continue
                    text = block.markdown.lower()
                    for word in avoid[lang]:
                        assert word not in text, (doc.path, block.line, word)
