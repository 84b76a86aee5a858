"""/nudge NUMBER [text] (催办, admins): a one-shot message to the item's handlers, escalated to
the unit's supervisor or leader when overdue; recorded in the item's history. The recipients'
已收到 button is recorded too. 催办 buttons sit under the card, the /dept list (per item) and
/overdue (per unit, then per item). Buttons carry the action and the record id (nd:<id>,
ndf:<id>, ndu:<unit id>, ack:<event id>), so they work after a restart; a question about ``/nudge NUMBER NOTE`` (which
session? nudge again today?) answers that command, and its button reads the note back from it."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.model import EV_NUDGE, Event, Proposal
from bot.model import Department
from bot.nudge import ACK, nudge_item, record_ack
from bot.render import esc, number_label, short_title
from bot.stats import overdue_led_by
from bot.webhooks import make_webhook_sender
from handlers.common import admin_only, answered_command, button, keyboard, on_button, record_id, reply, services
from handlers.status import NUDGE, proposal_named

log = logging.getLogger(__name__)

COMMANDS = [("nudge", "催办：/nudge 案号 [留言]", True)]

FORCE, ACKED, UNIT = "ndf", "ack", "ndu"  # ndu:<unit id>: that unit's overdue items, each to nudge
UNIT_ITEMS = 12
USAGE = "用法：/nudge 案号 [留言]，例如 /nudge 125 请本周内报送答复"


async def send_nudge(update: Update, context: ContextTypes.DEFAULT_TYPE, p: Proposal, note: str,
                     force: bool = False) -> str | tuple[str, list]:
    """Carry out the nudge (bot.nudge.nudge) and word the answer for the admin (with a button
    when it asks first); the people reached get an 已收到 button once the nudge is recorded."""
    svc = services(context)

    async def send(chat_id: int, text: str):
        return await context.bot.send_message(chat_id, text)

    done = await nudge_item(svc, p, update.effective_user.id, note, send, make_webhook_sender(svc.config.webhooks),
                       force)
    if done.closed:
        return f"{esc(number_label(p))}已答复或已办结，无需催办。"
    if done.earlier is not None:
        at = done.earlier.recorded_at[11:16] if done.earlier.recorded_at else ""
        return (f"{esc(number_label(p))}今天已催办过（{at} UTC）。仍要再次催办吗？",
                [[("再次催办", button(FORCE, p.id))]])
    unreached = done.unreached
    if done.event is None:
        return (f"未能催办{esc(number_label(p))}：没有可送达的人。"
                + (f"\n未送达：{esc('、'.join(unreached))}" if unreached else "\n该件没有承办人，主办单位也没有联络员或群机器人。"))
    for message in done.sent:
        try:
            await message.edit_reply_markup(keyboard([[(ACK, button(ACKED, done.event.id))]]))
        except TelegramError as exc:
            log.info("ack button for nudge %s not added: %s", done.event.id, exc)
    lines = [f"已催办{esc(number_label(p))}：已发送给 {esc('、'.join(done.reached))}。"]
    if done.plan.overdue_days is not None:
        lines.append(f"该件已逾期 {done.plan.overdue_days} 天。")
    if unreached:
        lines.append(f"未送达：{esc('、'.join(unreached))}")
    lines.append("已记入办理记录。")
    return "\n".join(lines)


async def answer(update: Update, result) -> None:
    """The answer; a question (buttons) answers the /nudge command, whose note a press reads."""
    text, buttons = result if isinstance(result, tuple) else (result, None)
    await reply(update, text, buttons, quote=bool(buttons))


@admin_only
async def nudge(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/nudge NUMBER [text]"""
    args = context.args or []
    if not args:
        await reply(update, USAGE)
        return
    proposal = await proposal_named(update, context, args[0], USAGE, lambda p: button(NUDGE, p.id), "催办哪一件？",
                                    quote=True)
    if proposal is not None:
        await answer(update, await send_nudge(update, context, proposal, " ".join(args[1:]).strip()))


