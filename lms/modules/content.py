"""The one place that knows the toolkit file format (content/FORMAT.md): parse, check, render.

Parsing returns plain dataclasses and a list of problems (`file:line: message`); nothing here
touches the database, so `content check` runs without one and `sync` reuses the same parse.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import nh3

LANGUAGES = ("vi", "en")
BLOCK_TYPES = (
    "key-facts",
    "scenario",
    "reflection",
    "discussion",
    "facilitator-notes",
    "words-matter",
    "sources",
)
PARTICIPATORY = {"scenario", "reflection", "discussion", "words-matter"}
AUDIENCE_CODES = ("all", "police", "centre_staff", "ngo_cbo")
MODULE_KEYS = {"id", "order", "audiences", "title", "summary"}
LESSON_KEYS = {"id", "order", "minutes", "required", "title"}
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
BLOCK_OPEN = re.compile(r"^:::\s*([a-z-]+)(?:\s+(\S+))?\s*$")
# Printable materials (content/<lang>/materials/<id>.md): cards and templates for activities
MATERIAL_KEYS = {"id", "kind", "title"}
MATERIAL_KINDS = ("situation-cards", "role-cards", "picture-codes", "problem-tree")
MATERIAL_BLOCK_TYPES = ("card", "box")  # a card to cut out; a box to write in
MATERIAL_SCHEME = "material:"  # [situation cards](material:risk-situation-cards)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "b",
    "i",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
    "img",
    "code",
    "pre",
    "sup",
    "sub",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
}


@dataclass
class Block:
    type: str  # "text" for prose between activities
    id: str | None
    markdown: str
    line: int


@dataclass
class Document:
    path: Path
    meta: dict[str, str]
    meta_lines: dict[str, int]
    blocks: list[Block]
    body_line: int

    @property
    def key(self) -> str:
        return self.meta.get("id", "")


@dataclass
class ParsedModule:
    folder: str
    docs: dict[str, Document]  # lang -> module.md
    lessons: dict[str, dict[str, Document]] = field(default_factory=dict)  # filename -> lang -> doc


def sanitise(html: str) -> str:
    """Strip anything active from rendered Markdown, whoever wrote the file."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def render_markdown(text: str) -> str:
    import markdown  # loaded on first use (content sync, a materials page), not at start-up

    return sanitise(markdown.markdown(text, extensions=["tables", "sane_lists"]))


def parse_document(path: Path, problems: list[str], block_types=BLOCK_TYPES) -> Document:
    """Front matter and activity blocks of one file; problems are appended, not raised."""
    lines = path.read_text(encoding="utf-8").splitlines()
    meta: dict[str, str] = {}
    meta_lines: dict[str, int] = {}
    body_start = 0
    if lines and lines[0].strip() == "---":
        for number, line in enumerate(lines[1:], start=2):
            if line.strip() == "---":
                body_start = number
                break
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, sep, value = line.partition(":")
            if not sep:
                problems.append(f"{path}:{number}: front matter line is not 'key: value'")
                continue
            value = re.sub(r"\s+#.*$", "", value).strip()
            meta[key.strip()], meta_lines[key.strip()] = value, number
        else:
            problems.append(f"{path}:1: front matter is not closed with '---'")
    else:
        problems.append(f"{path}:1: file must start with a front matter block ('---')")
    blocks: list[Block] = []
    current: Block | None = None
    prose: list[str] = []
    prose_line = body_start + 1

    def flush_prose():
        if "".join(prose).strip():
            blocks.append(Block("text", None, "\n".join(prose), prose_line))
        prose.clear()

    for number, line in enumerate(lines[body_start:], start=body_start + 1):
        opening = BLOCK_OPEN.match(line.strip())
        if current is None and opening:
            flush_prose()
            block_type, block_id = opening.groups()
            if block_type not in block_types:
                problems.append(
                    f"{path}:{number}: unknown activity type '{block_type}' (known: {', '.join(block_types)})"
                )
            current = Block(block_type, block_id, "", number)
        elif current is not None and line.strip() == ":::":
            blocks.append(current)
            current, prose_line = None, number + 1
        elif current is not None:
            if opening:
                problems.append(
                    f"{path}:{number}: activity blocks cannot be nested "
                    f"(close '{current.type}' from line {current.line} first)"
                )
            current.markdown += line + "\n"
        else:
            if not prose:
                prose_line = number
            prose.append(line)
    if current is not None:
        problems.append(f"{path}:{current.line}: activity block '{current.type}' is not closed with ':::'")
        blocks.append(current)
    flush_prose()
    return Document(path, meta, meta_lines, blocks, body_start + 1)


