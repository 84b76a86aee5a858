"""/stats [session] [unit]: the figures staff report upward, with a chart."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.chart import stats_chart
from bot.questions import stats_scope
from bot.render import esc
from bot.report import figures_text, scope_text
from bot.stats import facts_of, figures
from handlers.common import reply, services

log = logging.getLogger(__name__)

COMMANDS = [("stats", "办理统计和图表，如 /stats 八届三次、/stats 教育局", False)]

USAGE = "用法：/stats 全部统计；/stats 八届三次；/stats 教育局；/stats 八届三次 教育局"


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats [session] [unit]"""
    svc = services(context)
    text = " ".join(context.args or []).strip()
    session, unit, error = stats_scope(svc.index, text)
    if error:
        await reply(update, f"{esc(error)}\n{USAGE}")
        return
    today = svc.today()
    f = figures(facts_of(svc), today, session, unit)
    if not f.items:
        await reply(update, f"没有找到{esc(scope_text(f) or '任何')}的提案或建议。")
        return
    await reply(update, figures_text(f))
    # Drawing takes a few hundred milliseconds: off the event loop.
    chart = await asyncio.to_thread(stats_chart, f)
    name = f"办理统计-{scope_text(f).replace(' · ', '-') or '全部'}-{today.isoformat()}.png"
    await update.effective_chat.send_photo(photo=chart.png, filename=name,
                                           caption="在办与逾期件数、办复率（按主办单位）")


def register(app: Application) -> None:
    app.add_handler(CommandHandler("stats", stats))
