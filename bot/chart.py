"""The statistics chart: open and overdue items by lead unit, and 办复率 by lead unit, as a PNG.

Chinese labels need a CJK font, and a fresh machine may have none (matplotlib's DejaVu has no
Han glyphs): the font comes from a dependency, the ``pylopdf-fonts-zh-cn`` wheel's Noto Sans SC
Regular (a single-face Simplified Chinese OpenType font, SIL OFL 1.1; the wheel is 17 MB, the
face 8.3 MB; another file can be passed in). It is registered with matplotlib by path and named
explicitly on every text, so no other family is ever picked.

Drawn with the object-oriented API on an Agg canvas (no pyplot state, safe off the main
thread). Pure core: no telegram.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from bot.report import scope_text
from bot.stats import Figures

MAX_UNITS = 12
OPEN_COLOR, OVERDUE_COLOR, RATE_COLOR = "#9db8d9", "#d9534f", "#5b9b5b"


def font_path(configured: str | Path | None = None) -> Path:
    """The CJK font file: the one given, else the dependency's Noto Sans SC."""
    if configured:
        return Path(configured)
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.sans_path())


def font(path: Path) -> "font_manager.FontProperties":
    from matplotlib import font_manager  # imported when a chart is drawn: 33 MB and a second at start-up

    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path))


@dataclass
class Chart:
    png: bytes
    labels: list[str]   # every text drawn (for the glyph check)
    family: str         # the font family the labels are set in
    font_file: Path


def short_unit(name: str, region: str | None = None) -> str:
    """晋城市发展和改革委员会 → 发展和改革委员会 when every unit on the chart shares the region."""
    return name[len(region):] if region and name.startswith(region) and len(name) > len(region) else name


def stats_chart(f: Figures, font_file: str | Path | None = None) -> Chart:
    """Two panels: open and overdue items by lead unit (most open first), 办复率 by lead unit."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = font_path(font_file)
    prop = font(path)
    rows = f.open_by_unit[:MAX_UNITS]
    overdue = dict(f.overdue_by_unit)
    rates = f.reply_rate_by_unit[:MAX_UNITS]  # the lowest rates: where attention is needed
    names = [u for u, _ in rows] + [u for u, _, _ in rates]
    region = _common_prefix_region(names)
    fig = Figure(figsize=(9, 3.2 + 0.42 * max(len(rows), len(rates), 1)), dpi=110)
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
    scope = scope_text(f) or "全部"
    title = f"办理统计 · {scope}（截至 {f.as_of.isoformat()}）"
    fig.suptitle(title, fontproperties=prop, fontsize=13)

    labels = [short_unit(u, region) for u, _ in rows][::-1]
    opened = [n for _, n in rows][::-1]
    late = [overdue.get(u, 0) for u, _ in rows][::-1]
    ys = range(len(rows))
    left.barh([y + 0.2 for y in ys], opened, height=0.4, color=OPEN_COLOR, label="在办")
    left.barh([y - 0.2 for y in ys], late, height=0.4, color=OVERDUE_COLOR, label="已逾期")
    left.set_yticks(list(ys), labels, fontproperties=prop)
    left.set_title("在办与逾期件数（按主办单位）", fontproperties=prop)
    left.set_xlabel("件数", fontproperties=prop)
    left.legend(prop=prop, loc="lower right")
    if not rows:
        left.text(0.5, 0.5, "没有在办事项", transform=left.transAxes, ha="center", fontproperties=prop)

    rate_labels = [short_unit(u, region) for u, _, _ in rates][::-1]
    values = [100.0 * r / n for _, r, n in rates][::-1]
    right.barh(range(len(rates)), values, color=RATE_COLOR)
    right.set_yticks(list(range(len(rates))), rate_labels, fontproperties=prop)
    right.set_xlim(0, 100)
    right.set_title("办复率（按主办单位，%）", fontproperties=prop)
    right.set_xlabel("办复率（%）", fontproperties=prop)
    for y, value in enumerate(values):
        right.text(min(value + 1, 88), y, f"{value:.0f}%", va="center", fontproperties=prop, fontsize=8)
    for ax in (left, right):
        for tick in ax.get_xticklabels():
            tick.set_fontproperties(prop)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    drawn = [t.get_text() for t in fig.findobj(match=lambda a: hasattr(a, "get_text") and hasattr(a, "get_fontproperties"))]
    return Chart(out.getvalue(), [t for t in drawn if t], prop.get_name(), path)


def _common_prefix_region(names: list[str]) -> str | None:
    """The region every unit name starts with (晋城市), if they share one."""
    from bot.numbers import region_in

    regions = {region_in(n) for n in names}
    return regions.pop() if len(regions) == 1 else None
