"""Trend charts for the alert digest: one small PNG per alert, embedded inline in the email.

Email clients show neither SVG nor script reliably, so the digest gets a PNG rendered by matplotlib's Agg canvas:
no GUI, no network, no font download (DejaVu Sans ships inside matplotlib). matplotlib is imported only when a chart
is drawn, so the DAG files, which import `tasks` at parse time, never pay for it.

The same input gives the same bytes (no version or date in the PNG), so a rerun of a digest attaches an identical
image — and a chart already drawn in this process is not drawn again (`_drawn`): an alert is in its lead
department's digest and in the bureau's, and a month's digests are sent again after a failure.

Labels are Chinese (月值, 累计值, 目标: tasks/notify/messages.py) when a CJK font is installed (Debian's
fonts-wqy-zenhei, installed by .ci/run); without one they fall back to ASCII, and a unit such as 吨 is left out,
rather than drawn as empty boxes.
"""

from __future__ import annotations

import io
import math
import os
import re
import stat
import sys
import tempfile
from decimal import Decimal
from functools import cache, lru_cache
from numbers import Real
from pathlib import Path
from typing import Any

DPI = 100  # width_px / DPI inches at DPI dots per inch is exactly width_px pixels
MIN_WIDTH_PX, MIN_HEIGHT_PX = 160, 100  # below this the axes and labels no longer fit
MONTH_COLOR, YTD_COLOR, TARGET_COLOR, HIGHLIGHT_COLOR = "#1f5fa8", "#e07b00", "#6b6b6b", "#c62828"
# Families tried, in order, for text that needs CJK glyphs (Debian: fonts-noto-cjk, fonts-wqy-*).
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
                "WenQuanYi Micro Hei", "Noto Sans CJK JP", "Noto Sans CJK TC", "SimHei", "Microsoft YaHei",
                "AR PL UMing CN", "AR PL UKai CN", "Droid Sans Fallback")
_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
ASCII_LEGEND = ("month", "YTD", "target")  # only where no CJK font is installed (Chinese would draw as boxes)
# CJK radicals, kana, ideographs, Hangul, CJK compatibility and full-width forms: glyphs DejaVu Sans does not have.
_CJK_CHAR = re.compile(r"[\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
_STYLE = {
    "font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"], "font.size": 7.5,
    "axes.edgecolor": "#9e9e9e", "axes.linewidth": 0.6, "axes.spines.top": False, "axes.spines.right": False,
    "xtick.color": "#555555", "ytick.color": "#555555", "xtick.major.size": 2.5, "ytick.major.size": 2.5,
    "grid.color": "#e3e3e3", "grid.linewidth": 0.6, "legend.fontsize": 7, "legend.frameon": False,
}


def trend_png(points: list[tuple[str, float | None]], *, ytd: list[tuple[str, float | None]] | None = None,
              target: float | None = None, unit: str = "", highlight: str | None = None, width_px: int = 560,
              height_px: int = 220) -> bytes:
    """A width_px × height_px PNG of an indicator's monthly values, for the digest to embed inline.

    `points` are (period 'YYYY-MM', value) pairs; `ytd` the year-to-date values drawn as a second line; `target` a
    dashed horizontal line; `highlight` the alert's month, shaded and ringed. The x axis runs month by month from the
    first period to the last (and to `highlight`), so a None, a NaN or a month left out is a gap in the line and never
    a zero. Raises ValueError when there is no point, a period is not 'YYYY-MM' or occurs twice, or the size is too
    small to draw.
    """
    return _drawn(tuple(points), tuple(ytd) if ytd else None, target, unit, highlight, width_px, height_px,
                  _cjk_font_path())


#: the charts drawn last, by their input (about 10 KB each): ~0.1 s a chart, the most of a digest's time
CHARTS_KEPT = 256


