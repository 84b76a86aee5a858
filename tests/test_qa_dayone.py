"""A clerk's first day, tried by hand and kept as tests: what broke when last week's list, a
lead unit's reply and a co-unit's opinion went in, and the clerk typed a wrong year."""

from bot.model import Proposal

LIST = ("晋城市政协八届五次会议提案交办清单\n"
        "提案号,案由,提案人,主办单位,协办单位,交办日期\n"
        "第1号,关于加快数字经济发展的建议,张三,市发改委,市工信局、市财政局,2026-09-15\n"
        "2,关于R&D投入加计扣除的建议,李四,市发改委,,2026-09-15\n")

CO_UNIT_OPINION = """晋城市财政局

关于市政协八届五次会议第1号提案的协办意见

市发展改革委：

张三委员提出的《关于加快数字经济发展的建议》收悉，经研究，提出协办意见如下：
我局将在预算安排上给予支持。

联系人：黄建平
联系电话：0356-2020008

晋城市财政局
2026年11月10日
"""


def item(chat, number):
    (p,) = chat.services.repo.find_by_number(number)
    return chat.services.repo.get(Proposal, p.id)


async def test_a_reply_dated_before_the_assignment_is_refused(chat):
    await chat.import_list("清单.csv", LIST.encode("utf-8"))
    (answer,) = await chat.send("/reply 2 B 2020-01-01")  # typed 2020 for 2026
    assert "早于交办日期 2026-09-15" in answer.text, answer.text
    assert item(chat, "2").state == "assigned"
    assert not chat.services.repo.events_for(item(chat, "2").id)[1:]  # only the assignment
    await chat.send("/reply 2 B 2026-11-20")
    (answer,) = await chat.send("/feedback 2 不满意 2020-11-22")
    assert "早于交办日期 2026-09-15" in answer.text, answer.text
    assert item(chat, "2").state == "follow_up" and item(chat, "2").feedback is None


async def test_a_co_unit_opinion_upload_says_it_was_recorded(chat):
    await chat.import_list("清单.csv", LIST.encode("utf-8"))
    (answer,) = await chat.upload("财政局协办意见.txt", CO_UNIT_OPINION.encode("utf-8"))
    # the letter names the unit in full: that is its name now (the list wrote 市财政局)
    assert "已登记晋城市财政局的协办意见" in answer.text, answer.text
    assert "未做任何更改" not in answer.text.splitlines()[0], answer.text
    assert "协办意见 1 件" in answer.text.splitlines()[0], answer.text
    # the same letter again, under another name: now nothing changes, and it says so
    (again,) = await chat.upload("协办意见(1).txt", CO_UNIT_OPINION.encode("utf-8"))
    assert "未做任何更改" in again.text.splitlines()[0], again.text


async def test_a_list_whose_rows_all_failed_does_not_claim_it_matched(chat):
    no_session = "提案号,案由,主办单位\n9,关于测试的建议,市教育局\n"
    (answer,) = await chat.import_list("清单.csv", no_session.encode("gbk"))
    first = answer.text.splitlines()[0]
    assert "内容与已有记录相同" not in first and "没有导入" in first, answer.text


async def test_two_units_in_the_lead_cell_are_not_glued_into_one(chat, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["晋城市政协八届五次会议提案交办清单"])
    ws.append(["提案号", "案由", "提案人", "主办单位", "协办单位", "交办日期"])
    ws.append(["13", "关于城区内涝治理的建议", "王五", "市住建局\n市城管局", "市水务局", "2026-09-15"])
    ws.append(["14", "关于背街小巷改造的建议", "赵六", "市住建局、市城管局", "", "2026-09-15"])
    path = tmp_path / "清单.xlsx"
    wb.save(path)
    (answer,) = await chat.import_list(path.name, path.read_bytes())
    assert "第3行：主办单位写了 2 个（市住建局、市城管局）" in answer.text, answer.text
    names = {d.name for d in chat.services.repo.departments()}
    assert not any("市住建局市城管局" in n or "、" in n for n in names), names
    assert item(chat, "13").lead_unit == "市住建局" and item(chat, "13").co_units == ["市城管局", "市水务局"]
    assert item(chat, "14").lead_unit == "市住建局" and item(chat, "14").co_units == ["市城管局"]


