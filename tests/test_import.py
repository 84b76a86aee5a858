"""Importing documents: the CLI on the seed letters, and uploads in chat through the emulator."""

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.model import Proposal, Reply
from bot.storage import Repository
from tests.conftest import ADMIN, STAFF, write_config

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
if not SEEDS.exists():  # a clone elsewhere: the samples folder carries copies of the seeds
    SEEDS = Path(__file__).resolve().parents[1] / "bot" / "sample_data" / "letters"

NEW_LETTER = """晋城市住房和城乡建设局

B类

关于市政协八届三次会议第 0224 号提案的答复

张明委员：

您提出的《关于加快老旧小区改造的建议》收悉，现答复如下：

我局高度重视老旧小区改造工作，已列入明年计划。

负责人：王强
承办人：赵丽
联系电话：0356-2021234

晋城市住房和城乡建设局
2024年6月3日
"""


def cli(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "PROPOSAL_BOT_TOKEN"}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=cwd)


def test_import_seeds_then_status_and_reimport_unchanged(tmp_path):
    config = write_config(tmp_path)
    db = tmp_path / "fresh.json"
    first = cli("--config", str(config), "import", str(SEEDS), "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert "新增提案 1 件，新增答复 1 件，新增联系人 2 人" in first.stdout
    assert "共 2 个文件（失败 0 个）" in first.stdout
    status = cli("--config", str(config), "status", "TA0010", "--db", str(db), "--json")
    (match,) = json.loads(status.stdout)["matches"]
    assert match["state"] == "replied"
    (reply,) = match["replies"]
    assert reply["doc_number"] == "高发改发〔2025〕85号" and reply["reply_date"] == "2025-08-27"
    assert [h["name"] for h in match["handlers"]] == ["唐志文", "李鹏慧"]
    before = db.read_bytes()
    again = cli("--config", str(config), "import", str(SEEDS), "--db", str(db))
    assert again.returncode == 0
    assert again.stdout.count("内容与已有记录相同，未做任何更改") == 2
    assert db.read_bytes() == before


def test_parse_prints_one_json_line_per_file(tmp_path):
    garbage = tmp_path / "noise.bin"
    garbage.write_bytes(bytes(range(256)) * 50)
    done = cli("parse", str(SEEDS / "jincheng-drc-reply-125.txt"), str(garbage), "--json")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["file"].endswith("jincheng-drc-reply-125.txt")
    assert lines[0]["proposal_number"] == "125" and lines[0]["phones"] == ["6999022"]
    assert lines[1]["file"] == str(garbage) and lines[1]["error"]
    assert done.returncode == 1
    ok = cli("parse", str(SEEDS / "gaoping-drst-reply-TA0010.txt"), "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["doc_number"] == "高发改发〔2025〕85号"


def test_newer_letter_is_a_supplementary_reply_not_an_overwrite(tmp_path):
    from bot.config import load_config
    from bot.importer import Importer
    from bot.model import Event

    repo = Repository(tmp_path / "p.json")
    importer = Importer(repo, load_config(write_config(tmp_path)))
    first = importer.import_bytes(NEW_LETTER.encode("gbk"), "letter.txt")
    assert first.counts["replies"]["created"] == 1, first
    same = importer.import_bytes(NEW_LETTER.encode("utf-8"), "renamed.txt")  # another encoding and name
    assert not same.changed and "已登记过" in same.changes[0]
    newer = NEW_LETTER.replace("2024年6月3日", "2024年6月5日")
    second = importer.import_bytes(newer.encode("utf-8"), "letter-v2.txt")
    assert second.counts["replies"]["created"] == 1
    assert "补充答复 2024-06-05" in second.changes[0]
    (proposal,) = repo.proposals()
    assert proposal.state == "follow_up"  # B class stays open for a second reply
    assert sorted(r.reply_date for r in repo.all(Reply)) == ["2024-06-03", "2024-06-05"]
    assert [e.kind for e in repo.all(Event)] == ["reply", "supplementary_reply"]


async def test_upload_letter_in_chat(chat):
    (answer,) = await chat.upload("zhujian-0224.txt", NEW_LETTER.encode("gb18030"))
    assert answer.text.startswith("已导入zhujian-0224.txt：新增提案 1 件，新增答复 1 件，新增联系人 1 人")
    (card,) = await chat.send("/status 224")
    assert "关于加快老旧小区改造的建议" in card.text and "待跟进 · B类" in card.text
    assert "赵丽" in card.text and "0356-2021234" in card.text
    (same,) = await chat.upload("zhujian-0224.txt", NEW_LETTER.encode("utf-8"))
    assert "未做任何更改" in same.text


async def test_upload_refusals_and_bad_files(chat):
    (refused,) = await chat.upload("letter.txt", NEW_LETTER.encode(), user=STAFF)
    assert "仅限管理员" in refused.text
    (wrong_type,) = await chat.upload("photo.exe", b"MZ\x90\x00")
    assert "不支持的文件类型" in wrong_type.text
    before = len(chat.services.repo.proposals())
    (broken,) = await chat.upload("broken.pdf", b"%PDF-1.4\n garbage without objects")
    assert "导入失败" in broken.text
    (noise,) = await chat.upload("noise.txt", os.urandom(200_000))
    assert "导入失败" in noise.text
    assert len(chat.services.repo.proposals()) == before


async def test_upload_over_the_size_limit(tmp_path, emulator, clock):
    from tests.conftest import Chat, start_bot, stop_bot

    app, services = await start_bot(emulator, write_config(tmp_path, "[bot]\nmax_upload_mb = 1\n"), clock)
    try:
        chat = Chat(emulator, app, services, clock)
        (too_big,) = await chat.upload("big.txt", b"x" * (2 * 1024 * 1024))
        assert "文件太大" in too_big.text and "1 MB" in too_big.text
    finally:
        await stop_bot(app)


def assignment_xlsx(rows):
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["晋城市政协八届四次会议提案交办清单"])
    sheet.append(["序号", "提案号", "案由", "提案人", "主办单位", "协办单位", "交办日期", "办理期限", "承办人", "联系电话"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ROWS = [
    [1, "0012", "关于加强农村饮水安全的提案", "王芳", "晋城市水务局", "晋城市财政局、晋城市卫健委", "2026-10-09", "2027/1/9", "陈刚", "0356-2223344"],
    [2, "0013", "关于发展智慧农业的提案", "九三学社晋城市委会", "晋城市农业农村局", "", 46304, None, "刘洋", "13903561234"],
    [3, "", "缺少案号的一行", "某委员", "晋城市教育局", "", "2026-10-09", None, None, None],
    [4, "0015", "关于改善停车的提案", "李四", "晋城市公安局", "", "2026年10月9日", "明年春天", None, None],
]


def test_assignment_list_imports_good_rows_and_reports_bad_ones(tmp_path):
    from bot.config import load_config
    from bot.importer import Importer

    repo = Repository(tmp_path / "p.json")
    importer = Importer(repo, load_config(write_config(tmp_path)))
    report = importer.import_bytes(assignment_xlsx(ROWS), "交办清单.xlsx")
    assert report.error is None, report
    assert report.counts["proposals"]["created"] == 2
    assert report.counts["contacts"]["created"] == 2
    assert any(reason.startswith("第5行：") and "缺少案号" in reason for reason in report.skipped)
    assert any(reason.startswith("第6行：") and "办理期限" in reason for reason in report.skipped)
    assert "跳过 2 行" in report.summary()
    water = repo.find_by_number("12")[0]
    assert (water.body, water.region, water.term, water.meeting) == ("政协", "晋城市", 8, 4)
    assert water.co_units == ["晋城市财政局", "晋城市卫健委"]
    assert (water.assigned_date, water.due_date, water.state) == ("2026-10-09", "2027-01-09", "assigned")
    (chen,) = repo.contacts_by_id(water.handlers)
    assert (chen.name, chen.unit, chen.phones) == ("陈刚", "晋城市水务局", ["0356-2223344"])
    farm = repo.find_by_number("13")[0]
    assert farm.assigned_date == "2026-10-09"  # Excel serial date 46304
    again = importer.import_bytes(assignment_xlsx(ROWS), "交办清单.xlsx")
    assert not again.changed and again.counts["proposals"]["unchanged"] == 2


def test_contact_list_in_gbk_csv(tmp_path):
    from bot.config import load_config
    from bot.importer import Importer

    repo = Repository(tmp_path / "p.json")
    csv_text = "姓名,单位,联系电话,Telegram\n唐志文,高平市发展改革和科技局,0356-5220956,@tangzw\n赵丽,晋城市住房和城乡建设局,13800001111,\n"
    report = Importer(repo, load_config(write_config(tmp_path))).import_bytes(csv_text.encode("gbk"), "联系人.csv")
    assert report.counts["contacts"]["created"] == 2, report
    tang = repo.find_contact("唐志文", "高平市发展改革和科技局")
    assert tang.telegram_username == "tangzw" and tang.phones == ["0356-5220956"]


async def test_upload_assignment_list_in_chat(chat):
    (answer,) = await chat.import_list("交办清单.xlsx", assignment_xlsx(ROWS))
    assert "新增提案 2 件" in answer.text and "第5行：" in answer.text
    (card,) = await chat.send("/status 八届四次 12")
    assert "关于加强农村饮水安全的提案" in card.text and "陈刚 0356-2223344" in card.text
    water = chat.services.repo.find_by_number("12")[0]
    assert {e.by for e in chat.services.repo.events_for(water.id)} == {ADMIN}  # who uploaded the list


def test_a_list_whose_session_cells_omit_the_body_takes_it_from_its_title(tmp_path):
    import io

    from openpyxl import Workbook

    from bot.config import load_config
    from bot.importer import Importer

    book = Workbook()
    sheet = book.active
    sheet.append(["晋城市政协提案交办清单"])
    sheet.append(["提案号", "案由", "主办单位", "届次", "交办日期"])
    sheet.append(["0031", "关于加强农村饮水安全的提案", "晋城市水务局", "八届三次", "2026-10-09"])
    sheet.append(["0032", "关于发展智慧农业的提案", "晋城市农业农村局", "八届三次", "2026-10-09"])
    out = io.BytesIO()
    book.save(out)
    repo = Repository(tmp_path / "p.json")
    report = Importer(repo, load_config(write_config(tmp_path))).import_bytes(out.getvalue(), "交办清单.xlsx")
    assert report.error is None and report.skipped == [], report
    assert report.counts["proposals"]["created"] == 2
    water = repo.find_by_number("31")[0]
    assert (water.body, water.region, water.term, water.meeting) == ("政协", "晋城市", 8, 3)