def _int(doc: Document, key: str, problems: list[str]) -> int | None:
    value = doc.meta.get(key)
    if value is None:
        return None
    if not value.isdigit():
        problems.append(f"{doc.path}:{doc.meta_lines[key]}: '{key}' must be a whole number")
        return None
    return int(value)


def _check_meta(doc: Document, allowed: set[str], problems: list[str]) -> None:
    for key in doc.meta:
        if key not in allowed:
            problems.append(
                f"{doc.path}:{doc.meta_lines[key]}: unknown metadata '{key}' "
                f"(allowed: {', '.join(sorted(allowed))})"
            )
    for key in sorted(allowed - doc.meta.keys()):
        problems.append(f"{doc.path}:1: missing metadata '{key}'")
    if "id" in doc.meta and not ID_PATTERN.match(doc.key):
        problems.append(
            f"{doc.path}:{doc.meta_lines['id']}: id '{doc.key}' must be lowercase letters, digits and hyphens"
        )


def structure(doc: Document) -> dict:
    """The fields that must be identical in every language."""
    keys = ("id", "order", "audiences", "minutes", "required", "kind")
    fields = {k: doc.meta.get(k, "").replace(" ", "") for k in keys if k in doc.meta}
    fields["activities"] = [(b.type, b.id) for b in doc.blocks if b.type != "text"]
    return fields


def _check_lesson(doc: Document, problems: list[str]) -> None:
    _check_meta(doc, LESSON_KEYS, problems)
    _int(doc, "order", problems)
    _int(doc, "minutes", problems)
    if doc.meta.get("required", "true") not in {"true", "false"}:
        problems.append(f"{doc.path}:{doc.meta_lines['required']}: 'required' must be true or false")
    seen: set[str] = set()
    for block in doc.blocks:
        if block.type == "reflection":
            if not block.id:
                problems.append(f"{doc.path}:{block.line}: a reflection needs an ID ('::: reflection my-id')")
            elif block.id in seen:
                problems.append(
                    f"{doc.path}:{block.line}: reflection ID '{block.id}' is used twice in this lesson"
                )
            seen.add(block.id or "")
    if not any(b.type in PARTICIPATORY for b in doc.blocks):
        problems.append(
            f"{doc.path}:{doc.body_line}: a lesson needs at least one participatory "
            f"activity ({', '.join(sorted(PARTICIPATORY))})"
        )


def _check_links(doc: Document, problems: list[str]) -> None:
    for block in doc.blocks:
        for offset, line in enumerate(block.markdown.splitlines()):
            for target in LINK.findall(line):
                if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                    if target.lower().startswith("javascript:"):
                        problems.append(
                            f"{doc.path}:{block.line + offset}: javascript: links are not allowed"
                        )
                    continue
                if not (doc.path.parent / target.split("#")[0]).resolve().is_file():
                    problems.append(
                        f"{doc.path}:{block.line + offset + (block.type != 'text')}: "
                        f"broken link or image '{target}'"
                    )


def _compare(docs: dict[str, Document], problems: list[str]) -> None:
    reference = structure(docs["vi"])
    other = structure(docs["en"])
    for key in sorted(reference.keys() | other.keys()):
        if reference.get(key) != other.get(key):
            where = docs["en"].meta_lines.get(key, 1)
            problems.append(
                f"{docs['en'].path}:{where}: '{key}' differs between languages "
                f"(vi: {reference.get(key)!r}, en: {other.get(key)!r})"
            )


