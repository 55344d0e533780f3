"""Language errors found by the content review (2026-11), pinned away in every lesson, module page,
printable material and the survey instrument.

The checks read the parsed toolkit, so a lesson or material added later is checked as soon as it exists.
"""

import re
from pathlib import Path

import pytest

from lms.config import ROOT
from lms.modules.content import Document, parse_materials, parse_toolkit
from lms.quizzes.instrument import parse_instrument

# Modules seen by police or centre staff: there the reader is "anh/chị", never "bạn" (GLOSSARY).
POLICE_OR_CENTRE = {"all", "police", "centre_staff"}

# Text between quotation marks is someone speaking (a character in a scenario, a phrase being
# examined), not the lesson addressing its reader, so the register check leaves it out.
QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”')
# "bạn" as a pronoun for the reader; not the noun in "bạn tình", "bạn đồng đẳng", "một người bạn"…
BAN_AS_ADDRESS = re.compile(
    r"(?<!\w)(?<!người )(?<!kết )(?<!làm )bạn(?!\w)"
    r"(?! (?:tình|bè|đồng đẳng|đồng hành|thân|đời|trai|gái|học|cùng|hữu|trẻ)(?!\w))",
    re.IGNORECASE,
)

SENTENCE_END = re.compile(r"[.!?;\n]")
CITATION = re.compile(r"\([^)]*\)")  # "(ISDS, 2011)" dates the source, not the claim
# Vietnamese has no tense: a claim is about the past only when it carries a time marker.
PAST_MARKER_VI = re.compile(
    r"(?<!\d)(19[89]\d|200\d|201[0-2])(?!\d)|từng|trước đây|thời kỳ đầu", re.IGNORECASE
)
MAINLY_INJECTING_VI = re.compile(
    r"(lây|lan|truyền)[^.;]{0,30}(chủ yếu|trước hết|phần lớn)[^.;]{0,20}qua[^.;]{0,30}"
    r"(tiêm chích|dùng chung)|(tiêm chích|dùng chung)[^.;]{0,60}(động lực|nguyên nhân) chính",
    re.IGNORECASE,
)
MAINLY_INJECTING_EN = re.compile(
    r"\b(spreads|is spread|is spreading|is transmitted|passes|is passed on)\b[^.;]{0,30}"
    r"\b(mainly|mostly|chiefly|primarily|largely|first of all)\b[^.;]{0,40}(inject|needle|syringe)"
    r"|(inject|needle|syringe)[^.;]{0,60}\b(is|are|remains|has been) (a|the) "
    r"(main|major|chief|key|leading) driver",
    re.IGNORECASE,
)


def _documents(
    lang: str, audiences: set[str] | None = None, content: Path = ROOT / "content"
) -> list[tuple[Document, str]]:
    """Every module page and lesson in one language, with its title, summary and body as text."""
    modules, problems = parse_toolkit(content)
    assert problems == []
    found = []
    for module in modules:
        module_audiences = {a.strip() for a in module.docs[lang].meta["audiences"].split(",")}
        if audiences is not None and not module_audiences & audiences:
            continue
        for doc in [module.docs[lang], *(docs[lang] for docs in module.lessons.values())]:
            text = "\n".join(
                [
                    doc.meta.get("title", ""),
                    doc.meta.get("summary", ""),
                    *(block.markdown for block in doc.blocks),
                ]
            )
            found.append((doc, text))
    return found


