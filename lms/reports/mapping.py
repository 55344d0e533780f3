"""Which column of an uploaded file is what: the mapping step of the historical import.

A file whose headings are the platform's (cohort_name …, A01 …) is recognised as it is; others
("Mã học viên", "Q1" … "Q20", the question's wording) are mapped by the officer, column by
column, and in a long file value by value of its item column. apply() then writes the file in
the platform's own layout, so checking and importing (importer.check_table) stay as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.quizzes.models import SurveyItem, SurveyVersion
from lms.reports.importer import COLUMNS, LONG_COLUMNS
from lms.text import fold, nfc

IGNORE = "ignore"
ITEM = "item:"  # "item:A01": the column holds the answers to question A01
MAX_COLUMNS = 300
MAX_VALUES = 300  # different questions named in a long file's item column
SAMPLES = 3

FIELDS = {
    "cohort_name": _l("Cohort: name"),
    "audience": _l("Cohort: audience"),
    "province": _l("Cohort: province or city"),
    "start_date": _l("Cohort: start date"),
    "trainee_ref": _l("Respondent: trainee code"),
    "org_type": _l("Respondent: organisation type"),
    "phase": _l("Phase (pre or post)"),
    "date": _l("Date of the survey"),
    "item": _l("Long layout: the question"),
    "value": _l("Long layout: the answer"),
}


@dataclass
class Mapping:
    """Per column of the file its target (a field, "item:<ID>" or "ignore"); for a long file,
    per value of its item column the question ID it names (or "ignore")."""

    columns: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"columns": self.columns, "values": self.values}

    @classmethod
    def from_dict(cls, data: dict) -> Mapping:
        return cls(list(data.get("columns") or []), dict(data.get("values") or {}))

    @property
    def long(self) -> bool:
        return "item" in self.columns

    def at(self, target: str) -> int | None:
        return self.columns.index(target) if target in self.columns else None


def _key(text: str) -> str:
    """A heading or wording as compared: no case, accents, spacing or final punctuation."""
    return re.sub(r"\s+", " ", fold(nfc(text or ""))).strip(" .:;?!*").strip()


def _width(table: list[list[str]]) -> int:
    return min(max((len(r) for r in table), default=0), MAX_COLUMNS)


def _cell(row: list, index: int | None) -> str:
    return nfc(str(row[index])) if index is not None and index < len(row) and row[index] is not None else ""


def _field_names() -> dict[str, str]:
    """Heading (compared) -> field: the field's name and its label in both languages."""
    names = {}
    for lang in ("en", "vi"):
        with force_locale(lang):
            names |= {_key(str(label)): name for name, label in FIELDS.items()}
    names |= {_key(name): name for name in FIELDS}
    return names


def _item_names(version: SurveyVersion) -> dict[str, str]:
    """Heading or value (compared) -> question ID: its ID and its wording in both languages;
    a wording shared by two questions recognises neither."""
    found: dict[str, set[str]] = {}
    for item in version.items:
        for name in (item.key, item.text_vi, item.text_en):
            if name:
                found.setdefault(_key(name), set()).add(item.key)
    return {name: next(iter(keys)) for name, keys in found.items() if len(keys) == 1}


def headings(table: list[list[str]]) -> list[str]:
    return [_cell(table[0], i) for i in range(_width(table))] if table else []


def samples(table: list[list[str]]) -> list[list[str]]:
    """A few different values of every column, to recognise it by."""
    found: list[list[str]] = [[] for _ in range(_width(table))]
    for row in table[1:]:
        for index, values in enumerate(found):
            value = _cell(row, index)
            if value and value not in values and len(values) < SAMPLES:
                values.append(value[:60])
        if all(len(v) == SAMPLES for v in found):
            break
    return found


def item_values(table: list[list[str]], mapping: Mapping) -> list[str]:
    """The different values of a long file's item column, in the file's order."""
    at = mapping.at("item")
    if at is None:
        return []
    values = dict.fromkeys(_cell(row, at) for row in table[1:])
    values.pop("", None)
    return list(values)


def guess(table: list[list[str]], version: SurveyVersion) -> Mapping:
    """The mapping the headings (and a long file's item values) suggest."""
    fields, items = _field_names(), _item_names(version)
    mapping = Mapping()
    for heading in headings(table):
        name = _key(heading)
        target = fields.get(name) or (ITEM + items[name] if name in items else IGNORE)
        mapping.columns.append(target if target not in mapping.columns else IGNORE)
    mapping.values = recognise(item_values(table, mapping), version)
    return mapping


def recognise(values: list[str], version: SurveyVersion) -> dict[str, str]:
    """Value of a long file's item column -> the question ID it names ("" when not known)."""
    items = _item_names(version)
    return {value: items.get(_key(value), "") for value in values}


def unrecognised(table: list[list[str]], mapping: Mapping) -> list[str]:
    """Headings of the columns left out although they hold something."""
    names, values = headings(table), samples(table)
    return [
        names[i] or _("column %(n)s", n=i + 1)
        for i, target in enumerate(mapping.columns)
        if target == IGNORE and (names[i] or values[i])
    ]


def label(target: str) -> str:
    if target.startswith(ITEM):
        return target[len(ITEM) :]
    return str(FIELDS.get(target, target))


def targets(version: SurveyVersion, lang: str) -> list[tuple[str, str]]:
    """Every choice for a column: ignore, the fields, then each question with its wording,
    keying, kind and the numbers its answers are written with."""
    return [
        (IGNORE, _("— ignore this column —")),
        *((name, str(text)) for name, text in FIELDS.items()),
        *((ITEM + item.key, describe(item, lang)) for item in version.items),
    ]


