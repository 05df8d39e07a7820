"""Property tests for the notes parser: no crash but NoteError, and generated anchors found exactly."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cliptool.errors import NoteError
from cliptool.notes import parse_note
from cliptool.timecode import format_like, format_ts

VID = "yqizMvX5YsA"

# Pieces that reach the parser's branches: fences, front matter keys, anchors, links, markup.
FRAGMENTS = [
    "---\n",
    "---\r\n",
    "...\n",
    f"videoId: {VID}\n",
    "videoId: ",
    "title: ",
    "lang: ",
    "\ufeff",
    "\n",
    "\r\n",
    "\r",
    "> ",
    "> [!INFO] ",
    "*   ",
    "## ",
    "```\n",
    "`",
    "<!--",
    "-->",
    "<a ",
    "</a>",
    'class="yt-timestamp" ',
    "class='yt_timestamp' ",
    'data-t="',
    '"',
    "'",
    ">",
    "[",
    "]",
    "(",
    ")",
    "[[",
    "]]",
    " | ",
    "00:75:00",
    "00:08:36",
    "8:36",
    "99:99",
    f"https://youtu.be/{VID}?t=",
    f"https://www.youtube.com/watch?v={VID}&t=",
    "516",
    "8m36s",
    "zz",
    "**",
    "_",
    "&amp;",
    "<br/>",
    "|",
]

note_like = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=40).map("".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), note_like, note_like.map(lambda s: f"---\nvideoId: {VID}\n---\n{s}")))
def test_parse_note_raises_only_note_error(text: str) -> None:
    try:
        parsed = parse_note(text)
    except NoteError as err:
        assert "\n" not in str(err) and err.line is not None and err.line >= 1
        return
    assert parsed.video_id == VID or len(parsed.video_id) == 11
    for claim in parsed.claims:
        assert claim.line >= 1 and claim.column >= 1 and claim.cited_s >= 0
        for span in claim.spans:
            assert 0 <= span.start <= span.end <= len(text)


LAYOUTS = ["00:00:00", "0:00:00", "00:00", "0:00"]
words = st.text(alphabet="abcdefghij ,.", min_size=0, max_size=15)


@st.composite
def anchors(draw: st.DrawFn) -> tuple[int, str, str, str]:
    """(seconds, data-t text, anchor markup, prose before it)."""
    seconds = draw(st.integers(0, 99 * 60 + 59))
    layout = draw(st.sampled_from(LAYOUTS))
    data_t = format_like(seconds, layout)
    kind = draw(st.sampled_from(["anchor", "swapped", "typo", "link", "bare"]))
    if kind == "anchor":
        markup = f'<a class="yt-timestamp" data-t="{data_t}">[{data_t}]</a>'
    elif kind == "swapped":
        markup = f"<a data-t='{data_t}' target=_blank class='yt-timestamp'>[{format_ts(seconds)}]</a>"
    elif kind == "typo":
        markup = f'<a class="yt_timestamp" data-t="{data_t}">[{data_t}]</a>'
    elif kind == "link":
        data_t = format_like(seconds, draw(st.sampled_from(["516", "8m36s"])))
        markup = f"[{format_ts(seconds, hours=False)}](https://youtu.be/{VID}?t={data_t})"
    else:
        data_t = format_like(seconds, "8m36s")
        markup = f"https://www.youtube.com/watch?v={VID}&t={data_t}"
    return seconds, data_t, markup, draw(words)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(anchors(), max_size=12),
    st.lists(st.sampled_from(["\n", "\n\n", "\n> ", "\n* ", " "]), min_size=12, max_size=12),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_generated_anchors_are_found_exactly(
    items: list[tuple[int, str, str, str]], seps: list[str], nl: str, bom: bool
) -> None:
    body = "".join(f"{prose} {markup}{sep}" for (_, _, markup, prose), sep in zip(items, seps, strict=False))
    text = ("\ufeff" if bom else "") + f"---\ntitle: t\nvideoId: {VID}\n---\n{body}".replace("\n", nl)
    parsed = parse_note(text)
    assert [(c.index, c.cited_s, c.raw) for c in parsed.claims] == [
        (i, float(s), data_t) for i, (s, data_t, _, _) in enumerate(items)
    ]
    typos = [w for w in parsed.warnings if "misspelled" in w]
    assert len(typos) == sum("yt_timestamp" in markup for _, _, markup, _ in items)
    for claim in parsed.claims:
        for span in claim.spans:
            assert text[span.start : span.end] in (
                claim.raw,
                claim.visible or "",
                format_ts(claim.cited_s),
                format_ts(claim.cited_s, hours=False),
            )
