"""Parse a Chinese policy document by its own structure.

A government policy reads: header (统一登记号, 文号, the covering notice, issuer, date, 此件主动公开),
the policy's title, a preamble, articles 一、…十、 each ending in （责任单位：…）, closing provisions
(本政策自公布之日起施行…), and a 抄送/印发 block. Implementation rules use 第X章/第X条 or （一）/1. instead.
The 抄送 block and the header are kept as metadata and never become searchable text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.models import Document, Section

CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
CN_NUMERAL = "一二三四五六七八九十百零〇两"

HEADING_SCHEMES = {
    # name: (pattern, kind); the first scheme present in a document is its section level
    "tiao": re.compile(rf"^第([{CN_NUMERAL}\d]+)条[\s　]*(.*)$"),
    "article": re.compile(rf"^([{CN_NUMERAL}]+)[、．.](.*)$"),
    "paren": re.compile(rf"^[（(]([{CN_NUMERAL}]+)[）)](.*)$"),
    "number": re.compile(r"^(\d{1,3})[、．.](?!\d)\s*(.*)$"),
}
CHAPTER = re.compile(rf"^第([{CN_NUMERAL}\d]+)章[\s　]*(.*)$")
CLOSING_START = re.compile(r"^本(政策|办法|细则|规定|指南|通知|方案|意见|措施)(自|由|有效|所称|实施|执行|施行)")
TAIL_START = re.compile(r"^(抄送|抄报|主题词)[：:]")
PRINTED = re.compile(r"^(?P<printer>.*?)\s*(?P<date>\d{4}年\d{1,2}月\d{1,2}日)印发$")
DATE_LINE = re.compile(r"^(\d{4}|[二〇○零一三四五六七八九]{4})年([\d一二三四五六七八九十]{1,3})月([\d一二三四五六七八九十]{1,3})日$")
REGISTRATION = re.compile(r"[A-Z]{2,8}\s*[—–\-－]+\s*\d{4}\s*[—–\-－]+\s*\d+")
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［]\d{4}[〕\]］]\s*\d+\s*号")
PUBLICITY = re.compile(r"^[（(](此件[^）)]*公开[^）)]*)[）)]$")
RESPONSIBLE = re.compile(r"[（(](?:责任单位|牵头单位|责任部门)[：:]([^）)]+)[）)]")
UNIT_SPLIT = re.compile(r"[、，,；;]")
PROSE_END = ("。", "！", "？", "；", "…", "”", "」", ".", "!", "?", ";")  # not ）: titles end in （试行）


def cn_to_int(numeral: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十 → 20, 一百零三 → 103; Arabic digits pass through."""
    if numeral.isdigit():
        return int(numeral)
    if all(c in CN_DIGITS for c in numeral):  # 二〇二五 read digit by digit
        return int("".join(str(CN_DIGITS[c]) for c in numeral))
    total, current = 0, 0
    for char in numeral:
        if char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = CN_DIGITS[char]
    return total + current


def join_cjk(text: str) -> str:
    """若 干 政 策 → 若干政策: spacing used for layout, not meaning."""
    return re.sub(r"(?<=[\u4e00-\u9fff《》〈〉])[\s　]+(?=[\u4e00-\u9fff《》〈〉])", "", text.strip())


