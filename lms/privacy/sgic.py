"""Self-generated identification codes (SGIC): anonymous answers that can still be paired
across survey waves, without an account or a name.

The respondent builds the code from stable facts only they know, answered the same way on
paper and online. The elements follow the kinds of element recommended by Yurek, Vasey and
Sullivan Havens (2008, "The use of self-generated identification codes in longitudinal
research", Evaluation Review 32(5): 435-452) and Schnell, Bachteler and Reiher (2010,
"Improving the use of self-generated identification codes", Evaluation Review 34(5): 391-418):
letters of parents' given names and parts of the birth date, which the respondent knows, does
not change, and answers alike each time; a count of older siblings adds variety.

The code itself is never stored: only keyed hashes (HMAC-SHA256 with a per-programme secret)
of the whole code and of the code with each one element masked. Two codes that differ in
exactly one element share exactly one masked hash, so a tolerant match (one element mistyped
or misremembered) needs no stored code either. Pairing goes exact first, then tolerant; a code
that could pair with more than one answer is called ambiguous and is not paired.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter, defaultdict
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from lms.text import fold

# (name, label, kind): "letter" is one letter A-Z, "number" a number in the range given.
ELEMENTS = (
    ("mother", _l("First letter of your mother's given name"), "letter", None),
    ("father", _l("First letter of your father's given name"), "letter", None),
    ("birth_day", _l("Day of the month you were born (1-31)"), "number", (1, 31)),
    ("birth_month", _l("Month you were born (1-12)"), "number", (1, 12)),
    ("older_siblings", _l("Number of older brothers and sisters (0-9)"), "number", (0, 9)),
)
MASK = "*"


class CodeError(ValueError):
    """An element that cannot be part of a code; the message is translated."""


def _letter(value: str) -> str:
    letters = [c for c in fold((value or "").strip()) if c.isalpha()]
    if not letters or not letters[0].isascii():
        raise CodeError(_l("Please write one letter."))
    return letters[0].upper()


def _number(value: str, low: int, high: int) -> str:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise CodeError(_l("Please write a number.")) from None
    if not low <= number <= high:
        raise CodeError(_l("Please write a number from %(low)s to %(high)s.", low=low, high=high))
    return f"{number:02d}"


def normalise(answers: dict[str, str]) -> tuple[str, ...]:
    """The code's elements in a fixed form ("Đào" -> "D", "3" -> "03"), whatever was written."""
    elements = []
    for name, label, kind, bounds in ELEMENTS:
        value = answers.get(name, "")
        try:
            elements.append(_letter(value) if kind == "letter" else _number(value, *bounds))
        except CodeError as error:
            raise CodeError(f"{label}: {error}") from None
    return tuple(elements)


