"""Who gets pinged: /link CONTACT makes a one-time deep link; /start TOKEN links the account.

The admin runs ``/link 唐志文`` (name, pinyin, initials or phone; several candidates → buttons)
and forwards the answer's ``https://t.me/<bot>?start=<token>`` to that person. Opening it sends
``/start <token>``, the one thing a user the bot does not know may do; the account becomes that
contact's ``telegram_user_id`` and the reminders for the contact's items go to it. A token works
once, expires after ``reminders.link_token_hours``, and a newer token for the same contact
replaces an unused older one. Tokens live in ``<database>.links.json`` (bot.reminders.LinkTokens).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.model import Contact
from bot.reminders import LinkError
from bot.render import esc
from bot.services import Services
from handlers.common import admin_only, edit, reply, services
from handlers.reminders import reminders_of

log = logging.getLogger(__name__)

COMMANDS = [("link", "生成承办人绑定链接：/link 姓名", True)]

CALLBACK = "lk:"
USAGE = "用法：/link 承办人姓名（也可用拼音、首字母或电话），例如 /link 唐志文"


def contact_label(contact: Contact) -> str:
    return f"{contact.name}（{contact.unit}）" if contact.unit else contact.name


def open_items(svc: Services, contact_id: int) -> int:
    return sum(1 for p in svc.repo.proposals_handled_by(contact_id) if p.is_open)


def issue(context: ContextTypes.DEFAULT_TYPE, contact: Contact, admin_id: int) -> str:
    """A fresh token for the contact, as the message the admin forwards."""
    svc = services(context)
    links = reminders_of(context).links
    now = svc.clock()
    token = links.issue_link_token(contact.id, admin_id, now)
    svc.repo.audit("link_issued", admin_id, contact_id=contact.id, contact=contact.name)
    until = (now + timedelta(hours=svc.config.reminders.link_token_hours)).strftime("%Y-%m-%d %H:%M")
    url = f"https://t.me/{context.bot.username}?start={token}"
    lines = [
        f"已生成{esc(contact_label(contact))}的绑定链接：",
        esc(url),
        f"请转发给本人：在 Telegram 中打开链接并点“开始”即可绑定，之后办理提醒会发给他/她。"
        f"链接只能使用一次，{until} 前有效。",
        f"（也可以在与机器人的对话中发送：/start {esc(token)}）",
    ]
    if contact.telegram_user_id:
        lines.append(f"注意：该联系人已绑定账号 {contact.telegram_user_id}，使用新链接后将改绑为新账号。")
    return "\n".join(lines)


@admin_only
async def link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/link CONTACT: one-time deep link for a handler; several candidates → buttons."""
    text = " ".join(context.args or []).strip()
    if not text:
        await reply(update, USAGE)
        return
    result = services(context).extras["index"].find_contacts(text)
    if result.best is not None:
        await reply(update, issue(context, result.best.record, update.effective_user.id))
        return
    hits = result.hits or result.suggestions
    if not hits:
        await reply(update, esc(result.reason or f"没有找到联系人“{text[:30]}”。") +
                    "\n请先导入交办清单或联系人表。")
        return
    buttons = [[(contact_label(h.record)[:60], f"{CALLBACK}{h.record.id}")] for h in hits[:8]]
    prompt = "请选择要绑定的联系人：" if result.hits else esc(result.reason or "没有完全匹配的联系人。") + "\n相近的有："
    await reply(update, prompt, buttons)


@admin_only
async def pick(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A contact button under /link."""
    query = update.callback_query
    svc = services(context)
    raw = query.data[len(CALLBACK):]
    contact = svc.repo.get(Contact, int(raw)) if raw.isdigit() else None
    if contact is None:
        await query.answer("该联系人已不存在，请重新查询。", show_alert=True)
        return
    await query.answer()
    await edit(update, issue(context, contact, update.effective_user.id))


async def redeem(svc: Services, user_id: int, token: str) -> str:
    """/start TOKEN: link the account, or say plainly why not (HTML)."""
    rem = svc.extras["reminders"]
    try:
        contact_id = rem.links.redeem_link_token(token, user_id, svc.clock())
    except LinkError as err:
        log.warning("link token refused for user %s: %s", user_id, err.code)
        if err.code == "used" and err.used_by == user_id:
            contact = svc.repo.get(Contact, err.contact_id)
            if contact is not None and contact.telegram_user_id == user_id:
                return f"您已绑定为 {esc(contact_label(contact))}，无需重复绑定。发送 /due 查看在办事项。"
        hint = {"unknown": "，请检查链接是否完整，或联系管理员重新生成",
                "used": "。如需重新绑定，请联系管理员生成新链接"}.get(err.code, "")
        return f"无法绑定：{esc(str(err))}{hint}。"
    contact = svc.repo.get(Contact, contact_id)
    if contact is None:
        return "无法绑定：该联系人已被删除。请联系管理员。"
    previous = contact.telegram_user_id
    contact.telegram_user_id = user_id
    svc.repo.put(contact)
    svc.repo.audit("link", user_id, contact_id=contact.id, contact=contact.name, previous_user=previous)
    rem.unblock(user_id)
    count = open_items(svc, contact.id)
    return (f"绑定成功：您已绑定为 {esc(contact_label(contact))}。\n"
            f"目前在办 {count} 件；办理期限临近时，提醒会发到这里。\n"
            "发送 /due 查看在办事项，/reply 登记答复，/mute 暂停提醒。")


def register(app: Application) -> None:
    svc = app.bot_data["services"]

    async def redeem_link(user_id: int, token: str) -> str:
        return await redeem(svc, user_id, token)

    svc.extras["redeem_link"] = redeem_link
    app.add_handler(CommandHandler("link", link))
    app.add_handler(CallbackQueryHandler(pick, pattern=f"^{CALLBACK}"))
