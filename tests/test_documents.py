"""Reading uploaded files into text: encodings, .docx with tables, PDFs with and without a text
layer, files that need a converter, and garbage."""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.documents import decode_text, read_text
from bot.parsing import parse_letter_bytes

SEEDS = Path("/work/shared/seeds")
if not SEEDS.is_dir():
    SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
JINCHENG = (SEEDS / "jincheng-drc-reply-125.txt").read_text(encoding="utf-8")
GAOPING = (SEEDS / "gaoping-drst-reply-TA0010.txt").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- text encodings

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-be"])
def test_text_encodings_round_trip(encoding):
    data = JINCHENG.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data  # with its BOM
    doc = read_text(data, "reply.txt")
    assert doc.error is None
    assert doc.text.replace("\r\n", "\n").lstrip("\ufeff") == JINCHENG


def test_gb18030_and_bom_seed_parse_like_the_original():
    for data in (GAOPING.encode("gb18030"), b"\xef\xbb\xbf" + GAOPING.encode("utf-8")):  # m² is not in GBK
        result = parse_letter_bytes(data, "gaoping.txt")
        assert result["proposal_number"] == "TA0010"
        assert result["handlers"] == ["唐志文", "李鹏慧"]
        assert result["doc_number"] == "高发改发〔2025〕85号"


def test_short_gbk_text_is_not_mistaken_for_korean():
    text, encoding, _ = decode_text("承办人：张三".encode("gbk"))
    assert text == "承办人：张三"
    assert encoding == "gb18030"


def test_big5_text():
    text = "關於市政協八屆三次會議第0224號提案的答覆\n王明委員：\n聯繫電話：0356-2022011\n"
    doc = read_text(text.encode("big5"), "trad.txt")
    assert doc.text == text


# ----------------------------------------------------------------------------- .docx

def _docx_bytes() -> bytes:
    import docx

    d = docx.Document()
    for line in [
        "晋城市住房和城乡建设局", "晋市建函〔2024〕36号", "关于市十五届人大二次会议第0224号建议的答复",
        "尊敬的王明代表：", "您提出的《关于加快老旧小区改造的建议》收悉。现答复如下：",
        "我们将继续加大工作力度。",
    ]:
        d.add_paragraph(line)
    table = d.add_table(rows=2, cols=4)
    table.cell(0, 0).text = "负责人"
    table.cell(0, 1).text = "赵强"
    table.cell(0, 2).text = "承办人"
    table.cell(0, 3).text = "刘洋、陈晨"
    table.cell(1, 0).text = "联系电话"
    merged = table.cell(1, 1).merge(table.cell(1, 3))
    merged.text = "0356-2036611"
    d.add_paragraph("晋城市住房和城乡建设局")
    d.add_paragraph("2024年7月15日")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_docx_paragraphs_and_table_cells_in_document_order():
    doc = read_text(_docx_bytes(), "reply.docx")
    assert doc.error is None
    lines = doc.text.split("\n")
    assert lines[0] == "晋城市住房和城乡建设局"
    assert "负责人\t赵强\t承办人\t刘洋、陈晨" in lines
    assert "联系电话\t0356-2036611" in lines  # a merged cell is read once
    assert lines.index("联系电话\t0356-2036611") < lines.index("2024年7月15日")


def test_docx_letter_parses():
    result = parse_letter_bytes(_docx_bytes(), "reply.docx")
    assert result["proposal_number"] == "0224"
    assert result["leader"] == "赵强"
    assert result["handlers"] == ["刘洋", "陈晨"]
    assert result["phones"] == ["0356-2036611"]
    assert result["body"] == "人大"
    assert result["reply_date"] == "2024-07-15"


def test_docx_named_txt_is_read_by_content_with_a_warning():
    doc = read_text(_docx_bytes(), "reply.txt")
    assert doc.error is None and "赵强" in doc.text
    assert any(".txt" in w for w in doc.warnings)


# ----------------------------------------------------------------------------- .pdf

def _pdf_bytes(text: str) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.setFont("STSong-Light", 12)
    y = 800
    for line in text.split("\n"):
        while True:
            chunk, line = line[:40], line[40:]
            c.drawString(40, y, chunk)
            y -= 16
            if y < 40:
                c.showPage()
                c.setFont("STSong-Light", 12)
                y = 800
            if not line:
                break
    c.save()
    return out.getvalue()


def test_pdf_with_chinese_text_layer_round_trips():
    doc = read_text(_pdf_bytes("关于市政协八届三次会议第125号提案的答复"), "reply.pdf")
    assert doc.error is None
    assert "关于市政协八届三次会议第125号提案的答复" in doc.text


def test_pdf_of_a_seed_parses_like_the_text():
    result = parse_letter_bytes(_pdf_bytes(JINCHENG), "reply.pdf")
    assert "error" not in result
    for key, value in {
        "issuer": "晋城市发展和改革委员会", "classification": "A", "proposal_number": "125",
        "proposer": "民建晋城市委会", "title": "关于加快推动我市城乡融合发展的建议",
        "reply_date": "2024-05-23", "phones": ["6999022"], "term": 8, "meeting": 3,
    }.items():
        assert result[key] == value, key


def test_pdf_without_text_layer_is_a_clear_error():
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.rect(100, 100, 300, 400, fill=1)  # a "scan": graphics only
    c.save()
    doc = read_text(out.getvalue(), "scan.pdf")
    assert doc.text is None
    assert "扫描件（无文字层）" in doc.error and "OCR" in doc.error
    result = parse_letter_bytes(out.getvalue(), "scan.pdf")
    assert "扫描件" in result["error"]


