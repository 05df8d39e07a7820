"""Property tests for the captions loader: no crash but InputError, whatever the file holds."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cliptool.captions import parse_captions
from cliptool.errors import InputError

# Pieces that reach the readers' branches: headers, cue numbers, timings (bad ones too), tags.
FRAGMENTS = [
    "WEBVTT\n",
    "Language: en\n",
    "NOTE x\n",
    "\n",
    "\r\n",
    "1\n",
    "2\n",
    "00:00:01,000 --> 00:00:02,000\n",
    "00:00:01.000 --> 00:00:02.000 align:start\n",
    "00:01.000 --> 00:02.000\n",
    "99999999999999999999999:00:01,000 --> 00:00:02,000\n",
    "00000000001:00:01.000 --> 00000000001:00:02.000\n",
    "00:00:60,000 --> 00:00:02,000\n",
    "-->",
    " --> ",
    "x --> y\n",
    "hello",
    "<00:00:01.500><c> word</c>",
    "<" + "9" * 40 + ":00:01.000>",
    "{\\an8}",
    "&amp;",
    "<i>",
    "\ufeff",
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=5), max_size=30),
       st.sampled_from(["srt", "vtt"]))
def test_srt_and_vtt_raise_nothing_but_input_error(parts: list[str], fmt: str) -> None:
    with contextlib.suppress(InputError):
        parse_captions("".join(parts), fmt=fmt)  # type: ignore[arg-type]


# Any JSON value, nested a little, in the places json3 readers look at.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
seg = st.fixed_dictionaries({}, optional={"utf8": json_values | st.text(max_size=8),
                                          "tOffsetMs": json_values})
event = st.fixed_dictionaries(
    {},
    optional={
        "tStartMs": json_values | st.integers(0, 10**6),
        "dDurationMs": json_values | st.integers(0, 10**6),
        "segs": st.lists(seg | json_values, max_size=4) | json_values,
        "aAppend": json_values,
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({"events": st.lists(event | json_values, max_size=5) | json_values})
       | json_values)
def test_json3_raises_nothing_but_input_error(doc: object) -> None:
    try:
        transcript = parse_captions(json.dumps(doc), fmt="json3")
    except InputError:
        return
    assert all(isinstance(c.text, str) for c in transcript.cues)


@given(st.integers(1, 200_000), st.sampled_from(["[", '{"a":']))
def test_json3_nested_arbitrarily_deep_is_an_input_error(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    with contextlib.suppress(InputError):
        parse_captions('{"events": ' + opener * depth + "0" + closer * depth + "}", fmt="json3")
