"""The 月报's two charts, where readers look rather than read: the cities' 优良天数比例 as bars, and the region's
last 12 months (优良天数比例 and PM2.5) as lines.

PNG from matplotlib's Agg canvas, embedded in the HTML as a data URI (the report stays one file and the PDF engine
loads nothing). Every label is Chinese, so a chart is drawn only with a CJK font (charts._cjk_font_path: Debian's
fonts-wqy-zenhei or Noto CJK); without one the report says so and keeps its tables — no boxes for glyphs.
The same data give the same PNG, so a month's report written again with unchanged values (a rerun, a recomputation
for another source) reuses the charts this process drew (~0.4 s each at 200 dpi).
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache
from typing import Any

from tasks.notify import charts as charts_module
from tasks.notify import messages

WIDTH_IN, CITY_HEIGHT_IN, TREND_HEIGHT_IN, DPI = 6.6, 3.0, 2.4, 200


def charts(cities: list[dict[str, Any]], trend: list[dict[str, Any]], months: list[str]) -> dict[str, Any]:
    """{'available': bool, 'city': data URI | None, 'trend': data URI | None}."""
    charts_module._matplotlib()
    font_path = charts_module._cjk_font_path()
    if font_path is None:
        return {"available": False, "city": None, "trend": None}
    ranked = tuple((c["region_name"], c["good_ratio"], c["good_text"]) for c in cities if c["good_ratio"] is not None)
    points = tuple((r["period"], r.get("good_ratio"), r.get("pm25")) for r in trend)
    return {"available": True,
            "city": _city_bars(ranked, font_path) if ranked else None,
            "trend": _trend(points, tuple(months), font_path) if trend else None}


@lru_cache(maxsize=8)
def _city_bars(ranked: tuple[tuple[str, float, str], ...], font_path: str) -> str:
    """Horizontal bars, best city on top, the value at the end of each bar: (name, 优良天数比例, its text) each."""
    fig, ax, font = _figure(CITY_HEIGHT_IN, font_path)
    names, values, texts = zip(*ranked[::-1], strict=True)
    bars = ax.barh(range(len(names)), values, color=charts_module.MONTH_COLOR, height=0.62)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names, fontproperties=font)
    ax.set_xlim(0, 105)
    for bar, text in zip(bars, texts, strict=True):
        ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, text, va="center", fontsize=7)
    ax.set_title(messages.REPORT["chart_city_title"], fontproperties=font, fontsize=9)
    ax.grid(True, axis="x")
    return _uri(_png(fig))


@lru_cache(maxsize=8)
def _trend(points: tuple[tuple[str, float | None, float | None], ...], months: tuple[str, ...], font_path: str) -> str:
    """Two lines over the same 12 months: 优良天数比例 (left axis) and PM2.5 (right axis), from (month, 优良天数比例,
    PM2.5) points; a month without a value is a gap, never a zero."""
    import math

    fig, ax, font = _figure(TREND_HEIGHT_IN, font_path)
    by_month = {period: (good, pm) for period, good, pm in points}
    xs = range(len(months))
    good = [by_month.get(m, (None, None))[0] for m in months]
    pm = [by_month.get(m, (None, None))[1] for m in months]
    ax.plot(xs, [math.nan if v is None else v for v in good], color=charts_module.MONTH_COLOR, marker="o",
            markersize=3, linewidth=1.5)
    ax.set_ylabel(messages.REPORT["chart_good"], fontproperties=font, fontsize=7.5,
                  color=charts_module.MONTH_COLOR)
    ax.set_ylim(0, 105)
    right = ax.twinx()
    right.plot(xs, [math.nan if v is None else v for v in pm], color=charts_module.YTD_COLOR, marker="s",
               markersize=3, linewidth=1.2)
    right.set_ylabel(messages.REPORT["chart_pm25"], fontproperties=font, fontsize=7.5,
                     color=charts_module.YTD_COLOR)
    right.set_ylim(bottom=0)
    right.spines["right"].set_visible(True)
    ax.set_xticks(list(xs))
    ax.set_xticklabels([f"{int(m[5:])}月" for m in months], fontproperties=font, fontsize=7)
    ax.set_title(messages.REPORT["chart_trend_title"], fontproperties=font, fontsize=9)
    ax.grid(True, axis="y")
    return _uri(_png(fig))


def _figure(height_in: float, font_path: str) -> tuple[Any, Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=7)
    return fig, ax, FontProperties(fname=font_path)


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
