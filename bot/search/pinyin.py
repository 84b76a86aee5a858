"""Pinyin of people's names: every reading of the surname (单 shan, 曾 zeng ...), full forms,
initials (唐志文 → tzw) and surname-in-full + initials (tangzw); readings of a Chinese query."""

from __future__ import annotations

import itertools
import operator

from pypinyin import Style, pinyin

from bot.search.text import HAN, norm

_COMPOUND_SURNAMES = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "司徒", "夏侯", "轩辕", "令狐", "钟离", "澹台", "端木", "西门", "南宫", "独孤", "呼延",
}

_READINGS: dict[str, tuple[str, ...]] = {}


def readings(ch: str) -> tuple[str, ...]:
    """Every pinyin reading of one character, most common first (Style.NORMAL, heteronym)."""
    found = _READINGS.get(ch)
    if found is None:
        if HAN.match(ch):
            found = tuple(dict.fromkeys(r.lower() for r in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]))
        else:
            found = (ch.lower(),)
        _READINGS[ch] = found
    return found


# Surname readings that differ from the character's common reading (曾经 ceng, 单独 dan, ...).
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "区": "ou", "仇": "qiu", "朴": "piao", "查": "zha",
    "盖": "ge", "缪": "miao", "尉": "yu", "乐": "yue", "覃": "qin", "翟": "zhai", "召": "shao",
    "员": "yun", "句": "gou", "阚": "kan", "那": "na", "秘": "bi", "种": "chong", "繁": "po",
    "黑": "he", "谌": "chen", "逄": "pang", "隗": "wei", "宓": "mi", "郇": "huan", "柏": "bai",
    "折": "she", "长": "zhang", "万": "wan", "祭": "zhai", "过": "guo", "石": "shi", "沈": "shen",
}
COMPOUND_SURNAME_READINGS = {"尉迟": "yuchi", "万俟": "moqi", "澹台": "tantai", "单于": "chanyu", "长孙": "zhangsun"}


_FIRST = operator.itemgetter(0)


def _name_combos(name: str, cap: int = 16) -> tuple[int, list[tuple[str, ...]]]:
    """(surname length, reading combinations), the preferred one first: the surname's own
    reading (单 shan, 曾 zeng, ...) or the character's common one, then every other reading of
    the surname and of the given name, up to ``cap`` combinations."""
    chars = norm(name)
    if not chars:
        return 0, []
    head = chars[:2]
    split = 2 if head in _COMPOUND_SURNAMES or head in COMPOUND_SURNAME_READINGS else 1
    per_char = [_READINGS.get(ch) or readings(ch) for ch in chars]  # (memo hit, else computed)
    compound = None
    if split == 1:
        own = SURNAME_READINGS.get(chars[0])
        if own:
            per_char[0] = (own, *(r for r in per_char[0] if r != own))
    else:
        compound = COMPOUND_SURNAME_READINGS.get(head)
    if max(map(len, per_char)) == 1:
        combos = [tuple(map(_FIRST, per_char))]  # one reading each: the one combination
    else:
        combos = list(itertools.islice(itertools.product(*per_char), cap))
    if compound:
        combos.insert(0, (compound, "", *(r[0] for r in per_char[2:])))
    return split, combos


def _forms(split: int, combo: tuple[str, ...]) -> tuple[str, str, str]:
    full = "".join(combo)
    initials = "".join(map(_FIRST, filter(None, combo)))
    mixed = "".join(combo[:split]) + "".join(map(_FIRST, filter(None, combo[split:])))
    return full, initials, mixed


def pinyin_forms(name: str, cap: int = 16, preferred_only: bool = False) -> tuple[set[str], set[str], set[str]]:
    """(full, initials, surname-in-full + initials) of a person's name: 唐志文 → tangzhiwen, tzw,
    tangzw. Every reading of the surname is included (单 dan/shan, 曾 ceng/zeng, 解 jie/xie,
    区 qu/ou, 仇 chou/qiu, 朴 pu/piao, 查 cha/zha), and of the given name up to ``cap``
    combinations; ``preferred_only`` keeps the one most likely reading."""
    split, combos = _name_combos(name, cap)
    full, initials, mixed = set(), set(), set()
    for combo in combos[:1] if preferred_only else combos:
        f, i, m = _forms(split, combo)
        full.add(f)
        initials.add(i)
        mixed.add(m)
    return full, initials, mixed


def _other_forms(split: int, combos: list[tuple[str, ...]]) -> tuple[tuple[str, str, str], tuple[set[str], set[str], set[str]]]:
    first = _forms(split, combos[0])
    rest = [_forms(split, combo) for combo in combos[1:]]
    full, initials, mixed = first
    return first, ({f for f, _, _ in rest if f != full}, {i for _, i, _ in rest if i != initials},
                   {m for _, _, m in rest if m != mixed})


def contact_form_row(name: str) -> tuple:
    """What the index files a contact's name under: the preferred full, initials and mixed forms
    (strings), then the other readings' forms not already preferred (tuples: a set takes 216
    bytes even empty). Most names have one reading: no set made for them."""
    split, combos = _name_combos(name)
    if not combos:
        return ("", "", "", (), (), ())
    if len(combos) == 1:
        return (*_forms(split, combos[0]), (), (), ())
    first, alt = _other_forms(split, combos)
    return (*first, *map(tuple, alt))


def query_pinyin(q: str) -> set[str]:
    """Readings of a Chinese query: the common reading of each character, every reading of the
    first (a surname)."""
    if not q:
        return set()
    rest = "".join(readings(ch)[0] for ch in q[1:])
    return {first + rest for first in readings(q[0])}
