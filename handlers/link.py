"""Who gets pinged: /link CONTACT makes a one-time deep link; /start TOKEN links the account.

The admin runs ``/link 唐志文`` (name, pinyin, initials or phone; several candidates → buttons)
and forwards the answer's ``https://t.me/<bot>?start=<token>`` to that person. Opening it sends
``/start <token>``, the one thing a user the bot does not know may do; the account becomes that
contact's ``telegram_user_id`` and the reminders for the contact's items go to it. A token works
once, expires after ``reminders.link_token_hours``, and a newer token for the same contact
replaces an unused older one. Tokens live in ``<database>.links.json`` (bot.links.LinkTokens).

``/link`` and ``/start TOKEN`` work only in a private chat: a token shown in a group could be
redeemed by any member. A token for a contact already linked to another account does not
re-bind it by itself: the admins are asked, and only an admin's button press moves the link.
The request is the audit trail's ``relink_requested`` entry and its buttons name the contact and
the account, so an answer after a restart still counts, and only the first answer does.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, ContextTypes, MessageHandler, filters

from bot import links
from bot.model import Contact
from bot.links import LinkError
from bot.render import contact_label, esc
from handlers.common import admin_only, button, edit, in_private, keyboard, on_button, one_of, record_id, reply, services
from handlers.reminders import reminders_of

log = logging.getLogger(__name__)

COMMANDS = [("link", "生成承办人绑定链接：/link 姓名", True)]

CALLBACK = "lk"  # lk:<contact id>: a link for that contact
RELINK = "rl"  # rl:<contact id>:<account>:<y|n>: an admin's answer to a re-link request
PRIVATE_ONLY = "请在与机器人的私聊中使用 /link：绑定链接只能私下转发给本人，发在群里任何人都能抢先使用。"
USAGE = "用法：/link 承办人姓名（也可用拼音、首字母或电话），例如 /link 唐志文"


def issue(context: ContextTypes.DEFAULT_TYPE, contact: Contact, admin_id: int) -> str:
    """A fresh token for the contact, as the message the admin forwards."""
    svc = services(context)
    now = svc.clock()
    token = links.issue(svc, reminders_of(context).links, contact, admin_id, now)
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
        lines.append(f"注意：该联系人已绑定账号 {contact.telegram_user_id}。新账号使用链接后，需管理员确认才会改绑。")
    return "\n".join(lines)


@admin_only
async def link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/link CONTACT: one-time deep link for a handler; several candidates → buttons."""
    if not in_private(update):
        log.warning("/link refused in group %s", update.effective_chat.id)
        await reply(update, PRIVATE_ONLY)
        return
    text = " ".join(context.args or []).strip()
    if not text:
        await reply(update, USAGE)
        return
    result = services(context).index.find_contacts(text)
    if result.best is not None:
        await reply(update, issue(context, result.best.record, update.effective_user.id))
        return
    hits = result.hits or result.suggestions
    if not hits:
        empty = not services(context).repo.contacts()  # the hint only helps an office with no contacts yet
        await reply(update, esc(result.reason or f"没有找到联系人“{text[:30]}”。") +
                    ("\n请先导入交办清单或联系人表。" if empty else ""))
        return
    buttons = [[(contact_label(h.record)[:60], button(CALLBACK, h.record.id))] for h in hits[:8]]
    prompt = "请选择要绑定的联系人：" if result.hits else esc(result.reason or "没有完全匹配的联系人。") + "\n相近的有："
    await reply(update, prompt, buttons)


@admin_only
async def pick(update: Update, context: ContextTypes.DEFAULT_TYPE, contact_id: int) -> None:
    """A contact button under /link."""
    query = update.callback_query
    if not in_private(update):
        await query.answer(PRIVATE_ONLY, show_alert=True)
        return
    svc = services(context)
    contact = svc.repo.get(Contact, contact_id)
    if contact is None:
        await query.answer("该联系人已不存在，请重新查询。", show_alert=True)
        return
    await query.answer()
    await edit(update, issue(context, contact, update.effective_user.id))


