"""催办 (nudge): a one-shot message about one item to the people who handle it, recorded in the
item's history.

``nudge_item`` is the use case (/nudge and the 催办 buttons): checks, sends through the functions it is
given, records, and returns what happened. ``plan_nudge`` works out who gets it: the item's linked handlers (its own, else its lead unit's
liaison); the unit's group robot when no one is linked; and, when the item is overdue, the
lead unit's supervisor chat, else its unit leader (linked). Who cannot be reached is named.
``record_nudge`` adds a ``nudge`` event (who, when, to whom, who was not reached, the note);
``record_ack`` adds one for a recipient's 已收到. An item is nudged at most once a day unless
the admin confirms (``nudged_today``).

Pure core: no telegram. The handler gives the senders and words the outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date

from bot import history
from bot.model import EV_NUDGE, Contact, Event, Proposal
from bot.render import days_left_text, esc, number_label

log = logging.getLogger(__name__)

ACK = "已收到"
URGENT_DAYS = 30  # a unit's list offers 催办 for items overdue or due within this many days


def urgent(svc, p: Proposal) -> bool:
    """Worth a 催办 button under a list: open, and overdue or due within URGENT_DAYS."""
    due = svc.due_date(p) if p.is_open else None
    return due is not None and (due - svc.today()).days <= URGENT_DAYS


@dataclass
class NudgePlan:
    proposal: Proposal
    due: date | None
    overdue_days: int | None
    people: list[Contact] = field(default_factory=list)       # linked: a private message each
    unlinked: list[Contact] = field(default_factory=list)     # handlers without a Telegram account
    robot_unit: str | None = None                              # the lead unit's group robot
    supervisor_chat: int | None = None                         # overdue: the unit's supervisor chat
    leader: Contact | None = None                              # overdue: the unit leader (linked)

    @property
    def reachable(self) -> bool:
        return bool(self.people or self.robot_unit or self.supervisor_chat or self.leader)


def plan_nudge(svc, p: Proposal) -> NudgePlan:
    today = svc.today()
    due = svc.due_date(p)
    overdue = (today - due).days if due is not None and due < today and p.is_open else None
    plan = NudgePlan(p, due, overdue)
    for contact in svc.units.handlers_of(p):
        (plan.people if contact.telegram_user_id else plan.unlinked).append(contact)
    if not plan.people and p.lead_unit and p.lead_unit in (svc.config.webhooks or {}):
        plan.robot_unit = p.lead_unit
    if overdue is not None:
        unit = svc.units.unit(p.lead_unit_id)
        if unit is not None and unit.supervisor_chat_id:
            plan.supervisor_chat = unit.supervisor_chat_id
        else:
            leader = svc.units.unit_leader_of(p.lead_unit_id)
            if leader is not None and leader.telegram_user_id:
                plan.leader = leader
    return plan


def nudge_text(svc, plan: NudgePlan, note: str = "", escalation: bool = False) -> str:
    p = plan.proposal
    head = "🔔 催办" + ("（逾期，抄送单位负责人）" if escalation else "")
    lines = [f"{head}：{esc(number_label(p))} {esc(p.title)}"]
    if plan.due is not None:
        lines.append(f"截止 {plan.due.isoformat()} · {days_left_text(plan.due, svc.today())}"
                     + (f" · 主办 {esc(p.lead_unit)}" if p.lead_unit else ""))
    if escalation and (plan.people or plan.unlinked):
        lines.append("承办人：" + "、".join(esc(c.name) for c in plan.people + plan.unlinked))
    if note:
        lines.append(f"留言：{esc(note[:200])}")
    lines.append(f"请尽快办理；答复后发送 /reply {esc(p.number)} 类别 登记。")
    return "\n".join(lines)


def nudged_today(svc, p: Proposal) -> Event | None:
    """The item's nudge of today, if any (acknowledgements do not count)."""
    today = svc.today().isoformat()
    for event in reversed(svc.repo.events_for(p.id)):
        if event.kind == EV_NUDGE and event.business_date == today and not event.changes.get("ack"):
            return event
    return None


