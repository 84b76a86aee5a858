"""A co-unit's opinion (协办意见) registered in chat, by the co-unit's liaison or an admin.

``register_opinion`` records the same ``co_unit_opinion`` event an uploaded opinion letter
does (bot.importer): the co-unit is done (its sub-deadline pings stop), the proposal stays as it
is (an opinion never replies for the lead unit) and its author never becomes a handler.

Who may: admins, for any co-unit of the item; the liaison of a co-unit, linked to Telegram, for
their own unit only (``opinion_units``). Everyone else gets a refusal that says who may.
``letter_problem`` applies the same rule to a liaison's upload of the opinion letter itself:
it is imported (as an admin's upload would be) only when it is that unit's opinion.

Pure core: no telegram. The handler parses the command, calls this and renders the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.deadlines import check_not_before_assignment
from bot.model import EV_CO_UNIT_OPINION, Department, Event, Proposal
from bot.render import number_label


@dataclass
class OpinionResult:
    proposal: Proposal                 # as the opinion leaves it (unchanged when refused)
    unit: Department | None = None     # the co-unit the opinion is from
    event: Event | None = None         # the recorded event; None: nothing was recorded
    earlier: Event | None = None       # the unit's opinion already on record (nothing recorded)
    problem: str = ""                  # why nothing was recorded (Chinese), empty when recorded

    @property
    def recorded(self) -> bool:
        return self.event is not None


def co_units(svc, p: Proposal) -> list[Department]:
    return [u for u in (svc.units.unit(uid) for uid in p.co_unit_ids) if u is not None]


def opinion_units(svc, p: Proposal, user_id: int) -> list[Department]:
    """The item's co-units whose opinion this user may register: all for an admin; the units
    whose linked liaison the user is, otherwise."""
    units = co_units(svc, p)
    if svc.is_admin(user_id):
        return units
    own = []
    for unit in units:
        liaison = svc.units.liaison_of(unit.id)
        if liaison is not None and liaison.contact.telegram_user_id == user_id:
            own.append(unit)
    return own


def co_unit_named(svc, p: Proposal, name: str) -> Department | None:
    """The co-unit of the item a written name stands for (full name, alias or short form)."""
    unit = svc.units.find(name)
    if unit is not None and unit.id in p.co_unit_ids:
        return unit
    for candidate in co_units(svc, p):
        if name in (candidate.name, *candidate.aliases):
            return candidate
    return None


def earlier_opinion(svc, p: Proposal, unit: Department) -> Event | None:
    for event in svc.repo.events_for(p.id):
        if event.kind == EV_CO_UNIT_OPINION and (event.unit_id == unit.id or event.unit == unit.name):
            return event
    return None


def register_opinion(svc, user_id: int, p: Proposal, unit_name: str | None = None,
                     business_date: str | None = None, doc_number: str | None = None) -> OpinionResult:
    """Record the opinion of one co-unit of ``p`` (``unit_name``, else the one unit the user may
    speak for) dated ``business_date`` (default today). Never raises for bad input."""
    result = OpinionResult(p)
    label = number_label(p)
    units = co_units(svc, p)
    if not units:
        result.problem = f"{label}没有协办单位，无需登记协办意见。"
        return result
    allowed = opinion_units(svc, p, user_id)
    if not allowed:
        result.problem = f"抱歉，只有管理员或{label}协办单位的联络员可以登记协办意见。"
        return result
    names = "、".join(u.name for u in units)
    if unit_name:
        unit = co_unit_named(svc, p, unit_name)
        if unit is None:
            result.problem = f"“{unit_name[:40]}”不是{label}的协办单位（协办：{names}）。"
            return result
        if unit.id not in {u.id for u in allowed}:
            own = "、".join(u.name for u in allowed)
            result.problem = f"抱歉，您只能登记本单位（{own}）的协办意见，不能代{unit.name}登记。"
            return result
    elif len(allowed) == 1:
        unit = allowed[0]
    else:
        result.problem = f"{label}有多个协办单位（{names}），请写明是哪个单位的意见。"
        return result
    result.unit = unit
    earlier = earlier_opinion(svc, p, unit)
    if earlier is not None:
        result.earlier = earlier
        result.problem = (f"{label}已登记过{unit.name}的协办意见（{earlier.business_date or '日期不详'}），"
                          "未重复登记。")
        return result
    day = business_date or svc.today().isoformat()
    try:
        check_not_before_assignment(p, day, "意见日期")
    except ValueError as exc:
        result.problem = str(exc)
        return result
    event = Event(proposal_id=p.id, kind=EV_CO_UNIT_OPINION, business_date=day, by=user_id, source="chat",
                  unit=unit.name, unit_id=unit.id, doc_number=doc_number or None)
    with svc.repo.batch():
        result.proposal = svc.record(p, event)
        svc.repo.audit("co_unit_opinion", user_id, proposal_id=p.id, number=p.number, unit_id=unit.id,
                       unit=unit.name, business_date=day, doc_number=doc_number, state=result.proposal.state)
    result.event = event
    return result


def letter_problem(svc, user_id: int, parsed) -> str:
    """Why a non-admin's uploaded document may not be imported ("" when it may): it must be a
    letter that is the opinion of a co-unit this user is the liaison of, on one stored item."""
    from bot.importer import co_unit_of_letter, proposals_for_letter
    from bot.parsing import for_matching

    if parsed.error:
        return f"{parsed.filename}：{parsed.error}"
    if parsed.table is not None:
        return "抱歉，交办清单和联系人名单只能由管理员导入。"
    letter = for_matching(parsed.letter or {})
    number = letter.get("proposal_number")
    if not number:
        return "信中未找到案号（第N号），无法对应到提案；请用 /opinion 案号 登记本单位的协办意见。"
    found = proposals_for_letter(svc.repo, letter)
    if len(found) != 1:
        why = "没有找到" if not found else "对应多件提案"
        return f"第{number}号{why}，无法确定这封信属于哪件提案；请用 /opinion 案号 登记，或交管理员导入。"
    p = found[0]
    label = number_label(p)
    allowed = opinion_units(svc, p, user_id)
    if not allowed:
        return f"抱歉，只有管理员或{label}协办单位的联络员可以上传{label}的协办意见。"
    issuer = letter.get("issuer") or letter.get("signed_by")
    unit = svc.units.resolve(issuer, letter.get("region") or p.region).unit if issuer else None
    if unit is None or unit.id not in {u.id for u in allowed}:
        own = "、".join(u.name for u in allowed)
        who = f"由“{issuer}”发出" if issuer else "看不出发文单位"
        return f"这封信{who}，不是本单位（{own}）的协办意见，未导入；请用 /opinion {p.number} 登记，或交管理员导入。"
    if co_unit_of_letter(p, letter, unit) is None:
        return "这封信看起来是给提案人的答复，不是协办意见，未导入；答复由主办单位登记，或交管理员导入。"
    return ""


def pending_co_units(p: Proposal) -> list[str]:
    """The item's co-units whose opinion is not in yet."""
    return [name for name in p.co_units if name not in p.co_units_done]
