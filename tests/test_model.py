"""Record documents: ``to_doc`` gives what ``dataclasses.asdict`` gives (its own walk is faster),
with nothing shared with the live record."""

from dataclasses import asdict, fields

from bot.model import SCHEMA_VERSION, Change, Event, Proposal
from bot.storage import record_types


def by_asdict(record) -> dict:
    doc = asdict(record)
    doc.pop("id")
    doc["schema"] = SCHEMA_VERSION
    return doc


def test_to_doc_is_asdict_for_every_record_kind_and_shares_nothing():
    nested = {"due_date": "2027-01-09", "record": {"co_units": ["市财政局"], "handlers": [3, 4]}, "pair": (1, [2])}
    samples = [
        Proposal(body="政协", region="晋城市", term=8, meeting=3, number="125", co_units=["市财政局"],
                 co_unit_ids=[7], handlers=[3, 4], warnings=["核对"], id=5),
        Event(proposal_id=5, kind="edit", changes=nested, id=9),
        Change(kind="import", label="导入 清单.xlsx", by=1001, records=[["proposals", 5, None, "ab12"],
                                                                 ["contacts", 3, {"phones": ["0356-1"]}, None]], id=2),
    ]
    for cls in record_types().values():  # every kind, at its defaults (required fields filled)
        required = {f.name: "x" for f in fields(cls) if f.name != "id" and f.default is f.default_factory}
        samples.append(cls(**required, id=1))
    for record in samples:
        doc = record.to_doc()
        assert doc == by_asdict(record) and list(doc) == list(by_asdict(record)), type(record)
    event_doc = samples[1].to_doc()
    event_doc["changes"]["record"]["co_units"].append("改了")
    assert samples[1].changes["record"]["co_units"] == ["市财政局"]  # a copy all the way down
    proposal_doc = samples[0].to_doc()
    proposal_doc["handlers"].append(99)
    assert samples[0].handlers == [3, 4]