def record_nudge(svc, p: Proposal, user_id: int, note: str, reached: list[str], unreached: list[str]) -> Event:
    event = Event(proposal_id=p.id, kind=EV_NUDGE, business_date=svc.today().isoformat(), by=user_id,
                  source="chat", reason=note[:200], changes={"to": reached, "unreached": unreached})
    history.record(svc.repo, svc.config, svc.calendar, p, [event])
    return event


def record_ack(svc, nudge: Event, user_id: int, name: str) -> Event | None:
    """A recipient pressed 已收到 (once per person and nudge)."""
    for event in svc.repo.events_for(nudge.proposal_id):
        if event.kind == EV_NUDGE and event.changes.get("ack") == nudge.id and event.by == user_id:
            return None
    p = svc.repo.get(Proposal, nudge.proposal_id)
    if p is None:
        return None
    event = Event(proposal_id=p.id, kind=EV_NUDGE, business_date=svc.today().isoformat(), by=user_id,
                  source="chat", reason=f"{name} {ACK}", changes={"ack": nudge.id})
    history.record(svc.repo, svc.config, svc.calendar, p, [event])
    return event


@dataclass
class NudgeOutcome:
    proposal: Proposal
    closed: bool = False                 # replied or closed: nothing to nudge
    earlier: Event | None = None         # nudged today already and not forced: ask first
    plan: NudgePlan | None = None
    reached: list[str] = field(default_factory=list)
    unreached: list[str] = field(default_factory=list)
    event: Event | None = None           # the recorded nudge (None: no one was reached)
    sent: list = field(default_factory=list)  # what ``send`` returned for each person reached


async def nudge_item(svc, p: Proposal, by: int, note: str, send: Callable[[int, str], Awaitable],
                     send_robot: Callable[[str, str], Awaitable], force: bool = False) -> NudgeOutcome:
    """催办 one item: to its people (``send(chat id, html)``), else the lead unit's group robot
    (``send_robot(unit, html)``), and when overdue also to the supervisor chat or the unit
    leader; recorded in the item's history when anyone was reached. A failed send is named in
    ``unreached``, never lost; at most once a day unless ``force``."""
    if not p.is_open:
        return NudgeOutcome(p, closed=True)
    earlier = nudged_today(svc, p)
    if earlier is not None and not force:
        return NudgeOutcome(p, earlier=earlier)
    plan = plan_nudge(svc, p)
    done = NudgeOutcome(p, plan=plan, unreached=[c.name + "（未绑定）" for c in plan.unlinked])
    text = nudge_text(svc, plan, note)
    for contact in plan.people:
        try:
            done.sent.append(await send(contact.telegram_user_id, text))
            done.reached.append(contact.name)
        except Exception as exc:  # noqa: BLE001 - named to the admin, the others still go
            log.warning("nudge of %s to %s failed: %s", p.id, contact.id, exc)
            done.unreached.append(f"{contact.name}（发送失败）")
    if plan.robot_unit:
        try:
            await send_robot(plan.robot_unit, text)
            done.reached.append(f"{plan.robot_unit}群机器人")
        except Exception as exc:  # noqa: BLE001 - a robot that fails must not lose the rest
            log.warning("nudge robot of %s failed: %s", plan.robot_unit, exc)
            done.unreached.append(f"{plan.robot_unit}群机器人（发送失败）")
    if plan.overdue_days is not None:
        target = plan.supervisor_chat or (plan.leader.telegram_user_id if plan.leader else None)
        who = "督办群" if plan.supervisor_chat else (f"单位负责人 {plan.leader.name}" if plan.leader else "")
        if target:
            try:
                await send(target, nudge_text(svc, plan, note, escalation=True))
                done.reached.append(who)
            except Exception as exc:  # noqa: BLE001
                log.warning("nudge escalation of %s failed: %s", p.id, exc)
                done.unreached.append(f"{who}（发送失败）")
        else:
            done.unreached.append("单位负责人（未登记或未绑定）")
    if done.reached:
        done.event = record_nudge(svc, p, by, note, done.reached, done.unreached)
    return done
