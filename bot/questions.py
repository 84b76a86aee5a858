"""Questions in plain words: 125号办得怎么样了, 发改委的联系人是谁, 哪些单位逾期了.

:func:`parse_question` places a message in one of a few intents by rules (no model): the words
that ask (电话, 逾期, 到期, 办复率 …) pick the intent, and are stripped, with the question words
and particles (请问, 多少, 吗 …), before what is left — the subject — is matched by the search
index. :func:`answer_question` answers with the right record first; a message it cannot place
is searched as today (the subject first, then the whole text).

Intents: contact (a person's or unit's phone), status (one proposal), unit_open (a unit's open
items), overdue, due_soon (a window: 本周, 下周, 本月, N天内 …), stats (a session's or unit's
figures), search. Pure core: no telegram.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.lookup import lookup_number, nearest_numbers
from bot.numbers import CN_NUMERAL_CHARS, Session, cn_to_int, parse_session
from bot.search import (
    CERTAIN_MARGIN, CERTAIN_MIN, RESULT_CUTOFF, Hit, SearchIndex, SearchResult, clean_query, result_to_json,
)
from bot.stats import (
    DUE_SOON, OVERDUE, DueList, Figures, due_soon_list, figures, month_window, open_list, overdue_list,
    session_facts, session_text, week_window,
)

CONTACT, STATUS, UNIT_OPEN, STATS, SEARCH = "contact", "status", "unit_open", "stats", "search"
INTENTS = (CONTACT, STATUS, UNIT_OPEN, OVERDUE, DUE_SOON, STATS, SEARCH)

_N = rf"[0-9{CN_NUMERAL_CHARS}]+"
_SESSION = re.compile(rf"第?{_N}届(?:[^第次届\d]{{0,12}}?)第?{_N}次(?:会议)?")
_BODY = re.compile(r"政协|人大|人民代表大会")
_PHONE = re.compile(r"\d{3,4}-\d{6,8}|\d{7,}")
# A proposal number: 125号, 第125号, TA10, ta-0010, 6.11 — not 7天, 10件, 2026年.
_NUMBER = re.compile(
    r"(?:第\s*)?(?<![A-Za-z0-9.])([A-Za-z]{0,4}[-_]?\d{1,8}(?:\.\d+)?)(?![0-9.])"
    r"(?!\s*(?:天|日|周|个|月|年|件|位|%|％|类|届|次|小时))\s*号?"
)

_STATS = re.compile(r"办复率|答复率|办结率|满意率|满意度|按期|统计|汇总|总体|整体|概况|占比|比例|完成率|"
                    r"一共|总共|共有|总数|多少件提案|多少件建议|数据")
_OVERDUE = re.compile(r"逾期|超期|过期|超时|拖期|误期|延误|(?:超过|过了)(?:办理)?(?:期限|时限|截止)")
_DUE = re.compile(r"到期|截止|期限|届满|要办完|快到|临期|即将到")
_CONTACT = re.compile(r"电话|手机|号码|联系|联络|座机|承办人|经办人|负责人|对接|找谁|谁负责|谁在办|谁办|"
                      r"谁管|谁承办")
_OPEN = re.compile(r"还有|没办完|没有办完|未办|没办|未完成|没完成|未答复|没答复|没回复|未回复|在办|待办|手上|"
                   r"手里|还剩|几件|多少件|几个|清单|列表|有哪些|哪些")
_STATUS = re.compile(r"办得|进展|进度|状态|情况|怎么样|如何|到哪|哪一步|答复了|回复了|办结|办完|办了|满意|"
                     r"什么时候|几天")

# Windows for due-soon questions, checked in order.
_DAYS = re.compile(rf"({_N}|两)\s*(?:个)?(天|日|周|星期|礼拜)(?:之内|以内|内)")
_WINDOW_WORDS = re.compile(r"今天|今日|明天|明日|后天|本周|这周|这星期|本星期|这礼拜|本周内|下周|下星期|下礼拜|"
                           r"本月|这个月|这月|月底|下个月|下月|近期|最近|马上|即将|快")

# Stripped from the subject: what the intents look for, question words, particles, nouns that
# name what is asked about. Longest first, so 联系电话 goes before 电话.
_STRIP = sorted({
    *"电话 手机 手机号 号码 电话号码 联系方式 联系电话 联系人 联系 联络员 联络 座机 承办人 经办人 负责人 对接 "
     "找谁 谁负责 谁在办 谁办 谁管 谁承办 怎么联系 如何联系 怎么找".split(),
    *"还有 没办完 没有办完 未办结 未办 没办 未完成 没完成 未答复 没答复 没回复 未回复 在办 待办 手上 手里 还剩 "
     "几件 多少件 几个 清单 列表 有哪些 事项 办理进度 办理情况".split(),
    *"办得 进展 进度 状态 情况 怎么样 到哪 哪一步 答复了 回复了 办结 办完 办了 满意 什么时候 几天 办理".split(),
    *"逾期 超期 过期 超时 拖期 误期 延误 超过 过了 期限 时限 截止日期 截止 到期 届满 要办完 快到 临期 即将到 "
     "排名 最多".split(),
    *"办复率 答复率 办结率 满意率 满意度 按期 统计 汇总 总体 整体 概况 占比 比例 完成率 一共 总共 共有 总数 数据 "
     "A类 B类 C类 D类".split(),
    *"请问一下 请问 麻烦你 麻烦 帮我 帮忙 给我 我想知道 我想 想知道 查一下 查下 查查 查询 看一下 看下 看看 找一下 "
     "找下 找找 搜一下 告诉我 列出 显示 一下 是多少 多少 是什么 什么 是谁 谁 哪些 哪个 哪儿 哪里 哪 怎么样 怎样 "
     "怎么 如何 有没有 没有 有吗 吗 呢 啊 呀 吧 嘛 么 了 现在 目前 当前 已经 还 所有 全部 各 那件 那个 这件 这个 "
     "单位 部门 提案 建议 议案 的 是 有 件 个 前 内 之内 以内 要 会议".split(),
}, key=len, reverse=True)
_STRIP_RE = re.compile("|".join(map(re.escape, _STRIP)))
_PUNCT = re.compile(r"[\s?？!！。，,、:：;；~～…\"“”'‘’《》()（）]+")


@dataclass
class Question:
    text: str                            # as typed (NFKC)
    intent: str
    subject: str                         # what is left to look up
    number: str | None = None            # the number as typed, for lookup_number
    session: Session | None = None
    window: tuple[date, date] | None = None  # due_soon


def _window(text: str, today: date) -> tuple[date, date]:
    match = _DAYS.search(text)
    if match:
        n = 2 if match.group(1) == "两" else cn_to_int(match.group(1)) or 7
        days = n * (7 if match.group(2) in ("周", "星期", "礼拜") else 1)
        return today, today + timedelta(days=days)
    for words, window in (
        (("今天", "今日"), (today, today)),
        (("明天", "明日"), (today + timedelta(days=1),) * 2),
        (("后天",), (today + timedelta(days=2),) * 2),
        (("下周", "下星期", "下礼拜"), week_window(today, 1)),
        (("本周", "这周", "这星期", "本星期", "这礼拜"), week_window(today)),
        (("下个月", "下月"), month_window(today, 1)),
        (("本月", "这个月", "这月", "月底"), month_window(today)),
    ):
        if any(w in text for w in words):
            return window
    return today, today + timedelta(days=7)


def strip_subject(text: str) -> str:
    """The text without what asks: intent words, question words, particles, punctuation."""
    text = _DAYS.sub("", text)
    text = _WINDOW_WORDS.sub("", text)
    text = _STRIP_RE.sub("", text)
    return _PUNCT.sub("", text)


def parse_question(text: str, today: date) -> Question:
    """Place a message in an intent, and keep its subject (stripped of the asking words)."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    han = bool(re.search(r"[\u4e00-\u9fff]", raw))
    compact = re.sub(r"\s+", "", raw) if han else raw
    session = None
    rest = compact
    match = _SESSION.search(compact)
    if match:
        session = parse_session(match.group(0) + "会议" if "会议" not in match.group(0) else match.group(0))
        if session is not None:
            body = "人大" if re.search(r"人大|人民代表大会|代表", compact) else (
                "政协" if re.search(r"政协|委员", compact) else None)
            session = Session(session.term, session.meeting, body)
            rest = compact[:match.start()] + " " + compact[match.end():]
    body_word = _BODY.search(rest)
    if _PHONE.search(rest):
        return Question(raw, CONTACT if _CONTACT.search(rest) else SEARCH, _PHONE.search(rest).group(0),
                        session=session)
    number = _NUMBER.search(rest) if han or re.search(r"\d", rest) else None
    if number and not re.search(r"\d", number.group(1)):
        number = None
    if number:
        typed = number.group(1)
        around = rest[:number.start()] + rest[number.end():]
        # 提案4号 / 建议4号 name the body too (lookup_number keeps them only when one matches).
        kind_word = body_word or re.search(r"提案|建议", rest)
        prefix = session_prefix(session, kind_word.group(0) if kind_word else None)
        intent = CONTACT if _CONTACT.search(around) else STATUS
        return Question(raw, intent, typed, number=f"{prefix} {typed}".strip(), session=session)
    rest = _BODY.sub("", rest)
    subject = strip_subject(rest)
    if _STATS.search(rest):
        return Question(raw, STATS, subject, session=session)
    if _OVERDUE.search(rest):
        return Question(raw, OVERDUE, subject, session=session)
    if _DUE.search(rest):
        return Question(raw, DUE_SOON, subject, session=session, window=_window(rest, today))
    if _CONTACT.search(rest):
        return Question(raw, CONTACT, subject, session=session)
    if _OPEN.search(rest):
        return Question(raw, UNIT_OPEN, subject, session=session)
    if _STATUS.search(rest):
        return Question(raw, STATUS, subject, session=session)
    return Question(raw, SEARCH, subject or compact, session=session)


