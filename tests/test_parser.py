"""The parser on the real policy text and on a fixture implementation rule."""

from pathlib import Path

import pytest
from conftest import CORPUS_FILE, FIXTURES

from knowledge.parser import cn_to_int, join_cjk, parse_document
from knowledge.splitter import split_document

TITLES = ["支持创新产品供给", "支持垂类大模型研发", "支持创新平台建设", "提升研发创新能力", "支持关键技术攻关",
          "发展数据标注产业", "打造数据要素生态", "支持应用场景拓展", "强化金融政策保障", "加大优秀人才引育"]
UNITS = [["市工业和信息化局"]] * 4 + [["市科技局"], ["市数据局"], ["市数据局"], ["市工业和信息化局"],
                                       ["市发展改革委", "市财政局", "市金融管理局"], ["市委组织部"]]


@pytest.fixture(scope="module")
def policy():
    return parse_document(CORPUS_FILE.read_text(encoding="utf-8"), "changsha-ai-2025")


def test_header_metadata(policy):
    assert policy.registration_number == "CSCR—2025—01011"
    assert policy.doc_number == "长政办发〔2025〕16号"
    assert policy.issuer == "长沙市人民政府办公室"
    assert policy.title == "长沙市加快人工智能产业高质量发展若干政策"  # spaced out as 若 干 政 策 in the source
    assert policy.notice_title == "关于印发《长沙市加快人工智能产业高质量发展若干政策》的通知"
    assert policy.issued_on == "2025-12-19" and policy.printed_on == "2025-12-22"
    assert policy.publicity == "此件主动公开"
    assert policy.addressees.startswith("湖南湘江新区管委会")


def test_ten_articles_with_titles_and_units(policy):
    articles = [s for s in policy.sections if s.kind == "article"]
    assert [s.section_id for s in articles] == [str(i) for i in range(1, 11)]
    assert [s.title for s in articles] == TITLES
    assert [s.responsible_units for s in articles] == UNITS


def test_preamble_and_closing(policy):
    ids = [s.section_id for s in policy.sections]
    assert ids[0] == "preamble" and ids[-1] == "closing"
    assert policy.section("preamble").text.startswith("为深入贯彻落实")
    assert policy.section("preamble").text.endswith("制定本政策。")
    closing = policy.section("closing").text
    assert closing.startswith("本政策自公布之日起施行，有效期3年")
    assert closing.endswith("符合多项条件的按“从高不重复”原则执行。")


def test_cc_block_is_metadata_not_text(policy):
    assert "长沙警备区" in policy.copied_to
    assert all("抄送" not in s.text and "印发" not in s.text[-10:] for s in policy.sections)
    assert all("长沙警备区" not in s.text for s in policy.sections)


def test_section_text_is_exact_source_text(policy):
    source = CORPUS_FILE.read_text(encoding="utf-8")
    for section in policy.sections:
        assert section.text in source


def test_chunks_never_mix_sections_and_offsets_are_exact(policy):
    chunks = split_document(policy)
    assert chunks
    for chunk in chunks:
        section = policy.section(chunk.section_id)
        assert section.text[chunk.start:chunk.end] == chunk.text
    for section in policy.sections:
        mine = [c for c in chunks if c.section_id == section.section_id]
        assert "".join(c.text for c in mine).replace("\n", "") == section.text.replace("\n", "")


def test_award_sentences_are_whole_in_one_chunk(policy):
    """A figure and the sentence that states it stay together: no 200万元 cut from its 10%."""
    chunks = split_document(policy)
    for sentence in ["对符合条件的新产品，按照销售增量的10%，给予最高200万元奖励。",
                     "按不超过平台年度运营费用的30%，每年给予最高100万元运营奖励，每个平台累计奖励不超过200万元。",
                     "对获评国家级数据标注、高质量数据集优秀案例或试点的企业，给予最高10万元的一次性奖励。"]:
        assert any(sentence in c.text for c in chunks), sentence


def test_long_section_splits_at_sentence_ends(policy):
    chunks = [c for c in split_document(policy, max_chars=60) if c.section_id == "7"]
    assert len(chunks) > 2
    assert all(c.text.endswith(("。", "）")) for c in chunks)


def test_implementation_rule_with_chapters_and_tiao():
    doc = parse_document((FIXTURES / "TEST-FIXTURE-implementation-rules.txt").read_text(encoding="utf-8"), "rule")
    assert doc.title == "长沙市人工智能产业政策实施细则（测试用例）"
    assert [s.section_id for s in doc.sections] == ["1", "2", "3", "4", "5"]
    third = doc.section("3")
    assert third.title == "硬件新产品" and third.chapter == "第二章 支持标准"
    assert "（一）销售增量在1000万元以下的，按8%核定；" in third.text
    assert "（二）" in third.text  # clauses stay inside their article
    assert doc.section("4").text.endswith("2. 销售合同及发票。")
    assert doc.section("5").responsible_units == ["市工业和信息化局", "市财政局"]


def test_paren_and_number_structures():
    doc = parse_document("支持办法\n（一）第一项支持内容。\n（二）第二项支持内容。", "p")
    assert [s.section_id for s in doc.sections] == ["1", "2"]
    doc = parse_document("申报指南\n1. 申报条件：在长沙注册。\n2、申报时间：每年三月。", "n")
    assert [s.title for s in doc.sections] == ["申报条件", "申报时间"]


def test_no_structure_gives_one_section():
    doc = parse_document("一段没有任何条款编号的文字，说明一些情况。\n第二行文字。", "plain")
    assert [s.section_id for s in doc.sections] == ["body"]
    assert "第二行文字。" in doc.sections[0].text


def test_numerals_and_spacing():
    assert [cn_to_int(x) for x in ("一", "十", "十二", "二十", "二十三", "一百零三", "二〇二五", "7")] == [1, 10, 12, 20, 23, 103, 2025, 7]
    assert join_cjk("若 干 政 策") == "若干政策"


def test_title_broken_over_lines_and_spaced(tmp_path: Path):
    text = "长沙市某某\n\n若 干 措 施\n\n为推动发展，结合实际，制定本措施，请各单位认真贯彻执行落实。\n\n一、支持研发。给予支持。（责任单位：市科技局）"
    doc = parse_document(text, "m")
    assert doc.title == "长沙市某某若干措施"
    assert doc.section("1").title == "支持研发"