def item_buttons(items: list[Proposal], per_row: int = 3) -> list[list[tuple[str, str]]]:
    """催办 第N号 buttons (nd:<id>) under a list, for admins."""
    row = [(f"催办 第{p.number}号"[:30], button(NUDGE, p.id)) for p in items if p.is_open]
    return [row[i:i + per_row] for i in range(0, len(row), per_row)]


def unit_buttons(units: list[tuple[str, int, int]], per_row: int = 2) -> list[list[tuple[str, str]]]:
    """催办 <unit>（N） buttons (ndu:<unit id>) under /overdue: (name, unit id, overdue count)."""
    row = [(f"催办 {short_title(name, 12)}（{count}）", button(UNIT, unit_id)) for name, unit_id, count in units]
    return [row[i:i + per_row] for i in range(0, len(row), per_row)]


@admin_only
async def unit_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, unit_id: int) -> None:
    """催办 <unit> under /overdue: the unit's overdue items, a 催办 button each."""
    query = update.callback_query
    svc = services(context)
    unit = svc.repo.get(Department, unit_id)
    if unit is None:
        await query.answer("该单位已合并或不存在，请重新发送 /overdue。", show_alert=True)
        return
    await query.answer()
    items = overdue_led_by(svc, svc.today(), unit.id)
    if not items:
        await reply(update, f"{esc(unit.name)}目前没有逾期事项。")
        return
    lines = [f"<b>{esc(unit.name)}</b> 逾期 {len(items)} 件，请选择要催办的事项："]
    lines += [f"· 第{esc(i.proposal.number)}号 {esc(short_title(i.proposal.title))} · 逾期 {-i.days_left} 天"
              for i in items[:UNIT_ITEMS]]
    if len(items) > UNIT_ITEMS:
        lines.append(f"……另有 {len(items) - UNIT_ITEMS} 件（/dept {esc(unit.name)} 查看全部）")
    await reply(update, "\n".join(lines), item_buttons([i.proposal for i in items[:UNIT_ITEMS]]))


@admin_only
async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, pid: int) -> None:
    """催办 (nd:<id>) under a card or a list."""
    await press_nudge(update, context, pid, force=False)


@admin_only
async def pressed_again(update: Update, context: ContextTypes.DEFAULT_TYPE, pid: int) -> None:
    """再次催办 (ndf:<id>)."""
    await press_nudge(update, context, pid, force=True)


async def press_nudge(update: Update, context: ContextTypes.DEFAULT_TYPE, pid: int, force: bool) -> None:
    query = update.callback_query
    svc = services(context)
    p = svc.repo.get(Proposal, pid)
    if p is None:
        await query.answer("该提案已不存在。", show_alert=True)
        return
    await query.answer()
    command = answered_command(update, "nudge")  # the note, when the button answers /nudge NUMBER NOTE
    note = " ".join(command[1:]).strip() if command else ""
    await answer(update, await send_nudge(update, context, p, note, force))


async def acknowledged(update: Update, context: ContextTypes.DEFAULT_TYPE, event_id: int) -> None:
    """A recipient's 已收到 (ack:<nudge event id>)."""
    query = update.callback_query
    svc = services(context)
    nudge_event = svc.repo.get(Event, event_id)
    if nudge_event is None or nudge_event.kind != EV_NUDGE:
        await query.answer("该催办记录已不存在。", show_alert=True)
        return
    if svc.repo.get(Proposal, nudge_event.proposal_id) is None:
        await query.answer("该提案已被删除，无需处理。", show_alert=True)
        return
    user = update.effective_user
    contact = svc.repo.contact_for_user(user.id)
    name = contact.name if contact else (user.full_name or str(user.id))
    record_ack(svc, nudge_event, user.id, name)
    await query.answer("已记录：已收到")
    try:
        await query.edit_message_reply_markup(None)
        await update.effective_chat.send_message(f"已确认收到（{esc(name)}），已记入办理记录。")
    except TelegramError as exc:
        log.info("ack message not updated: %s", exc)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("nudge", nudge))
    app.add_handler(on_button(NUDGE, pressed, record_id))
    app.add_handler(on_button(FORCE, pressed_again, record_id))
    app.add_handler(on_button(ACKED, acknowledged, record_id))
    app.add_handler(on_button(UNIT, unit_pressed, record_id))