# ----------------------------------------------------------------------------- converters

def test_doc_without_converter_names_what_to_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "WordDocument".encode("utf-16-le")
    doc = read_text(ole, "reply.doc")
    assert doc.text is None
    assert "无法读取 .doc 文件" in doc.error
    assert "LibreOffice" in doc.error and "apt-get install" in doc.error and ".docx" in doc.error


def test_xls_without_converter_names_what_to_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "Workbook".encode("utf-16-le")
    doc = read_text(ole, "list.xls")
    assert doc.text is None
    assert "无法读取 .xls 文件" in doc.error and "LibreOffice" in doc.error and ".xlsx" in doc.error


def test_doc_through_a_converter_when_one_is_installed(monkeypatch):
    """A fake antiword on PATH stands in for the real one."""
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/antiword" if name == "antiword" else None)

    class Done:
        returncode = 0
        stdout = JINCHENG.encode("utf-8")

    monkeypatch.setattr(subprocess, "run", lambda *a, **k: Done())
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "WordDocument".encode("utf-16-le")
    result = parse_letter_bytes(ole, "reply.doc")
    assert result["proposal_number"] == "125"


# ----------------------------------------------------------------------------- html and sniffing

def test_html_web_copy():
    page = (
        "<html><head><meta charset='gbk'><title>答复</title><script>var x=1;</script></head><body>"
        "<div class='nav'>首页 &gt; 建议提案</div><h1>关于市政协八届三次会议第88号提案的答复</h1>"
        "<p>王明委员：</p><p>您提出的《关于加强中小学心理健康教育的建议》收悉。</p>"
        "<p>联系电话：0356-2022011</p><p>晋城市教育局</p><p>2024年5月30日</p></body></html>"
    )
    result = parse_letter_bytes(page.encode("gbk"), "page.html")
    assert result["proposal_number"] == "88"
    assert result["phones"] == ["0356-2022011"]
    assert result["reply_date"] == "2024-05-30"


def test_pdf_with_unknown_extension_is_sniffed():
    doc = read_text(_pdf_bytes("关于市政协八届三次会议第125号提案的答复"), "download")
    assert doc.error is None and "第125号" in doc.text


# ----------------------------------------------------------------------------- garbage

@pytest.mark.parametrize("data, name", [
    (b"", "a.txt"), (b"   \n", "a.txt"), (os.urandom(1 << 20), "noise.txt"),
    (os.urandom(1 << 20), "noise.docx"), (os.urandom(4096), "noise.pdf"),
    (os.urandom(4096), "noise.bin"), (b"PK\x03\x04" + os.urandom(200), "broken.docx"),
    (b"%PDF-1.4\n" + os.urandom(500), "broken.pdf"), (_docx_bytes()[:700], "truncated.docx"),
    (b"\x00" * 5000, "zeros.txt"), (b"PK\x05\x06" + b"\x00" * 18, "empty.zip"),
])
def test_garbage_is_an_error_not_an_exception(data, name):
    doc = read_text(data, name)
    assert doc.error
    assert doc.text is None or not doc.text.strip()


def test_truncated_pdf_is_an_error():
    data = _pdf_bytes("关于市政协八届三次会议第125号提案的答复")
    doc = read_text(data[: len(data) // 3], "cut.pdf")
    assert doc.error or doc.text is not None  # pypdf may still recover part of it; never raises


def test_unsupported_extension():
    doc = read_text(os.urandom(100) + b"\x00\x00", "picture.jpg")
    assert doc.error and "不支持" in doc.error


def test_utf8_cut_mid_character_stays_utf8():
    data = JINCHENG.encode("utf-8")
    cut = data[: len(data) - 1] if data.endswith(b"\n") is False else data.rstrip(b"\n")[:-1]
    text, encoding, warnings = decode_text(cut)
    assert encoding == "utf-8"
    assert text.startswith(JINCHENG[:50])
    assert warnings


def test_seal_after_the_signing_unit():
    text = JINCHENG.replace("晋城市发展和改革委员会\n\n2024年5月23日", "晋城市发展和改革委员会（盖章）\n\n2024年5月23日")
    result = parse_letter_bytes(text.encode("utf-8"), "a.txt")
    assert result["signed_by"] == "晋城市发展和改革委员会"


def test_pdf_with_wrapped_label_lines_parses_whole_values():
    from tests.test_parsing import PDF_BODY, PDF_DEFAULTS, PDF_FIELDS, PDF_LETTER, wrapped

    text = PDF_LETTER.format(body=PDF_BODY, **{
        **PDF_DEFAULTS,
        "units": "主办单位：小店区教育局    协办单位：小店区农业农村局、小店区卫生健康委员会",
        "contacts": "负责人：王强    承办人：李华、张伟、赵敏、陈晨    联系电话：0351-2015955，13912345678\n【D类】",
    })
    result = parse_letter_bytes(_pdf_bytes(wrapped(text, 36)), "reply.pdf")
    assert "error" not in result
    got = {key: result[key] for key in PDF_FIELDS}
    assert got == {**PDF_FIELDS, "classification": "D", "lead_unit": "小店区教育局",
                   "co_units": ["小店区农业农村局", "小店区卫生健康委员会"],
                   "handlers": ["李华", "张伟", "赵敏", "陈晨"]}