def value_targets(version: SurveyVersion, lang: str) -> list[tuple[str, str]]:
    return [
        ("", _("— choose the question —")),
        (IGNORE, _("— ignore these rows —")),
        *((item.key, describe(item, lang)) for item in version.items),
    ]


def describe(item: SurveyItem, lang: str) -> str:
    if item.kind == "knowledge":
        kind = _("knowledge, option %(first)s–%(last)s", first=1, last=len(item.allowed_values()))
    elif item.kind == "policy":
        kind = _("policy, 1–5 or 0")
    else:
        kind = _("attitude, 1–5")
    keying = _("reverse") if item.reverse else _("normal")
    text = item.text("text", lang) or ""
    if len(text) > 90:
        text = text[:89] + "…"
    return f"{item.key} — {text} ({kind}; {keying})"


def check(table: list[list[str]], version: SurveyVersion, mapping: Mapping) -> list[str]:
    """Every problem of a mapping, in words; none means apply() may run."""
    problems: list[str] = []
    width, names = _width(table), headings(table)
    if any(len(r) > MAX_COLUMNS and any(r[MAX_COLUMNS:]) for r in table):
        return [_("The file has more than %(n)s columns.", n=MAX_COLUMNS)]
    allowed = {t for t, _text in targets(version, "vi")}
    if len(mapping.columns) != width or any(t not in allowed for t in mapping.columns):
        return [_("The mapping does not fit this file. Please choose again for every column.")]

    def column(index: int) -> str:
        return names[index] or _("column %(n)s", n=index + 1)

    chosen: dict[str, list[int]] = {}
    for index, target in enumerate(mapping.columns):
        if target != IGNORE:
            chosen.setdefault(target, []).append(index)
    for target, indexes in chosen.items():
        if len(indexes) > 1:
            problems.append(
                _(
                    "%(target)s is chosen for more than one column: %(columns)s.",
                    target=label(target),
                    columns=", ".join(column(i) for i in indexes),
                )
            )
    for name in COLUMNS:
        if name not in chosen:
            problems.append(_("No column is mapped to “%(target)s”.", target=label(name)))
    questions = [t for t in chosen if t.startswith(ITEM)]
    long = [name for name in LONG_COLUMNS if name in chosen]
    if questions and long:
        problems.append(
            _(
                "A file is either wide (one column per question) or long (a column "
                "naming the question and one with the answer), not both."
            )
        )
    elif long and len(long) == 1:
        problems.append(
            _("A long file needs both “%(item)s” and “%(value)s”.", item=label("item"), value=label("value"))
        )
    elif not questions and not long:
        problems.append(_("No column is mapped to a question."))
    if len(long) == 2 and not questions:
        problems += _check_values(table, version, mapping)
    return problems


def _check_values(table, version, mapping: Mapping) -> list[str]:
    values = item_values(table, mapping)
    if len(values) > MAX_VALUES:
        return [
            _(
                "The question column has more than %(n)s different values: is it the right column?",
                n=MAX_VALUES,
            )
        ]
    problems, keys = [], {item.key for item in version.items}
    by_item: dict[str, list[str]] = {}
    for value in values:
        target = mapping.values.get(value, "")
        if target == IGNORE:
            continue
        if target not in keys:
            problems.append(
                _("Choose the question that “%(value)s” stands for (or ignore its rows).", value=value[:80])
            )
        else:
            by_item.setdefault(target, []).append(value)
    for key, names in by_item.items():
        if len(names) > 1:
            problems.append(
                _(
                    "%(item)s is chosen for more than one value: %(values)s.",
                    item=key,
                    values=", ".join(f"“{v[:40]}”" for v in names),
                )
            )
    return problems


def apply(table: list[list[str]], mapping: Mapping) -> list[list[str]]:
    """The file in the platform's layout (headings cohort_name … A01 …, or … item, value),
    rows in place so that row numbers stay those of the file; a long file's rows about an
    ignored question become empty (and are skipped)."""
    if mapping.long:
        header = [*COLUMNS, *LONG_COLUMNS]
        at = [mapping.at(name) for name in header]
        out = [header]
        for row in table[1:]:
            cells = [_cell(row, i) for i in at]
            key = mapping.values.get(cells[-2], "") if cells[-2] else ""
            out.append([""] * len(header) if key == IGNORE else [*cells[:-2], key, cells[-1]])
        return out
    at = {name: mapping.at(name) for name in COLUMNS}
    questions = [(t[len(ITEM) :], i) for i, t in enumerate(mapping.columns) if t.startswith(ITEM)]
    out = [[*COLUMNS, *(key for key, _i in questions)]]
    for row in table[1:]:
        out.append([*(_cell(row, at[name]) for name in COLUMNS), *(_cell(row, i) for _name, i in questions)])
    return out


def sources(table: list[list[str]], mapping: Mapping) -> dict[str, str]:
    """Question ID -> what the file called it (a heading, or values of the item column)."""
    if mapping.long:
        found: dict[str, list[str]] = {}
        for value, key in mapping.values.items():
            if key != IGNORE:
                found.setdefault(key, []).append(value)
        return {key: ", ".join(names) for key, names in found.items()}
    names = headings(table)
    return {t[len(ITEM) :]: names[i] for i, t in enumerate(mapping.columns) if t.startswith(ITEM)}
