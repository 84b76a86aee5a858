"""Defects a QA session found, each as it was met in chat (the sample records are loaded)."""

CSV_HEAD = "提案号,案由,提案人,主办单位,交办日期\n"


async def test_two_commands_in_one_message_are_not_read_as_one(chat):
    (answer,) = await chat.send("/status 125\n/status TA10")
    assert answer.text == "一条消息只能发一条命令，请分开发送：\n/status 125\n/status TA10"
    (answer,) = await chat.send("/status 125 /status TA10")
    assert answer.text.startswith("一条消息只能发一条命令")
    (answer,) = await chat.send("/reply 9999 B 2026/11/10")  # a date's slashes are no command
    assert answer.text.startswith("未找到第9999号")


async def test_status_with_several_numbers_answers_each(chat):
    cards = await chat.send("/status 125、TA10", expect=2)
    assert "第125号" in cards[0].text and "第TA0010号" in cards[1].text
    (too_many,) = await chat.send("/status 1,2,3,4,5,6")
    assert too_many.text == "一次最多查询 5 件（这次写了 6 件），请分几次发送。"


async def test_a_list_date_without_its_year_takes_the_import_dates_and_warns(chat):
    lst = "晋城市政协八届五次会议提案交办清单\n" + CSV_HEAD + "901,关于甲的建议,张三,市发改委,3月15日\n"
    (answer,) = await chat.import_list("清单.csv", lst.encode("utf-8"))
    assert "新增提案 1 件" in answer.text, answer.text
    assert "第3行：交办日期没有写年份，已按导入日期取 2026 年，请核对" in answer.text
    assert chat.services.repo.find_by_number("901")[0].assigned_date == "2026-03-15"


async def test_an_npc_card_names_the_deputy(chat):
    lst = ("晋城市第十七届人民代表大会第三次会议代表建议交办清单\n" + CSV_HEAD
           + "902,关于乙的建议,李四,市交通局,2026-09-15\n")
    await chat.import_list("建议.csv", lst.encode("utf-8"))
    (card,) = await chat.send("/status 902")
    assert "代表：李四" in card.text and "提案人" not in card.text, card.text
    (replied,) = await chat.send("/reply 902 A 2026-11-20")
    assert "等待代表反馈" in replied.text, replied.text
    (card,) = await chat.send("/status 125")
    assert "提案人：民建晋城市委会" in card.text


async def test_a_title_cell_over_two_lines_is_one_line(chat):
    lst = '晋城市政协八届五次会议提案交办清单\n' + CSV_HEAD + '903,"关于加快推动\n城乡融合的建议",王五,市发改委,2026-09-15\n'
    await chat.import_list("清单.csv", lst.encode("utf-8"))
    assert chat.services.repo.find_by_number("903")[0].title == "关于加快推动城乡融合的建议"


async def test_merge_does_not_echo_a_pasted_page(chat):
    (answer,) = await chat.send("/merge " + "很" * 4000 + " 晋城市教育局")
    assert answer.text.startswith("找不到单位：" + "很" * 40 + "…、"), answer.text[:80]
    assert len(answer.text) < 200
