"""Fuzzy look-up that staff can trust: proposals, contacts and units.

One in-memory :class:`SearchIndex` over the repository's records, kept current through
``Repository.subscribe`` (each put / delete updates only the entries of that record):

- proposals: number (exact after ``number_key``, near misses only as suggestions), title
  (bigram index), proposer, and replies' document numbers and phones;
- contacts: name, full pinyin (every reading of the surname), pinyin initials, phones (digit
  substring), unit;
- units: ``Department`` records (name and aliases) plus every unit name used by proposals
  (lead / co-units), contacts and replies (issuer, signed_by).

Matching runs rapidfuzz's C++ scorers on a small candidate set found through character /
bigram posting lists, never over the whole corpus. Scores are 0-100, tiered so that exact >
prefix > substring > fuzzy; ``SearchResult.certain`` is set only for one clear winner.

The modules, one idea each:

- text.py: the matching form (NFKC, lower case), query cleaning, title cores, bigram codes;
- pinyin.py: readings of names (surname table, heteronyms), initials, readings of a query;
- rows.py: compact tables by record id, multimaps;
- corpus.py: strings with posting lists, candidates, rapidfuzz scoring tiers;
- units.py: units and regions, the forms a unit is matched by, learned abbreviations;
- index.py: :class:`SearchIndex`'s tables, their bulk load and upkeep;
- query.py: what a typed query means (number, phone, document number, pinyin);
- match.py: running a query against the tables;
- results.py: hits, results, ranking;
- export.py: JSON for the CLI, :func:`run_find`, :func:`run_contact`.

No module here imports telegram; the CLI and the handlers call :func:`run_find`,
:func:`run_contact` and :class:`SearchIndex`.
"""

from bot.search.export import hit_to_json, record_to_json, result_to_json, run_contact, run_find
from bot.search.index import SearchIndex
from bot.search.pinyin import pinyin_forms
from bot.search.results import CERTAIN_MARGIN, CERTAIN_MIN, KINDS, RESULT_CUTOFF, Hit, SearchResult
from bot.search.text import clean_query, norm, title_core

__all__ = [
    "KINDS", "CERTAIN_MARGIN", "CERTAIN_MIN", "RESULT_CUTOFF", "Hit", "SearchResult", "SearchIndex",
    "norm", "clean_query", "title_core", "pinyin_forms", "hit_to_json", "record_to_json", "result_to_json",
    "run_find", "run_contact",
]
