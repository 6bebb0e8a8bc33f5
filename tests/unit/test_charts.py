"""The digest's trend chart: a PNG of the asked size, gaps for missing months, same bytes for the same input."""

from __future__ import annotations

import json
import os
import stat
import struct
import subprocess
import sys
import tempfile
import warnings
from decimal import Decimal
from pathlib import Path

import pytest

from tasks.notify import charts
from tasks.notify.charts import trend_png

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MONTHS = [f"{2024 + i // 12}-{i % 12 + 1:02d}" for i in range(24)]
VALUES = [31.0, 35.0, 40.0, None, 28.0, 25.0, 22.0, 24.0, None, None, 30.0, 38.0,
          45.0, 41.0, 36.0, 30.0, 27.0, 26.0, 23.0, 25.0, 29.0, 33.0, 39.0, 47.0]
POINTS = list(zip(MONTHS, VALUES, strict=True))
YTD = [(p, None if v is None else round(v * 0.9 + 3, 1)) for p, v in POINTS]


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a valid PNG has right after its signature."""
    assert png[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", png[8:16])
    assert (length, kind) == (13, b"IHDR")
    return struct.unpack(">II", png[16:24])


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter, so that matplotlib's first import sees `env`."""
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "MPLBACKEND"}}
    env.update(extra)
    return env


CHART_SCRIPT = """
import json, os, sys, warnings
warnings.simplefilter("error")
from tasks.notify.charts import trend_png
points = [tuple(p) for p in json.loads(sys.argv[1] if len(sys.argv) > 1 else os.environ["POINTS"])]
png = trend_png(points, target=35.0, unit="ug/m3", highlight=points[-1][0])
sys.stdout.write(json.dumps({"png": png.hex(), "mplconfigdir": os.environ.get("MPLCONFIGDIR")}))
"""


def test_png_signature_and_default_size() -> None:
    png = trend_png(POINTS, ytd=YTD, target=35.0, unit="μg/m³", highlight="2025-12")
    assert png.startswith(PNG_SIGNATURE)
    assert png_size(png) == (560, 220)
    assert png.endswith(b"IEND\xaeB`\x82")


@pytest.mark.parametrize(("width", "height"), [(560, 220), (160, 100), (333, 151), (801, 299), (1200, 480)])
def test_size_is_exactly_the_pixels_asked_for(width: int, height: int) -> None:
    assert png_size(trend_png(POINTS, width_px=width, height_px=height)) == (width, height)


def test_gaps_for_none_do_not_raise_and_are_not_zeros() -> None:
    with_gap = trend_png([("2025-01", 10.0), ("2025-02", None), ("2025-03", 12.0)])
    with_zero = trend_png([("2025-01", 10.0), ("2025-02", 0.0), ("2025-03", 12.0)])
    left_out = trend_png([("2025-01", 10.0), ("2025-03", 12.0)])  # a month not in the list is a gap too
    assert png_size(with_gap) == (560, 220)
    assert with_gap != with_zero
    assert with_gap == left_out


def test_nan_counts_as_a_gap() -> None:
    assert trend_png([("2025-01", 1.0), ("2025-02", float("nan")), ("2025-03", 2.0)]) == \
        trend_png([("2025-01", 1.0), ("2025-02", None), ("2025-03", 2.0)])


def test_all_values_missing_draws_an_empty_frame() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = trend_png([("2025-01", None), ("2025-02", None)], ytd=[("2025-01", None)], highlight="2025-02")
    assert png_size(png) == (560, 220)


def test_single_point() -> None:
    png = trend_png([("2025-06", 3.2)], target=4.0, unit="%", highlight="2025-06")
    assert png_size(png) == (560, 220)


def test_decimal_values_from_the_warehouse_are_accepted() -> None:
    assert trend_png([("2025-01", Decimal("1.5")), ("2025-02", Decimal("2.5"))], target=Decimal("2")) == \
        trend_png([("2025-01", 1.5), ("2025-02", 2.5)], target=2.0)


