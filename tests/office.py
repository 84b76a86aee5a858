"""An example office (tests/data/office, fictional) loaded the way staff would load it: the lists
through the importer, then replies and feedback registered as /reply and /feedback do.

Used by the question set, the statistics and the export tests, which all count against it.
"""

from __future__ import annotations

from pathlib import Path

from bot.importer import Importer
from bot.lookup import lookup_number
from bot.services import Services
from bot.progress import ReplyQuestion, register_feedback, register_reply

OFFICE = Path(__file__).resolve().parent / "data" / "office"
ADMIN = 1001

# (session, number, action, args) in the order they happened.
STEPS = [
    ("八届二次", "201", "reply", ("A", "2025-06-10", None)),
    ("八届二次", "201", "feedback", ("满意", "2025-07-01")),
    ("八届二次", "202", "reply", ("A", "2025-06-15", None)),
    ("八届二次", "202", "feedback", ("满意", "2025-07-02")),
    ("八届二次", "203", "reply", ("A", "2025-06-18", None)),
    ("八届二次", "203", "feedback", ("基本满意", "2025-07-03")),
    ("八届二次", "204", "reply", ("A", "2025-06-30", None)),   # late: due 2025-06-20
    ("八届二次", "204", "feedback", ("满意", "2025-07-20")),
    ("八届二次", "205", "reply", ("A", "2025-05-28", None)),
    ("八届二次", "205", "feedback", ("基本满意", "2025-06-20")),
    ("八届二次", "206", "reply", ("A", "2025-06-05", None)),
    ("八届二次", "206", "feedback", ("满意", "2025-06-25")),
    ("八届二次", "207", "reply", ("A", "2025-06-19", None)),
    ("八届二次", "207", "feedback", ("不满意", "2025-07-10")),
    ("八届二次", "207", "reply", ("A", "2025-08-20", None)),
    ("八届二次", "208", "reply", ("A", "2025-06-12", None)),
    ("八届二次", "209", "reply", ("A", "2025-07-15", None)),   # late
    ("八届二次", "209", "feedback", ("满意", "2025-08-01")),
    ("八届二次", "210", "reply", ("A", "2025-06-20", None)),
    ("八届二次", "210", "feedback", ("满意", "2025-07-05")),
    ("八届三次", "104", "reply", ("A", "2026-08-10", "晋发改函〔2026〕31号")),
    ("八届三次", "104", "feedback", ("满意", "2026-09-01")),
    ("八届三次", "108", "reply", ("B", "2026-07-01", "晋教函〔2026〕18号")),
    ("八届三次", "112", "reply", ("A", "2026-08-05", None)),
    ("八届三次", "112", "feedback", ("满意", "2026-08-30")),
    ("八届三次", "115", "reply", ("C", "2026-09-01", None)),   # late: due 2026-08-17
    ("八届三次", "118", "reply", ("A", "2026-08-01", None)),
    ("八届三次", "118", "feedback", ("基本满意", "2026-08-20")),
    ("八届三次", "120", "reply", ("A", "2026-07-20", None)),
    ("八届三次", "124", "reply", ("A", "2026-08-20", None)),
    ("八届三次", "124", "feedback", ("不满意", "2026-09-10")),   # reopened, due 2026-11-10
    ("十七届三次", "4", "reply", ("B", "2026-09-01", None)),
]


def load_office(svc: Services) -> None:
    """Import the example office's lists and register its replies and feedback."""
    report = Importer(svc.repo, svc.config).import_paths(sorted(OFFICE.glob("*.csv")))
    assert not report.failed, [f.summary() for f in report.failed]
    for session, number, action, args in STEPS:
        (proposal,) = lookup_number(svc.repo, f"{session} {number}").matches
        done = (register_reply if action == "reply" else register_feedback)(svc, ADMIN, proposal, *args)
        assert not isinstance(done, ReplyQuestion), (session, number)


def link_contact(svc: Services, emulator, name: str, user_id: int) -> None:
    """Link the example office's contact ``name`` to the chat user ``user_id`` (who then exists)."""
    contact = next(c for c in svc.repo.contacts() if c.name == name)
    contact.telegram_user_id = user_id
    svc.repo.put(contact)
    emulator.add_user(user_id)
