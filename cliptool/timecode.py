"""Timestamp text <-> seconds, the only place that converts between them."""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

__all__ = ["parse_ts", "format_ts", "parse_t_param", "parse_time", "format_like", "mmss_reading", "utc_now",
           "TimestampError"]

# H:MM:SS, or MM:SS whose minutes may run to three digits (105:30): the shapes notes.py reads as times.
_CLOCK = re.compile(r"^(?:(\d{1,3}):(\d{1,2})|(\d{1,3})):(\d{1,2})(?:[.,](\d{1,3}))?$")
_SECONDS_FIELD = re.compile(r"^(\d+)(?:([.,])(\d+))?$")
_T_PARAM = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")


class TimestampError(ValueError):
    """Text that is not a possible timestamp."""


def parse_ts(text: str) -> float:
    """Seconds of ``HH:MM:SS``, ``H:MM:SS`` or ``MM:SS`` (optionally with a fraction); minutes
    without hours may pass 99, as long recordings are sometimes cited (``105:30``).

    >>> parse_ts("00:08:36"), parse_ts("8:36"), parse_ts("1:02:03.5"), parse_ts("105:30,25")
    (516.0, 516.0, 3723.5, 6330.25)
    """
    m = _CLOCK.match(text.strip())
    if not m:
        raise TimestampError(f"not a timestamp: {text!r}")
    hours, minutes, only_minutes, seconds, frac = m.groups()
    h = int(hours) if hours is not None else 0
    mi, s = int(minutes if hours is not None else only_minutes), int(seconds)
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

    Keeps a note's own style when fix rewrites it: its fields (``HH:MM:SS``, ``M:SS``, ``8m36s``,
    ``0h2m51s``, bare seconds), each field's zero padding and a fraction's separator and digits.
    Rounded down to the template's precision, as :func:`format_ts` rounds, so that a link never
    starts after its passage. A leading field with no leading zero is padded to two digits at
    most: in ``100:00:00`` the hours needed three digits, the layout is still ``HH:MM:SS``.

    >>> format_like(75, "00:08:36"), format_like(75, "8:36"), format_like(75, "8m36s"), format_like(75, "516")
    ('00:01:15', '1:15', '1m15s', '75')
    >>> format_like(51, "00:02:51,000"), format_like(51.48, "2:51.5"), format_like(51, "0h2m51s")
    ('00:00:51,000', '0:51.4', '0h0m51s')
    >>> format_like(5, "100:00:00"), format_like(5, "002:51"), format_like(6330, "100:00"), format_like(6330, "59:00")
    ('00:00:05', '000:05', '105:30', '1:45:30')
    """
    t = template.strip()
    if ":" in t:
        return _format_clock(seconds, t)
    total = math.floor(seconds + 1e-6)  # float noise: 28.9999999 is 29
    m = _T_PARAM.match(t)
    if t.isdigit() or m is None or not any(m.groups()):
        return str(total)
    hours, minutes, secs = m.groups()
    if hours is None and minutes is None:
        return f"{total}s" if t.endswith("s") else str(total)
    h, rest = divmod(total, 3600)
    mi, s = divmod(rest, 60)
    out = ""
    if hours is not None or h:
        out += f"{h:0{_pad(hours)}d}h"  # past an hour even if the note wrote 8m36s: 1h2m5s, as YouTube writes
    if minutes is not None or mi:
        out += f"{mi:0{_pad(minutes)}d}m"
    if secs is not None or s or not out:
        out += f"{s:0{_pad(secs)}d}" + ("" if secs is not None and not t.endswith("s") else "s")
    return out


def _pad(field: str | None) -> int:
    """Width a ``t=`` unit is padded to: its own when written with a leading zero (``02m``), else none."""
    return len(field) if field is not None and len(field) > 1 and field.startswith("0") else 1


def _lead_width(field: str) -> int:
    """Width of a clock's leading field: its own when zero-padded (``000:00:05``), else at most two."""
    return len(field) if field.startswith("0") else min(len(field), 2)


def _format_clock(seconds: float, template: str) -> str:
    """:func:`format_like` for a clock template (``HH:MM:SS``, ``M:SS``, with or without a fraction)."""
    fields = template.split(":")
    m = _SECONDS_FIELD.match(fields[-1])
    whole_digits, sep, frac = m.groups() if m else (fields[-1], None, None)
    digits = len(frac) if frac else 0
    scaled = math.floor(seconds * 10**digits + 1e-6)  # float noise: 0.29 * 100 is 28.999...
    total, part = divmod(scaled, 10**digits)
    fraction = f"{sep}{part:0{digits}d}" if digits else ""
    h, rest = divmod(total, 3600)
    mi, s = divmod(rest, 60)
    sec = f"{s:0{max(len(whole_digits), 1)}d}{fraction}"
    if len(fields) == 3:
        return f"{h:0{_lead_width(fields[0])}d}:{mi:0{max(len(fields[1]), 1)}d}:{sec}"
    minutes = h * 60 + mi
    # MM:SS has two minute digits, unless the note wrote three; a longer time needs an hour field
    if minutes >= (1000 if len(fields[0]) >= 3 else 100):
        return f"{h}:{mi:02d}:{sec}"
    return f"{minutes:0{_lead_width(fields[0])}d}:{sec}"


def utc_now() -> str:
    """The current time as ISO 8601 in UTC, whole seconds: the stamp of every cache and provenance record."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
