"""A short check of one reply letter against the local rules and the proposal it answers.

``check_letter(parsed, proposal, config, calendar)`` returns findings (Chinese messages), each
named by its rule. Which rules apply is set per jurisdiction (``reply_checks`` of a ``[[rules]]``
entry; every rule by default):

- ``class``: no class where the local scheme has classes, or a class the scheme does not know;
- ``handler`` / ``phone``: no handler (承办人 / 联系人), no phone;
- ``late``: signed after the reply deadline (by how many days);
- ``proposer`` / ``title``: the letter names another proposer or another title than the record;
- ``doc_number``: no document number (发文字号);
- ``issuer``: the issuing unit is not the lead unit, or the header and signature units disagree;
- ``addressee``: addressed to a unit (the lead unit) rather than the proposer: a co-unit's opinion.

The parsed letter is taken as ``parsing.parse_letter`` gives it (Traditional letters are
compared through their Simplified copy). Without a proposal (not in the database) only the
letter's own rules run. Pure core module: no telegram, no tinydb.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Callable

from rapidfuzz import fuzz

from bot.config import REPLY_CHECKS as CHECKS
from bot.config import Config
from bot.deadlines import WorkCalendar, handling_due_date
from bot.model import Proposal
from bot.parsing import for_matching, is_government_unit


@dataclass(frozen=True)
class Finding:
    rule: str  # one of CHECKS
    message: str  # Chinese, one line

    def to_json(self) -> dict:
        return asdict(self)


def check_letter(
    parsed: dict, proposal: Proposal | None, config: Config, calendar: WorkCalendar | None = None,
    same_unit: Callable[[str, str], bool] | None = None,
) -> list[Finding]:
    """The findings for one parsed letter; ``same_unit(a, b)`` says whether two unit names are
    one unit (the unit registry's resolver when there is one; by default their names)."""
    letter = for_matching(parsed)
    region = (proposal.region if proposal else None) or letter.get("region") or "*"
    body = (proposal.body if proposal else None) or letter.get("body")
    enabled = _enabled(config, region, body)
    same = same_unit or _same_name
    findings: list[Finding] = []

    def add(rule: str, message: str) -> None:
        if rule in enabled:
            findings.append(Finding(rule, message))

    addressee = letter.get("addressee") or ""
    to_unit = bool(addressee) and is_government_unit(addressee)
    if to_unit:
        lead = proposal.lead_unit if proposal else ""
        if lead and same(addressee, lead):
            add("addressee", f"信是写给主办单位（{parsed.get('addressee')}）的：这是协办意见，不是给提案人的答复")
        else:
            add("addressee", f"信的称呼是单位（{parsed.get('addressee')}），不是提案人：可能是协办意见")

    if body in ("政协", "人大"):
        scheme = config.scheme_for(region, body)
        shown = "、".join(scheme.labels)
        classification = letter.get("classification")
        if not classification and not to_unit:
            add("class", f"未标明办理类别（本地方案：{shown}）")
        elif classification and classification not in scheme.labels:
            add("class", f"办理类别“{classification}”不在本地方案（{shown}）中")

    if not letter.get("handlers"):
        add("handler", "未写承办人（联系人）")
    if not letter.get("phones"):
        add("phone", "未写联系电话")
    if not letter.get("doc_number"):
        add("doc_number", "没有发文字号")

    issuer, signed = letter.get("issuer"), letter.get("signed_by")
    if issuer and signed and _key(issuer) != _key(signed):
        add("issuer", f"抬头单位（{parsed.get('issuer')}）与落款单位（{parsed.get('signed_by')}）不一致")

    if proposal is None:
        return findings

    writer = issuer or signed  # a header that disagrees with the signature is reported above
    if writer and proposal.lead_unit and not to_unit and not same(writer, proposal.lead_unit):
        shown_writer = parsed.get("issuer") or parsed.get("signed_by")
        add("issuer", f"答复单位（{shown_writer}）不是主办单位（{proposal.lead_unit}）")

    reply_date, due = letter.get("reply_date"), handling_due_date(proposal, config, calendar)
    if reply_date and due is not None and not to_unit:
        late = (date.fromisoformat(reply_date) - due).days
        if late > 0:
            add("late", f"答复日期 {reply_date} 晚于办理期限 {due.isoformat()}，逾期 {late} 天")

    proposer = letter.get("proposer")
    if proposer and proposal.proposer and not _same_proposer(proposer, proposal.proposer):
        add("proposer", f"信中的提案人“{parsed.get('proposer')}”与记录“{proposal.proposer}”不符")

    title = letter.get("title")
    if title and proposal.title and not _same_title(title, proposal.title):
        add("title", f"信中的标题“{parsed.get('title')}”与记录“{proposal.title}”不符")
    return findings


def _enabled(config: Config, region: str, body: str | None) -> tuple[str, ...]:
    if body not in ("政协", "人大"):
        rules = [r for r in config.rules if r.region in (region, "*")]
        return tuple(set().union(*(r.reply_checks for r in rules))) if rules else CHECKS
    return config.rule_for(region, body).reply_checks


def _key(name: str) -> str:
    return re.sub(r"[\s（）()]", "", name or "")


def _same_name(a: str, b: str) -> bool:
    from bot.importer import same_unit

    return same_unit(_key(a), _key(b))


def _same_proposer(a: str, b: str) -> bool:
    from bot.importer import same_proposer

    return same_proposer(a, b)


def _title_key(title: str) -> str:
    title = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", title)
    return re.sub(r"^关于|(?:的)?(?:建议|提案|议案|意见)$", "", title)


def _same_title(a: str, b: str) -> bool:
    x, y = _title_key(a), _title_key(b)
    return x in y or y in x or fuzz.ratio(x, y) >= 80
