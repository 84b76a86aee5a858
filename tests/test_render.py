"""The shared text pieces: one title shortener, one contact label, one grouping of due lists.
Each case below is one where two of the former copies disagreed."""

from __future__ import annotations

from datetime import date

from bot.model import FOLLOW_UP, Contact, Proposal
from bot.render import contact_label, proposal_line, short_title
from bot.report import listing_text
from bot.stats import OVERDUE, DueItem, DueList, by_lead_unit

TODAY = date(2026, 12, 14)


def item(number: str, due: date, unit: str = "教育局", title: str = "关于加强校园安全的建议", **fields) -> DueItem:
    p = Proposal(body="政协", region="晋城市", term=8, meeting=3, number=number, title=title, lead_unit=unit,
                 id=int(number), **fields)
    return DueItem(p, due, (due - TODAY).days)


def test_short_title_cuts_with_an_ellipsis_and_names_a_missing_title():
    assert short_title("关于" + "很" * 40 + "的建议", 10) == "关于很很很很很很很…"
    assert short_title("  关于校园安全的建议 ", 10) == "关于校园安全的建议"
    assert short_title("", 10) == short_title(None) == short_title("   ") == "（无标题）"


def test_a_blank_title_in_a_contact_card_line_is_named():
    # the card's line used to print nothing for a blank title (the list lines said （无标题）)
    p = Proposal(body="政协", region="晋城市", term=8, meeting=3, number="7", title="", id=7)
    assert proposal_line(p, None, TODAY).startswith("7 （无标题）")


def test_contact_label_leaves_out_an_unknown_unit():
    assert contact_label(Contact(name="张三", unit="晋城市教育局")) == "张三（晋城市教育局）"
    assert contact_label(Contact(name="张三", unit="")) == "张三"  # /users printed 张三（）


def test_overdue_grouping_orders_units_by_size_and_items_by_days_then_number():
    items = [item("104", date(2026, 12, 1)), item("23", date(2026, 12, 1)), item("5", date(2026, 11, 20)),
             item("9", date(2026, 12, 2), unit="民政局"), item("11", date(2026, 12, 3), unit="")]
    groups = by_lead_unit(items)
    assert [unit for unit, _ in groups] == ["教育局", "民政局", "（未指定主办单位）"]
    # the longest overdue first, then 23 before 104 (the list text sorted numbers as strings)
    assert [i.proposal.number for i in groups[0][1]] == ["5", "23", "104"]
    text = listing_text(DueList(OVERDUE, TODAY, items))
    assert text.index("第23号") < text.index("第104号")


def test_list_lines_tag_follow_up_items():
    follow = item("8", date(2026, 12, 20), state=FOLLOW_UP, follow_up_date="2026-12-20")
    assert "关于加强校园安全的建议（跟进） · 截止 2026-12-20" in listing_text(
        DueList("due_soon", TODAY, [follow], start=TODAY, end=date(2026, 12, 31)))