def test_console_upload_speaks_chinese_and_takes_a_dragged_path(tmp_path):
    """A file dragged into a terminal arrives quoted; a wrong path is said in Chinese."""
    import os
    import subprocess
    import sys

    from tests.conftest import write_config

    folder = tmp_path / "我的 文件"
    folder.mkdir()
    (folder / "清单.csv").write_text(LIST, encoding="utf-8")
    typed = f"/upload\n/upload {tmp_path}/没有这个文件.xlsx\n/upload {tmp_path}\n/upload '{folder}/清单.csv'\n2\n"  # 2: 导入并提醒
    env = {k: v for k, v in os.environ.items() if k != "PROPOSAL_BOT_TOKEN"}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(write_config(tmp_path))],
                          input=typed, capture_output=True, text=True, timeout=90, env=env)
    out = done.stdout
    assert "用法：/upload 文件路径" in out, out
    assert "找不到文件" in out and "是一个文件夹" in out, out
    assert "No such file" not in out and "Is a directory" not in out, out
    assert "已导入清单.csv：新增提案 2 件" in out, out


def test_a_name_spaced_out_to_align_the_column_is_one_name():
    from bot.parsing import split_names

    assert split_names("刘 晓 燕") == ["刘晓燕"]
    assert split_names("刘 晓燕") == ["刘晓燕"]
    assert split_names("张  三") == ["张三"]
    assert split_names("张三 李四") == ["张三", "李四"]
    assert split_names("张三、李四") == ["张三", "李四"]


async def test_a_contact_row_with_a_spaced_out_name_gives_the_unit_its_handler(chat):
    await chat.import_list("清单.csv", LIST.encode("utf-8"))
    contacts = "晋城市承办单位联系人名单\n单位,姓名,职务,手机\n市发改委,郭 晓 峰,联络员,13903560001\n"
    (answer,) = await chat.upload("联系人.csv", contacts.encode("utf-8"))
    assert "新增联系人 1 人" in answer.text and "多个姓名" not in answer.text, answer.text
    assert [c.name for c in chat.services.units.handlers_of(item(chat, "2"))] == ["郭晓峰"]


async def test_a_contact_list_without_a_region_finds_the_unit_its_list_named(chat):
    """The database knows two cities (晋城市 and the samples' 高平市); a contact list with no
    title says 市发改委, the form the 晋城市 list used: the same unit, not a new 市发改委."""
    await chat.import_list("清单.csv", LIST.encode("utf-8"))
    units_before = len(chat.services.repo.departments())
    contacts = "单位,姓名,职务,手机\n市发改委,郭晓峰,联络员,13903560001\n"
    await chat.upload("联系人.csv", contacts.encode("utf-8"))
    assert len(chat.services.repo.departments()) == units_before, [d.name for d in chat.services.repo.departments()]
    assert [c.name for c in chat.services.units.handlers_of(item(chat, "2"))] == ["郭晓峰"]
    (dept,) = await chat.send("/dept 市发改委")
    assert "晋城市发展和改革委员会 · 在办 2 件" in dept.text, dept.text


async def test_an_unknown_region_unit_near_several_is_marked_to_confirm(chat):
    """Not the form any unit was written in, and two cities' units it may abbreviate: 待确认."""
    await chat.import_list("清单.csv", LIST.encode("utf-8"))
    contacts = "单位,姓名,职务,手机\n市发展改革委,郭晓峰,联络员,13903560001\n"
    (answer,) = await chat.upload("联系人.csv", contacts.encode("utf-8"))
    assert "待确认" in answer.text and "晋城市发展和改革委员会" in answer.text, answer.text
