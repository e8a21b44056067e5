"""Turn a source file into plain text: .txt and .md (UTF-8 or GB18030), .docx, .pdf."""

from __future__ import annotations

from pathlib import Path

from knowledge.errors import IngestError

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ""}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".docx", ".pdf"}


def read_text(path: Path) -> str:
    if not path.exists():
        raise IngestError(f"文件不存在 / file not found: {path}")
    if not path.is_file():
        raise IngestError(f"不是文件 / not a file: {path}")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"不支持的文件类型 {suffix} / unsupported file type (use .txt, .md, .docx or .pdf): {path}")
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(f"文件为空 / empty file: {path}")
    if suffix == ".docx":
        text = _docx_text(path)
    elif suffix == ".pdf":
        text = _pdf_text(path)
    else:
        text = decode_text(data, path)
    if not text.strip():
        raise IngestError(f"文件中没有可读文字 / no readable text in: {path}")
    return text


def decode_text(data: bytes, path: Path | str = "") -> str:
    """UTF-8 first (with or without BOM), then GB18030, the superset of GBK that Chinese offices still send."""
    if b"\x00" in data:
        raise IngestError(f"二进制文件，不是文本 / binary file, not text: {path}")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text
    raise IngestError(f"无法识别文件编码（支持 UTF-8、GBK/GB18030）/ cannot decode (UTF-8 or GBK expected): {path}")


def _looks_like_text(text: str) -> bool:
    control = sum(1 for c in text if ord(c) < 32 and c not in "\n\r\t\f")
    return control <= max(2, len(text) // 100)


def _docx_text(path: Path) -> str:
    import docx  # python-docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several kinds for a damaged file
        raise IngestError(f"无法读取 Word 文件 / cannot read .docx ({exc.__class__.__name__}): {path}") from exc
    return "\n\n".join(p.text for p in document.paragraphs)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, ValueError, OSError) as exc:
        raise IngestError(f"无法读取 PDF 文件 / cannot read .pdf ({exc}): {path}") from exc