def session_prefix(session: Session | None, body: str | None) -> str:
    if session is None:
        return body or ""
    return f"{session.body or body or ''}{session.term}届{session.meeting}次"


# -- answers -------------------------------------------------------------------------------------

@dataclass
class Answer:
    question: Question
    result: SearchResult | None = None   # records, best first (proposal / contact / unit hits)
    listing: DueList | None = None
    figures: Figures | None = None
    note: str | None = None              # Chinese, e.g. a unit that was not found
    unit: str | None = None              # the answer is this unit's contacts (all of them)

    @property
    def kind(self) -> str:
        if self.listing is not None:
            return "list"
        if self.figures is not None:
            return "stats"
        return "records"


def answer_question(svc, index: SearchIndex, text: str) -> Answer:
    """The answer to a message, the right record first; unplaced messages are searched."""
    query, reason = clean_query(text)
    if reason:
        return Answer(Question(text or "", SEARCH, ""), SearchResult(query=text or "", hits=[], reason=reason))
    today = svc.today()
    q = parse_question(query, today)
    if q.intent == CONTACT:
        return _contact(svc, index, q)
    if q.intent == STATUS:
        return _status(svc, index, q)
    if q.intent == UNIT_OPEN:
        return _unit_open(svc, index, q)
    if q.intent in (OVERDUE, DUE_SOON):
        unit, note = _unit_filter(index, q.subject)
        if q.intent == OVERDUE:
            listing = overdue_list(svc, today, unit, q.session)
        else:
            listing = due_soon_list(svc, today, *q.window, unit=unit, session=q.session)
        return Answer(q, listing=listing, note=note)
    if q.intent == STATS:
        unit, note = _unit_filter(index, q.subject)
        found = svc.office.kept(("figures", today, q.session, unit),
                                lambda: figures(session_facts(svc, today, q.session, unit), today, q.session, unit),
                                unit, q.session, scoped=True)
        return Answer(q, figures=found, note=note)
    return Answer(q, _search(index, q.subject, query))


