"""Questions in plain words, measured on the labelled set (tests/data/questions.tsv) against the
example office: precision@1 per intent must be at least 0.9."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from bot.app import make_services
from bot.config import load_config
from bot.questions import INTENTS, answer_question, parse_question
from tests.conftest import Clock, write_config
from tests.office import load_office

QUESTIONS = Path(__file__).resolve().parent / "data" / "questions.tsv"
TODAY = date(2026, 11, 23)


def labelled() -> list[tuple[str, str, str]]:
    rows = []
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            intent, expected, question = line.split("\t")
            rows.append((intent, expected, question))
    return rows


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    folder = tmp_path_factory.mktemp("office")
    svc = make_services(load_config(write_config(folder)), Clock())
    load_office(svc)
    yield svc
    svc.repo.close()


def label_of(answer, expected: str) -> str:
    """The answer's first record in the labels' notation."""
    if answer.listing is not None:
        listing = answer.listing
        if listing.kind == "open":
            return f"open:{listing.unit}"
        if listing.kind == "overdue":
            return f"overdue:{listing.unit or '*'}"
        return f"due:{listing.start}:{listing.end}" + (f":{listing.unit}" if listing.unit else "")
    if answer.figures is not None:
        f = answer.figures
        session = f"{f.session.term}-{f.session.meeting}" if f.session else "*"
        return f"stats:{session}" + (f":{f.unit}" if f.unit else "")
    hits = answer.result.hits or answer.result.suggestions
    if not hits:
        return "nothing"
    top = hits[0]
    if top.kind == "proposal":
        return f"proposal:{top.record.term}-{top.record.meeting}:{top.record.number}"
    if top.kind == "contact":
        return f"contact@{top.record.unit}" if expected.startswith("contact@") else f"contact:{top.record.name}"
    return f"unit:{top.record.name}"


def precision_by_intent(svc) -> tuple[dict[str, float], list[str]]:
    index = svc.index
    right, total, misses = defaultdict(int), defaultdict(int), []
    for intent, expected, question in labelled():
        got = label_of(answer_question(svc, index, question), expected)
        total[intent] += 1
        if got == expected:
            right[intent] += 1
        else:
            misses.append(f"{intent}: {question!r} → {got} (want {expected})")
    return {intent: right[intent] / total[intent] for intent in total}, misses


def test_the_set_is_big_and_varied():
    rows = labelled()
    assert len(rows) >= 150
    assert len({q for _, _, q in rows}) == len(rows)  # no question twice
    per_intent = defaultdict(int)
    for intent, _, _ in rows:
        assert intent in INTENTS
        per_intent[intent] += 1
    assert set(per_intent) == set(INTENTS) and min(per_intent.values()) >= 10


def test_precision_at_1_per_intent(office):
    precision, misses = precision_by_intent(office)
    print("\nprecision@1 by intent:", {k: round(v, 3) for k, v in sorted(precision.items())})
    print("\n".join(misses))
    assert all(value >= 0.9 for value in precision.values()), (precision, misses)


@pytest.mark.parametrize("text, intent, subject", [
    ("125号办得怎么样了", "status", "125"),
    ("发改委的联系人是谁", "contact", "发改委"),
    ("哪些单位逾期了", "overdue", ""),
    ("本周到期的有哪些", "due_soon", ""),
    ("八届三次办复率", "stats", ""),
    ("唐志文电话多少", "contact", "唐志文"),
    ("找一下教育局联系人", "contact", "教育局"),
    ("谁负责住建局的提案", "contact", "住建局"),
    ("TA10进展", "status", "TA10"),
    ("发改委还有几件没办完", "unit_open", "发改委"),
    ("城乡融合", "search", "城乡融合"),
])
def test_the_issue_examples_are_placed(text, intent, subject):
    q = parse_question(text, TODAY)
    assert (q.intent, q.subject) == (intent, subject)


def test_windows_people_name():
    assert parse_question("本周到期的有哪些", TODAY).window == (date(2026, 11, 23), date(2026, 11, 29))
    assert parse_question("下周到期的", TODAY).window == (date(2026, 11, 30), date(2026, 12, 6))
    assert parse_question("三天内到期的", TODAY).window == (TODAY, date(2026, 11, 26))
    assert parse_question("两周内截止的", TODAY).window == (TODAY, date(2026, 12, 7))
    assert parse_question("下个月到期的", TODAY).window == (date(2026, 12, 1), date(2026, 12, 31))
    assert parse_question("7天内到期的", TODAY).window == (TODAY, date(2026, 11, 30))
