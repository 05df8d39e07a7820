"""Property tests for timestamp text <-> seconds."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cliptool.timecode import TimestampError, format_like, format_ts, parse_t_param, parse_ts

# parse_ts reads up to three hour digits.
whole_seconds = st.integers(min_value=0, max_value=999 * 3600 + 3599)
under_100_min = st.integers(min_value=0, max_value=99 * 60 + 59)


def _parse_any(text: str) -> float:
    return parse_ts(text) if ":" in text else parse_t_param(text)


@given(whole_seconds)
def test_parse_format_round_trip(t: int) -> None:
    assert parse_ts(format_ts(t)) == t


@given(under_100_min)
def test_parse_format_round_trip_without_hours(t: int) -> None:
    text = format_ts(t, hours=False)
    assert len(text.split(":")) == (3 if t >= 3600 else 2)
    assert parse_ts(text) == t


@given(st.floats(min_value=0, max_value=999 * 3600, allow_nan=False))
def test_format_rounds_down_to_whole_seconds(t: float) -> None:
    assert parse_ts(format_ts(t)) == math.floor(t + 1e-6)


@pytest.mark.parametrize(
    "template", ["00:08:36", "0:08:36", "1:02:03", "000:00:05", "8m36s", "516", "516s", "1h2m3s"]
)
@given(t=whole_seconds)
def test_format_like_round_trip(template: str, t: int) -> None:
    out = format_like(t, template)
    assert _parse_any(out) == t
    assert out.count(":") == template.count(":")
    assert out.isdigit() == template.isdigit()


@pytest.mark.parametrize("template", ["08:36", "8:36"])
@given(t=under_100_min)
def test_format_like_round_trip_mm_ss(template: str, t: int) -> None:
    out = format_like(t, template)
    assert parse_ts(out) == t
    assert out.count(":") == 1


def test_format_like_mm_ss_past_100_minutes() -> None:
    assert format_like(6000, "08:36") == "1:40:00"
    assert parse_ts(format_like(6000, "08:36")) == 6000


@given(st.integers(0, 999), st.integers(0, 99), st.integers(0, 99))
def test_parse_ts_rejects_impossible_clock_fields(h: int, m: int, s: int) -> None:
    text = f"{h:02d}:{m:02d}:{s:02d}"
    if m < 60 and s < 60:
        assert parse_ts(text) == h * 3600 + m * 60 + s
    else:
        with pytest.raises(TimestampError):
            parse_ts(text)


@settings(max_examples=300)
@given(st.text(max_size=20))
def test_parsers_raise_only_timestamp_error(text: str) -> None:
    for parse in (parse_ts, parse_t_param):
        try:
            value = parse(text)
        except TimestampError:
            continue
        assert value >= 0
