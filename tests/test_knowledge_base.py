"""Ingest, re-ingest, replace, remove, bad input; the index on disk survives a reopen."""

import json
import shutil

import pytest
from conftest import CORPUS_FILE, FIXTURES

from knowledge.base import KnowledgeBase
from knowledge.errors import IngestError
from knowledge.langchain_retriever import PolicyRetriever
from knowledge.retrieval import HybridSearcher


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory, embedders):
    """The corpus indexed once; each test gets its own copy of the folder."""
    path = tmp_path_factory.mktemp("template") / "data"
    KnowledgeBase(path, embedders).ensure_corpus()
    return path


@pytest.fixture
def kb(tmp_path, template_dir, embedders):
    shutil.copytree(template_dir, tmp_path / "data")
    return KnowledgeBase(tmp_path / "data", embedders)


def _state(kb):
    return (sorted(kb.documents), sorted(kb.chunks), [sorted(d.ids()) for d in kb.dense])


def test_reingest_unchanged_is_a_noop(kb):
    before = _state(kb)
    results = kb.ensure_corpus()
    assert [r.status for r in results] == ["unchanged"]
    assert _state(kb) == before


def test_changed_file_replaces_its_chunks(kb, tmp_path):
    path = tmp_path / "rule.txt"
    path.write_text((FIXTURES / "TEST-FIXTURE-implementation-rules.txt").read_text(encoding="utf-8"), encoding="utf-8")
    assert kb.ingest_file(path).status == "added"
    old_ids = {c for c in kb.chunks if c.startswith("rule#")}
    path.write_text("实施细则（测试）\n第一条　只剩一条，说明新的申报要求。", encoding="utf-8")
    result = kb.ingest_file(path)
    assert result.status == "updated" and result.sections == 1
    new_ids = {c for c in kb.chunks if c.startswith("rule#")}
    assert new_ids == {"rule#1#0"} and old_ids - new_ids
    for dense in kb.dense:
        assert not (old_ids - new_ids) & dense.ids()
    assert kb.section("rule", "1").text.startswith("第一条")


def test_remove(kb, tmp_path):
    path = tmp_path / "extra.md"
    path.write_text("补充通知\n一、新增说明。内容如下。（责任单位：市数据局）", encoding="utf-8")
    kb.ingest_file(path)
    assert kb.remove("extra")
    assert "extra" not in kb.documents and not any(c.startswith("extra#") for c in kb.chunks)
    assert all(not any(i.startswith("extra#") for i in d.ids()) for d in kb.dense)
    assert not kb.remove("extra")


def test_index_survives_reopen(kb, embedders):
    reopened = KnowledgeBase(kb.data_dir, embedders)
    assert _state(reopened) == _state(kb)
    assert reopened.documents["changsha-ai-2025"].doc_number == "长政办发〔2025〕16号"


@pytest.mark.parametrize("name,content,message", [
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"   \n\n  ", "empty"),
    ("binary.txt", bytes(range(256)) * 4, "binary"),
    ("image.png", b"\x89PNG\r\n\x1a\n", "unsupported"),
    ("broken.docx", b"not a zip file", "docx"),
    ("broken.pdf", b"%PDF-1.4 garbage", "pdf"),
])
def test_bad_files_get_a_clear_error_and_leave_the_index_alone(kb, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    before = _state(kb)
    with pytest.raises(IngestError, match=message):
        kb.ingest_file(path)
    assert _state(kb) == before


def test_missing_file(kb, tmp_path):
    with pytest.raises(IngestError, match="not found"):
        kb.ingest_file(tmp_path / "nope.txt")


def test_gbk_file_is_read(kb, tmp_path):
    path = tmp_path / "gbk-notice.txt"
    path.write_bytes("关于申报的通知\n一、申报时间。每年三月集中申报。（责任单位：市工业和信息化局）".encode("gbk"))
    assert kb.ingest_file(path).status == "added"
    assert kb.section("gbk-notice", "1").title == "申报时间"


def test_unstructured_file_is_one_section(kb, tmp_path):
    path = tmp_path / "memo.txt"
    path.write_text("这是一份没有条款结构的说明文字，用于补充解释。", encoding="utf-8")
    kb.ingest_file(path)
    assert [s.section_id for s in kb.documents["memo"].sections] == ["body"]


def test_docx_is_parsed(kb, tmp_path):
    import docx

    document = docx.Document()
    for line in ["长沙市某项申报指南（测试）", "一、申报对象。在长沙注册的人工智能企业。", "二、申报材料。申报书一份。（责任单位：市数据局）"]:
        document.add_paragraph(line)
    path = tmp_path / "guide.docx"
    document.save(path)
    kb.ingest_file(path)
    doc = kb.documents["guide"]
    assert doc.title == "长沙市某项申报指南（测试）"
    assert [s.title for s in doc.sections] == ["申报对象", "申报材料"]
    assert doc.section("2").responsible_units == ["市数据局"]


def test_failure_while_embedding_leaves_index_unchanged(kb, tmp_path):
    class Broken:
        name = "broken"

        def embed_documents(self, texts):
            raise RuntimeError("embedding service down")

    before = _state(kb)
    kb.dense[0].embedder, real = Broken(), kb.dense[0].embedder
    try:
        path = tmp_path / "new.txt"
        path.write_text("通知\n一、事项。内容。", encoding="utf-8")
        with pytest.raises(RuntimeError):
            kb.ingest_file(path)
    finally:
        kb.dense[0].embedder = real
    assert _state(kb) == before
    assert not (kb.data_dir / "documents" / "new.json").exists()


def test_records_on_disk_are_readable_json(kb):
    record = json.loads((kb.data_dir / "documents" / "changsha-ai-2025.json").read_text(encoding="utf-8"))
    assert record["document"]["doc_number"] == "长政办发〔2025〕16号"
    assert record["document"]["content_hash"]


def test_search_filters_by_document_and_langchain_retriever(kb, tmp_path):
    path = tmp_path / "rule.txt"
    path.write_text((FIXTURES / "TEST-FIXTURE-implementation-rules.txt").read_text(encoding="utf-8"), encoding="utf-8")
    kb.ingest_file(path)
    searcher = HybridSearcher(kb)
    hits = searcher.search("硬件新产品奖励按什么标准", 3, doc_id="rule")
    assert hits and all(h.doc_id == "rule" for h in hits)
    assert hits[0].article == "3"
    docs = PolicyRetriever(searcher=searcher, k=2).invoke("垂类大模型奖励")
    assert len(docs) == 2 and docs[0].metadata["doc_id"] == "changsha-ai-2025"
    assert docs[0].metadata["article"] == "2"
    assert CORPUS_FILE.read_text(encoding="utf-8").count(docs[0].page_content) == 1


def _minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with Helvetica text, built by hand (no PDF writer needed)."""
    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
               f"<< /Length {len(content)} >>\nstream\n{content}\nendstream", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_pdf_is_parsed(kb, tmp_path):
    path = tmp_path / "guide-en.pdf"
    path.write_bytes(_minimal_pdf(["Application guide (test fixture)", "1. Scope. Companies registered in Changsha.",
                                   "2. Deadline. Applications close on 30 April."]))
    result = kb.ingest_file(path)
    assert result.sections == 2
    assert kb.section("guide-en", "2").title == "Deadline"