def _strings(value) -> list[str]:
    """Every string in a parsed TOML value (texts, options, descriptions), in file order."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _texts(lang: str, content: Path = ROOT / "content") -> list[tuple[str, str]]:
    """(where, text) for everything a trainee or facilitator reads in one language: module pages
    and lessons, each printable material, and each entry of the survey instrument."""
    found = [(str(doc.path), text) for doc, text in _documents(lang, content=content)]
    problems: list[str] = []
    for docs in parse_materials(content, problems).values():
        if lang in docs:
            doc = docs[lang]
            found.append(
                (str(doc.path), "\n".join([doc.meta.get("title", ""), *(b.markdown for b in doc.blocks)]))
            )
    survey, survey_problems = parse_instrument(content)
    assert problems + survey_problems == []
    path = str(content / lang / "survey.toml")
    for section, value in survey[lang].items():
        entries = value if isinstance(value, list) else [value]
        found += [
            (
                f"{path} {section} {entry.get('id', '') if isinstance(entry, dict) else ''}",
                "\n".join(_strings(entry)),
            )
            for entry in entries
        ]
    return found


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def _wrong_proverb(texts):
    return [where for where, text in texts if "chỉ đường cho hươu" in text.lower()]


def _tam_giu_for_diversion(texts):
    return [
        (where, sentence)
        for where, text in texts
        for sentence in _sentences(text)
        if "tạm giữ" in sentence.lower()
        and re.search(r"thay vì|chuyển gửi|chuyển hướng", sentence, re.IGNORECASE)
    ]


def _nonstandard_plhiv(texts):
    return [
        (where, match.group(0))
        for where, text in texts
        for match in re.finditer(r".{0,20}sống với HIV", text, re.IGNORECASE)
    ]


def _mainly_injecting_today(texts_vi, texts_en):
    wrong_vi = [
        (where, sentence)
        for where, text in texts_vi
        for sentence in _sentences(text)
        if MAINLY_INJECTING_VI.search(sentence) and not PAST_MARKER_VI.search(CITATION.sub("", sentence))
    ]
    wrong_en = [
        (where, sentence)
        for where, text in texts_en
        for sentence in _sentences(text)
        if MAINLY_INJECTING_EN.search(sentence)
    ]
    return wrong_vi + wrong_en


def test_the_deer_proverb_is_quoted_as_vietnamese_says_it():
    """ "vẽ đường cho hươu chạy", never the misquoted "chỉ đường cho hươu chạy"."""
    assert _wrong_proverb(_texts("vi")) == []


def test_diversion_is_never_called_tam_giu():
    """ "Tạm giữ" is short police custody; the pilot diverted people from compulsory rehabilitation.

    "Tạm giữ" stays allowed where custody itself is meant (care in custody), so only a sentence
    that also speaks of referral or "instead of" is flagged.
    """
    assert _tam_giu_for_diversion(_texts("vi")) == []


def test_people_living_with_hiv_is_the_standard_term():
    """ "người sống chung với HIV" (or "người có HIV"), not "người sống với HIV"."""
    assert _nonstandard_plhiv(_texts("vi")) == []


def test_hiv_is_not_said_to_spread_mainly_through_injecting_today():
    """That was true until about 2012; new infections are now mainly sexual (FACTS-2026 §6)."""
    assert _mainly_injecting_today(_texts("vi"), _texts("en")) == []


# Each error, put back into a printable material or into a survey entry, is found there.
PUT_BACK = {
    "proverb": ("vi", "Làm vậy là chỉ đường cho hươu chạy.", _wrong_proverb),
    "tam_giu": ("vi", "Chuyển gửi người đó đi điều trị thay vì tạm giữ.", _tam_giu_for_diversion),
    "plhiv": ("vi", "Hãy tôn trọng người sống với HIV.", _nonstandard_plhiv),
    "injecting_vi": ("vi", "Ở Việt Nam, HIV lây chủ yếu qua tiêm chích ma túy.", None),
    "injecting_en": ("en", "In Vietnam HIV spreads mainly through injecting drugs.", None),
}


@pytest.mark.parametrize("where", ["material", "survey"])
@pytest.mark.parametrize("error", sorted(PUT_BACK))
def test_an_error_put_back_in_a_material_or_the_survey_is_found(content_copy, error, where):
    lang, sentence, check = PUT_BACK[error]
    if where == "material":
        target = sorted((content_copy / lang / "materials").glob("*.md"))[0]
        text = target.read_text(encoding="utf-8").replace("\n::: card\n", f"\n::: card\n{sentence} ", 1)
    else:
        target = content_copy / lang / "survey.toml"
        text = target.read_text(encoding="utf-8").replace('text = "', f'text = "{sentence} ', 1)
    assert sentence in text
    target.write_text(text, encoding="utf-8")
    if check is None:
        found = _mainly_injecting_today(_texts("vi", content_copy), _texts("en", content_copy))
    else:
        found = check(_texts(lang, content_copy))
    assert len(found) == 1
    assert str(target) in (found[0] if isinstance(found[0], str) else found[0][0])


def test_police_and_centre_staff_are_addressed_as_anh_chi():
    """No "bạn" for the reader in any module police or centre staff take (the NGO module may)."""
    wrong = []
    for doc, text in _documents("vi", POLICE_OR_CENTRE):
        for line in QUOTED.sub("", text).splitlines():
            if BAN_AS_ADDRESS.search(line):
                wrong.append((doc.path.name, line.strip()[:80]))
    assert wrong == []


def test_the_register_check_tells_address_from_nouns_and_quotes():
    """The pattern above flags the pronoun only, so the register test can fail for the right reason."""
    assert BAN_AS_ADDRESS.search("Ở phường bạn, ai cần nghe?")
    assert BAN_AS_ADDRESS.search("Bạn sẽ làm gì?")
    for fine in ("người vợ và bạn tình", "gia đình, bạn đồng đẳng", "một người bạn rủ chị", "một bạn trẻ"):
        assert not BAN_AS_ADDRESS.search(fine), fine
    assert not BAN_AS_ADDRESS.search(QUOTED.sub("", 'Khang hỏi: "Bạn có giúp mình không?"'))