def test_empty_points_raise_a_clear_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        trend_png([])
    with pytest.raises(ValueError, match="at least one"):
        trend_png([], ytd=YTD)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"points": [("2025-1", 1.0)]}, "not 'YYYY-MM'"),
    ({"points": [("2025-13", 1.0)]}, "not 'YYYY-MM'"),
    ({"points": [("2025-01", 1.0), ("2025-01", 2.0)]}, "more than once"),
    ({"points": [("2025-01", "1.0")]}, "not a number"),
    ({"points": [("2025-01", 1.0)], "highlight": "January"}, "not 'YYYY-MM'"),
    ({"points": [("2025-01", 1.0)], "width_px": 40}, "at least"),
])
def test_bad_input_raises_value_error(kwargs: dict, message: str) -> None:
    points = kwargs.pop("points")
    with pytest.raises(ValueError, match=message):
        trend_png(points, **kwargs)


def test_same_input_same_bytes() -> None:
    first = trend_png(POINTS, ytd=YTD, target=35.0, unit="μg/m³", highlight="2025-12")
    charts._drawn.cache_clear()   # drawn again, not the process's copy
    second = trend_png(list(POINTS), ytd=list(YTD), target=35.0, unit="μg/m³", highlight="2025-12")
    assert first == second
    assert b"matplotlib" not in first.lower()  # no Software chunk naming a version


def test_a_chart_is_drawn_once_per_input_and_font(monkeypatch: pytest.MonkeyPatch) -> None:
    charts._drawn.cache_clear()
    drawn = []
    figure = charts._matplotlib().figure.Figure.savefig
    monkeypatch.setattr(charts._matplotlib().figure.Figure, "savefig",
                        lambda fig, *args, **kwargs: drawn.append(1) or figure(fig, *args, **kwargs))
    first = trend_png(POINTS, target=35.0, unit="吨", highlight="2025-12")
    assert trend_png(list(POINTS), target=35.0, unit="吨", highlight="2025-12") == first and len(drawn) == 1
    assert trend_png(POINTS, target=36.0, unit="吨", highlight="2025-12") != first and len(drawn) == 2
    monkeypatch.setattr(charts, "_cjk_font_path", lambda: None)     # no CJK font: the same points drawn anew
    assert trend_png(POINTS, target=35.0, unit="吨", highlight="2025-12") != first and len(drawn) == 3


def test_each_option_changes_the_image() -> None:
    plain = trend_png(POINTS)
    assert trend_png(POINTS, target=35.0) != plain
    assert trend_png(POINTS, ytd=YTD) != plain
    assert trend_png(POINTS, highlight="2025-12") != plain
    assert trend_png(POINTS, unit="%") != plain


def test_highlight_outside_the_points_extends_the_axis() -> None:
    png = trend_png([("2025-01", 1.0), ("2025-02", 2.0)], highlight="2025-04")
    assert png != trend_png([("2025-01", 1.0), ("2025-02", 2.0)])


def test_many_months_do_not_crowd_the_labels() -> None:
    ticks = charts._tick_months(list(range(2024 * 12, 2030 * 12)), None, 560)
    assert 2 <= len(ticks) <= 9
    assert all(m % 12 == 0 for m in ticks) or all(m % 6 == 0 for m in ticks)
    assert charts._tick_months(list(range(2025 * 12, 2025 * 12 + 6)), None, 560) == list(range(2025 * 12,
                                                                                               2025 * 12 + 6))


