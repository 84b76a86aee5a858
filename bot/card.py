"""The status card of one proposal, the same in chat (/status, buttons, search hits) and on the
command line (``proposal-bot status``): ``render.status_card`` over what the services know, with
the line of similar earlier items. Pure core: no telegram."""

from __future__ import annotations

from bot.history import timeline
from bot.model import Proposal
from bot.render import esc, status_card
from bot.similar import card_line


def card_text(svc, proposal: Proposal, personal: bool = True) -> str:
    """Telegram HTML (``render.html_to_text`` makes it plain); ``personal=False`` leaves out
    phone numbers."""
    replies, handlers = svc.proposal_view(proposal)
    text = status_card(proposal, replies, handlers, svc.due_date(proposal), svc.today(), personal,
                       events=timeline(svc.repo, proposal.id))
    similar = card_line(svc, proposal)
    return f"{text}\n{esc(similar)}" if similar else text