def parse_toolkit(content_dir: Path) -> tuple[list[ParsedModule], list[str]]:
    """Parse and check both languages; returns modules (in order) and problems."""
    problems: list[str] = []
    roots = {lang: content_dir / lang / "modules" for lang in LANGUAGES}
    folders = {
        lang: {p.name for p in root.iterdir() if p.is_dir()} if root.is_dir() else set()
        for lang, root in roots.items()
    }
    modules: list[ParsedModule] = []
    for folder in sorted(folders["vi"] | folders["en"]):
        missing = [lang for lang in LANGUAGES if folder not in folders[lang]]
        if missing:
            present = next(lang for lang in LANGUAGES if lang not in missing)
            problems.append(f"{roots[present] / folder}:1: module folder is missing in {', '.join(missing)}")
            continue
        docs: dict[str, Document] = {}
        for lang in LANGUAGES:
            path = roots[lang] / folder / "module.md"
            if not path.is_file():
                problems.append(f"{path}:1: module.md is missing")
                continue
            doc = docs[lang] = parse_document(path, problems)
            _check_meta(doc, MODULE_KEYS, problems)
            _int(doc, "order", problems)
            unknown = set(doc.meta.get("audiences", "").replace(" ", "").split(",")) - set(AUDIENCE_CODES)
            if "audiences" in doc.meta and unknown:
                problems.append(
                    f"{path}:{doc.meta_lines['audiences']}: unknown audience "
                    f"{', '.join(sorted(unknown))} (known: {', '.join(AUDIENCE_CODES)})"
                )
        if len(docs) < 2:
            continue
        _compare(docs, problems)
        module = ParsedModule(folder, docs)
        names = {
            lang: {p.name for p in (roots[lang] / folder).glob("*.md")} - {"module.md"} for lang in LANGUAGES
        }
        for name in sorted(names["vi"] | names["en"]):
            missing = [lang for lang in LANGUAGES if name not in names[lang]]
            if missing:
                present = next(lang for lang in LANGUAGES if lang not in missing)
                problems.append(
                    f"{roots[present] / folder / name}:1: lesson is missing in {', '.join(missing)}"
                )
                continue
            lesson_docs = {}
            for lang in LANGUAGES:
                lesson_docs[lang] = parse_document(roots[lang] / folder / name, problems)
                _check_lesson(lesson_docs[lang], problems)
                _check_links(lesson_docs[lang], problems)
            _compare(lesson_docs, problems)
            module.lessons[name] = lesson_docs
        if not module.lessons:
            problems.append(f"{roots['vi'] / folder}:1: module has no lessons")
        modules.append(module)
    _check_unique_ids(modules, problems)
    check_material_links(modules, parse_materials(content_dir, problems), problems)
    modules.sort(
        key=lambda m: (
            int(m.docs["vi"].meta.get("order", "0") or 0)
            if m.docs["vi"].meta.get("order", "").isdigit()
            else 0
        )
    )
    return modules, problems


def _check_unique_ids(modules: list[ParsedModule], problems: list[str]) -> None:
    seen: dict[str, Path] = {}
    for module in modules:
        for doc in [module.docs["vi"], *(docs["vi"] for docs in module.lessons.values())]:
            if doc.key in seen:
                problems.append(
                    f"{doc.path}:{doc.meta_lines.get('id', 1)}: id '{doc.key}' is "
                    f"already used by {seen[doc.key]}"
                )
            seen.setdefault(doc.key, doc.path)


def render_blocks(doc: Document, lesson_urls: dict[Path, str], image_url) -> list[dict]:
    """Sanitised HTML per block, with lesson links and images pointed at the app's URLs."""

    def rewrite(match: re.Match) -> str:
        text, target = match.group(0), match.group(1)
        if target.startswith(MATERIAL_SCHEME):
            return text.replace(target, material_url(doc, target))
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            return text
        resolved = (doc.path.parent / target.split("#")[0]).resolve()
        if resolved in lesson_urls:
            return text.replace(target, lesson_urls[resolved])
        return text.replace(target, image_url(resolved))

    return [
        {"type": b.type, "id": b.id, "html": render_markdown(LINK.sub(rewrite, b.markdown))}
        for b in doc.blocks
    ]