def test_cjk_unit_without_a_cjk_font_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(charts, "_cjk_font_path", lambda: None)
    assert charts._unit_label("吨") == ("", None)
    assert charts._unit_label("万吨 (t)") == ("t", None)
    assert charts._unit_label("μg/m³") == ("μg/m³", None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font" when it draws boxes
        assert trend_png(POINTS, unit="吨") == trend_png(POINTS)


def test_cjk_unit_uses_a_cjk_font_when_one_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(charts, "_cjk_font_path", lambda: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    text, font = charts._unit_label("吨")
    assert text == "吨"
    assert font.get_file() == "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def test_real_cjk_lookup_draws_without_missing_glyphs() -> None:
    """Whatever this machine has installed: a CJK font is used if found, else the unit is left out."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert png_size(trend_png(POINTS, unit="吨")) == (560, 220)


def test_importing_the_module_does_not_import_matplotlib() -> None:
    result = run_python("import sys, tasks.notify.charts; print('matplotlib' in sys.modules)", clean_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_works_with_a_fresh_mplconfigdir_and_gives_the_same_bytes(tmp_path: Path) -> None:
    configdir = tmp_path / "mpl"
    env = clean_env(MPLCONFIGDIR=str(configdir), POINTS=json.dumps(POINTS))
    result = run_python(CHART_SCRIPT, env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["mplconfigdir"] == str(configdir)
    assert list(configdir.glob("fontlist-*.json"))  # matplotlib built its font cache there
    assert bytes.fromhex(out["png"]) == trend_png(POINTS, target=35.0, unit="ug/m3", highlight="2025-12")


def test_read_only_home_falls_back_to_a_private_temp_dir(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("a file, so nothing can be created under it even by root\n")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = clean_env(HOME=str(home), TMPDIR=str(tmp), POINTS=json.dumps(POINTS[:6]))
    result = run_python(CHART_SCRIPT, env)
    assert result.returncode == 0, result.stderr
    assert "Matplotlib created a temporary" not in result.stderr  # matplotlib's own fallback warning
    assert "mkdir -p failed" not in result.stderr
    out = json.loads(result.stdout)
    assert png_size(bytes.fromhex(out["png"])) == (560, 220)
    configdir = Path(out["mplconfigdir"])
    assert configdir.parent == tmp and configdir.name.startswith("ecoflow-matplotlib-")
    assert stat.S_IMODE(configdir.stat().st_mode) & 0o077 == 0
    assert list(configdir.glob("fontlist-*.json"))


def test_writable_home_and_a_set_mplconfigdir_are_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "given"))
    assert charts.ensure_mplconfigdir() is None
    assert os.environ["MPLCONFIGDIR"] == str(tmp_path / "given")

    monkeypatch.setenv("MPLCONFIGDIR", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert charts.ensure_mplconfigdir() is None
    assert os.environ["MPLCONFIGDIR"] == ""
    assert (tmp_path / "home" / ".cache" / "matplotlib").is_dir()


def test_unusable_home_sets_mplconfigdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "home").write_text("not a directory\n")
    monkeypatch.setenv("MPLCONFIGDIR", "")  # restored by monkeypatch after the test
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    chosen = charts.ensure_mplconfigdir()
    assert chosen == os.environ["MPLCONFIGDIR"] == str(tmp_path / f"ecoflow-matplotlib-{os.getuid()}")


def test_shared_temp_dir_not_private_is_not_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    shared = tmp_path / f"ecoflow-matplotlib-{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)
    chosen = Path(charts._private_temp_dir())
    assert chosen != shared and chosen.parent == tmp_path and chosen.is_dir()


def test_the_legend_is_chinese_with_a_cjk_font_and_ascii_without(monkeypatch: pytest.MonkeyPatch) -> None:
    from tasks.notify.messages import CHART_LEGEND

    if charts._cjk_font_path() is None:
        pytest.fail("no CJK font installed: .ci/run installs fonts-wqy-zenhei")
    labels, font = charts._legend()
    assert labels == CHART_LEGEND == ("月值", "累计值", "目标") and font.get_file() == charts._cjk_font_path()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Glyph missing" warning: the Chinese legend is drawn with the CJK font
        assert png_size(trend_png(POINTS, ytd=YTD, target=35.0)) == (560, 220)
    monkeypatch.setattr(charts, "_cjk_font_path", lambda: None)
    assert charts._legend() == (charts.ASCII_LEGEND, None)
