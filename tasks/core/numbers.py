"""Values are numbers: the one rule every parser uses to turn a cell's text into a finite float.

Two readings, documented in docs/reliability.md ("Values are numbers"):

- **A feed's cell** (air, water, waste: written by a machine) is a plain decimal — optional sign, digits, optional
  fraction, optional exponent where the source allows it. Anything else is not converted: `inf`, `Infinity`,
  `nan`, a number too large for a float (`1e999`), full-width digits, thousands separators, text. The parser
  returns NaN and the source's numeric rule quarantines the value with its reason.
- **A person's cell** (a department's form) is read as the person meant it: full-width digits and signs are folded
  to ASCII (NFKC), U+2212 is a minus, thousands separators are dropped when they group by three ("1,234.5"),
  and a trailing % is accepted in a % row. Ambiguous text ("35,2", "约35", "35万") and anything non-finite stay
  NaN and are quarantined.

Never is a non-finite number returned: NaN means "not a number", and it never reaches the warehouse as a value.
"""

from __future__ import annotations

import math
import re
import unicodedata

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_SCIENTIFIC = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def plain(text: str, *, exponent: bool = True) -> float:
    """A feed's cell as a finite float, or NaN (see the module docstring). ASCII digits only."""
    s = text.strip()
    if not s.isascii() or not (_SCIENTIFIC if exponent else _DECIMAL).fullmatch(s):
        return math.nan
    return finite(float(s))


def finite(value: float) -> float:
    """The value itself when finite, else NaN (an `inf` must never be stored as a number)."""
    return value if math.isfinite(value) else math.nan


def typed(text: str, *, percent: bool = False) -> float:
    """A person's cell as the number they meant, or NaN when it is not unambiguous (see the module docstring)."""
    s = unicodedata.normalize("NFKC", str(text)).replace("\u2212", "-").strip()
    if percent and s.endswith("%"):
        s = s[:-1].rstrip()
    if _GROUPED.fullmatch(s):
        s = s.replace(",", "")
    return plain(s)


def why_not(text: str) -> str:
    """The reason a cell's text is not a number, for a quarantine entry."""
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    if s.lstrip("+-") in ("inf", "infinity", "nan") or (_SCIENTIFIC.fullmatch(s) and not math.isfinite(float(s))):
        return f"{text!r} is not a finite number (inf/nan/overflow are never stored)"
    if not str(text).strip().isascii():
        return f"{text!r} has non-ASCII characters (full-width digits?); a feed writes plain ASCII decimals"
    if "," in s:
        return f"{text!r} has a thousands separator or decimal comma; a feed writes plain decimals"
    return f"{text!r} is not a number"