def _search(index: SearchIndex, subject: str, text: str, kinds=None) -> SearchResult:
    """The subject first; the whole text when the subject finds nothing good."""
    result = index.search(subject or text, kinds)
    if not result.hits and subject and subject != text:
        whole = index.search(text, kinds)
        if whole.hits:
            return whole
    return result


def _top_unit(index: SearchIndex, subject: str) -> tuple[SearchResult | None, Hit | None]:
    """The units the subject matches, and the one it names when one clearly leads (abbreviations
    such as 住建局 score low but alone)."""
    if not subject:
        return None, None
    units = index.find_units(subject)
    if not units.hits or units.hits[0].score < RESULT_CUTOFF:
        return units, None
    top = units.hits[0]
    runner_up = units.hits[1].score if len(units.hits) > 1 else 0.0
    return units, top if top.score - runner_up >= CERTAIN_MARGIN else None


def _unit_filter(index: SearchIndex, subject: str) -> tuple[str | None, str | None]:
    """The unit a list or the figures are limited to (None: all units), and a note when the
    subject names no unit, or several."""
    units, unit = _top_unit(index, subject)
    if unit is not None:
        return unit.record.name, None
    if units is None:
        return None, None
    good = [h.record.name for h in units.hits if h.score >= RESULT_CUTOFF]
    if good:
        return None, f"“{subject}”对应多个单位（{'、'.join(good[:5])}），请写出全称。以下为全部单位。"
    return None, f"没有找到单位“{subject}”，以下为全部单位。"