def _mac(secret: bytes, elements: tuple[str, ...]) -> str:
    return hmac.new(secret, "|".join(elements).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CodeHashes:
    """What is stored of a code: the keyed hash of the whole, and of each one-masked variant."""

    full: str
    masked: tuple[str, ...]


def hash_code(elements: tuple[str, ...], secret: bytes) -> CodeHashes:
    masked = tuple(_mac(secret, elements[:i] + (MASK,) + elements[i + 1 :]) for i in range(len(elements)))
    return CodeHashes(_mac(secret, elements), masked)


# --- Pairing two waves ---------------------------------------------------------------------

EXACT, TOLERANT, AMBIGUOUS, UNMATCHED = "exact", "tolerant", "ambiguous", "unmatched"
QUALITIES = (EXACT, TOLERANT, AMBIGUOUS, UNMATCHED)
QUALITY_LABELS = {
    EXACT: _l("Exact match"),
    TOLERANT: _l("Matched with one element differing"),
    AMBIGUOUS: _l("Ambiguous (not paired)"),
    UNMATCHED: _l("No match"),
}


@dataclass
class Pairing:
    pairs: dict  # earlier id -> later id
    quality: dict  # earlier id -> exact | tolerant | ambiguous | unmatched

    def table(self) -> dict[str, int]:
        """The match-quality table for staff: how many earlier answers paired, and how."""
        counts = Counter(self.quality.values())
        return {quality: counts.get(quality, 0) for quality in QUALITIES}


def pair_waves(earlier: dict, later: dict) -> Pairing:
    """Pair answers of two waves by their code hashes ({id: CodeHashes}).

    Exact: the whole code is the same and no other answer of either wave has it. Tolerant
    (among the rest): the codes differ in one element, and each is the other's only such
    candidate. Anything with more than one candidate is ambiguous and left unpaired, because
    a wrong pair biases change scores more than a lost one.
    """
    pairs, quality = {}, {}
    by_full_earlier, by_full_later = defaultdict(list), defaultdict(list)
    for key, hashes in earlier.items():
        by_full_earlier[hashes.full].append(key)
    for key, hashes in later.items():
        by_full_later[hashes.full].append(key)
    used_later = set()
    for full, keys in by_full_earlier.items():
        partners = by_full_later.get(full, [])
        if len(keys) == 1 and len(partners) == 1:
            pairs[keys[0]] = partners[0]
            quality[keys[0]] = EXACT
            used_later.add(partners[0])
        elif partners:
            for key in keys:
                quality[key] = AMBIGUOUS
            used_later.update(partners)
    rest_earlier = [key for key in earlier if key not in quality]
    rest_later = [key for key in later if key not in used_later]
    index = defaultdict(set)
    for key in rest_later:
        for position, masked in enumerate(later[key].masked):
            index[(position, masked)].add(key)
    candidates = {
        key: set().union(
            *(index.get((position, masked), set()) for position, masked in enumerate(earlier[key].masked))
        )
        for key in rest_earlier
    }
    reverse = defaultdict(set)
    for key, found in candidates.items():
        for other in found:
            reverse[other].add(key)
    for key, found in candidates.items():
        if not found:
            quality[key] = UNMATCHED
        elif len(found) == 1 and len(reverse[next(iter(found))]) == 1:
            pairs[key] = next(iter(found))
            quality[key] = TOLERANT
        else:
            quality[key] = AMBIGUOUS
    return Pairing(pairs, quality)


def programme_secret(config) -> bytes:
    """The per-programme key: SGIC_SECRET if configured, else derived from the app's secret key
    (so the codes of one installation never hash alike in another)."""
    secret = config.get("SGIC_SECRET")
    if secret:
        return secret.encode()
    return hmac.new(str(config["SECRET_KEY"]).encode(), b"sgic", hashlib.sha256).digest()


# --- Stored codes ----------------------------------------------------------------------------


def record_code(response, cohort_id: int, answers: dict[str, str], secret: bytes) -> None:
    """Keep the code written with this survey, as keyed hashes only (no commit). Raises
    CodeError, translated, when an element is not valid."""
    from lms.extensions import db
    from lms.privacy.models import IdentificationCode

    hashes = hash_code(normalise(answers), secret)
    db.session.add(
        IdentificationCode(
            response_id=response.id,
            cohort_id=cohort_id,
            phase=response.phase,
            full=hashes.full,
            masked=",".join(hashes.masked),
        )
    )


def match_quality(cohort_ids, earlier: str, later: str) -> dict[str, int] | None:
    """The match-quality table of two waves of anonymous cohorts (None when no codes): how
    the earlier wave's answers paired with the later wave's. Counts only: never a code."""
    from sqlalchemy import select

    from lms.extensions import db
    from lms.privacy.models import IdentificationCode

    waves: dict[str, dict] = {earlier: {}, later: {}}
    for row in db.session.scalars(
        select(IdentificationCode).where(
            IdentificationCode.cohort_id.in_(cohort_ids), IdentificationCode.phase.in_((earlier, later))
        )
    ):
        # Pairs never cross cohorts: the cohort is part of the key.
        waves[row.phase][row.response_id] = (
            row.cohort_id,
            CodeHashes(row.full, tuple(row.masked.split(","))),
        )
    if not waves[earlier]:
        return None
    table = dict.fromkeys(QUALITIES, 0)
    for cohort_id in {c for c, _h in waves[earlier].values()}:
        pairing = pair_waves(
            {k: h for k, (c, h) in waves[earlier].items() if c == cohort_id},
            {k: h for k, (c, h) in waves[later].items() if c == cohort_id},
        )
        for quality, count in pairing.table().items():
            table[quality] += count
    return table