@lru_cache(maxsize=CHARTS_KEPT)
def _drawn(points: tuple[tuple[str, float | None], ...], ytd: tuple[tuple[str, float | None], ...] | None,
           target: float | None, unit: str, highlight: str | None, width_px: int, height_px: int,
           font: str | None) -> bytes:
    """trend_png's chart, drawn once per distinct input in a process (the same input gives the same bytes); `font`,
    the CJK font its labels use, is part of the input: without one the same points are labelled differently."""
    if not points:
        raise ValueError("trend_png needs at least one (period, value) point; got none")
    if width_px < MIN_WIDTH_PX or height_px < MIN_HEIGHT_PX:
        raise ValueError(f"trend_png needs at least {MIN_WIDTH_PX}x{MIN_HEIGHT_PX} px; got {width_px}x{height_px}")
    month_values = _by_month(points, "points")
    ytd_values = _by_month(ytd, "ytd") if ytd else {}
    marked = _month_index(highlight, "highlight") if highlight is not None else None
    known = [*month_values, *ytd_values, *([marked] if marked is not None else [])]
    first, last = min(known), max(known)
    months = list(range(first, last + 1))
    xs = [m - first for m in months]
    target_value = _number(target, "target")

    mpl = _matplotlib()
    legend_labels, legend_font = _legend()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, NullLocator

    # A Figure with its own Agg canvas, not pyplot: nothing is left in pyplot's figure registry (so there is no figure
    # to close) and the process's backend is not switched. The style context does set rcParams globally while drawing.
    with mpl.style.context(["default", _STYLE]):
        fig = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.grid(True, axis="y")
        ax.set_axisbelow(True)
        if marked is not None:
            x = marked - first
            ax.axvspan(x - 0.5, x + 0.5, color=HIGHLIGHT_COLOR, alpha=0.08, linewidth=0, zorder=0)
        ax.plot(xs, [_or_nan(month_values.get(m)) for m in months], color=MONTH_COLOR, linewidth=1.6, marker="o",
                markersize=2.8, label=legend_labels[0], zorder=3)
        if ytd_values:
            ax.plot(xs, [_or_nan(ytd_values.get(m)) for m in months], color=YTD_COLOR, linewidth=1.2, marker="o",
                    markersize=2.2, label=legend_labels[1], zorder=2)
        if target_value is not None:
            ax.axhline(target_value, color=TARGET_COLOR, linewidth=1.0, linestyle=(0, (4, 3)),
                       label=legend_labels[2], zorder=1)
        if marked is not None:
            value = month_values.get(marked)
            if value is not None:
                ax.plot([marked - first], [value], linestyle="none", marker="o", markersize=7, markerfacecolor="none",
                        markeredgecolor=HIGHLIGHT_COLOR, markeredgewidth=1.3, zorder=4, clip_on=False)
        if not any(v is not None for v in (*month_values.values(), *ytd_values.values(), target_value)):
            ax.set_ylim(0, 1)  # nothing to scale to: an empty frame rather than matplotlib's warning
        pad = 0.7 if len(months) > 1 else 2.0  # room for the ring at either end; one month is not the whole width
        ax.set_xlim(-pad, len(months) - 1 + pad)
        ticks = _tick_months(months, marked, width_px)
        ax.xaxis.set_major_locator(FixedLocator([m - first for m in ticks]))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([_period_text(m) for m in ticks])
        label, font = _unit_label(unit)
        if label:
            ax.set_ylabel(label, fontproperties=font, fontsize=7.5, color="#555555")
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=3, borderaxespad=0.2, handlelength=2.2,
                  columnspacing=1.2, prop=legend_font)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI, facecolor="white",
                    metadata={"Software": None})  # no matplotlib version in the file: same input, same bytes
    return buffer.getvalue()


def _by_month(pairs: list[tuple[str, Any]], name: str) -> dict[int, float | None]:
    """Month index -> value (None for missing or not finite), refusing a period given twice."""
    values: dict[int, float | None] = {}
    for period, value in pairs:
        month = _month_index(period, name)
        if month in values:
            raise ValueError(f"trend_png {name}: period {period!r} occurs more than once")
        values[month] = _number(value, name)
    return values