def _proposal_hits(proposals, score: float = 100.0) -> list[Hit]:
    return [Hit("proposal", score, p, "number") for p in proposals]


def _by_number(svc, q: Question) -> SearchResult:
    found = lookup_number(svc.repo, q.number or "")
    if found.matches:
        return SearchResult(q.text, _proposal_hits(found.matches), certain=len(found.matches) == 1)
    if found.deleted:
        return SearchResult(q.text, [], reason=found.not_found_text())
    if found.query.key:  # lookup_number already found the nearest numbers, and says so
        near, reason = found.suggestions, found.not_found_text()
    else:
        near = nearest_numbers(svc.repo, q.subject) if q.subject else []
        reason = f"未找到第{q.subject}号。" + (f"相近的有：{'、'.join(near)}。" if near else "")
    suggestions = [p for n in near for p in svc.repo.find_by_number(n)][:8]
    return SearchResult(q.text, [], reason=reason, suggestions=_proposal_hits(suggestions, 50.0))


def _contact(svc, index: SearchIndex, q: Question) -> Answer:
    if q.number:
        result = _by_number(svc, q)
        if result.certain:
            (proposal,) = [h.record for h in result.hits]
            handlers = svc.units.handlers_of(proposal)  # its own, else the lead unit's liaison
            if handlers:
                hits = [Hit("contact", 100.0, c, "handler") for c in handlers]
                return Answer(q, SearchResult(q.text, hits, certain=len(hits) == 1))
        return Answer(q, result)
    people = _search(index, q.subject, q.text, ("contact",))
    named = people.hits and people.hits[0].match != "unit" and people.hits[0].score >= CERTAIN_MIN
    _, unit = _top_unit(index, q.subject)
    if unit is not None and not named:
        # A unit's contacts: everyone the unit has, one answer.
        staff = [c for c in svc.repo.contacts() if c.unit == unit.record.name]
        if staff:
            hits = [Hit("contact", unit.score, c, "unit") for c in staff]
            return Answer(q, SearchResult(q.text, hits, certain=True), unit=unit.record.name)
    if people.hits:
        return Answer(q, people)
    return Answer(q, _search(index, q.subject, q.text))


def _status(svc, index: SearchIndex, q: Question) -> Answer:
    if q.number:
        return Answer(q, _by_number(svc, q))
    units, unit = _top_unit(index, q.subject)
    titles = _search(index, q.subject, q.text, ("proposal",))
    if unit is not None and (not titles.hits or unit.score >= titles.hits[0].score):
        return Answer(q, listing=open_list(svc, svc.today(), unit.record.name))
    return Answer(q, titles)