def iso_date(line: str) -> str:
    match = DATE_LINE.match(line.strip())
    if not match:
        return ""
    year, month, day = (cn_to_int(part) for part in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def units_of(text: str) -> list[str]:
    units: list[str] = []
    for match in RESPONSIBLE.finditer(text):
        units.extend(u.strip() for u in UNIT_SPLIT.split(match.group(1)) if u.strip())
    return units


def _is_prose(line: str) -> bool:
    return line.endswith(PROSE_END) and len(line) > 25 or len(line) > 60


@dataclass
class _Open:
    """A section being read."""

    section_id: str
    kind: str
    label: str
    title: str
    lines: list[str]
    chapter: str = ""


def parse_document(text: str, doc_id: str, source_path: str = "", content_hash: str = "") -> Document:
    lines = [line.strip().replace("\u3000", " ").strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    tail_at = next((i for i, line in enumerate(lines) if TAIL_START.match(line) or PRINTED.match(line)), len(lines))
    body, tail = lines[:tail_at], lines[tail_at:]
    scheme = _scheme_of(body)
    first = next((i for i, line in enumerate(body) if _heading(line, scheme) or CHAPTER.match(line)), None)
    if scheme is None or first is None:
        return _unstructured(body, tail, doc_id, source_path, content_hash)
    front, rest = body[:first], body[first:]
    doc = _front_matter(front, doc_id, source_path, content_hash)
    _tail_matter(tail, doc)
    preamble = _preamble_lines(front)
    if preamble:
        doc.sections.append(Section("preamble", "preamble", "", "序言", "\n".join(preamble)))
    doc.sections.extend(_sections(rest, scheme))
    return doc


def _scheme_of(lines: list[str]) -> str | None:
    for name, pattern in HEADING_SCHEMES.items():
        matches = [line for line in lines if pattern.match(line) and not CHAPTER.match(line)]
        if matches and (name != "number" or len(matches) >= 2):
            return name
    return None


def _heading(line: str, scheme: str | None):
    if scheme is None:
        return None
    match = HEADING_SCHEMES[scheme].match(line)
    return match if match and match.group(2).strip() else None


def _sections(lines: list[str], scheme: str) -> list[Section]:
    opened: list[_Open] = []
    chapter = ""
    for line in lines:
        chapter_match = CHAPTER.match(line)
        if chapter_match:
            chapter = f"{line[: chapter_match.start(2)].strip()} {join_cjk(chapter_match.group(2))}".strip()
            continue
        heading = _heading(line, scheme)
        if heading:
            number = cn_to_int(heading.group(1))
            label = line[: heading.start(2)].strip()
            opened.append(_Open(str(number), "article", label, _title(heading.group(2), label, chapter), [line], chapter))
        elif scheme == "article" and CLOSING_START.match(line) and (not opened or opened[-1].kind != "closing"):
            opened.append(_Open("closing", "closing", "", "附则", [line]))
        elif opened:
            opened[-1].lines.append(line)
    sections, seen = [], set()
    for item in opened:
        section_id, n = item.section_id, 2
        while section_id in seen:  # numbering restarts in some rules; ids stay unique
            section_id, n = f"{item.section_id}-{n}", n + 1
        seen.add(section_id)
        text = "\n".join(item.lines)
        sections.append(Section(section_id, item.kind, item.label, item.title, text, units_of(text), item.chapter))
    return sections


def _title(rest: str, label: str, chapter: str) -> str:
    """The article's own title: 支持创新产品供给 in 一、支持创新产品供给。…; or 【title】; else a short lead."""
    rest = rest.strip()
    bracket = re.match(r"^[【\[]([^】\]]{1,30})[】\]]", rest)
    if bracket:
        return bracket.group(1)
    lead = re.split(r"[。；;：:]|\.\s", rest, maxsplit=1)[0]
    if len(lead) <= 24:
        return lead
    return f"{chapter} {label}".strip() if chapter else lead[:20] + "…"


def _preamble_lines(front: list[str]) -> list[str]:
    """The trailing run of prose lines before the first article."""
    run: list[str] = []
    for line in reversed(front):
        if not _is_prose(line) or PUBLICITY.match(line):
            break
        run.insert(0, line)
    return run


def _front_matter(front: list[str], doc_id: str, source_path: str, content_hash: str) -> Document:
    doc = Document(doc_id=doc_id, title="", sections=[], source_path=source_path, content_hash=content_hash)
    joined = "\n".join(front)
    if match := REGISTRATION.search(joined):
        doc.registration_number = match.group(0)
    if match := DOC_NUMBER.search(joined):
        doc.doc_number = re.sub(r"\s+", "", match.group(0))
    preamble_at = len(front) - len(_preamble_lines(front))
    title_block: list[str] = []
    notice: list[str] = []
    for i, line in enumerate(front[:preamble_at]):
        if REGISTRATION.fullmatch(line) or DOC_NUMBER.fullmatch(line):
            title_block = []
            continue
        if match := PUBLICITY.match(line):
            doc.publicity, title_block = match.group(1), []
            continue
        if date := iso_date(line):
            doc.issued_on = doc.issued_on or date
            if i > 0 and not _is_prose(front[i - 1]):
                doc.issuer = doc.issuer or join_cjk(front[i - 1])
            title_block = []
            continue
        if line.endswith(("：", ":")):  # the notice's addressees: 湖南湘江新区管委会，…各单位：
            doc.addressees = line.rstrip("：:")
            title_block = []
            continue
        if _is_prose(line):
            title_block = []
            continue
        title_block.append(line)
        if not doc.notice_title and ("通知" in line or "关于" in line or notice):
            notice.append(line)
            if line.endswith("通知"):
                doc.notice_title = join_cjk("".join(notice))
    if title_block and title_block[-1] == doc.issuer:
        title_block = title_block[:-1]
    doc.title = join_cjk("".join(title_block)) or _inner_title(doc.notice_title) or doc_id
    return doc


def _inner_title(notice_title: str) -> str:
    match = re.search(r"《(.+)》", notice_title)
    return match.group(1) if match else notice_title


def _tail_matter(tail: list[str], doc: Document) -> None:
    copied: list[str] = []
    for line in tail:
        if match := PRINTED.match(line):
            doc.printed_on = iso_date(match.group("date"))
            doc.issuer = doc.issuer or match.group("printer").strip()
        else:
            copied.append(re.sub(r"^(抄送|抄报)[：:]", "", line))
    doc.copied_to = "".join(copied)


def _unstructured(body: list[str], tail: list[str], doc_id: str, source_path: str, content_hash: str) -> Document:
    """No headings at all: one section holding the whole text, so nothing is lost."""
    title = body[0] if body and len(body[0]) <= 60 and len(body) > 1 else doc_id
    text_lines = body[1:] if title != doc_id else body
    doc = Document(doc_id=doc_id, title=join_cjk(title), sections=[], source_path=source_path, content_hash=content_hash)
    _tail_matter(tail, doc)
    text = "\n".join(text_lines)
    doc.sections.append(Section("body", "body", "", doc.title, text, units_of(text)))
    return doc
