"""Search: the examples of issue 4 on the two seed proposals plus distractors."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from bot.config import TEMPLATE, load_config
from bot.model import Contact, Department, Proposal, Reply
from bot.search import (
    SearchIndex, clean_query, norm, pinyin_forms, record_to_json, run_contact, run_find,
)
from bot.search.corpus import Corpus
from bot.storage import Repository

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def config():
    return load_config(TEMPLATE)


def seed(repo: Repository) -> dict[str, object]:
    with repo.batch():
        tang = repo.put(Contact(name="唐志文", unit="高平市发展改革和科技局", phones=["0356-5220956"]))
        li = repo.put(Contact(name="李鹏慧", unit="高平市发展改革和科技局", phones=["0356-5220956"]))
        p1 = repo.put(Proposal(
            body="政协", region="晋城市", term=8, meeting=3, number="125",
            title="关于加快推动我市城乡融合发展的建议", proposer="民建晋城市委会",
            lead_unit="晋城市发展和改革委员会", state="replied",
        ))
        repo.put(Reply(proposal_id=p1.id, issuer="晋城市发展和改革委员会", phones=["6999022"],
                       classification="A", reply_date="2024-05-23"))
        p2 = repo.put(Proposal(
            body="政协", region="高平市", term=7, meeting=5, number="TA0010",
            title="关于推进我市城乡产业融合发展建议的建议", proposer="九三学社高平市支社",
            lead_unit="高平市发展改革和科技局", handlers=[tang.id, li.id], state="replied",
        ))
        repo.put(Reply(proposal_id=p2.id, issuer="高平市发展改革和科技局", signed_by="高平市发展和改革委员会",
                       doc_number="高发改发〔2025〕85号", handlers=["唐志文", "李鹏慧"],
                       phones=["0356-5220956"], reply_date="2025-08-27"))
        # Distractors: same region prefixes, similar names and titles, other numbers.
        repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=3, number="126",
                          title="关于加强我市老旧小区改造的建议", proposer="农工党晋城市委会",
                          lead_unit="晋城市住房和城乡建设局", co_units=["晋城市财政局"]))
        repo.put(Proposal(body="人大", region="高平市", term=17, meeting=2, number="1205",
                          title="关于改善农村饮水安全的建议", proposer="王建国等5位代表",
                          lead_unit="高平市水务局"))
        repo.put(Proposal(body="政协", region="高平市", term=7, meeting=5, number="TA0011",
                          title="关于支持中小企业融资的建议", proposer="民盟高平市支部",
                          lead_unit="高平市工业和信息化局"))
        repo.put(Contact(name="唐志强", unit="晋城市教育局", phones=["13903561234"]))
        repo.put(Contact(name="王芳", unit="晋城市财政局", phones=["0356-2021234"]))
        repo.put(Contact(name="曾晓明", unit="晋城市公安局", phones=["0356-2100110"]))
        repo.put(Contact(name="单立新", unit="晋城市教育局"))
        repo.put(Department(name="晋城市教育局", aliases=["市教育局"]))
        repo.put(Department(name="晋城市公安局"))
        repo.put(Department(name="高平市人力资源和社会保障局", aliases=["高平市人社局"]))
    return {"tang": tang, "li": li, "p1": p1, "p2": p2}


@pytest.fixture()
def world(tmp_path, config):
    repo = Repository(tmp_path / "p.json")
    records = seed(repo)
    index = SearchIndex.build(repo, config.aliases)
    yield repo, index, records
    repo.close()


def names(result, kind=None):
    out = []
    for hit in result.hits:
        if kind and hit.kind != kind:
            continue
        rec = hit.record
        out.append(getattr(rec, "name", None) or getattr(rec, "number", None))
    return out


# -- normalisation --------------------------------------------------------------------------------


def test_norm_folds_full_width_and_drops_punctuation():
    assert norm("ＴＡ０010（高平）") == "ta0010高平"
    assert norm("唐·志文") == "唐志文"


def test_pinyin_forms_index_every_surname_reading():
    full, initials, mixed = pinyin_forms("唐志文")
    assert "tangzhiwen" in full and "tzw" in initials and "tangzw" in mixed
    for name, reading in [("单立新", "shan"), ("曾晓明", "zeng"), ("解放", "xie"), ("区伟", "ou"),
                          ("仇杰", "qiu"), ("朴成", "piao"), ("查理", "zha")]:
        assert any(f.startswith(reading) for f in pinyin_forms(name)[0]), name


# -- the examples -------------------------------------------------------------------------


def test_abbreviation_fagaiwei_offers_the_development_units_as_choices(world):
    _, index, _ = world
    result = index.search("发改委")
    units = names(result, "unit")
    assert {"晋城市发展和改革委员会", "高平市发展改革和科技局", "高平市发展和改革委员会"} <= set(units)
    assert "晋城市发展和改革委员会" in units[:2]
    assert not result.certain
    assert len(result.hits) <= 8


def test_abbreviation_fagaiju_finds_the_gaoping_bureau(world):
    _, index, _ = world
    result = index.find_units("发改局")
    assert names(result)[0] == "高平市发展改革和科技局"


def test_region_and_abbreviation(world):
    _, index, _ = world
    result = index.find_units("晋城市发改委")
    assert names(result)[0] == "晋城市发展和改革委员会"
    assert result.certain
    # A region prefix alone must not make 晋城市公安局 look like 晋城市教育局.
    result = index.find_units("晋城市教育局")
    assert result.certain and names(result)[0] == "晋城市教育局"
    assert "晋城市公安局" not in names(result)
    # Department aliases.
    assert names(index.find_units("高平市人社局"))[0] == "高平市人力资源和社会保障局"
    assert names(index.find_units("高平人社局"))[0] == "高平市人力资源和社会保障局"


def test_minjian_finds_its_proposal(world):
    _, index, rec = world
    result = index.search("民建")
    assert result.hits[0].kind == "proposal" and result.hits[0].record.id == rec["p1"].id


@pytest.mark.parametrize("query", ["唐志文", "tangzhiwen", "tzw", "唐志问", "5220956", "TANG ZHI WEN", "tangzw"])
def test_contact_tang(world, query):
    _, index, rec = world
    result = index.find_contacts(query)
    assert result.hits, query
    top = result.hits[0]
    assert top.kind == "contact" and top.record.name == "唐志文", (query, result.hits)
    assert "0356-5220956" in top.record.phones


def test_contact_certainty(world):
    _, index, _ = world
    assert index.find_contacts("唐志文").certain
    assert index.find_contacts("tangzhiwen").certain
    # A homophone typo is found but must be confirmed.
    typo = index.find_contacts("唐志问")
    assert typo.hits[0].record.name == "唐志文" and not typo.certain
    # Two people share 0356-5220956: choices, not an answer.
    shared = index.find_contacts("5220956")
    assert {h.record.name for h in shared.hits[:2]} == {"唐志文", "李鹏慧"} and not shared.certain
    # 唐志 is a prefix of two names.
    assert not index.find_contacts("唐志").certain


def test_surname_readings_in_search(world):
    _, index, _ = world
    assert names(index.find_contacts("zengxiaoming"))[0] == "曾晓明"
    assert names(index.find_contacts("shanlixin"))[0] == "单立新"
    assert index.find_contacts("shanlixin").certain  # the surname's own reading
    # The common reading is indexed too, but never gives a certain answer.
    other = index.find_contacts("danlixin")
    assert names(other)[0] == "单立新" and not other.certain


def test_given_name_heteronyms_rank_below_the_common_reading(world):
    repo, index, _ = world
    repo.put(Contact(name="方波", unit="晋城市财政局"))   # 方 can also read wang
    repo.put(Contact(name="王波", unit="晋城市财政局"))
    assert names(index.find_contacts("wangbo"))[0] == "王波"
    assert index.find_contacts("wangbo").certain


@pytest.mark.parametrize("query", ["TA10", "ta-0010", "ＴＡ０010", "第TA0010号", "高平市政协七届五次会议第TA10号"])
def test_number_ta0010(world, query):
    _, index, rec = world
    result = index.search(query)
    assert result.hits and result.hits[0].record.id == rec["p2"].id, query
    assert result.certain


def test_number_125_and_near_misses(world):
    _, index, rec = world
    result = index.search("第125号")
    assert result.certain and result.hits[0].record.id == rec["p1"].id
    missing = index.find_proposals("1250")
    assert not missing.hits and missing.reason
    assert {h.record.number for h in missing.suggestions} >= {"125", "1205"}


def test_search_and_status_offer_the_same_near_numbers(world):
    """The index's near misses are /status's (bot.lookup.nearest_numbers), in the same order."""
    from bot.lookup import lookup_number

    repo, index, _ = world
    with repo.batch():
        for number in ("0125", "1251", "1205", "250", "12500", "2150", "TA0100", "20190125"):
            repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=3, number=number, title=f"关于{number}的建议"))
    for typed in ("1250", "第1250号", "八届三次 1250", "12", "TA01", "TA10", "ta-0011", "6.12"):
        near = lookup_number(repo, typed).suggestions
        offered = list(dict.fromkeys(h.record.number for h in index.find_proposals(typed).suggestions))
        assert offered[:len(near)] == near and (len(near) == 3 or offered == near), typed


def test_session_ranks_number_hits(world, tmp_path):
    repo, index, rec = world
    other = repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=2, number="125", title="关于发展夜间经济的建议"))
    result = index.search("125")
    assert not result.certain and {h.record.id for h in result.hits} == {rec["p1"].id, other.id}
    assert result.hits[0].record.id == rec["p1"].id  # newest session first
    narrowed = index.search("八届二次 125")
    assert narrowed.certain and narrowed.hits[0].record.id == other.id


def test_title_phrase_finds_both_seed_proposals(world):
    _, index, rec = world
    result = index.search("城乡融合")
    ids = [h.record.id for h in result.hits if h.kind == "proposal"]
    assert ids[:2] == [rec["p1"].id, rec["p2"].id]  # the contiguous phrase first
    assert not result.certain


def test_full_title_is_certain(world):
    _, index, rec = world
    result = index.search("关于推进我市城乡产业融合发展建议的建议")
    assert result.certain and result.hits[0].record.id == rec["p2"].id


def test_jiusan(world):
    _, index, rec = world
    result = index.search("九三")
    assert result.hits[0].record.id == rec["p2"].id and result.hits[0].match == "proposer"
    assert result.certain


def test_doc_number(world):
    _, index, rec = world
    result = index.search("高发改发〔2025〕85号")
    assert result.certain and result.hits[0].record.id == rec["p2"].id
    assert index.search("高发改发[2025]85号").hits[0].record.id == rec["p2"].id


@pytest.mark.parametrize("query", ["", "   ", "x" * 5000, "城" * 5000, "😀🎉\x00\x07\u200b", "\x1b[31m", None])
def test_garbage_queries_give_a_reason(world, query):
    _, index, _ = world
    result = index.search(query)
    assert result.hits == [] and result.reason and not result.certain


def test_nothing_good_gives_reason(world):
    _, index, _ = world
    result = index.search("量子计算机")
    assert result.hits == [] and result.reason


def test_clean_query():
    assert clean_query("  ＴＡ10\x07 ") == ("TA10", None)
    assert clean_query("")[1]


# -- incremental updates --------------------------------------------------------------------------


def test_put_and_delete_contact_without_rebuild(world):
    repo, index, _ = world
    assert not index.find_contacts("欧阳明月").hits
    c = repo.put(Contact(name="欧阳明月", unit="晋城市文化和旅游局", phones=["0356-3339999"]))
    assert names(index.find_contacts("欧阳明月"))[0] == "欧阳明月"
    assert names(index.find_contacts("ouyangmy"))[0] == "欧阳明月"  # compound surname in full
    assert names(index.find_contacts("3339999"))[0] == "欧阳明月"
    assert names(index.find_units("晋城市文旅局"))[0] == "晋城市文化和旅游局"
    c.phones = ["0356-4448888"]
    repo.put(c)
    assert not index.find_contacts("3339999").hits
    assert names(index.find_contacts("4448888"))[0] == "欧阳明月"
    repo.delete(c)
    assert not index.find_contacts("欧阳明月").hits
    assert not index.find_contacts("4448888").hits
    # Its unit was only named by this contact: gone too.
    assert "晋城市文化和旅游局" not in names(index.find_units("晋城市文化和旅游局"))


def test_put_and_delete_proposal(world):
    repo, index, _ = world
    p = repo.put(Proposal(body="人大", region="晋城市", term=16, meeting=4, number="20240017",
                          title="关于建设光伏储能示范园区的建议", lead_unit="晋城市能源局"))
    assert index.search("20240017").hits[0].record.id == p.id
    assert index.search("光伏储能").hits[0].record.id == p.id
    assert "晋城市能源局" in names(index.find_units("能源局"))
    p.title = "关于发展低空经济的建议"
    repo.put(p)
    assert not [h for h in index.search("光伏储能").hits if h.record.id == p.id]
    assert index.search("低空经济").hits[0].record.id == p.id
    repo.delete(p)
    assert not index.search("20240017").hits
    assert not index.search("低空经济").hits
    assert "晋城市能源局" not in names(index.find_units("能源局"))


def test_department_aliases_follow_updates(world):
    repo, index, _ = world
    d = repo.put(Department(name="晋城市卫生健康委员会", aliases=["市卫健委"]))
    assert names(index.find_units("市卫健委"))[0] == "晋城市卫生健康委员会"
    d.aliases = ["晋城卫健委"]
    repo.put(d)
    assert names(index.find_units("晋城卫健委"))[0] == "晋城市卫生健康委员会"
    repo.delete(d)
    assert "晋城市卫生健康委员会" not in names(index.find_units("卫生健康委员会"))


def test_reply_phone_and_state_update_keep_index(world):
    repo, index, rec = world
    p1 = rec["p1"]
    p1.state = "closed"
    repo.put(p1)  # same indexed text: nothing re-indexed, record refreshed
    assert index.search("125").hits[0].record.state == "closed"
    assert index.search("6999022").hits[0].record.id == p1.id


# -- JSON and CLI functions -----------------------------------------------------------------------


def test_run_find_json(world, config):
    repo, _, rec = world
    out = run_find("TA10", repo, config)
    json.dumps(out, ensure_ascii=False)
    assert out["query"] == "TA10" and out["certain"]
    first = out["results"][0]
    assert first["kind"] == "proposal" and 0 <= first["score"] <= 100
    record = first["record"]
    for key in ("body", "region", "term", "meeting", "number", "title", "proposer", "lead_unit",
                "co_units", "assigned_date", "due_date", "state", "handlers"):
        assert key in record
    assert record["number"] == "TA0010"
    assert {"name": "唐志文", "phones": ["0356-5220956"]}.items() <= record["handlers"][0].items()
    assert record["replies"][0]["doc_number"] == "高发改发〔2025〕85号"


def test_run_contact_json(world, config):
    repo, _, _ = world
    out = run_contact("tzw", repo, config)
    assert out["results"][0]["kind"] == "contact"
    assert out["results"][0]["record"] == {"id": out["results"][0]["record"]["id"], "name": "唐志文",
                                           "unit": "高平市发展改革和科技局", "phones": ["0356-5220956"]}
    empty = run_find("", repo, config)
    assert empty["results"] == [] and empty["reason"]
    units = run_find("发改委", repo, config)
    assert all(r["kind"] == "unit" for r in units["results"])
    assert set(units["results"][0]["record"]) == {"id", "name", "aliases"}


def test_contacts_of_a_unit(world):
    _, index, _ = world
    result = index.find_contacts("高平市发改局")
    assert {"唐志文", "李鹏慧"} <= set(names(result))


def test_record_to_json_unit():
    assert record_to_json("unit", Department(name="晋城市教育局", aliases=["市教育局"])) == {
        "id": None, "name": "晋城市教育局", "aliases": ["市教育局"]}


# -- bench smoke ------------------------------------------------------------------------------------


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_bench_smoke(tmp_path, capsys):
    bench = _load("bench_search")
    figures = bench.run(300, tmp_path, runs=1, before=None, seed=7)
    out = capsys.readouterr().out
    assert "p95" in out and "fair baseline" in out and "load average" in out
    for key in ("build_s", "startup_s", "rss_mb", "p50_ms", "p95_ms", "baseline_p50_ms", "baseline_p95_ms",
                "speedup", "precision_at_1", "baseline_precision_at_1", "labelled"):
        assert key in figures


def test_bulk_load_equals_incremental_updates(tmp_path, config):
    """The start-up path (load) and the listener path (put one by one) build the same index."""
    live_repo = Repository(tmp_path / "live.json")
    live = SearchIndex(config.aliases)
    live.attach(live_repo)
    seed(live_repo)
    live_repo.close()
    loaded = SearchIndex(config.aliases)
    reopened = Repository(tmp_path / "live.json")
    loaded.load(reopened)
    assert_same_index(live, loaded)
    for query in ("发改委", "唐志文", "城乡融合", "TA10", "5220956", "九三"):
        assert [h.key for h in live.search(query).hits] == [h.key for h in loaded.search(query).hits], query
    reopened.close()


_INDEX_MAPS = ("_proposals", "_p_state", "_num", "_by_proposer", "_replies", "_r_state", "_replies_of", "_docs",
               "_contacts", "_c_state", "_name_exact", "_contacts_of_unit", "_phone_contacts", "_phone_replies",
               "_phone_grams")


def _canonical(value):
    if isinstance(value, list):
        return sorted(value, key=repr)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return value


def _corpus_view(corpus):
    """text and posting lists (as sorted lists: arrays or lists, stale entries allowed to differ
    in order only)."""
    return dict(corpus.text.items()), {g: sorted(lst) for g, lst in corpus.post.items()}


def assert_same_index(a: SearchIndex, b: SearchIndex, posts: bool = True) -> None:
    """Same entries everywhere; ``posts=False``: corpora compared by text only (posting lists
    keep stale entries after edits until they are compacted)."""
    for index in (a, b):  # the indexes made on first use
        index._doc_index()
        index._phone_gram_index()
        index._replies_index()
    for attr in _INDEX_MAPS:
        ma, mb = getattr(a, attr), getattr(b, attr)
        assert sorted(ma.keys(), key=repr) == sorted(mb.keys(), key=repr), attr
        for key in ma.keys():
            assert _canonical(ma[key]) == _canonical(mb[key]), (attr, key)
    for table in a._py:
        assert _canonical(a._py[table]) == _canonical(b._py[table]), table
    # (a bucket emptied by deletions stays behind, empty)
    assert {k: v for k, v in a._py_buckets.items() if v} == {k: v for k, v in b._py_buckets.items() if v}
    for corpus in ("_titles", "_proposers", "_names"):
        va, vb = _corpus_view(getattr(a, corpus)), _corpus_view(getattr(b, corpus))
        assert (va if posts else va[0]) == (vb if posts else vb[0]), corpus
    assert {k: (i.name, i.refs) for k, i in a._units.units.items()} == \
        {k: (i.name, i.refs) for k, i in b._units.units.items()}
    assert a._units.proposal_regions == b._units.proposal_regions


def test_learned_abbreviation_from_department_aliases(tmp_path, config):
    repo = Repository(tmp_path / "p.json")
    repo.put(Department(name="临汾市自然资源和规划局", aliases=["临汾规自局"]))
    repo.put(Department(name="晋城市自然资源和规划局"))
    repo.put(Department(name="晋城市教育局"))
    repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=3, number="1", lead_unit="晋城市公安局"))
    index = SearchIndex.build(repo, config.aliases)
    result = index.find_units("晋城市规自局")
    assert names(result)[0] == "晋城市自然资源和规划局" and result.certain
    repo.close()


def test_limit_and_choices_cap(world):
    repo, index, _ = world
    with repo.batch():
        for i in range(12):
            repo.put(Contact(name=f"王{'一二三四五六七八九十甲乙'[i]}", unit="晋城市财政局"))
    result = index.find_contacts("王")
    assert len(result.hits) == 8 and not result.certain
    assert len(index.search("王", limit=3).hits) == 3


def test_bulk_load_equals_incremental_on_generated_data(tmp_path, config):
    """A few hundred generated records: bulk load and one-by-one puts make the same index, and
    stay the same through edits made in place, deletions and new records."""
    gen = _load("gen_data")
    repo = Repository(gen.write_db(gen.generate(400, 3), tmp_path / "gen.json"))
    loaded = SearchIndex.build(repo, config.aliases)
    live = SearchIndex(config.aliases)
    for cls in (Department, Contact, Proposal, Reply):
        for record in repo.all(cls):
            live.on_change("put", record)
    live.attach(repo)
    assert_same_index(live, loaded)
    queries = ["发改委", "城乡融合", "wang", "125", "TA10", "晋城市教育局", "老旧小区改造"]
    queries += [p.title for p in repo.all(Proposal)[:5]] + [c.name for c in repo.all(Contact)[:5]]
    for query in queries:
        assert [(h.key, h.score) for h in live.search(query).hits] == \
            [(h.key, h.score) for h in loaded.search(query).hits], query
    # Edits in place (the repository keeps the same objects), deletions, new records.
    with repo.batch():
        for p in repo.all(Proposal)[:20]:
            p.title = "关于" + p.title[::-1] + "的建议"
            p.number = p.number + "1"
            p.proposer = "九三学社晋城市委"
            p.co_units = ["晋城市财政局"]
            repo.put(p)
        for r in repo.all(Reply)[:10]:
            r.doc_number = "晋财发〔2024〕7号"
            r.phones = ["0356-1234567"]
            repo.put(r)
        for c in repo.all(Contact)[:10]:
            c.name = "单" + c.name[1:]
            c.phones = ["13900000000"]
            repo.put(c)
        for p in repo.all(Proposal)[20:30]:
            repo.delete(p)
        repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=3, number="9999",
                          title="关于𠀋字路口改造的建议", proposer="测试委员", lead_unit="晋城市公安局"))
    assert_same_index(live, loaded)
    assert_same_index(loaded, SearchIndex.build(repo, config.aliases), posts=False)
    for query in queries + ["晋财发〔2024〕7号", "1234567", "𠀋字路口", "单"]:
        assert [(h.key, h.score) for h in live.search(query).hits] == \
            [(h.key, h.score) for h in loaded.search(query).hits], query
    assert loaded.search("𠀋字路口改造").hits[0].record.number == "9999"
    repo.close()


def test_rows_mapping():
    from bot.search.rows import Rows, State

    rows = Rows()
    rows.fill([1, 2, 3], ["a", "b", "c"])
    assert len(rows) == 3 and rows.rows[1:4] == ["a", "b", "c"] and not rows.other
    rows[5] = "e"
    rows[-1] = "neg"
    rows[10 ** 12] = "far"
    rows["x"] = "str"
    assert len(rows) == 7 and set(rows.other) == {-1, 10 ** 12, "x"}
    assert rows.get(4) is None and rows.get(4, 0) == 0 and 4 not in rows and 5 in rows
    assert rows[10 ** 12] == "far" and rows[-1] == "neg" and rows["x"] == "str"
    with pytest.raises(KeyError):
        rows[4]
    assert rows.values_for([1, 5, 4, -1, 10 ** 12]) == ["a", "e", None, "neg", "far"]
    assert rows.pop(2) == "b" and rows.pop(2) is None and len(rows) == 6
    del rows["x"]
    with pytest.raises(KeyError):
        del rows["x"]
    assert dict(rows.items()) == {1: "a", 3: "c", 5: "e", -1: "neg", 10 ** 12: "far"}
    # An id kept aside moves into the list once the list reaches it.
    rows2 = Rows()
    rows2[5000] = "late"
    assert rows2.other == {5000: "late"}
    for i in range(3000):
        rows2[i] = i + 1
    assert rows2.other == {5000: "late"} and rows2[5000] == "late"
    rows2[5001] = "next"
    assert not rows2.other and rows2.rows[5000] == "late" and rows2[5000] == "late" and len(rows2) == 3002
    state = State(3)
    state[4] = (None, "a", ())
    state.fill([1, 2], ([7, None], ["x", "y"], [(), ("u",)]))
    assert state[4] == (None, "a", ()) and state.get(2) == (None, "y", ("u",)) and len(state) == 3
    assert state.pop(4) == (None, "a", ()) and 4 not in state and state.get(4) is None
    assert dict(state.items()) == {1: (7, "x", ()), 2: (None, "y", ("u",))}
    rows3 = Rows()
    rows3.fill([7, 3, 5], ["x", "y", "z"])  # not consecutive, not sorted
    assert dict(rows3.items()) == {3: "y", 5: "z", 7: "x"} and len(rows3) == 3
    with pytest.raises(ValueError):
        rows3[1] = None


def test_bigram_codes_bulk_equals_one_by_one():
    from bot.search.text import pair_codes, title_core

    texts = ["关于加快推动城乡融合发展的建议", "城乡", "城", "关于建议", "关于𠀋字路口的建议", "abab",
             "aaaa", "发展发展", "议案", "x𠀋"]
    one = Corpus(gram=2, core=title_core, ids=True)
    for key, text in enumerate(texts, 1):
        one.add(key, text)
    bulk = Corpus(gram=2, core=title_core, ids=True)
    bulk.load(list(range(1, len(texts) + 1)), texts)
    assert {g: list(v) for g, v in bulk.post.items()} == {g: list(v) for g, v in one.post.items()}
    bmp = Corpus(gram=2, core=title_core, ids=True)  # the one-encoding path (no character beyond the BMP)
    plain = [t for t in texts if "𠀋" not in t]
    bmp.load(list(range(1, len(plain) + 1)), plain)
    one = Corpus(gram=2, core=title_core, ids=True)
    for key, text in enumerate(plain, 1):
        one.add(key, text)
    assert {g: list(v) for g, v in bmp.post.items()} == {g: list(v) for g, v in one.post.items()}
    assert pair_codes("城乡") == {ord("城") | ord("乡") << 16} and pair_codes("城") == {ord("城")}
    assert pair_codes("") == set()
    # A key an array('I') cannot hold turns that posting list into a list.
    bulk.add(-5, "城乡规划")
    assert -5 in bulk.post[next(iter(pair_codes("城乡")))]


def test_capped_candidates_keep_every_match_of_the_whole_query(monkeypatch):
    """Posting lists are read rarest first up to BUDGET: a cap that falls after the rarest list
    drops only fuzzy matches (never certain), so it does not count as truncated; a rarest list
    over the cap does."""
    import bot.search.corpus as corpus

    monkeypatch.setattr(corpus, "BUDGET", 5)
    titles = Corpus(gram=2, ids=True)
    texts = ["城乡融合发展"] + [f"城乡第{i}" for i in range(8)] + ["乡村振兴"]
    titles.load(list(range(1, len(texts) + 1)), texts)
    keys, truncated = titles.candidates("城乡融合", 1)
    assert 1 in keys and not truncated  # 乡融 (rarest) read whole; 城乡 (9 titles) over the cap
    found, truncated = titles.match("城乡融合")
    assert found[0][0] == 1 and found[0][2] >= 80 and not truncated
    keys, truncated = titles.candidates("城乡", 1)
    assert truncated and len(keys) == 5


def test_title_core_cuts_the_frame():
    import re

    frame = re.compile(r"^关于|的?(?:建议|提案|议案|意见)$")
    from bot.search.text import title_core, title_cores

    titles = ["关于加快推动城乡融合发展的建议", "关于建议", "关于的建议", "的的建议", "建议", "关于", "的建议",
              "关于推进建议的提案", "关于意见的意见", "城乡融合", "提案建议", "建议的建议", "关于关于", "", "的"]
    for title in titles:
        assert title_core(title) == frame.sub("", title), title
    assert title_cores(titles) == [frame.sub("", t) for t in titles]


def test_large_load_freezes_start_up_objects(tmp_path, config, monkeypatch):
    """A start-up sized load moves what is alive to the collector's permanent generation; a
    small one, or one whose caller paused the collector, leaves the collector alone."""
    import gc

    import bot.search.index as search_index

    repo = Repository(tmp_path / "p.json")
    seed(repo)
    assert gc.isenabled()
    # Start from an empty permanent generation: objects an earlier test froze may die during
    # this one, and each death lowers the count.
    gc.unfreeze()
    frozen = gc.get_freeze_count()
    try:
        SearchIndex.build(repo, config.aliases)
        assert gc.get_freeze_count() == frozen and gc.isenabled()
        monkeypatch.setattr(search_index, "FREEZE_MIN", 5)
        gc.disable()
        try:
            SearchIndex.build(repo, config.aliases)
            assert gc.get_freeze_count() == frozen and not gc.isenabled()
        finally:
            gc.enable()
        SearchIndex.build(repo, config.aliases)
        assert gc.get_freeze_count() > frozen and gc.isenabled()
    finally:
        gc.unfreeze()
        repo.close()
