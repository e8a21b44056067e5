"""Typed objects that flow one way through the knowledge pipeline: file → Document → Chunk → Hit."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Section:
    """One unit of a document's own structure: the preamble, an article 一、, a 第X条, or the closing provisions."""

    section_id: str  # "preamble", "1" … "10", "closing"; other documents: "3" for 第三条
    kind: str  # preamble | article | closing | body
    label: str  # as printed: "一、", "第三条", "（二）", ""
    title: str  # 支持创新产品供给; for the preamble and closing a fixed Chinese name
    text: str  # the section's exact text, as searched and quoted
    responsible_units: list[str] = field(default_factory=list)
    chapter: str = ""  # 第一章 总则, for documents that have chapters


@dataclass
class Document:
    doc_id: str
    title: str
    sections: list[Section]
    doc_number: str = ""  # 文号, 长政办发〔2025〕16号
    registration_number: str = ""  # 统一登记号, CSCR—2025—01011
    issuer: str = ""
    issued_on: str = ""  # ISO date
    printed_on: str = ""  # ISO date of 印发
    publicity: str = ""  # 此件主动公开
    notice_title: str = ""  # the covering notice: 关于印发《…》的通知
    addressees: str = ""  # 主送
    copied_to: str = ""  # 抄送, kept out of the searchable text
    source_path: str = ""
    content_hash: str = ""

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.section_id == section_id), None)

    def metadata(self) -> dict:
        """Everything but the sections, for listings."""
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "doc_number": self.doc_number,
            "registration_number": self.registration_number,
            "issuer": self.issuer,
            "issued_on": self.issued_on,
            "printed_on": self.printed_on,
            "publicity": self.publicity,
            "notice_title": self.notice_title,
            "addressees": self.addressees,
            "copied_to": self.copied_to,
            "source_path": self.source_path,
            "content_hash": self.content_hash,
            "sections": [s.section_id for s in self.sections],
        }


@dataclass
class Chunk:
    """A piece of one section; `section_text[start:end] == text` always holds."""

    chunk_id: str
    doc_id: str
    section_id: str
    title: str
    text: str
    start: int
    end: int
    responsible_units: list[str] = field(default_factory=list)

    @property
    def search_text(self) -> str:
        """What the indexes see: the section's title in front gives every clause its context."""
        return f"{self.title}。{self.text}" if self.title else self.text


@dataclass
class Hit:
    """One section found for a query, with the passage that matched best."""

    doc_id: str
    article: str
    title: str
    text: str  # the whole section
    score: float
    passage: str = ""
    start: int = 0
    end: int = 0
    responsible_units: list[str] = field(default_factory=list)
