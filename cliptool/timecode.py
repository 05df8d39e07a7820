"""Timestamp text <-> seconds, the only place that converts between them."""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

__all__ = ["parse_ts", "format_ts", "parse_t_param", "parse_time", "format_like", "mmss_reading", "utc_now",
           "TimestampError"]

_CLOCK = re.compile(r"^(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?$")
_T_PARAM = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")


class TimestampError(ValueError):
    """Text that is not a possible timestamp."""


def parse_ts(text: str) -> float:
    """Seconds of ``HH:MM:SS``, ``H:MM:SS`` or ``MM:SS`` (optionally with a fraction).

    >>> parse_ts("00:08:36"), parse_ts("8:36"), parse_ts("1:02:03.5")
    (516.0, 516.0, 3723.5)
    """
    m = _CLOCK.match(text.strip())
    if not m:
        raise TimestampError(f"not a timestamp: {text!r}")
    hours, minutes, seconds, frac = m.groups()
    h = int(hours) if hours is not None else 0
    mi, s = int(minutes), int(seconds)
    if s >= 60 or (hours is not None and mi >= 60):
        raise TimestampError(f"impossible timestamp: {text!r}")
    value = h * 3600 + mi * 60 + s
    if frac:
        value += int(frac) / 10 ** len(frac)
    return float(value)


def format_ts(seconds: float, *, hours: bool = True) -> str:
    """``HH:MM:SS`` (or ``MM:SS`` when ``hours`` is false and under an hour), whole seconds.

    Rounded down, as YouTube's ``t=`` links are: a sentence starting at 947.6 s is at 00:15:47
    in every report, caption listing and clip line, and a link there does not miss its start.

    >>> format_ts(516), format_ts(516, hours=False), format_ts(3723.6), format_ts(28.9999999)
    ('00:08:36', '08:36', '01:02:03', '00:00:29')
    """
    if seconds < 0:
        raise TimestampError(f"negative time: {seconds}")
    total = math.floor(seconds + 1e-6)  # float noise: 28.9999999 is 29
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    if not hours and h == 0:
        return f"{m:02d}:{s:02d}"
    return f"{h:02d}:{m:02d}:{s:02d}"


def mmss_reading(raw: str) -> float | None:
    """``17:30:00`` read as 17:30, the slip of note generators that write MM:SS into the HH:MM slots.

    Only the reading; whether it applies is the caller's call (the transcript decides).

    >>> mmss_reading("01:31:00"), mmss_reading("02:03:45"), mmss_reading("8:36"), mmss_reading("00:75:00")
    (91.0, 123.0, None, None)
    """
    parts = raw.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    h, m, _ = (int(p) for p in parts)
    return float(h * 60 + m) if m < 60 else None


def parse_t_param(text: str) -> float:
    """Seconds of a YouTube ``t=`` value: ``516``, ``516s``, ``8m36s``, ``1h2m3s``.

    >>> parse_t_param("516"), parse_t_param("8m36s"), parse_t_param("1h")
    (516.0, 516.0, 3600.0)
    """
    m = _T_PARAM.match(text.strip())
    if not text.strip() or not m or not any(m.groups()):
        raise TimestampError(f"not a t= value: {text!r}")
    h, mi, s = (int(g) if g else 0 for g in m.groups())
    return float(h * 3600 + mi * 60 + s)


def parse_time(text: str) -> float:
    """Seconds of a time written either way a note writes one: a clock or a ``t=`` value.

    >>> parse_time("8:36"), parse_time("8m36s"), parse_time("516")
    (516.0, 516.0, 516.0)
    """
    return parse_ts(text) if ":" in text else parse_t_param(text)


def format_like(seconds: float, template: str) -> str:
    """Render ``seconds`` in the same layout as ``template`` (a timestamp or t= value).

    Keeps a note's own style when fix rewrites it: ``HH:MM:SS`` stays ``HH:MM:SS``,
    ``M:SS`` stays ``M:SS``, ``8m36s`` stays ``XmYs``, bare seconds stay bare seconds.

    >>> format_like(75, "00:08:36"), format_like(75, "8:36"), format_like(75, "8m36s"), format_like(75, "516")
    ('00:01:15', '1:15', '1m15s', '75')
    """
    total = int(round(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    t = template.strip()
    if ":" in t:
        parts = t.split(":")
        if len(parts) == 3:
            return f"{h:0{len(parts[0])}d}:{m:02d}:{s:02d}"
        if h * 60 + m >= 100:  # MM:SS has two minute digits; a longer time needs an hour field
            return f"{h}:{m:02d}:{s:02d}"
        return f"{h * 60 + m:0{len(parts[0])}d}:{s:02d}"
    if t.isdigit():
        return str(total)
    if t.endswith("s") and t[:-1].isdigit():
        return f"{total}s"
    return (f"{h}h" if h else "") + (f"{m}m" if m or h else "") + f"{s}s"


def utc_now() -> str:
    """The current time as ISO 8601 in UTC, whole seconds: the stamp of every cache and provenance record."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
