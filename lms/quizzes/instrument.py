"""The survey instrument file (content/<lang>/survey.toml): parse, check, and load by version."""

import hashlib
import json
import re
from pathlib import Path

from sqlalchemy import exists, func, select

from lms.extensions import db
from lms.quizzes.models import Answer, DraftAnswer, SurveyItem, SurveyVersion

LANGUAGES = ("vi", "en")
TOP_KEYS = {"title", "intro", "subscales", "vignettes", "items", "policy", "knowledge", "practice"}
SUBSCALE_KEYS = {"id", "title", "description"}
VIGNETTE_KEYS = {"id", "text"}
ITEM_KEYS = {"id", "subscale", "reverse", "audience", "text", "vignette"}
POLICY_KEYS = {"id", "reverse", "audience", "text"}
KNOWLEDGE_KEYS = {"id", "text", "options", "answer", "explanation", "dont_know"}
PRACTICE_KEYS = {"id", "audience", "months", "text"}  # answered in bands: see quizzes.models
MAX_PRACTICE_MONTHS = 12  # a longer recall period is guesswork
OPTIONAL_KEYS = {"reverse", "audience", "vignette", "dont_know"}
AUDIENCES = ("all", "police", "centre_staff", "ngo_cbo")
STRUCTURE = {
    "subscales": ("id",),
    "vignettes": ("id",),
    "items": ("id", "subscale", "reverse", "audience", "vignette"),
    "policy": ("id", "reverse", "audience"),
    "knowledge": ("id", "answer", "dont_know"),
    "practice": ("id", "audience", "months"),
}
# Item kinds by section, in the order items are numbered
SECTIONS = (("likert", "items"), ("policy", "policy"), ("practice", "practice"), ("knowledge", "knowledge"))


