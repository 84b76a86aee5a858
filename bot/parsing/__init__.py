"""Parse one reply letter (答复 / 复函) into the glossary's fields.

``parse_letter(text)`` returns a dict with exactly the keys in ``LETTER_KEYS`` plus four extras
(``proposers``: the individual names in the salutation; ``split_units``: units of a 分办 line;
``conflicts``: field → the differing values the letter prints, when it contradicts itself;
``simplified``: for a letter in Traditional characters, the Simplified copy of the fields that
are matched against proposals and units, see ``for_matching``). Every field is as printed.
A field the letter does not state is None (or []); nothing is guessed. What could not be read
or does not agree is said in ``warnings`` (Chinese). It never raises and caps its work on huge
inputs.

``parse_letter_bytes(data, filename)`` reads the file first (``bot.documents.read_text``) and adds
``text_hash``, the letter's identity whatever its file name or format, and ``opinion_marker``
when its heading calls it a co-unit's opinion.

The parser is a pipeline of named steps (``pipeline.PIPELINE``, in one place), each filling in
its part of the result from what the earlier ones found. Matching runs on a keyword copy of the
text in which common Traditional characters are mapped to Simplified (one character for one, so
positions line up); values are cut from the text as printed.

Modules, in the order a letter meets them:
- ``lines`` (with ``unwrap``): raw text → cleaned lines and their keyword copies;
- ``pipeline``: ``PIPELINE`` and the entry points; ``state``: ``Letter``, what the steps share;
- the steps: ``script`` (Traditional), ``chrome`` (web page furniture), ``heading`` (the letter's
  title, issuer, doc number), ``addressee`` (salutation, proposer), ``signature`` (date, signing
  unit), ``labels`` (labelled values, units), ``classification``, ``reference`` (session, body,
  region, number), ``title`` (the proposal's title), ``people`` (handlers, phones, leader),
  ``missing`` (what could not be read);
- shared vocabulary: ``text`` (character classes, limits), ``places`` (place and unit names),
  ``dates``.

Pure core package: no telegram, no tinydb.
"""

from .dates import parse_date
from .people import extract_phones, split_names
from .pipeline import PIPELINE, opinion_marker, parse_letter, parse_letter_bytes, text_hash
from .places import is_government_unit
from .script import for_matching, to_simplified
from .state import LETTER_KEYS, empty_result
from .text import normalize_text

__all__ = [
    "LETTER_KEYS", "PIPELINE", "empty_result", "extract_phones", "for_matching", "is_government_unit",
    "normalize_text", "opinion_marker", "parse_date", "parse_letter", "parse_letter_bytes", "split_names",
    "text_hash", "to_simplified",
]
