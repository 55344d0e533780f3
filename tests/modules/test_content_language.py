"""Language errors found by the content review (2026-11), pinned away in every lesson and module page.

The checks read the parsed toolkit, so a lesson added later is checked as soon as it exists.
"""

import re

from lms.config import ROOT
from lms.modules.content import Document, parse_toolkit

# Modules seen by police or centre staff: there the reader is "anh/chị", never "bạn" (GLOSSARY).
POLICE_OR_CENTRE = {"all", "police", "centre_staff"}

# Text between quotation marks is someone speaking (a character in a scenario, a phrase being
# examined), not the lesson addressing its reader, so the register check leaves it out.
QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”')
# "bạn" as a pronoun for the reader; not the noun in "bạn tình", "bạn đồng đẳng", "một người bạn"…
BAN_AS_ADDRESS = re.compile(
    r"(?<!\w)(?<!người )(?<!kết )(?<!làm )bạn(?!\w)"
    r"(?! (?:tình|bè|đồng đẳng|đồng hành|thân|đời|trai|gái|học|cùng|hữu|trẻ)(?!\w))",
    re.IGNORECASE)

SENTENCE_END = re.compile(r"[.!?;\n]")
CITATION = re.compile(r"\([^)]*\)")  # "(ISDS, 2011)" dates the source, not the claim
# Vietnamese has no tense: a claim is about the past only when it carries a time marker.
PAST_MARKER_VI = re.compile(r"(?<!\d)(19[89]\d|200\d|201[0-2])(?!\d)|từng|trước đây|thời kỳ đầu",
                            re.IGNORECASE)
MAINLY_INJECTING_VI = re.compile(
    r"(lây|lan|truyền)[^.;]{0,30}(chủ yếu|trước hết|phần lớn)[^.;]{0,20}qua[^.;]{0,30}"
    r"(tiêm chích|dùng chung)|(tiêm chích|dùng chung)[^.;]{0,60}(động lực|nguyên nhân) chính",
    re.IGNORECASE)
MAINLY_INJECTING_EN = re.compile(
    r"\b(spreads|is spread|is spreading|is transmitted|passes|is passed on)\b[^.;]{0,30}"
    r"\b(mainly|mostly|chiefly|primarily|largely|first of all)\b[^.;]{0,40}(inject|needle|syringe)"
    r"|(inject|needle|syringe)[^.;]{0,60}\b(is|are|remains|has been) (a|the) "
    r"(main|major|chief|key|leading) driver",
    re.IGNORECASE)


def _documents(lang: str, audiences: set[str] | None = None) -> list[tuple[Document, str]]:
    """Every module page and lesson in one language, with its title, summary and body as text."""
    modules, problems = parse_toolkit(ROOT / "content")
    assert problems == []
    found = []
    for module in modules:
        module_audiences = {a.strip() for a in module.docs[lang].meta["audiences"].split(",")}
        if audiences is not None and not module_audiences & audiences:
            continue
        for doc in [module.docs[lang], *(docs[lang] for docs in module.lessons.values())]:
            text = "\n".join([doc.meta.get("title", ""), doc.meta.get("summary", ""),
                              *(block.markdown for block in doc.blocks)])
            found.append((doc, text))
    return found


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def test_the_deer_proverb_is_quoted_as_vietnamese_says_it():
    """"vẽ đường cho hươu chạy", never the misquoted "chỉ đường cho hươu chạy"."""
    wrong = [doc.path for doc, text in _documents("vi") if "chỉ đường cho hươu" in text.lower()]
    assert wrong == []


def test_diversion_is_never_called_tam_giu():
    """"Tạm giữ" is short police custody; the pilot diverted people from compulsory rehabilitation.

    "Tạm giữ" stays allowed where custody itself is meant (care in custody), so only a sentence
    that also speaks of referral or "instead of" is flagged.
    """
    wrong = [(doc.path, sentence) for doc, text in _documents("vi") for sentence in _sentences(text)
             if "tạm giữ" in sentence.lower()
             and re.search(r"thay vì|chuyển gửi|chuyển hướng", sentence, re.IGNORECASE)]
    assert wrong == []


def test_people_living_with_hiv_is_the_standard_term():
    """"người sống chung với HIV" (or "người có HIV"), not "người sống với HIV"."""
    wrong = [(doc.path, match.group(0)) for doc, text in _documents("vi")
             for match in re.finditer(r".{0,20}sống với HIV", text, re.IGNORECASE)]
    assert wrong == []


def test_hiv_is_not_said_to_spread_mainly_through_injecting_today():
    """That was true until about 2012; new infections are now mainly sexual (FACTS-2026 §6)."""
    wrong_vi = [(doc.path, sentence) for doc, text in _documents("vi")
                for sentence in _sentences(text)
                if MAINLY_INJECTING_VI.search(sentence)
                and not PAST_MARKER_VI.search(CITATION.sub("", sentence))]
    wrong_en = [(doc.path, sentence) for doc, text in _documents("en")
                for sentence in _sentences(text) if MAINLY_INJECTING_EN.search(sentence)]
    assert wrong_vi + wrong_en == []


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
    for fine in ("người vợ và bạn tình", "gia đình, bạn đồng đẳng", "một người bạn rủ chị",
                 "một bạn trẻ"):
        assert not BAN_AS_ADDRESS.search(fine), fine
    assert not BAN_AS_ADDRESS.search(QUOTED.sub("", 'Khang hỏi: "Bạn có giúp mình không?"'))
