"""Fuzzy look-up: /find, /contact, /dept, and plain messages answered as the best guess."""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.model import Contact, Department, Proposal
from bot.questions import Answer, answer_question
from bot.numbers import number_order
from bot.render import contact_card, esc, short_title, unit_listing
from bot.report import figures_text, listing_text
from bot.search import Hit, SearchResult
from bot.services import Services
from handlers.common import (PRIVATE_HINT, button, edit, fits, in_private, on_button, one_of, private_chat_button,
                             record_id, reply, services, shows_personal, unit_field, unit_of_field, unit_ref,
                             unknown_button)
from bot.nudge import urgent
from handlers.nudge import item_buttons
from handlers.status import send_card

COMMANDS = [
    ("find", "模糊查找：案号、标题、单位、人名", False),
    ("contact", "查找承办人联系方式：姓名、拼音、电话", False),
    ("dept", "查看单位在办事项，如 /dept 发改委", False),
]

CHOICE = "fd"  # fd:<p|c|u>:<record id> (a unit without a record: fd:u:=<name>)
PAGE = "dp"  # dp:<page>:<unit id>
PAGE_SIZE = 10
CONTACT_PAYLOAD = "c"  # /start c<id> in the private chat shows that contact's card
KIND_LABELS = {"proposal": "提案", "contact": "联系人", "unit": "单位"}
KIND_CODES = {"proposal": "p", "contact": "c", "unit": "u"}
KINDS = {code: kind for kind, code in KIND_CODES.items()}


# -- what one hit looks like -------------------------------------------------------------------

def dated(svc: Services, proposals: list[Proposal]) -> list[tuple[Proposal, date | None]]:
    return [(p, svc.due_date(p)) for p in proposals]


def contact_text(svc: Services, contact: Contact, personal: bool = True) -> str:
    handled = svc.repo.proposals_handled_by(contact.id)
    handled.sort(key=lambda p: (not p.is_open, svc.due_date(p) or date.max))
    return contact_card(contact, dated(svc, handled), svc.today(), personal)