def _unit_open(svc, index: SearchIndex, q: Question) -> Answer:
    units, unit = _top_unit(index, q.subject)
    if unit is not None:
        return Answer(q, listing=open_list(svc, svc.today(), unit.record.name))
    if units is not None and units.hits:
        return Answer(q, units)  # several units: the person chooses
    return Answer(q, _search(index, q.subject, q.text))


def stats_scope(index: SearchIndex, text: str) -> tuple[Session | None, str | None, str | None]:
    """/stats [session] [unit] and the CLI's --session / --unit: (session, unit name, error in
    Chinese). ``八届三次 教育局``, ``教育局``, ``政协八届三次会议``."""
    raw = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    session = None
    match = _SESSION.search(raw)
    if match:
        session = parse_session(match.group(0) if "会议" in match.group(0) else match.group(0) + "会议")
        body = "人大" if re.search(r"人大|人民代表大会", raw) else "政协" if "政协" in raw else None
        session = Session(session.term, session.meeting, body) if session else None
        raw = raw[:match.start()] + raw[match.end():]
    elif re.search(r"届|次", raw):
        return None, None, f"没有看懂届次“{text.strip()[:30]}”，请写成 八届三次 或 政协八届三次会议。"
    rest = _BODY.sub("", raw)
    if not rest:
        return session, None, None
    units, unit = _top_unit(index, rest)
    if unit is not None:
        return session, unit.record.name, None
    good = [h.record.name for h in (units.hits if units else []) if h.score >= RESULT_CUTOFF]
    if good:
        return session, None, f"“{rest}”对应多个单位：{'、'.join(good[:5])}，请写出全称。"
    return session, None, f"没有找到单位“{rest}”。"


# -- JSON for the CLI (`find --json`) ------------------------------------------------------------

def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def listing_to_json(listing: DueList) -> dict[str, Any]:
    return {
        "list": listing.kind, "as_of": _iso(listing.as_of), "from": _iso(listing.start),
        "to": _iso(listing.end), "unit": listing.unit,
        "session": session_text(listing.session) if listing.session else None,
        "count": len(listing.items),
        "by_unit": [{"unit": u, "count": len(items)} for u, items in listing.by_unit()],
        "items": [
            {"id": i.proposal.id, "body": i.proposal.body, "session": i.proposal.session_label,
             "number": i.proposal.number, "title": i.proposal.title, "lead_unit": i.proposal.lead_unit,
             "state": i.proposal.state, "due_date": _iso(i.due), "days_left": i.days_left}
            for i in listing.items
        ],
    }


def figures_to_json(f: Figures) -> dict[str, Any]:
    return {
        "as_of": _iso(f.as_of), "session": session_text(f.session) if f.session else None, "unit": f.unit,
        "items": f.items, "replied": f.replied, "reply_rate": f.reply_rate,
        "replied_on_time": f.on_time, "on_time_rate": f.on_time_rate, "classes": f.classes,
        "feedback": f.feedback, "satisfied": f.satisfied, "satisfaction_rate": f.satisfaction_rate,
        "open": f.open, "overdue": f.overdue, "co_unit_opinions_outstanding": f.co_unit_pending,
        "overdue_by_unit": [{"unit": u, "count": n} for u, n in f.overdue_by_unit],
    }


def answer_to_json(index: SearchIndex, answer: Answer) -> dict[str, Any]:
    """`find --json`: the search shape ({query, results, certain, reason, suggestions}) plus the
    intent; a list or figures answer is one result of kind "list" or "stats"."""
    q = answer.question
    if answer.result is not None:
        out = result_to_json(index, answer.result)
    else:
        if answer.listing is not None:
            result = {"kind": "list", "score": 100.0, "match": answer.listing.kind,
                      "record": listing_to_json(answer.listing)}
        else:
            result = {"kind": "stats", "score": 100.0, "match": STATS, "record": figures_to_json(answer.figures)}
        out = {"query": q.text, "results": [result], "certain": True, "reason": answer.note, "suggestions": []}
    out["intent"] = q.intent
    out["subject"] = q.subject
    return out


__all__ = [
    "INTENTS", "Question", "Answer", "parse_question", "strip_subject", "answer_question",
    "answer_to_json", "listing_to_json", "figures_to_json",
]