def _check_material(doc: Document, problems: list[str]) -> None:
    _check_meta(doc, MATERIAL_KEYS, problems)
    if doc.key and doc.path.stem != doc.key:
        problems.append(
            f"{doc.path}:{doc.meta_lines.get('id', 1)}: a material's file name must "
            f"be its id ('{doc.key}.md')"
        )
    if "kind" in doc.meta and doc.meta["kind"] not in MATERIAL_KINDS:
        problems.append(
            f"{doc.path}:{doc.meta_lines['kind']}: unknown kind "
            f"'{doc.meta['kind']}' (known: {', '.join(MATERIAL_KINDS)})"
        )
    if not any(b.type in MATERIAL_BLOCK_TYPES for b in doc.blocks):
        problems.append(
            f"{doc.path}:{doc.body_line}: a material needs at least one '::: card' or '::: box' block"
        )


def parse_material_pair(content_dir: Path, filename: str, problems: list[str]) -> dict[str, Document]:
    """Both languages of one material, checked and compared like a lesson."""
    docs = {}
    for lang in LANGUAGES:
        path = content_dir / lang / "materials" / filename
        if not path.is_file():
            problems.append(f"{path}:1: material is missing in {lang}")
            continue
        docs[lang] = parse_document(path, problems, MATERIAL_BLOCK_TYPES)
        _check_material(docs[lang], problems)
        _check_links(docs[lang], problems)
    if len(docs) == len(LANGUAGES):
        _compare(docs, problems)
    return docs


def parse_materials(content_dir: Path, problems: list[str]) -> dict[str, dict[str, Document]]:
    """Every printable material, by ID; problems are appended."""
    names = set()
    for lang in LANGUAGES:
        root = content_dir / lang / "materials"
        names |= {p.name for p in root.glob("*.md")} if root.is_dir() else set()
    materials = {}
    for name in sorted(names):
        docs = parse_material_pair(content_dir, name, problems)
        if "vi" in docs:
            materials[Path(name).stem] = docs
    return materials


def load_material(content_dir: Path, key: str) -> tuple[dict[str, Document] | None, list[str]]:
    """One material read from its files for a print page; None when absent or invalid."""
    if not ID_PATTERN.match(key):
        return None, []
    problems: list[str] = []
    if not any((content_dir / lang / "materials" / f"{key}.md").is_file() for lang in LANGUAGES):
        return None, []
    docs = parse_material_pair(content_dir, f"{key}.md", problems)
    return (None if problems else docs), problems


def check_material_links(modules: list[ParsedModule], materials: dict, problems: list[str]) -> None:
    """Material links name a known material and sit in facilitator notes (trainees cannot
    open print pages, so they must not see the link)."""
    for module in modules:
        for docs in module.lessons.values():
            for doc in docs.values():
                for block in doc.blocks:
                    for offset, line in enumerate(block.markdown.splitlines()):
                        for target in LINK.findall(line):
                            if not target.startswith(MATERIAL_SCHEME):
                                continue
                            where = f"{doc.path}:{block.line + offset + (block.type != 'text')}"
                            if block.type != "facilitator-notes":
                                problems.append(f"{where}: link materials from a 'facilitator-notes' block")
                            if target[len(MATERIAL_SCHEME) :] not in materials:
                                problems.append(f"{where}: unknown material '{target}'")


def material_url(doc: Document, target: str) -> str:
    """The print page of a linked material, in the language of the linking lesson."""
    lang = doc.path.parents[2].name if len(doc.path.parents) > 2 else "vi"
    lang = lang if lang in LANGUAGES else "vi"
    return f"/preview/materials/{target[len(MATERIAL_SCHEME) :]}?content_lang={lang}"


def render_material(doc: Document) -> dict:
    """Title, kind, the instructions and each card or box as sanitised HTML."""
    return {
        "key": doc.key,
        "kind": doc.meta.get("kind", ""),
        "title": doc.meta.get("title", ""),
        "blocks": [{"type": b.type, "id": b.id, "html": render_markdown(b.markdown)} for b in doc.blocks],
    }