def unit_page(svc: Services, unit: Department, page: int) -> tuple[str, int, list[Proposal]]:
    """The page's text, the number of pages, the items on the page."""
    items = svc.units.open_items(unit)
    rows = sorted(dated(svc, items), key=lambda pair: (pair[1] or date.max, number_order(pair[0].number)))
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = rows[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    text = unit_listing(unit.name, shown, len(rows), svc.today(), page, pages)
    return text, pages, [p for p, _ in shown]


def hit_label(hit: Hit) -> str:
    record = hit.record
    if hit.kind == "proposal":
        return f"第{record.number}号 {short_title(record.title, 18)}"
    if hit.kind == "contact":
        return f"{record.name} · {record.unit}" if record.unit else record.name
    return record.name


async def show_hit(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str, record, in_place: bool = False) -> None:
    svc = services(context)
    buttons = None
    if kind == "proposal":
        await send_card(update, context, record, in_place)
        return
    if kind == "contact":
        text = contact_text(svc, record, shows_personal(update, context))
        if record.phones and not shows_personal(update, context):
            buttons = private_chat_button(context, f"{CONTACT_PAYLOAD}{record.id}")
    else:
        text, pages, items = unit_page(svc, record, 0)
        buttons = unit_buttons(update, context, record, 0, pages, items)
    await (edit(update, text, buttons) if in_place else reply(update, text, buttons))


# -- choices: each button names the record it shows -------------------------------------------

def hit_field(hit: Hit) -> str:
    return unit_field(hit.record) if hit.kind == "unit" else str(hit.record.id)


def unit_buttons(update: Update, context, unit: Department, page: int, pages: int, items: list[Proposal]):
    """Page turns; for admins, a 催办 button per item on the page that is overdue or due soon."""
    rows = page_buttons(unit, page, pages) or []
    svc = services(context)
    if update.effective_user and svc.is_admin(update.effective_user.id):
        rows = item_buttons([p for p in items if urgent(svc, p)]) + rows
    return rows or None


def page_buttons(unit: Department, page: int, pages: int):
    if pages <= 1 or not fits(PAGE, page, unit_field(unit)):
        return None
    row = []
    if page > 0:
        row.append(("◀ 上一页", button(PAGE, page - 1, unit_field(unit))))
    if page < pages - 1:
        row.append(("下一页 ▶", button(PAGE, page + 1, unit_field(unit))))
    return [row]


async def answer_search(update: Update, context: ContextTypes.DEFAULT_TYPE, result: SearchResult) -> None:
    """One clear winner: show it. Several: buttons. Nothing good: say so, with the nearest."""
    if result.best is not None:
        await show_hit(update, context, result.best.kind, result.best.record)
        return
    if result.hits:
        prompt = "您是要找："
        hits = result.hits
    else:
        prompt = esc(result.reason or "没有找到。")
        hits = result.suggestions
    buttons = [
        [(f"{KIND_LABELS[h.kind]} · {hit_label(h)}"[:60], button(CHOICE, KIND_CODES[h.kind], hit_field(h)))]
        for h in hits[:8] if fits(CHOICE, KIND_CODES[h.kind], hit_field(h))
    ]
    await reply(update, prompt, buttons or None)


async def answer_text(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """A question in plain words (or anything else typed): the answer, the right record first."""
    svc = services(context)
    answer: Answer = answer_question(svc, svc.index, text)
    note = f"{esc(answer.note)}\n" if answer.note else ""
    if answer.listing is not None:
        await reply(update, note + listing_text(answer.listing))
    elif answer.figures is not None:
        await reply(update, note + figures_text(answer.figures))
    elif answer.unit is not None:
        people = [hit.record for hit in answer.result.hits]
        personal = shows_personal(update, context)
        head = f"<b>{esc(answer.unit)}</b> · 联系人 {len(people)} 人"
        tail = [] if personal or not any(c.phones for c in people) else [PRIVATE_HINT]
        await reply(update, "\n\n".join([head] + [contact_text(svc, c, personal) for c in people] + tail))
    else:
        await answer_search(update, context, answer.result)


# -- commands ------------------------------------------------------------------------------------

async def run_search(update: Update, context: ContextTypes.DEFAULT_TYPE, kinds, usage: str) -> None:
    text = " ".join(context.args or []).strip()
    if not text:
        await reply(update, usage)
        return
    index = services(context).index
    await answer_search(update, context, index.search(text, kinds))


async def find(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/find TEXT: anything, a question in plain words too."""
    text = " ".join(context.args or []).strip()
    if not text:
        await reply(update, "用法：/find 关键词或问题，例如 /find 城乡融合、/find 发改委的联系人是谁、/find 哪些单位逾期了")
        return
    await answer_text(update, context, text)


async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/contact NAME|UNIT|PINYIN|INITIALS|PHONE"""
    await run_search(update, context, ("contact",), "用法：/contact 姓名、拼音、首字母或电话，例如 /contact 唐志文、/contact tzw")


async def dept(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/dept UNIT: the unit's open items by due date. A name the unit registry resolves (its
    name, an alias, a short form) shows that unit; anything else is searched."""
    text = " ".join(context.args or []).strip()
    unit = services(context).units.resolve(text[:100]).unit if text else None
    if unit is not None:
        await show_hit(update, context, "unit", unit)
        return
    await run_search(update, context, ("unit",), "用法：/dept 单位名称或简称，例如 /dept 发改委")


def addressed_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The text meant for the bot: all of a private message; in a group only a message that
    mentions the bot (the mention removed) or replies to one of its messages, else None (with
    privacy mode off the bot sees every group message, and must not answer them all)."""
    message = update.effective_message
    text = message.text.strip()
    if in_private(update):
        return text
    mention = f"@{context.bot.username}"
    if mention.lower() in text.lower():
        start = text.lower().index(mention.lower())
        return (text[:start] + text[start + len(mention):]).strip()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id:
        return text
    return None


async def plain_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message without a command (in a group: one addressed to the bot): a question, a
    number, or anything to search."""
    text = addressed_text(update, context)
    if text:
        await answer_text(update, context, text)


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str, ref: str) -> None:
    """A button from a choice list: show that record."""
    query = update.callback_query
    svc = services(context)
    kind = KINDS[code]
    if kind == "unit":
        record = unit_of_field(svc, ref)
    elif ref.startswith("="):  # only units are named by name
        await unknown_button(update, context)
        return
    else:
        record = svc.repo.get(Proposal if kind == "proposal" else Contact, record_id(ref))
    await query.answer()
    if record is None:
        await query.edit_message_text("该记录已不存在，请重新查询。")
        return
    await show_hit(update, context, kind, record, in_place=True)


async def turn_page(update: Update, context: ContextTypes.DEFAULT_TYPE, page: int, ref: str) -> None:
    """◀ 上一页 / 下一页 ▶ under a unit's open items."""
    query = update.callback_query
    svc = services(context)
    unit = unit_of_field(svc, ref)
    await query.answer()
    if unit is None:
        await query.edit_message_text("该单位已合并或删除，请重新查询。")
        return
    text, pages, items = unit_page(svc, unit, page)
    await edit(update, text, unit_buttons(update, context, unit, page, pages, items))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("find", find))
    app.add_handler(CommandHandler("contact", contact))
    app.add_handler(CommandHandler("dept", dept))
    app.add_handler(on_button(CHOICE, choose, one_of(*KINDS), unit_ref))
    app.add_handler(on_button(PAGE, turn_page, record_id, unit_ref))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, plain_text))
