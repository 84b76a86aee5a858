"""The domain services one running bot shares: config, repository, clock, and the components
built over them (search index, office view, similar finder, upload worker, pending uploads,
reminder service), each a typed field or a property built on first use.

Created once at start-up (``bot.app.make_services``; the CLI makes its own) and reached by
handlers through ``application.bot_data["services"]``; nothing here imports telegram.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Callable

from bot import history
from bot.config import Config
from bot.deadlines import WorkCalendar, due_date_of
from bot.model import Contact, Event, Proposal, Reply
from bot.storage import Repository
from bot.units import UnitRegistry

if TYPE_CHECKING:  # built on first use: the CLI's commands need few of them
    from bot.pending_imports import PendingImports
    from bot.reminder_service import ReminderService
    from bot.search import SearchIndex
    from bot.similar import SimilarFinder
    from bot.stats import OfficeView
    from bot.uploads import UploadWorker

ADMIN, STAFF, HANDLER = "admin", "staff", "handler"
ROLE_LABELS = {ADMIN: "管理员", STAFF: "工作人员", HANDLER: "承办人"}
# A group chat an admin allowed to see personal details (phones) is kept as a users-table entry
# under the group's chat id (always negative, never a person's id) with this role.
GROUP_DETAILS = "group_details"


@dataclass
class Services:
    config: Config
    repo: Repository
    clock: Callable[[], datetime]  # aware datetime in the configured time zone
    calendar: WorkCalendar = field(init=False)  # workdays and holidays for due dates
    units: UnitRegistry = field(init=False)  # units, their liaisons and leaders; who handles what
    reminders: ReminderService | None = field(default=None, init=False)  # set by bot.app in a running bot

    def __post_init__(self) -> None:
        self.calendar = WorkCalendar.from_config(self.config)
        self.units = UnitRegistry(self.repo, self.config)
        history.rebuild_all(self.repo, self.config, self.calendar)  # stored states are a cache

    @cached_property
    def index(self) -> SearchIndex:
        """The search index; it follows the repository's changes once built."""
        from bot.search import SearchIndex

        return SearchIndex.build(self.repo, self.config.aliases)

    @cached_property
    def office(self) -> OfficeView:
        """Per-item facts for lists and figures, kept current with the repository."""
        from bot.stats import OfficeView

        return OfficeView(self)

    @cached_property
    def similar(self) -> SimilarFinder:
        """Items of earlier sessions like a given one."""
        from bot.similar import SimilarFinder

        return SimilarFinder(self.repo)

    @cached_property
    def pending_imports(self) -> PendingImports:
        """Assignment lists uploaded in chat, summed up, waiting for an admin's button."""
        from bot.pending_imports import PendingImports

        return PendingImports()

    @cached_property
    def uploads(self) -> UploadWorker:
        """Parses uploaded files in a worker process under limits."""
        from bot.uploads import UploadWorker

        return UploadWorker(self.config.uploads)

    def today(self) -> date:
        return self.clock().date()

    def role_of(self, user_id: int) -> str | None:
        """admin and staff come from config or from grants in chat; a linked contact is a handler."""
        if user_id in self.config.admins:
            return ADMIN
        user = self.repo.user(user_id)
        if user is not None and user.role != GROUP_DETAILS:
            return user.role
        if user_id in self.config.staff:
            return STAFF
        if self.repo.contact_for_user(user_id) is not None:
            return HANDLER
        return None

    def group_shows_details(self, chat_id: int) -> bool:
        """Whether an admin allowed this group chat to see phone numbers (``/group allow``)."""
        entry = self.repo.user(chat_id)
        return entry is not None and entry.role == GROUP_DETAILS

    def is_admin(self, user_id: int) -> bool:
        return self.role_of(user_id) == ADMIN

    def admin_ids(self) -> list[int]:
        """Every admin: from config, then those granted in chat (for notices and digests)."""
        granted = [u.user_id for u in self.repo.all_users() if u.role == ADMIN]
        return list(dict.fromkeys([*self.config.admins, *granted]))

    def due_date(self, proposal: Proposal) -> date | None:
        """The date reminders count down to (explicit, or computed from the rules), the same in
        chat, on the command line and in the sweep."""
        return due_date_of(proposal, self.config, self.calendar)

    def proposal_view(self, proposal: Proposal) -> tuple[list[Reply], list[Contact]]:
        """What a status card needs beside the proposal itself."""
        return self.repo.replies_for(proposal.id), self.units.handlers_of(proposal)

    def record(self, proposal: Proposal, *events: Event) -> Proposal:
        """Add events to a proposal's history; returns the proposal as they leave it (stored)."""
        return history.record(self.repo, self.config, self.calendar, proposal, events)

    def importer(self, quiet: bool = False, by: int | None = None):
        """An importer on this bot's repository, clock and calendar (``by``: who uploads in chat)."""
        from bot.importer import Importer

        return Importer(self.repo, self.config, quiet=quiet, today=self.today, calendar=self.calendar,
                        units=self.units, by=by)
