"""After /merge, an item's history names the merged unit as the unit it was folded into (by id
at render time, the stored events unchanged), the co-unit's opinion still counts for it, and
after a restart too."""

from tests.conftest import Chat, start_bot, stop_bot, write_config

LIST = ("（示例数据）晋城市政协八届五次会议提案交办清单\n提案号,案由,提案人,主办单位,协办单位,交办日期\n"
        "2,关于乙的建议,李四,晋城市教育局,,2026-09-15\n"
        "1,关于甲的建议,张三,晋城市交通运输局,市教体局,2026-09-15\n")


async def test_merged_units_show_under_their_new_name_in_card_and_timeline(tmp_path, emulator, clock):
    config = write_config(tmp_path)
    app, svc = await start_bot(emulator, config, clock, samples=False)
    chat = Chat(emulator, app, svc, clock)
    try:
        (answer,) = await chat.import_list("清单.csv", LIST.encode("utf-8"))
        assert "单位“市教体局”待确认" in answer.text, answer.text
        (done,) = await chat.send("/opinion 1 市教体局 2026-11-10")
        assert done.text.startswith("已登记协办意见"), done.text
        (merged,) = await chat.send("/merge 市教体局 晋城市教育局")
        assert "转移事项 1 件" in merged.text, merged.text
        (card,) = await chat.send("/status 1")
        assert "协办：晋城市教育局（已提交意见）" in card.text, card.text
        assert "协办意见 晋城市教育局" in card.text and "市教体局" not in card.text
        (stored,) = [e for e in svc.repo.events_for(svc.repo.find_by_number("1")[0].id) if e.kind == "co_unit_opinion"]
        assert stored.unit == "市教体局"  # the stored event keeps the name it had
    finally:
        await stop_bot(app)
    app, svc = await start_bot(emulator, config, clock, samples=False)
    chat = Chat(emulator, app, svc, clock)
    try:
        item = svc.repo.find_by_number("1")[0]
        assert item.co_units == ["晋城市教育局"] and item.co_units_done == ["晋城市教育局"]
        (card,) = await chat.send("/status 1")
        assert "协办：晋城市教育局（已提交意见）" in card.text and "市教体局" not in card.text, card.text
        (timeline,) = await chat.press(card, 0)
        assert "2026-11-10 协办意见 晋城市教育局" in timeline.text, timeline.text
    finally:
        await stop_bot(app)