async def redeem(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> None:
    """/start TOKEN in a private chat: link the account, ask the admins to confirm a re-link,
    or say plainly why not."""
    svc = services(context)
    user_id = update.effective_user.id
    try:
        done = links.redeem(svc, reminders_of(context).links, token, user_id)
    except LinkError as err:
        log.warning("link token refused for user %s: %s", user_id, err.code)
        hint = {"unknown": "，请检查链接是否完整，或联系管理员重新生成",
                "used": "。如需重新绑定，请联系管理员生成新链接"}.get(err.code, "")
        await reply(update, f"无法绑定：{esc(str(err))}{hint}。")
        return
    if done.outcome == links.ALREADY:
        await reply(update, f"您已绑定为 {esc(contact_label(done.contact))}，无需重复绑定。发送 /due 查看在办事项。")
    elif done.outcome == links.GONE:
        await reply(update, "无法绑定：该联系人已被删除。请联系管理员。")
    elif done.outcome == links.RELINK:
        await ask_admins_to_relink(update, context, done.contact)
    else:
        await reply(update, welcome(done.contact, done.open_items))


def welcome(contact: Contact, count: int) -> str:
    """The words for the person just linked."""
    return (f"绑定成功：您已绑定为 {esc(contact_label(contact))}。\n"
            f"目前在办 {count} 件；办理期限临近时，提醒会发到这里。\n"
            "发送 /due 查看在办事项，/reply 登记答复，/mute 暂停提醒。")


async def ask_admins_to_relink(update: Update, context: ContextTypes.DEFAULT_TYPE, contact: Contact) -> None:
    """The contact is linked to someone else (the request is audited): nothing changes until an
    admin confirms."""
    svc = services(context)
    user = update.effective_user
    who = esc(f"{user.full_name}（@{user.username}）" if user.username else user.full_name)
    text = (f"改绑申请：账号 {user.id} {who} 使用了{esc(contact_label(contact))}的绑定链接，"
            f"但该联系人已绑定账号 {contact.telegram_user_id}。\n确认后提醒将改发给新账号。")
    buttons = keyboard([[("确认改绑", button(RELINK, contact.id, user.id, "y")),
                         ("拒绝", button(RELINK, contact.id, user.id, "n"))]])
    told = 0
    for admin_id in svc.admin_ids():
        try:
            await context.bot.send_message(admin_id, text, reply_markup=buttons)
            told += 1
        except TelegramError as exc:
            log.warning("relink request not sent to admin %s: %s", admin_id, exc)
    log.warning("relink of contact %s to user %s waits for an admin (%d told)", contact.id, user.id, told)
    await reply(update, f"{esc(contact_label(contact))}已绑定其他账号。已请管理员确认改绑，确认后会通知您。")


@admin_only
async def confirm_relink(update: Update, context: ContextTypes.DEFAULT_TYPE, contact_id: int, user_id: int,
                         answer: str) -> None:
    """An admin's answer to a re-link request."""
    query = update.callback_query
    done = links.answer_relink(services(context), contact_id, user_id, update.effective_user.id, answer == "y")
    if done is None:
        await query.answer("该申请已处理，或该联系人已被删除。", show_alert=True)
        return
    await query.answer()
    contact, previous = done.contact, done.previous
    if done.open_items is None:
        await edit(update, f"已拒绝账号 {user_id} 改绑为{esc(contact_label(contact))}。")
        await tell(context, user_id, f"管理员未同意将您绑定为{esc(contact_label(contact))}。如有疑问请联系管理员。")
        return
    await edit(update, f"已确认：{esc(contact_label(contact))}改绑为账号 {user_id}（原账号 {previous}）。")
    await tell(context, user_id, welcome(contact, done.open_items))


async def tell(context: ContextTypes.DEFAULT_TYPE, user_id: int, text: str) -> None:
    try:
        await context.bot.send_message(user_id, text)
    except TelegramError as exc:
        log.warning("could not tell user %s: %s", user_id, exc)


async def revoke_pasted(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A link token pasted in a group (/start TOKEN; the t.me link too where the bot sees every
    group message, i.e. its privacy mode is off), by anyone: every member could redeem it first.
    It is revoked; the group is told (without the token) and so is the admin who issued it;
    nothing else answers the message."""
    message = update.effective_message
    text = (message.text or message.caption or "") if message else ""
    if "start" not in text or in_private(update):
        return
    chat, user = update.effective_chat, update.effective_user
    revoked = links.revoke_pasted(services(context), reminders_of(context).links, text, user and user.id, chat.id)
    if revoked is None:
        return
    contacts, issuers = revoked
    names = "、".join(contact_label(c) for c in contacts) or "联系人"
    log.warning("link token(s) for %s pasted in group %s by user %s: revoked", names, chat.id, user and user.id)
    for issuer in issuers:
        await tell(context, issuer, f"您生成的{esc(names)}的绑定链接被发到了群“{esc(chat.title or chat.id)}”，"
                                        "已作废。请用 /link 重新生成，并私下转发给本人。")
    # the group learns no name: its members may not all be allowed to see who is linked
    await reply(update, "这条消息含有一次性绑定链接：发在群里任何人都能抢先使用，已作废。\n"
                        "请管理员私聊机器人用 /link 重新生成，只私下转发给本人。")
    raise ApplicationHandlerStop


def register(app: Application) -> None:
    # before the access gate (group -1): a token pasted by someone the bot does not know counts too
    app.add_handler(MessageHandler(filters.ChatType.GROUPS & (filters.TEXT | filters.CAPTION), revoke_pasted), group=-3)
    app.add_handler(CommandHandler("link", link))
    app.add_handler(on_button(CALLBACK, pick, record_id))
    app.add_handler(on_button(RELINK, confirm_relink, record_id, record_id, one_of("y", "n")))