def _line_of(path: Path, text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(rf'id\s*=\s*"{re.escape(needle)}"', line):
            return number
    return 1


def parse_instrument(content_dir: Path) -> tuple[dict[str, dict], list[str]]:
    """Both languages' instrument, checked; returns ({lang: data}, problems)."""
    problems: list[str] = []
    import tomllib  # only `content check` and `content sync` read the instrument files

    data: dict[str, dict] = {}
    texts: dict[str, str] = {}
    for lang in LANGUAGES:
        path = content_dir / lang / "survey.toml"
        if not path.is_file():
            problems.append(f"{path}:1: survey instrument is missing")
            continue
        texts[lang] = path.read_text(encoding="utf-8")
        try:
            data[lang] = tomllib.loads(texts[lang])
        except tomllib.TOMLDecodeError as error:
            line = re.search(r"line (\d+)", str(error))
            problems.append(f"{path}:{line.group(1) if line else 1}: not valid TOML: {error}")
    for lang, survey in data.items():
        path = content_dir / lang / "survey.toml"
        _check_one(path, texts[lang], survey, problems)
    if len(data) == 2:
        path = content_dir / "en" / "survey.toml"
        for section, keys in STRUCTURE.items():
            vi = [tuple(e.get(k) for k in keys) for e in data["vi"].get(section, [])]
            en = [tuple(e.get(k) for k in keys) for e in data["en"].get(section, [])]
            for a, b in zip(vi, en, strict=False):
                if a != b:
                    problems.append(
                        f"{path}:{_line_of(path, texts['en'], str(b[0]))}: {section} "
                        f"entry differs between languages (vi: {a}, en: {b})"
                    )
            if len(vi) != len(en):
                problems.append(f"{path}:1: {section} has {len(vi)} entries in vi but {len(en)} in en")
        for vi_k, en_k in zip(data["vi"].get("knowledge", []), data["en"].get("knowledge", []), strict=False):
            if len(vi_k.get("options", [])) != len(en_k.get("options", [])):
                problems.append(
                    f"{path}:{_line_of(path, texts['en'], en_k.get('id', ''))}: "
                    f"{en_k.get('id')} has a different number of options in vi and en"
                )
    return data, problems


def _check_one(path: Path, text: str, survey: dict, problems: list[str]) -> None:
    def report(entry_id, message):
        problems.append(f"{path}:{_line_of(path, text, str(entry_id))}: {message}")

    for key in survey.keys() - TOP_KEYS:
        problems.append(f"{path}:1: unknown key '{key}'")
    for key in ("title", "intro"):
        if not isinstance(survey.get(key), str) or not survey.get(key):
            problems.append(f"{path}:1: '{key}' is missing")
    subscales = {s.get("id") for s in survey.get("subscales", [])}
    vignettes = {v.get("id") for v in survey.get("vignettes", [])}
    seen: set[str] = set()
    for section, allowed in (
        ("subscales", SUBSCALE_KEYS),
        ("vignettes", VIGNETTE_KEYS),
        ("items", ITEM_KEYS),
        ("policy", POLICY_KEYS),
        ("knowledge", KNOWLEDGE_KEYS),
        ("practice", PRACTICE_KEYS),
    ):
        for entry in survey.get(section, []):
            entry_id = entry.get("id")
            if not entry_id:
                problems.append(f"{path}:1: an entry in {section} has no id")
                continue
            if entry_id in seen:
                report(entry_id, f"id '{entry_id}' is used twice")
            seen.add(entry_id)
            for key in entry.keys() - allowed:
                report(entry_id, f"{entry_id}: unknown key '{key}'")
            for key in allowed - entry.keys() - OPTIONAL_KEYS:
                report(entry_id, f"{entry_id}: missing '{key}'")
            if section == "items" and entry.get("subscale") not in subscales:
                report(entry_id, f"{entry_id}: unknown subscale '{entry.get('subscale')}'")
            if section == "items" and "vignette" in entry and entry["vignette"] not in vignettes:
                report(entry_id, f"{entry_id}: unknown vignette '{entry['vignette']}'")
            if section in ("items", "policy"):
                if entry.get("audience", "all") not in AUDIENCES:
                    report(entry_id, f"{entry_id}: unknown audience '{entry.get('audience')}'")
                if not isinstance(entry.get("reverse", False), bool):
                    report(entry_id, f"{entry_id}: 'reverse' must be true or false")
            if section == "knowledge" and not isinstance(entry.get("dont_know", False), bool):
                report(entry_id, f"{entry_id}: 'dont_know' must be true or false")
            if section == "knowledge":
                options = entry.get("options", [])
                if not isinstance(options, list) or len(options) < 2:
                    report(entry_id, f"{entry_id}: needs at least two options")
                elif not isinstance(entry.get("answer"), int) or not 0 <= entry["answer"] < len(options):
                    report(
                        entry_id,
                        f"{entry_id}: 'answer' must be the index of an option (0 to {len(options) - 1})",
                    )
    _check_practice(survey.get("practice", []), report)
    if not survey.get("items"):
        problems.append(f"{path}:1: the attitude scale has no items")


def _check_practice(entries: list[dict], report) -> None:
    """Practice items: each for an audience (its own work), one recall period for the block."""
    periods = set()
    for entry in entries:
        entry_id = entry.get("id")
        if not entry_id:
            continue
        if "audience" not in entry:
            report(entry_id, f"{entry_id}: missing 'audience'")
        elif entry["audience"] not in AUDIENCES:
            report(
                entry_id,
                f"{entry_id}: unknown audience '{entry['audience']}' (known: {', '.join(AUDIENCES)})",
            )
        months = entry.get("months")
        if "months" in entry and (
            not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= MAX_PRACTICE_MONTHS
        ):
            report(
                entry_id,
                f"{entry_id}: 'months' (the recall period) must be a whole number "
                f"from 1 to {MAX_PRACTICE_MONTHS}",
            )
        elif "months" in entry:
            periods.add(months)
        if not isinstance(entry.get("text", ""), str) or not str(entry.get("text")).strip():
            report(entry_id, f"{entry_id}: 'text' must be a question")
    if len(periods) > 1:
        report(
            entries[0].get("id", ""),
            f"practice items must share one recall period ('months'), not {sorted(periods)}",
        )


def _fingerprint(data: dict[str, dict]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _has_answers(version: SurveyVersion) -> bool:
    item_ids = select(SurveyItem.id).where(SurveyItem.version_id == version.id)
    return db.session.scalar(
        select(
            exists().where(Answer.item_id.in_(item_ids)) | exists().where(DraftAnswer.item_id.in_(item_ids))
        )
    )


def sync_instrument(data: dict[str, dict]) -> SurveyVersion:
    """Load the instrument; a change after answers exist makes a new version, otherwise the
    current version is updated in place (fixing a typo before the first workshop is fine)."""
    fingerprint = _fingerprint(data)
    current = current_version()
    if current is not None and current.fingerprint == fingerprint:
        return current
    if current is None or _has_answers(current):
        number = (db.session.scalar(select(func.max(SurveyVersion.number))) or 0) + 1
        current = SurveyVersion(number=number)
        db.session.add(current)
    vi, en = data["vi"], data["en"]
    current.fingerprint = fingerprint
    current.title_vi, current.title_en = vi["title"], en["title"]
    current.intro_vi, current.intro_en = vi["intro"], en["intro"]
    current.subscales = [
        {
            "id": s["id"],
            "title_vi": s["title"],
            "title_en": e["title"],
            "description_vi": s["description"],
            "description_en": e["description"],
        }
        for s, e in zip(vi["subscales"], en["subscales"], strict=True)
    ]
    current.vignettes = [
        {"id": v["id"], "text_vi": v["text"], "text_en": e["text"]}
        for v, e in zip(vi.get("vignettes", []), en.get("vignettes", []), strict=True)
    ] or None
    existing = {item.key: item for item in current.items}
    position = 0
    for kind, section in SECTIONS:
        for v, e in zip(vi.get(section, []), en.get(section, []), strict=True):
            position += 1
            item = existing.pop(v["id"], None) or SurveyItem(version=current, key=v["id"])
            item.kind, item.position, item.text_vi, item.text_en = kind, position, v["text"], e["text"]
            item.subscale, item.vignette = v.get("subscale"), v.get("vignette")
            item.reverse, item.audience = bool(v.get("reverse", False)), v.get("audience", "all")
            item.dont_know = bool(v.get("dont_know", False))
            item.months = v.get("months")
            if kind == "knowledge":
                item.options_vi, item.options_en = v["options"], e["options"]
                item.answer = v["answer"]
                item.explanation_vi, item.explanation_en = v["explanation"], e["explanation"]
            db.session.add(item)
    for stale in existing.values():  # only reachable when no answers exist for this version
        db.session.delete(stale)
    db.session.flush()
    return current


def current_version() -> SurveyVersion | None:
    return db.session.scalar(select(SurveyVersion).order_by(SurveyVersion.number.desc()).limit(1))
