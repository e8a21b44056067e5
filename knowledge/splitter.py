"""Split sections into clause chunks: never across sections, only at sentence ends, never through a figure."""

from __future__ import annotations

import re

from knowledge.models import Chunk, Document, Section

MAX_CHUNK_CHARS = 100
# a sentence ends at 。！？； or a line break, unless the next character continues a figure (3.5亿 has no 。)
SENTENCE_BOUNDARY = re.compile(r"(?<=[。！？；;])|\n")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text`; their concatenation is the whole text."""
    spans, start = [], 0
    for match in SENTENCE_BOUNDARY.finditer(text):
        end = match.end() if match.group(0) == "\n" else match.start()
        if end > start:
            spans.append((start, end))
            start = end
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def split_section(doc: Document, section: Section, max_chars: int = MAX_CHUNK_CHARS) -> list[Chunk]:
    """Group whole sentences into chunks of at most `max_chars` (a longer sentence stays whole)."""
    groups: list[tuple[int, int]] = []
    for start, end in sentences(section.text):
        if groups and end - groups[-1][0] <= max_chars:
            groups[-1] = (groups[-1][0], end)
        else:
            groups.append((start, end))
    chunks = []
    for n, (start, end) in enumerate(groups):
        # leading and trailing line breaks are not part of a quotable passage
        while start < end and section.text[start].isspace():
            start += 1
        while end > start and section.text[end - 1].isspace():
            end -= 1
        if start == end:
            continue
        chunks.append(Chunk(
            chunk_id=f"{doc.doc_id}#{section.section_id}#{n}",
            doc_id=doc.doc_id,
            section_id=section.section_id,
            title=section.title,
            text=section.text[start:end],
            start=start,
            end=end,
            responsible_units=list(section.responsible_units),
        ))
    return chunks


def split_document(doc: Document, max_chars: int = MAX_CHUNK_CHARS) -> list[Chunk]:
    return [chunk for section in doc.sections for chunk in split_section(doc, section, max_chars)]