def _number(value: Any, name: str) -> float | None:
    """A finite float, or None for a gap; DuckDB's Decimal values are accepted, text is not."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real | Decimal):
        raise ValueError(f"trend_png {name}: {value!r} is not a number")
    number = float(value)
    return number if math.isfinite(number) else None


def _month_index(period: Any, name: str) -> int:
    match = _PERIOD.fullmatch(period) if isinstance(period, str) else None
    if match is None:
        raise ValueError(f"trend_png {name}: period {period!r} is not 'YYYY-MM'")
    return int(match[1]) * 12 + int(match[2]) - 1


def _period_text(month: int) -> str:
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def _tick_months(months: list[int], marked: int | None, width_px: int) -> list[int]:
    """The months that get a 'YYYY-MM' label: every k-th month, k from 1, 2, 3, 4, 6, 12, ... so the labels fit.

    Ticks fall on calendar steps (January, April, July, October for k=3) so that charts of different alerts read
    alike; with one label left the alert's month is the one shown.
    """
    slots = max(1, (width_px - 70) // 56)  # plot width over one label's width (7 characters at 7.5 pt) plus a gap
    for step in (1, 2, 3, 4, 6, 12, 24, 36, 60, 120):
        ticks = [m for m in months if m % step == 0] if step > 1 else months
        if len(ticks) <= slots and ticks:
            return ticks
    return [marked if marked is not None else months[-1]]


def _legend() -> tuple[tuple[str, str, str], Any]:
    """The legend's labels (月值, 累计值, 目标 from tasks/notify/messages.py) and their font; ASCII without a CJK
    font."""
    path = _cjk_font_path()
    if path is None:
        return ASCII_LEGEND, None
    from matplotlib.font_manager import FontProperties

    from tasks.notify.messages import CHART_LEGEND

    return CHART_LEGEND, FontProperties(fname=path, size=7)


def _unit_label(unit: str) -> tuple[str, Any]:
    """The y-axis label and its font: CJK text only with a CJK font, else with those characters left out."""
    text = (unit or "").strip()
    if not text or not _CJK_CHAR.search(text):
        return text, None
    path = _cjk_font_path()
    if path is not None:
        from matplotlib.font_manager import FontProperties

        return text, FontProperties(fname=path)
    return _CJK_CHAR.sub("", text).strip(" /()（）·"), None


@cache
def _cjk_font_path() -> str | None:
    """The file of an installed CJK font matplotlib can read, or None (the usual case on a bare server)."""
    _matplotlib()   # its config directory first: font_manager is where matplotlib looks for one
    from matplotlib import font_manager

    def known() -> str | None:
        by_name: dict[str, str] = {}
        for entry in sorted(font_manager.fontManager.ttflist, key=lambda f: (f.weight != 400, f.style != "normal",
                                                                             f.fname)):
            by_name.setdefault(entry.name, entry.fname)
        return next((by_name[family] for family in CJK_FAMILIES if family in by_name), None)

    found = known()
    if found is None:  # matplotlib's font cache predates a font installed since (e.g. fonts-wqy-zenhei by .ci/run)
        for path in font_manager.findSystemFonts():
            if any(hint in Path(path).name.lower() for hint in ("wqy", "cjk", "sourcehan", "droidsansfallback")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = known()
    return found


def _matplotlib() -> Any:
    """matplotlib, imported on first use after making sure it has a writable config and cache directory."""
    if "matplotlib" not in sys.modules:
        ensure_mplconfigdir()
    import matplotlib
    import matplotlib.style

    return matplotlib


def ensure_mplconfigdir() -> str | None:
    """Point MPLCONFIGDIR at a private temp directory when matplotlib's own directories are not writable.

    matplotlib keeps its font cache in ~/.cache/matplotlib (its config in ~/.config/matplotlib). In a container or
    service account with a read-only or missing home it would warn on every process start and build the cache anew
    in a fresh temp dir; this picks one reused directory per user instead. A MPLCONFIGDIR already set is left alone.
    Returns the directory set, or None when nothing was changed.
    """
    if os.environ.get("MPLCONFIGDIR"):
        return None
    if all(_writable_dir(path) for path in _default_mpl_dirs()):
        return None
    directory = _private_temp_dir()
    os.environ["MPLCONFIGDIR"] = directory  # setdefault, except that matplotlib also takes "" for unset
    return directory


def _default_mpl_dirs() -> list[Path | None]:
    """Where matplotlib would put its config and cache without MPLCONFIGDIR (matplotlib._get_config_or_cache_dir)."""
    try:
        home = Path.home()
    except RuntimeError:  # no home directory at all
        return [None]
    if sys.platform.startswith(("linux", "freebsd")):
        config = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
        cache_ = os.environ.get("XDG_CACHE_HOME") or str(home / ".cache")
        return [Path(config, "matplotlib"), Path(cache_, "matplotlib")]
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return [Path(local, "matplotlib") if local and not (home / ".matplotlib").is_dir() else home / ".matplotlib"]
    return [home / ".matplotlib"]


def _writable_dir(path: Path | None) -> bool:
    """True when matplotlib could use `path`: it exists or can be made, is a directory and is writable."""
    if path is None:
        return False
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return path.is_dir() and os.access(path, os.W_OK)


def _private_temp_dir() -> str:
    """<tmp>/ecoflow-matplotlib-<uid>, reused so the font cache is built once; a fresh one if that is not ours."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    path = Path(tempfile.gettempdir(), f"ecoflow-matplotlib-{uid if uid is not None else 'user'}")
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(path)
        ours = uid is None or info.st_uid == uid
        if stat.S_ISDIR(info.st_mode) and ours and not info.st_mode & 0o022 and os.access(path, os.W_OK):
            return str(path)
    except OSError:
        pass
    return tempfile.mkdtemp(prefix="ecoflow-matplotlib-")
