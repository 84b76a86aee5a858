"""Reply drafts: the GB/T 9704-2012 layout read from the .docx XML, a draft for each body parsed
back field by field with our own parser, /draft in chat and `proposal-bot draft`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import date
from xml.etree import ElementTree

import pytest

from bot.draft import BODY_FONT, HEADING_FONT, TITLE_FONT, draft_docx, salutation
from bot.model import Contact, Proposal
from bot.parsing import parse_letter_bytes
from tests.conftest import write_config

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TODAY = date(2026, 12, 1)

CPPCC = Proposal(body="政协", region="晋城市", term=8, meeting=3, number="125",
                 title="关于加快推动我市城乡融合发展的建议", proposer="民建晋城市委会",
                 lead_unit="晋城市发展和改革委员会")
NPC = Proposal(body="人大", region="沁水县", term=17, meeting=3, number="20240123",
               title="关于改善农村学校供暖条件的建议", proposer="张三、李四", lead_unit="沁水县教育局")
HANDLERS = [Contact(name="唐志文", phones=["0356-5220956"]), Contact(name="李鹏慧", phones=["13812345678"])]


def xml_of(data: bytes) -> ElementTree.Element:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return ElementTree.fromstring(z.read("word/document.xml"))


def twips_mm(value: str) -> float:
    return int(value) / 1440 * 25.4


@pytest.mark.parametrize("proposal", [CPPCC, NPC], ids=["政协", "人大"])
def test_draft_parses_back_to_the_record(proposal):
    result = parse_letter_bytes(draft_docx(proposal, HANDLERS, TODAY), "draft.docx")
    assert "error" not in result
    assert (result["body"], result["region"], result["term"], result["meeting"]) == (
        proposal.body, proposal.region, proposal.term, proposal.meeting)
    assert result["proposal_number"] == proposal.number
    assert result["title"] == proposal.title
    assert result["proposer"] == proposal.proposer
    assert result["issuer"] == result["signed_by"] == proposal.lead_unit
    assert result["handlers"] == ["唐志文", "李鹏慧"]
    assert result["phones"] == ["0356-5220956", "13812345678"]
    assert result["reply_date"] == "2026-12-01"
    assert result["doc_number"] is None and result["classification"] is None  # left to fill in


def test_salutation_forms():
    assert salutation(CPPCC) == ("民建晋城市委会", "贵单位")
    assert salutation(NPC) == ("张三、李四代表", "你们")
    person = Proposal(body="政协", region="晋城市", term=8, meeting=3, number="1", proposer="王明")
    assert salutation(person) == ("王明委员", "您")
    several = Proposal(body="人大", region="晋城市", term=15, meeting=2, number="1", proposer="赵六等7位代表")
    assert salutation(several) == ("赵六等7位代表", "你们")
    assert salutation(Proposal(body="政协", region="高平市", term=7, meeting=5, number="TA0010",
                               proposer="九三学社高平市支社"))[1] == "贵单位"


def test_layout_from_the_docx_xml():
    root = xml_of(draft_docx(CPPCC, HANDLERS, TODAY))
    sect = root.find(f"{W}body/{W}sectPr")
    size, margins, grid = sect.find(f"{W}pgSz"), sect.find(f"{W}pgMar"), sect.find(f"{W}docGrid")
    assert round(twips_mm(size.get(f"{W}w"))) == 210 and round(twips_mm(size.get(f"{W}h"))) == 297  # A4
    top, left = twips_mm(margins.get(f"{W}top")), twips_mm(margins.get(f"{W}left"))
    right, bottom = twips_mm(margins.get(f"{W}right")), twips_mm(margins.get(f"{W}bottom"))
    assert (round(top), round(left)) == (37, 28)
    assert round(210 - left - right) == 156 and round(297 - top - bottom) == 225  # the text area
    assert grid.get(f"{W}type") == "linesAndChars"
    pitch, char_space = int(grid.get(f"{W}linePitch")), int(grid.get(f"{W}charSpace"))
    assert 225 / 25.4 * 1440 / (pitch + 1) < 22 <= 225 / 25.4 * 1440 / pitch  # 22 lines fit, not 23
    char_pt = 16 + char_space / 4096
    assert 28 <= 156 / 25.4 * 72 / char_pt < 29  # 28 characters fit, not 29

    paragraphs = root.findall(f"{W}body/{W}p")
    texts = ["".join(t.text or "" for t in p.iter(f"{W}t")) for p in paragraphs]
    title = texts.index("关于晋城市政协八届三次会议第125号提案的答复")
    for run in paragraphs[title].iter(f"{W}r"):
        assert run.find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == TITLE_FONT
        assert run.find(f"{W}rPr/{W}sz").get(f"{W}val") == "44"  # 二号 = 22 pt
    copy_to = next(i for i, t in enumerate(texts) if t.startswith("抄送："))
    assert texts[copy_to] == "抄送：晋城市政协提案委员会。"
    body_runs = [r for p in paragraphs[title + 1: copy_to] for r in p.iter(f"{W}r")]
    assert len(body_runs) >= 12
    for run in body_runs:  # the body: 三号 (16 pt), 仿宋_GB2312 or 黑体 for headings, named on every run
        assert run.find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") in (BODY_FONT, HEADING_FONT)
        assert run.find(f"{W}rPr/{W}sz").get(f"{W}val") == "32"
    headings = [t for t in texts if t[:2] in ("一、", "二、", "三、")]
    assert len(headings) == 3
    assert "民建晋城市委会：" in texts
    assert "贵单位提出的《关于加快推动我市城乡融合发展的建议》收悉。我们高度重视，认真研究办理，现答复如下：" in texts
    assert texts[texts.index("2026年12月1日") - 1] == "晋城市发展和改革委员会"
    assert "联系人：唐志文、李鹏慧" in texts and "联系电话：0356-5220956、13812345678" in texts


def test_contacts_from_the_last_reply_when_the_item_has_no_handlers():
    from bot.model import Reply

    replies = [Reply(proposal_id=1, reply_date="2024-05-23", phones=["6999022"]),
               Reply(proposal_id=1, reply_date="2023-01-05", handlers=["旧人"], phones=["111111"])]
    parsed = parse_letter_bytes(draft_docx(CPPCC, [], TODAY, replies), "draft.docx")
    assert (parsed["handlers"], parsed["phones"]) == ([], ["6999022"])


# ----------------------------------------------------------------------------- chat and command line

async def test_draft_in_chat(chat):
    (sent,) = await chat.send("/draft 125")
    assert sent.method == "sendDocument" and sent.filename == "答复草稿-第125号.docx"
    assert sent.text.startswith("关于晋城市政协八届三次会议第125号提案的答复（草稿）")
    parsed = parse_letter_bytes(sent.document, "draft.docx")
    assert (parsed["proposal_number"], parsed["proposer"]) == ("125", "民建晋城市委会")
    (unknown,) = await chat.send("/draft 9999")
    assert unknown.text.startswith("未找到第9999号")
    (usage,) = await chat.send("/draft")
    assert usage.text.startswith("用法：/draft 案号")


def cli(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if k != "PROPOSAL_BOT_TOKEN"}
    return subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(write_config(tmp_path)), *args],
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)


def test_cli_draft_then_parse(tmp_path):
    from tests.test_cli import with_samples

    with_samples(tmp_path)  # a configured database never gets the samples by itself (issue 8)
    out = tmp_path / "draft-125.docx"
    done = cli(tmp_path, "draft", "125", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "已生成" in done.stdout and out.exists()
    parsed = json.loads(cli(tmp_path, "parse", str(out)).stdout)
    assert parsed["phones"] == ["6999022"]  # the sample item has no handler: its reply's phone
    assert (parsed["proposal_number"], parsed["term"], parsed["meeting"], parsed["region"]) == ("125", 8, 3, "晋城市")
    assert parsed["title"] == "关于加快推动我市城乡融合发展的建议" and parsed["proposer"] == "民建晋城市委会"
    assert parsed["issuer"] == "晋城市发展和改革委员会"
    assert cli(tmp_path, "draft", "9999").returncode == 1
    assert cli(tmp_path, "draft", "125", "-o", "x.txt").returncode == 2
