"""Notes parser: each timestamp syntax, claim text, spans, errors, reading and finding files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cliptool.errors import InputError, NoteError
from cliptool.models import BACKUP_TAG
from cliptool.notes import find_notes, is_video_id, parse_note, read_note, read_note_text
from cliptool.timecode import format_like

VID = "yqizMvX5YsA"
OTHER = "AAAAAAAAAAA"


def note(body: str, *, front: str = f"videoId: {VID}\ntitle: A title\n", nl: str = "\n") -> str:
    """A note with the given front matter and body, using ``nl`` as its line break."""
    text = f"---\n{front}---\n\n{body}"
    return text.replace("\n", nl) if nl != "\n" else text


def anchor(ts: str, visible: str | None = None, cls: str = "yt-timestamp") -> str:
    return f'<a class="{cls}" data-t="{ts}">[{visible or ts}]</a>'


def cited(text: str) -> list[tuple[str, float, str | None]]:
    return [(c.raw, c.cited_s, c.visible) for c in parse_note(text).claims]


# --- syntax: what counts as a claim, with (raw, seconds, visible) --------------------------------

SYNTAX = [
    ("plain HH:MM:SS", f"Claim {anchor('00:08:36')}.", [("00:08:36", 516.0, None)]),
    ("MM:SS", f"Claim {anchor('08:36')}.", [("08:36", 516.0, None)]),
    ("H:MM:SS", f"Claim {anchor('1:02:03')}.", [("1:02:03", 3723.0, None)]),
    ("MM:SS over an hour", f"Claim {anchor('75:00')}.", [("75:00", 4500.0, None)]),
    (
        "attribute order, single quotes, extra attributes",
        "Claim <a target='_blank' data-t='00:00:45' id=x class='note yt-timestamp'>[00:00:45]</a>.",
        [("00:00:45", 45.0, None)],
    ),
    (
        "unquoted attributes",
        "Claim <a class=yt-timestamp data-t=00:01:05>[00:01:05]</a>",
        [("00:01:05", 65.0, None)],
    ),
    (
        "upper-case tag",
        'Claim <A CLASS="yt-timestamp" DATA-T="00:00:07">[00:00:07]</A>',
        [("00:00:07", 7.0, None)],
    ),
    (
        "spaces inside data-t",
        'Claim <a class="yt-timestamp" data-t=" 00:00:09 ">[00:00:09]</a>',
        [("00:00:09", 9.0, None)],
    ),
    ("visible differs", f"Claim {anchor('00:07:59', '00:08:03')}", [("00:07:59", 479.0, "00:08:03")]),
    ("visible same time, other layout", f"Claim {anchor('00:08:03', '8:03')}", [("00:08:03", 483.0, None)]),
    ("misspelled class", f"Claim {anchor('00:01:31', cls='yt_timestamp')}", [("00:01:31", 91.0, None)]),
    ("youtu.be ?t=seconds", f"Claim [08:36](https://youtu.be/{VID}?t=516).", [("516", 516.0, None)]),
    (
        "watch ?v=&t=XmYs",
        f"Claim [08:36](https://www.youtube.com/watch?v={VID}&t=8m36s)",
        [("8m36s", 516.0, None)],
    ),
    ("t before v", f"Claim [0:30](https://www.youtube.com/watch?t=30s&v={VID})", [("30s", 30.0, None)]),
    (
        "m. host and #t=",
        f"Claim [x](https://m.youtube.com/watch?v={VID}#t=1h2m3s)",
        [("1h2m3s", 3723.0, None)],
    ),
    ("shorts link", f"Claim [0:05](https://youtube.com/shorts/{VID}?t=5)", [("5", 5.0, None)]),
    ("link text differs", f"Claim [08:00](https://youtu.be/{VID}?t=516)", [("516", 516.0, "08:00")]),
    ("bare URL", f"Claim https://www.youtube.com/watch?v={VID}&t=8m36s.", [("8m36s", 516.0, None)]),
    ("HTML link with &amp;", f'Claim <a href="https://www.youtube.com/watch?v={VID}&amp;t=351s">05:51</a>',
     [("351s", 351.0, None)]),
    ("anchor whose href escapes &", f'Claim <a class="yt-timestamp" data-t="00:05:36" '
     f'href="https://www.youtube.com/watch?feature=share&amp;v={VID}&amp;t=336s">[00:05:36]</a>',
     [("00:05:36", 336.0, None)]),
    ("an embedded player is not a citation", f'<iframe src="https://www.youtube.com/embed/{VID}?start=4"></iframe>', []),
    ("link in capitals", f"Claim [06:20](HTTPS://WWW.YOUTUBE.COM/watch?v={VID}&t=380)", [("380", 380.0, None)]),
    ("t= written as a clock", f"Claim https://youtu.be/{VID}?t=22:47", [("22:47", 1367.0, None)]),
    ("a wiki link with | in a table cell", f"| Claim about [[a_b|tokens]] | {anchor('00:00:02')} |",
     [("00:00:02", 2.0, None)]),
    ("bare URL after an equals sign in prose", f"Claim, source = https://youtu.be/{VID}?t=1367",
     [("1367", 1367.0, None)]),
    ("bare URL in an Obsidian highlight", f"Claim ==https://youtu.be/{VID}?t=1367==", [("1367", 1367.0, None)]),
    ("embed link with start=", f"Claim [0:57](https://www.youtube.com/embed/{VID}?start=57)", [("57", 57.0, None)]),
    ("bare URL in bold", f"Claim **https://youtu.be/{VID}?t=36**", [("36", 36.0, None)]),
    ("bare URL in underscore italics", f"Claim _https://youtu.be/{VID}?t=36_.", [("36", 36.0, None)]),
    ("bare URL in a table cell", f"| Claim |https://youtu.be/{VID}?t=36| x |", [("36", 36.0, None)]),
    ("bare URL before an ellipsis", f"Claim https://youtu.be/{VID}?t=1m2s…", [("1m2s", 62.0, None)]),
    ("angle-bracket URL", f"Claim [08:36](<https://youtu.be/{VID}?t=516>)", [("516", 516.0, None)]),
    (
        "plain HTML link to the video",
        f'Claim <a href="https://youtu.be/{VID}?t=75">01:15</a>',
        [("75", 75.0, None)],
    ),
    ("link to another video", f"Claim [08:36](https://youtu.be/{OTHER}?t=516)", []),
    ("link to the video without t=", f"Claim [video](https://youtu.be/{VID})", []),
    ("image of the video", f"Claim ![thumb](https://youtu.be/{VID}?t=5)", []),
    (
        "link inside an anchor is one claim",
        f'Claim <a class="yt-timestamp" data-t="0:07">[0:07](https://youtu.be/{VID}?t=7)</a>',
        [("0:07", 7.0, None)],
    ),
    ("other anchors", 'Claim <a href="https://example.com/">[00:00:01]</a>', []),
    ("fenced code", f"```\n{anchor('00:00:01')}\n```\nClaim {anchor('00:00:02')}", [("00:00:02", 2.0, None)]),
    ("tilde fence", f"~~~~md\n{anchor('00:00:01')}\n~~~~\n", []),
    ("unclosed fence", f"```\n{anchor('00:00:01')}\n", []),
    ("inline code", f"Write `{anchor('00:00:01')}` like this", []),
    ("fence under a list item", f"- Template:\n    ```\n    x {anchor('00:00:01')}\n    ```\n- Claim {anchor('00:00:02')}",
     [("00:00:02", 2.0, None)]),
    ("tab-indented fence", f"- T:\n\t~~~\n\tx {anchor('00:00:01')}\n\t~~~\n", []),
    ("fence in a callout", f"> [!example]\n> ```\n> x {anchor('00:00:01')}\n> ```\n\nClaim {anchor('00:00:02')}",
     [("00:00:02", 2.0, None)]),
    ("an indented fence inside a code sample is the sample's text",
     f"```markdown\n- item\n    ```python\n    x = 1\n    ```\n```\n\nClaim {anchor('00:00:02')}",
     [("00:00:02", 2.0, None)]),
    ("a fence in a quote ends with the quote", f"> ```\n> x {anchor('00:00:01')}\n\nClaim {anchor('00:00:02')}",
     [("00:00:02", 2.0, None)]),
    ("four spaces outside a list are indented code, not a fence",
     f"Claim {anchor('00:00:01')}.\n\n    ```\n\nClaim {anchor('00:00:02')}",
     [("00:00:01", 1.0, None), ("00:00:02", 2.0, None)]),
    ("one-line triple backticks are inline code", f"```x``` then a claim {anchor('00:00:02')}",
     [("00:00:02", 2.0, None)]),
    ("HTML comment", f"<!-- {anchor('00:00:01')} -->", []),
    ("comment opened in inline code hides nothing",
     f"A comment starts with `<!--`.\n\nClaim {anchor('00:00:02')}", [("00:00:02", 2.0, None)]),
    ("comment opened in a fence hides nothing",
     f"```html\n<!--\n```\n\nClaim {anchor('00:00:02')}", [("00:00:02", 2.0, None)]),
    ("unclosed comment inside a line is text", f"Arrows <!-- like this. Claim {anchor('00:00:02')}",
     [("00:00:02", 2.0, None)]),
    ("an inline comment does not run past its paragraph",
     f"Arrows <!-- like this. Claim {anchor('00:00:01')}\n\nClaim {anchor('00:00:02')}\n\n<!-- hidden -->",
     [("00:00:01", 1.0, None), ("00:00:02", 2.0, None)]),
    ("unclosed comment opening a line hides the rest", f"Claim {anchor('00:00:01')}\n\n<!-- draft\n{anchor('00:00:02')}",
     [("00:00:01", 1.0, None)]),
    ("Obsidian comment", f"%% draft {anchor('00:00:01')} %%\nClaim {anchor('00:00:02')}", [("00:00:02", 2.0, None)]),
    ("no data-t, visible time", 'Claim <a class="yt-timestamp">[00:00:12]</a>', [("00:00:12", 12.0, None)]),
    # reference-style links: the time is the definition's t=, as an inline link's is its URL's
    ("full reference", f"Claim [12:31][w].\n\n[w]: https://youtu.be/{VID}?t=751", [("751", 751.0, None)]),
    ("collapsed reference", f"Claim [12:31][].\n\n[12:31]: https://youtu.be/{VID}?t=751", [("751", 751.0, None)]),
    ("shortcut reference", f"Claim [12:31].\n\n[12:31]: https://youtu.be/{VID}?t=751", [("751", 751.0, None)]),
    ("a reference's label shows another time", f"Claim [12:00][w]\n\n[w]: https://youtu.be/{VID}?t=751",
     [("751", 751.0, "12:00")]),
    ("labels match whatever their case and spacing",
     f"Claim [12:31][Big  Net]\n\n   [big net]: <https://youtu.be/{VID}?t=751> 'the talk'", [("751", 751.0, None)]),
    ("a definition before its reference", f"[w]: https://youtu.be/{VID}?t=751 \"x\"\n\nClaim [12:31][w]",
     [("751", 751.0, None)]),
    ("the first of two definitions counts",
     f"Claim [1][w]\n\n[w]: https://youtu.be/{VID}?t=7\n[W]: https://youtu.be/{VID}?t=9", [("7", 7.0, None)]),
    ("an undefined label is text", f"Claim [12:31][w] and [12:31]\n\n[x]: https://youtu.be/{VID}?t=751", []),
    ("a definition alone is no claim", f"Text.\n\n[w]: https://youtu.be/{VID}?t=751", []),
    ("a reference to another video", f"Claim [12:31][w]\n\n[w]: https://youtu.be/{OTHER}?t=751", []),
    ("a reference image", f"Claim ![thumb][w]\n\n[w]: https://youtu.be/{VID}?t=751", []),
    ("a reference in inline code", f"Write `[12:31][w]` like this\n\n[w]: https://youtu.be/{VID}?t=751", []),
    ("a wiki link is not a shortcut reference", f"See [[w]]\n\n[w]: https://youtu.be/{VID}?t=751", []),
    ("[a][b] with b undefined: [b][c] is still a link",
     f"Claim [a][b][12:31][c]\n\n[a]: https://youtu.be/{VID}?t=1\n[c]: https://youtu.be/{VID}?t=751",
     [("751", 751.0, None)]),
    ("a definition line cannot interrupt a paragraph: it is the paragraph's text",
     f"Claim [12:31][w]\n[w]: https://youtu.be/{VID}?t=751", [("751", 751.0, None)]),
    ("a footnote is no definition", f"Claim[^1]\n\n[^1]: https://youtu.be/{VID}?t=751", [("751", 751.0, None)]),
    # indented code: four spaces or a tab after a blank line, outside a list
    ("indented code", f"Claim {anchor('00:00:01')}.\n\n    x {anchor('00:00:02')}\n\nClaim {anchor('00:00:03')}",
     [("00:00:01", 1.0, None), ("00:00:03", 3.0, None)]),
    ("tab-indented code", f"\tx {anchor('00:00:01')}\n", []),
    ("indented code runs over blank lines", f"Text\n\n    a\n\n\n    x {anchor('00:00:01')}\nClaim {anchor('00:00:02')}",
     [("00:00:02", 2.0, None)]),
    ("a list marker in indented code is code", f"Text\n\n    - x {anchor('00:00:01')}", []),
    ("indented code cannot interrupt a paragraph", f"Claim\n    wrapped {anchor('00:00:01')}", [("00:00:01", 1.0, None)]),
    ("a list continuation indented four spaces is the item's",
     f"*   Item {anchor('00:00:01')}\n\n    More {anchor('00:00:02')}\n    *   Nested {anchor('00:00:03')}",
     [("00:00:01", 1.0, None), ("00:00:02", 2.0, None), ("00:00:03", 3.0, None)]),
    ("an ordered list continues after a blank line",
     f"1.  **Step**:\n    *   Said {anchor('00:00:01')}\n\n2.  Next:\n\n    *   Said {anchor('00:00:02')}",
     [("00:00:01", 1.0, None), ("00:00:02", 2.0, None)]),
    ("a lazy line keeps the item open, so four spaces after it are the item's",
     f"- Claim wraps\nlazily {anchor('00:00:01')}\n\n    More {anchor('00:00:02')}",
     [("00:00:01", 1.0, None), ("00:00:02", 2.0, None)]),
    ("a line left of the item's text after a blank line ends the list",
     f"- Item {anchor('00:00:01')}\n\n Para {anchor('00:00:02')}\n\n    x {anchor('00:00:03')}",
     [("00:00:01", 1.0, None), ("00:00:02", 2.0, None)]),
    ("an outer item's text goes on after a nested one; four more spaces are its code",
     f"- Outer\n  - Inner {anchor('00:00:01')}\n\n  Outer again {anchor('00:00:02')}\n\n      x {anchor('00:00:03')}",
     [("00:00:01", 1.0, None), ("00:00:02", 2.0, None)]),
    ("four spaces left of a wide item's text after a blank line are code",
     f"2.   Item {anchor('00:00:01')}\n\n     Item's {anchor('00:00:02')}\n\n    x {anchor('00:00:03')}",
     [("00:00:01", 1.0, None), ("00:00:02", 2.0, None)]),
    ("a heading ends the list", f"- Item {anchor('00:00:01')}\n# Head\n\n    x {anchor('00:00:02')}",
     [("00:00:01", 1.0, None)]),
    ("a definition in indented code", f"Claim [1][w]\n\n    [w]: https://youtu.be/{VID}?t=751", []),
    ("comment opened in indented code hides nothing",
     f"Text\n\n    <!--\n\nClaim {anchor('00:00:02')}", [("00:00:02", 2.0, None)]),
]


@pytest.mark.parametrize(("body", "expected"), [s[1:] for s in SYNTAX], ids=[s[0] for s in SYNTAX])
def test_timestamp_syntax(body: str, expected: list[tuple[str, float, str | None]]) -> None:
    assert cited(note(body)) == expected


def test_order_is_file_order_over_both_kinds() -> None:
    body = f"A {anchor('00:00:50')} B [0:10](https://youtu.be/{VID}?t=10)\n\nC {anchor('00:00:30')}"
    claims = parse_note(note(body)).claims
    assert [(c.index, c.cited_s) for c in claims] == [(0, 50.0), (1, 10.0), (2, 30.0)]


def test_front_matter_timestamps_are_not_claims() -> None:
    text = note(f"Claim {anchor('00:00:02')}", front=f"videoId: {VID}\ntitle: 'x {anchor('00:00:01')}'\n")
    assert [c.raw for c in parse_note(text).claims] == ["00:00:02"]


def test_a_time_with_no_claim_text_is_named_in_a_warning() -> None:
    parsed = parse_note(note(f"[00:42](https://youtu.be/{VID}?t=42)\n\nA claim {anchor('00:01:00')}"))
    assert [c.text for c in parsed.claims] == ["", "A claim"]
    assert parsed.warnings == ("line 6: the time 00:00:42 has no claim text around it; nothing to check there",)


def test_a_note_without_timestamps_says_what_cliptool_reads() -> None:
    parsed = parse_note(note("At 1:31 the speaker says so.\n\n{{youtube-timestamp 62}} and 02:20"))
    assert parsed.claims == ()
    assert parsed.warnings == (f"no timestamps to check: cliptool reads yt-timestamp anchors and links to {VID} "
                               "with t= (plain-text times are not read)",)


def test_misspelled_class_warns_with_its_line() -> None:
    parsed = parse_note(note(f"ok {anchor('00:00:01')}\n\nbad {anchor('00:00:02', cls='yt_timestamp')}"))
    assert len(parsed.claims) == 2
    assert len(parsed.warnings) == 1
    assert "line 8" in parsed.warnings[0] and "yt_timestamp" in parsed.warnings[0]


def test_front_matter_fields() -> None:
    parsed = parse_note(note("", front=f'videoId: "{VID}"\ntitle: Peace talks\nlanguage: ru\n'), path="n.md")
    assert (parsed.path, parsed.video_id, parsed.title, parsed.language) == ("n.md", VID, "Peace talks", "ru")
    bare = parse_note(note("", front=f"videoId: {VID}\nlang: en\ndate: 2024-13-45\n"))
    assert (bare.title, bare.language) == (None, "en")


# --- claim text ----------------------------------------------------------------------------------

TEXTS = [
    (
        "wiki link label and target",
        f"The [[peace_talks | peace negotiations]] and [[kremlin]] matter {anchor('00:00:45')}.",
        ["The peace negotiations and kremlin matter"],
    ),
    (
        "back to the previous anchor",
        f"First claim {anchor('00:00:01')}. Second claim {anchor('00:00:02')}.",
        ["First claim", "Second claim"],
    ),
    (
        "pair after one sentence",
        f"Shared sentence {anchor('00:01:10')}, {anchor('00:02:43')}. Next {anchor('00:03:00')}",
        ["Shared sentence", "Shared sentence", "Next"],
    ),
    (
        "paragraph start, not the previous paragraph",
        f"Old {anchor('00:00:01')}\n\nNew paragraph\nwrapped line {anchor('00:00:02')}",
        ["Old", "New paragraph wrapped line"],
    ),
    (
        "list items",
        f"Intro:\n*   **Bold label**: item one {anchor('00:00:01')}\n2. item _two_ {anchor('00:00:02')}",
        ["Bold label: item one", "item two"],
    ),
    ("heading starts a block", f"## Heading\nBody text {anchor('00:00:03')}", ["Body text"]),
    (
        "callout lines",
        f"> [!INFO] European terms\n> Europe wants a *truce* {anchor('00:08:12')}.\n>\n> Kremlin {anchor('00:08:36')}",
        ["Europe wants a truce", "Kremlin"],
    ),
    ("callout title with pipe", f"> [!NOTE|Nuance] Matrices {anchor('00:22:45')}", ["Nuance Matrices"]),
    (
        "quote opening with its anchor",
        f'Before {anchor("00:00:01")}\n\n> {anchor("00:14:43")} "So once you write it down."',
        ["Before", '"So once you write it down."'],
    ),
    (
        "html, code, entities",
        f"From: [[prof]] <br/> a `w` &amp; <b>b</b> ~~c~~ {anchor('00:00:04')}",
        ["From: prof a w & b c"],
    ),
    (
        "math stars survive",
        f"Area is (-3 * 1) - (2 * 1) {anchor('00:03:50')}",
        ["Area is (-3 * 1) - (2 * 1)"],
    ),
    ("link prose", f"As noted [in the talk](https://youtu.be/{VID}?t=9)", ["As noted in the talk"]),
    (
        "hard-wrapped quote",
        "> The third layer might combine edges into loops\n"
        f"> and longer lines into patterns [06:07](https://youtu.be/{VID}?t=367).",
        ["The third layer might combine edges into loops and longer lines into patterns"],
    ),
    ("nested quote", f"> > Nested and\n> > wrapped {anchor('00:00:01')}", ["Nested and wrapped"]),
    ("a deeper quote starts a paragraph", f"> Outer\n> > inner {anchor('00:00:01')}", ["inner"]),
    (
        "an empty quote line ends the paragraph",
        f"> First {anchor('00:00:01')}\n> wrapped\n>\n> Second\n> wrapped {anchor('00:00:02')}",
        ["First wrapped", "Second wrapped"],  # a one-word lead-in runs on to its paragraph's end, no further
    ),
    (
        "quote inside a list item",
        f"- Item {anchor('00:00:01')}\n    > Quoted and\n    > wrapped {anchor('00:00:02')}",
        ["Item", "Quoted and wrapped"],
    ),
    ("list item holding a quote", f"- > Quoted and\n  > wrapped {anchor('00:00:01')}", ["Quoted and wrapped"]),
    ("list items inside a quote", f"> - One {anchor('00:00:01')}\n> - Two\n>   wrapped {anchor('00:00:02')}",
     ["One", "Two wrapped"]),
    ("callout title is not the body's text", f"> [!NOTE] Title\n> Body and\n> wrapped {anchor('00:00:01')}",
     ["Body and wrapped"]),
    ("heading inside a quote", f"> ## Heading\n> Body {anchor('00:00:01')}", ["Body"]),
    ("a reference link's prose", f"As noted [in the talk][t]\n\n[t]: https://youtu.be/{VID}?t=9",
     ["As noted in the talk"]),
    # links and images by reference that are no claims read as their text, as inline ones do
    ("reference links and images in the prose",
     f"See [the paper][p], ![a plot][img] and [the slides][] first [12:31][w]\n\n[p]: https://arxiv.org/abs/1\n"
     f"[img]: https://example.com/a.png\n[the slides]: https://example.com/s\n[w]: https://youtu.be/{VID}?t=751",
     ["See the paper, a plot and the slides first"]),
    # CommonMark: a definition in a list item, indented as the item's text, is the item's
    ("a definition inside a list item", f"*   Item [12:31][w]\n\n    [w]: https://youtu.be/{VID}?t=751",
     ["Item"]),
    ("a definition as a list item", f"Claim [12:31][w]\n\n## References\n\n- [w]: https://youtu.be/{VID}?t=751",
     ["Claim"]),
    ("a definition inside a nested list item",
     f"- Item\n    - Nested [12:31][w]\n\n      [w]: https://youtu.be/{VID}?t=751\n\n- Next {anchor('00:00:01')}",
     ["Nested", "Next"]),
    # a word before a mid-sentence anchor leads into the sentence, whose rest says the claim
    ("a lead-in word before the anchor", f"See [05:50](https://youtu.be/{VID}?t=350) for the right hand rule. More.",
     ["See for the right hand rule."]),
    ("a term and its explanation", f"Determinant {anchor('00:06:45')}: how much areas scale. Next one.",
     ["Determinant how much areas scale."]),
    ("a short claim alone stays as written", f"Right hand rule {anchor('00:05:50')}\n\nNext {anchor('00:06:00')}",
     ["Right hand rule", "Next"]),
    ("an anchor ending the sentence ends the claim", f"Attention {anchor('00:05:50')}. Queries are computed.",
     ["Attention"]),
    ("a lead-in's sentence runs on over e.g. and a wrapped line",
     f"Softmax: {anchor('00:05:50')} normalizes, e.g. the weights\nso that they sum to one. Next.",
     ["Softmax normalizes, e.g. the weights so that they sum to one."]),
    ("a longer claim keeps the text after its anchor out",
     f"A claim of several words {anchor('00:00:01')} and then more.", ["A claim of several words"]),
]


@pytest.mark.parametrize(("body", "expected"), [t[1:] for t in TEXTS], ids=[t[0] for t in TEXTS])
def test_claim_text(body: str, expected: list[str]) -> None:
    assert [c.text for c in parse_note(note(body)).claims] == expected


# --- spans, lines, columns -----------------------------------------------------------------------


@pytest.mark.parametrize("nl", ["\n", "\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("bom", ["", "\ufeff"], ids=["no-BOM", "BOM"])
def test_spans_index_the_exact_text(nl: str, bom: str) -> None:
    body = (
        f"One {anchor('00:07:59', '00:08:03')}\n"
        f"two [08:36](https://youtu.be/{VID}?t=516) and\n"
        f'three <a class="yt-timestamp" href="https://youtu.be/{VID}?t=5" data-t="0:05">[0:05]</a>\n'
    )
    text = bom + note(body, nl=nl)
    claims = parse_note(text).claims
    got = [[(s.role, text[s.start : s.end]) for s in c.spans] for c in claims]
    assert got == [
        [("data-t", "00:07:59"), ("visible", "00:08:03")],
        [("t-param", "516"), ("link-text", "08:36")],
        [("data-t", "0:05"), ("visible", "0:05"), ("t-param", "5")],
    ]
    assert [(c.line, c.column) for c in claims] == [(6, 5), (7, 5), (8, 7)]
    lines = re.split(r"\r\n|\n", text)
    for c in claims:
        assert lines[c.line - 1][c.column - 1 :].startswith(("<a", "["))


def test_rewriting_spans_changes_the_parsed_times() -> None:
    """What fix will do: render each span like itself at a new time; the note then cites that time."""
    text = note(f"A {anchor('00:07:59', '00:08:03')}\r\nB [08:36](https://youtu.be/{VID}?t=8m36s)", nl="\r\n")
    spans = sorted((s for c in parse_note(text).claims for s in c.spans), key=lambda s: s.start, reverse=True)
    for s in spans:
        text = text[: s.start] + format_like(61, text[s.start : s.end]) + text[s.end :]
    assert cited(text) == [("00:01:01", 61.0, None), ("1m1s", 61.0, None)]
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")


@pytest.mark.parametrize("front", [
    f"videoId: https://youtu.be/{VID}",
    f"videoId: 'https://www.youtube.com/watch?v={VID}&t=5s'",
    f"videoId: ' {VID} '",
    f"title: x\nurl: https://www.youtube.com/watch?v={VID}",
    f"source: https://youtu.be/{VID}?t=3\nlink: https://www.youtube.com/embed/{VID}",
    f"videoId: {VID}\nurl: https://youtu.be/{OTHER}",  # videoId decides
])
def test_the_video_may_be_given_as_a_link(front: str) -> None:
    parsed = parse_note(note(f"Claim [0:05](https://youtu.be/{VID}?t=5)", front=front + "\n"))
    assert parsed.video_id == VID and [c.cited_s for c in parsed.claims] == [5.0]


# --- errors --------------------------------------------------------------------------------------

ERRORS = [
    ("no front matter", "Just text\n", 1, "missing front matter"),
    ("front matter not at the start", f"\n---\nvideoId: {VID}\n---\n", 1, "missing front matter"),
    ("unterminated", f"---\nvideoId: {VID}\ntitle: x\n", 1, "never closed"),
    # an unclosed [ or quote is named on the line that opened it, not where YAML gave up
    ("invalid YAML", "---\ntitle: x\nvideoId: [a\n---\n", 3, "invalid front matter"),
    ("unclosed quote", '---\ntitle: "x\nvideoId: a\n---\n', 2, "while scanning a quoted scalar"),
    ("key without a colon", f"---\nvideoId: {VID}\ntitle: y\nfoo\nbar: 1\n---\n", 4, "expected ':'"),
    ("bad indentation in a list", f"---\nvideoId: {VID}\nlist:\n  - a\n b: 1\n---\n", 5, "expected key"),
    ("YAML control character", "---\ntitle: x\nvideoId: a\x01\n---\n", 3, "invalid front matter"),
    ("not a mapping", "---\n- a\n- b\n---\n", 2, "invalid front matter"),
    ("empty front matter", "---\n---\n", 1, "no videoId"),
    ("missing videoId", "---\ntitle: x\n---\n", 1, "no videoId"),
    ("videoId too short", "---\ntitle: x\nvideoId: abc\n---\n", 3, "videoId 'abc'"),
    ("videoId too long", f"---\nvideoId: {VID}X\n---\n", 2, "is not 11 characters"),
    ("videoId path escape", "---\nvideoId: ../../etc/x\n---\n", 2, "is not 11 characters"),
    ("videoId empty", "---\nvideoId:\n---\n", 2, "is not 11 characters"),
    ("videoId a list", f"---\nvideoId:\n  - {VID}\n---\n", 3, "list or mapping"),
    ("videoId a link elsewhere", f"---\nvideoId: https://example.com/{VID}\n---\n", 2, "is not 11 characters"),
    ("link fields naming two videos", f"---\nurl: https://youtu.be/{VID}\nsource: https://youtu.be/{OTHER}\n---\n",
     1, "no videoId (its url, source, link, video, youtube fields name 2 videos)"),
    ("minutes 75", note(f"x {anchor('00:75:00')}"), 6, "impossible timestamp '00:75:00'"),
    ("seconds 61", note(f"x\ny {anchor('00:00:61')}"), 7, "impossible timestamp '00:00:61'"),
    ("MM:SS seconds 60", note(f"x {anchor('08:60')}"), 6, "impossible timestamp"),
    ("not a time", note(f"x {anchor('soon')}"), 6, "impossible timestamp 'soon'"),
    ("bad t=", note(f"x [a](https://youtu.be/{VID}?t=zz)"), 6, "impossible timestamp 'zz'"),
    ("t= with a fraction", note(f"x https://youtu.be/{VID}?t=36.5"), 6, "impossible timestamp '36.5'"),
    ("t= in exponent form", note(f"x [a](https://youtu.be/{VID}?t=1e3)"), 6, "impossible timestamp '1e3'"),
    ("t= with a word after it", note(f"x https://youtu.be/{VID}?t=36sec"), 6, "impossible timestamp '36sec'"),
    ("t= with a word after an underscore", note(f"x https://youtu.be/{VID}?t=36_x"), 6,
     "impossible timestamp '36_x'"),
    ("anchor without a time", note('x <a class="yt-timestamp">here</a>'), 6, "no data-t"),
    ("videoId twice", note("x", front=f"videoId: {VID}\ntitle: t\nvideoId: {OTHER}\n"), 4,
     "videoId given twice (first on line 2)"),
    ("undecodable (surrogate escape)", note("ok\nbad \udcff byte"), 7, "not UTF-8"),
]


@pytest.mark.parametrize(("text", "line", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors(text: str, line: int, message: str) -> None:
    with pytest.raises(NoteError) as info:
        parse_note(text, path="notes/x.md")
    err = info.value
    assert (err.path, err.line) == ("notes/x.md", line)
    assert message in str(err)
    assert str(err).startswith(f"notes/x.md:{line}: ")
    assert "\n" not in str(err)


def test_videoid_yaml_would_read_as_a_number_is_kept_as_text() -> None:
    assert parse_note("---\nvideoId: 0x1234567ab\n---\n").video_id == "0x1234567ab"


@pytest.mark.parametrize(
    ("value", "ok"),
    [(VID, True), ("a-b_C123456", True), ("short", False), ("a/b\\c..d.ef", False), (VID + "\n", False)],
)
def test_is_video_id(value: str, ok: bool) -> None:
    assert is_video_id(value) is ok


# --- reading files -------------------------------------------------------------------------------


def test_read_note_text_keeps_bom_and_crlf(tmp_path: Path) -> None:
    raw = ("\ufeff" + note(f"Claim {anchor('00:00:45')}", nl="\r\n")).encode("utf-8")
    path = tmp_path / "n.md"
    path.write_bytes(raw)
    text = read_note_text(path)
    assert text.encode("utf-8") == raw
    parsed = read_note(path)
    assert parsed.path == str(path)
    assert [(c.line, c.raw) for c in parsed.claims] == [(6, "00:00:45")]
    span = parsed.claims[0].spans[0]
    assert text[span.start : span.end] == "00:00:45"


def test_read_note_undecodable_byte_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes(note("line one\r\nline \xe9 two").encode("latin-1"))
    with pytest.raises(NoteError) as info:
        read_note(path)
    assert (info.value.path, info.value.line) == (str(path), 7)
    assert "0xe9" in str(info.value)


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_read_note_os_error_names_file(tmp_path: Path, make: str) -> None:
    path = tmp_path / "n.md"
    if make == "directory":
        path.mkdir()
    with pytest.raises(NoteError) as info:
        read_note(path)
    assert str(path) in str(info.value)


# --- finding notes -------------------------------------------------------------------------------


def test_find_notes_walks_sorted_and_skips(tmp_path: Path) -> None:
    for name in [
        "b.md",
        "a.txt",
        "c.markdown",
        "sub/d.md",
        "sub/e.MD",
        "img.png",
        "x.md.bak",
        ".f.md",
        ".git/g.md",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("no front matter here")
    found, notices = find_notes([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a.txt",
        "b.md",
        "c.markdown",
        "sub/d.md",
        "sub/e.MD",
    ]
    assert notices == [f"skipped {tmp_path / 'img.png'}: not a .md/.markdown/.txt file"]


def test_find_notes_leaves_out_folders_tagged_as_fix_backups(tmp_path: Path) -> None:
    from cliptool.safe_write import tag_backup_dir

    for name in ["a.md", "backups/a.md", "backups/sub/b.md", "other/c.md"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert len(find_notes([tmp_path])[0]) == 4  # untagged: a folder named "backups" is just a folder
    tag_backup_dir(tmp_path / "backups")
    tag_backup_dir(tmp_path / "backups")  # a second run keeps the one tag
    found, notices = find_notes([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.md", "other/c.md"]
    assert notices == []
    assert [p.name for p in (tmp_path / "backups").iterdir() if p.name.startswith(".")] == [BACKUP_TAG]


def test_find_notes_given_files_keep_order_and_dedupe(tmp_path: Path) -> None:
    for name in ["a.md", "b.md", "c.json"]:
        (tmp_path / name).write_text("x")
    found, notices = find_notes([tmp_path / "b.md", str(tmp_path / "c.json"), tmp_path, tmp_path / "b.md"])
    assert found == [tmp_path / "b.md", tmp_path / "a.md"]
    assert len(notices) == 2 and all("c.json" in n for n in notices)


def test_find_notes_missing_path_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        find_notes([tmp_path / "nope"])
    assert "nope" in str(info.value)


# --- the seed note and the corpus ----------------------------------------------------------------


def test_seed_note(seed_note: Path) -> None:
    parsed = read_note(seed_note)
    assert parsed.video_id == "yqizMvX5YsA"
    assert parsed.title == "Peace negotiations and Kremlins perspective"
    assert len(parsed.claims) == 38
    assert [c.index for c in parsed.claims] == list(range(38))
    times = [c.cited_s for c in parsed.claims]
    assert times != sorted(times)  # 00:11:59 comes before 00:10:54
    first = parsed.claims[0]
    assert (first.line, first.cited_s, first.raw) == (8, 45.0, "00:00:45")
    assert first.text.startswith("The Kremlin's approach to peace negotiations involves")
    assert all(c.text and "[[" not in c.text and "<" not in c.text for c in parsed.claims)
    text = read_note_text(seed_note)
    for c in parsed.claims:
        assert [text[s.start : s.end] for s in c.spans] == [c.raw, c.raw]


def test_seed_note_crlf_same_claims(seed_note: Path) -> None:
    text = read_note_text(seed_note)
    lf = parse_note(text).claims
    crlf = parse_note(text.replace("\n", "\r\n")).claims
    assert [(c.line, c.column, c.raw, c.text) for c in lf] == [
        (c.line, c.column, c.raw, c.text) for c in crlf
    ]


_ANCHOR_CLASS = re.compile(r'class="yt.timestamp"')


def test_corpus_notes_parse_with_gold_agreement(corpus: Path) -> None:
    files, notices = find_notes([corpus / "notes"])
    assert len(files) >= 20 and notices == []
    gold_checked = 0
    for path in files:
        parsed = read_note(path)
        assert parsed.video_id == path.parent.name
        assert len(parsed.claims) == len(_ANCHOR_CLASS.findall(read_note_text(path))), path
        gold = corpus / "gold" / path.parent.name / f"{path.stem}.tsv"
        if not gold.exists():
            continue
        rows = [line.split("\t") for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert len(rows) == len(parsed.claims), path
        for row in rows:
            assert parsed.claims[int(row[0])].raw == row[1], (path, row)
        gold_checked += 1
    assert gold_checked >= 6


def test_corpus_quirks(corpus: Path) -> None:
    typo = read_note(corpus / "notes/eu6i7WJeinw/44639129617.md")
    assert len(typo.warnings) == 1 and typo.warnings[0].startswith("line 19:")
    differs = read_note(corpus / "notes/eMlx5fFNoYc/44602289471.md")
    first = next(c for c in differs.claims if c.raw == "00:07:59")
    assert first.visible == "00:08:03"
    assert sum(1 for c in differs.claims if c.visible) == 12
    pair = read_note(corpus / "notes/aircAruvnKk/44763846585.md").claims
    assert (pair[0].raw, pair[1].raw) == ("01:10:39", "02:43:00")
    assert pair[0].text == pair[1].text != pair[2].text
    quote = next(
        c for c in read_note(corpus / "notes/aircAruvnKk/44352286783.md").claims if c.raw == "14:43:00"
    )
    assert quote.text.startswith('"So once you write down this weight matrix')


def test_an_anchor_href_that_escapes_its_ampersands_is_retimed_with_it() -> None:
    text = note(f'Claim <a class="yt-timestamp" data-t="00:05:36" '
                f'href="https://www.youtube.com/watch?v={VID}&amp;t=336s">[00:05:36]</a>')
    (claim,) = parse_note(text).claims
    assert sorted((s.role, text[s.start:s.end]) for s in claim.spans) == [
        ("data-t", "00:05:36"), ("t-param", "336s"), ("visible", "00:05:36")]


@pytest.mark.parametrize(
    ("label", "shown", "text"),
    [
        ("▶ 05:36", "05:36", "Claim"),
        ("**05:36**", "05:36", "Claim"),
        ("(05:36)", "05:36", "Claim"),
        ("5m36s", "5m36s", "Claim"),
        ("336s", "336s", "Claim"),
        ("from 05:36", "05:36", "Claim from"),
        ("watch", None, "Claim watch"),  # no time in the label: it is prose, and nothing to retime
        # prose that holds a number: never taken for the link's time, so fix never rewrites it
        ("175 billion parameters, not 100m", None, "Claim 175 billion parameters, not 100m"),
        ("GPT-3s 96 heads", None, "Claim GPT-3s 96 heads"),
        ("cf. John 3:16", None, "Claim cf. John 3:16"),
        ("12:30 PM livestream", None, "Claim 12:30 PM livestream"),
        ("a 16:9 ratio", None, "Claim a 16:9 ratio"),
        ("the 1980s work", None, "Claim the 1980s work"),
        ("05:36-05:75", None, "Claim 05:36-05:75"),  # a range ending at no time: left as written, no error
    ],
)
def test_a_link_label_showing_one_time_is_its_visible_time(label: str, shown: str | None, text: str) -> None:
    body = note(f"Claim [{label}](https://youtu.be/{VID}?t=336).")
    (claim,) = parse_note(body).claims
    labels = [body[s.start:s.end] for s in claim.spans if s.role == "link-text"]
    assert labels == ([shown] if shown else [])
    assert claim.text == text and claim.visible is None


def test_a_reference_link_is_the_claim_and_its_definition_holds_the_time() -> None:
    text = ("---\nvideoId: aircAruvnKk\n---\nThe network has 13,000 weights and biases [12:31][w].\n\n"
            "[w]: https://youtu.be/aircAruvnKk?t=751\n")
    (claim,) = parse_note(text).claims
    assert (claim.line, claim.column, claim.text, claim.cited_s, claim.raw) == (
        4, 43, "The network has 13,000 weights and biases", 751.0, "751")
    assert [(s.role, text[s.start : s.end], text.count("\n", 0, s.start) + 1) for s in claim.spans] == [
        ("t-param", "751", 6), ("link-text", "12:31", 4)]


@pytest.mark.parametrize("nl", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_a_label_that_is_also_the_key_is_a_span_in_both_places(nl: str) -> None:
    """``[12:31]`` shows its time and names its definition: fix must move both, or the link breaks."""
    text = note(f"Claim [12:31].\n\n[12:31]: https://youtu.be/{VID}?t=751", nl=nl)
    (claim,) = parse_note(text).claims
    assert [(s.role, text[s.start : s.end]) for s in claim.spans] == [
        ("t-param", "751"), ("link-text", "12:31"), ("link-text", "12:31")]
    moved = text
    for s in sorted(claim.spans, key=lambda s: s.start, reverse=True):
        moved = moved[: s.start] + format_like(760, moved[s.start : s.end]) + moved[s.end :]
    assert moved == text.replace("12:31", "12:40").replace("t=751", "t=760")
    assert cited(moved) == [("760", 760.0, None)]
    # written unlike its definition's label, the shown time is left alone: only t= is retimed
    (other,) = parse_note(note(f"Claim [12:31][].\n\n[ 12:31 ]: https://youtu.be/{VID}?t=751")).claims
    assert [s.role for s in other.spans] == ["t-param"]


def test_references_sharing_a_definition_share_its_span() -> None:
    text = note(f"One [12:31][w]. Two [12:31][W].\n\n[w]: https://youtu.be/{VID}?t=751")
    one, two = parse_note(text).claims
    assert [c.text for c in (one, two)] == ["One", "Two"]
    assert one.spans[0] == two.spans[0] and one.spans[0].role == "t-param"
    assert one.shared and two.shared


@pytest.mark.parametrize(
    ("body", "shared"),
    [
        ("One [12:31][w].", [False]),
        ("One [12:31][w]. Two [12:31][own].", [False, False]),
        ("One [12:31][w]. Two [12:31][W].", [True, True]),
        ("One [12:31][w]. Two [w].", [True, True]),
        # an image by reference uses the definition too: a new t= would move the image's URL
        ("One [12:31][w].\n\n![thumbnail][w]", [True]),
        ("![thumbnail][W] One [12:31][w].", [True]),
        ("One [12:31][w]. Another video [12:31][x].", [False]),
        # not uses: code, a comment, an escaped bracket
        ("One [12:31][w]. `[12:31][w]` <!-- [12:31][w] --> \\[w]", [False]),
    ],
)
def test_a_claim_whose_definition_anything_else_uses_is_shared(body: str, shared: list[bool]) -> None:
    text = note(f"{body}\n\n[w]: https://youtu.be/{VID}?t=751\n[own]: https://youtu.be/{VID}?t=751\n"
                f"[x]: https://youtu.be/{OTHER}?t=751")
    assert [c.shared for c in parse_note(text).claims] == shared


def test_a_hard_wrapped_quote_reads_like_a_hard_wrapped_paragraph() -> None:
    wrapped = "The third layer might combine edges into loops\nand longer lines into patterns"
    link = f"[06:07](https://youtu.be/{VID}?t=367)."
    as_paragraph = parse_note(note(f"{wrapped} {link}")).claims
    as_quote = parse_note(note("> " + wrapped.replace("\n", "\n> ") + f" {link}")).claims
    as_nested = parse_note(note("> > " + wrapped.replace("\n", "\n> > ") + f" {link}")).claims
    assert [c.text for c in as_quote] == [c.text for c in as_nested] == [c.text for c in as_paragraph]


def test_a_link_label_showing_another_time_than_its_t_is_flagged() -> None:
    (claim,) = parse_note(note(f"Claim [▶ 05:40](https://youtu.be/{VID}?t=336).")).claims
    assert claim.visible == "05:40"


def test_a_table_row_claims_its_other_cells() -> None:
    body = ("| # | Time | Claim |\n|---|---|---|\n"
            f"| 1 | {anchor('00:00:36')} | Input text is split into [[token|tokens]] |\n"
            f"| 2 | [00:51](https://youtu.be/{VID}?t=51) | Each token gets a vector |\n\n"
            f"| Claim | Time |\n|---|---|\n| Directions carry meaning \\| mostly | {anchor('00:00:57')} |\n")
    assert [c.text for c in parse_note(note(body)).claims] == [
        "Input text is split into tokens", "Each token gets a vector", "Directions carry meaning | mostly"]


def test_whole_seconds_shown_for_a_fractional_data_t_are_not_another_time() -> None:
    claims = parse_note(note(f"A {anchor('00:05:30.5', '00:05:30')}\n\nB {anchor('00:05:30.9', '00:05:31')}\n\n"
                             f"C {anchor('00:05:30.5', '00:05:32')}")).claims
    assert [c.visible for c in claims] == [None, None, "00:05:32"]


def test_footnote_marks_are_not_claim_text() -> None:
    (claim,) = parse_note(note(f"Tokens are pieces of words[^1] {anchor('00:00:36')}\n\n[^1]: a note")).claims
    assert claim.text == "Tokens are pieces of words"


def test_a_claim_starting_with_a_negative_number_keeps_its_sign() -> None:
    (claim,) = parse_note(note(f"-5 is the determinant here {anchor('00:00:36')}.")).claims
    assert claim.text == "-5 is the determinant here"


def test_a_table_row_with_two_claims_gives_each_its_own_cells() -> None:
    body = ("| Claim A | t | Claim B | t |\n|---|---|---|---|\n"
            f"| Heads run in parallel | {anchor('00:22:47')} | This is called masking | {anchor('00:14:26')} |\n")
    assert [c.text for c in parse_note(note(body)).claims] == ["Heads run in parallel", "This is called masking"]


@pytest.mark.parametrize("line", [" " * 20_000, "a <!-- b " * 10_000, f"a <!-- b {anchor('00:00:01')} " * 2_000,
                                  "| [[x|y]] " * 2_000 + f"| {anchor('00:00:01')} |",
                                  "[a][b" * 20_000, "[" * 90_000, "[x]" * 30_000 + f"\n\n[x]: https://youtu.be/{VID}?t=1",
                                  "> " * 45_000, "[w]: " + "a" * 90_000])
def test_long_awkward_lines_parse_in_linear_time(line: str) -> None:
    import time

    t0 = time.perf_counter()
    parse_note(note(f"{line}\n\nClaim {anchor('00:00:02')}"))
    assert time.perf_counter() - t0 < 2.0  # quadratic regexes took 5-100 s on these


# --- CommonMark block cases: lazy quote lines, code after a heading, definitions over lines -----

@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (f"> The speaker says peace means a truce\nand that talks will stall {anchor('00:08:36')}.",
         ["The speaker says peace means a truce and that talks will stall"]),
        (f"> > Nested and\nwrapped {anchor('00:00:01')}", ["Nested and wrapped"]),
        (f"> > Nested and\n> wrapped {anchor('00:00:01')}", ["Nested and wrapped"]),  # fewer '>' is lazy too
        (f"> One\ntwo\n> three {anchor('00:00:01')}", ["One two three"]),  # the quote goes on after it
        (f"- > Quoted and\nwrapped {anchor('00:00:01')}", ["Quoted and wrapped"]),
        # indented code cannot interrupt a paragraph: four spaces are a lazy line too
        (f"> Quoted and\n    wrapped {anchor('00:00:01')}", ["Quoted and wrapped"]),
        # a line that starts a block of its own ends the quote
        (f"> Quote\n- item {anchor('00:00:01')}", ["item"]),
        (f"> Quote\n# Heading {anchor('00:00:01')}", ["Heading"]),
        (f"> Quote\n\nParagraph {anchor('00:00:01')}", ["Paragraph"]),
        (f"> Quote\n***\nAfter the rule {anchor('00:00:01')}", ["After the rule"]),
        (f"> Quote\n```\ncode {anchor('00:00:01')}\n```\nAfter the fence {anchor('00:00:02')}", ["After the fence"]),
    ],
)
def test_a_lazy_line_goes_on_with_the_quote_paragraph(body: str, expected: list[str]) -> None:
    assert [c.text for c in parse_note(note(body)).claims] == expected


@pytest.mark.parametrize("head", ["# Heading", "## Heading ##", "***", "Setext heading\n---", "> # Quoted heading"])
def test_an_indented_line_after_a_heading_or_a_rule_is_code(head: str) -> None:
    """CommonMark: a heading or a rule is no paragraph, so four spaces after one open indented code."""
    text = note(f"{head}\n    code {anchor('00:00:01')}\n\nAfter {anchor('00:00:02')}")
    assert [c.text for c in parse_note(text).claims] == ["After"]
    # after a paragraph line the same line goes on with the paragraph
    assert [c.text for c in parse_note(note(f"Paragraph\n    wrapped {anchor('00:00:01')}")).claims] == [
        "Paragraph wrapped"]


@pytest.mark.parametrize(
    "definition",
    [
        f"[w]:\n  https://youtu.be/{VID}?t=751",
        f"[w]:\nhttps://youtu.be/{VID}?t=751",
        f"[w]:\n  <https://youtu.be/{VID}?t=751>\n  'Title'",
        f"[w]:\n  https://youtu.be/{VID}?t=751 \"Title\"",
        f"[w]: https://youtu.be/{VID}?t=751\n  \"Title\"",
        f"[w]: https://youtu.be/{VID}?t=751\n(Title)",
        f"> [w]:\n> https://youtu.be/{VID}?t=751",
        f"- [w]:\n  https://youtu.be/{VID}?t=751",
    ],
)
def test_a_definition_may_put_its_url_and_title_on_the_next_lines(definition: str) -> None:
    """CommonMark lets the URL go on the line after ``[w]:``, and the title on the line after the URL:
    the URL line is no claim of its own, and a paragraph right after the definition is its own."""
    text = note(f"Claim [12:31][w].\n\n{definition}\nNext claim {anchor('00:00:01')}")
    claims = parse_note(text).claims
    assert [(c.text, c.cited_s) for c in claims] == [("Claim", 751.0), ("Next claim", 1.0)]
    assert [text[s.start : s.end] for s in claims[0].spans] == ["751", "12:31"]


@pytest.mark.parametrize(
    ("definition", "url_line"),
    [
        (f"[w]:\n\nhttps://youtu.be/{VID}?t=751", 10),  # a blank line ends the paragraph
        (f"[w]:\nhttps://youtu.be/{VID}?t=751 and more words", 9),  # no URL and title
        (f"[w]:\n# https://youtu.be/{VID}?t=751", 9),  # a heading starts a block of its own
    ],
)
def test_a_label_alone_is_no_definition_unless_a_url_line_goes_on_with_it(definition: str, url_line: int) -> None:
    """Then ``[12:31][w]`` links nowhere, and the URL is a bare link like any other."""
    claims = parse_note(note(f"Claim [12:31][w].\n\n{definition}")).claims
    assert [(c.line, c.cited_s) for c in claims] == [(url_line, 751.0)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (f"Claim text **[12:31](https://youtu.be/{VID}?t=751)**.", ["Claim text"]),
        (f"**Bold claim text [12:31](https://youtu.be/{VID}?t=751)**", ["Bold claim text"]),
        (f"Claim text **[12:31][w]**.\n\n[w]: https://youtu.be/{VID}?t=751", ["Claim text"]),
        (f"**Bold claim text [12:31][w]**\n\n[w]: https://youtu.be/{VID}?t=751", ["Bold claim text"]),
        (f"Claim text **{anchor('00:08:36')}**.", ["Claim text"]),
        (f"__Bold claim text {anchor('00:08:36')}__", ["Bold claim text"]),
        (f"*Claim* text *{anchor('00:00:01')}*, then ~~struck {anchor('00:00:02')}~~ and ==marked "
         f"{anchor('00:00:03')}==", ["Claim text", "then struck", "and marked"]),
        (f"**One {anchor('00:00:01')}** then **two {anchor('00:00:02')}**.", ["One", "then two"]),
        (f"**[the claim](https://youtu.be/{VID}?t=60)**", ["the claim"]),
        (f'> **{anchor("00:14:43")}** "So once you write it down."', ['"So once you write it down."']),
        # emphasis opened right after an anchor is the next claim's
        (f"Claim {anchor('00:00:01')}**next** claim {anchor('00:00:02')}", ["Claim", "next claim"]),
        # a bare URL ends before emphasis or punctuation glued to it, as GFM autolinks do
        (f"Claim **https://youtu.be/{VID}?t=36**", ["Claim"]),
        (f"**Claim https://youtu.be/{VID}?t=36**", ["Claim"]),
        (f"Claim ~~https://youtu.be/{VID}?t=36~~ then *more https://youtu.be/{VID}?t=40*.", ["Claim", "then more"]),
        (f"Claim https://youtu.be/{VID}?t=36. Next **https://youtu.be/{VID}?t=40**!", ["Claim", "Next"]),
    ],
)
def test_emphasis_around_an_anchor_is_not_claim_text(body: str, expected: list[str]) -> None:
    assert [c.text for c in parse_note(note(body)).claims] == expected


# --- found by tests/props/test_fix_props.py -------------------------------------------------------


def test_a_fence_at_the_margin_ends_a_list_so_four_spaces_after_it_are_code() -> None:
    """CommonMark: a fence not indented under the item ends the list, like any block at the margin;
    four spaces after the fence then open indented code, whose anchors are no claims."""
    text = note(f"- Item {anchor('00:00:01')}\n\n```\ncode\n```\n\n    x {anchor('00:00:02')}\n\n"
                f"After {anchor('00:00:03')}")
    assert [(c.text, c.cited_s) for c in parse_note(text).claims] == [("Item", 1.0), ("After", 3.0)]
    # a fence indented under the item is the item's, and so is the indented line after it
    inside = note(f"- Item {anchor('00:00:01')}\n\n  ```\n  code\n  ```\n\n    More {anchor('00:00:02')}")
    assert [c.cited_s for c in parse_note(inside).claims] == [1.0, 2.0]


def test_a_reference_in_a_code_span_reads_as_written() -> None:
    """Code shows ``[watch][w]`` as it is written, link or not: the claim's text keeps the brackets
    (else retiming ``[12:31]`` renames its label, and another claim's text would change with it)."""
    text = note(f"Write `[watch][w]` or `[12:31]` {anchor('00:00:01')}\n\n"
                f"Claim [12:31][w]. Again [12:31].\n\n[w]: https://youtu.be/{VID}?t=751\n[12:31]: https://youtu.be/{VID}?t=751")
    assert [c.text for c in parse_note(text).claims] == ["Write [watch][w] or [12:31]", "Claim", "Again"]


@pytest.mark.parametrize(
    ("prose", "expected"),
    [
        ("Write `[a](url)` here", "Write [a](url) here"),
        ("Call `f(*args, **kw)` and `a_b_c` or `*x*`", "Call f(*args, **kw) and a_b_c or *x*"),
        ("Escape `\\*` and `&amp;` stay", "Escape \\* and &amp; stay"),
        ("Tags `<b>bold</b>` and <b>bold</b>", "Tags <b>bold</b> and bold"),
        ("Ticks ``a ` b`` and `` `x` ``", "Ticks a ` b and `x`"),
        ("`-x` is the negation", "-x is the negation"),
        ("Spaces `a    b` collapse", "Spaces a b collapse"),
        ("A stray ` tick", "A stray tick"),
    ],
)
def test_a_code_span_reads_as_written(prose: str, expected: str) -> None:
    """Code shows its text literally (CommonMark): no emphasis, link, escape, entity or tag is read in it."""
    assert [c.text for c in parse_note(note(f"{prose} {anchor('00:00:01')}")).claims] == [expected]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("The paper was published in\n2017. {a}", ["The paper was published in 2017."]),
        ("It came out in\n2017. It changed everything {a}", ["It came out in 2017. It changed everything"]),
        ("- The paper was published in\n  2017. {a}", ["The paper was published in 2017."]),
        ("Came out in\n1. Big {a}", ["Big"]),
        ("Intro\n\n2. Second point {a}", ["Second point"]),
        ("Claim {a} 3. Next one {b}", ["Claim", "3. Next one"]),
        ("Claim {a} - next one {b}", ["Claim", "next one"]),
        ("<div>\n    [!NOTE]\n    ### Head\n    Text {a}\n</div>", ["Head Text"]),
    ],
)
def test_a_number_ending_a_wrapped_line_is_no_list_item(body: str, expected: list[str]) -> None:
    """CommonMark: only an ordered item counting from 1 may cut into a paragraph, and a marker only
    opens a line; text after an anchor goes on mid-line."""
    text = note(body.format(a=anchor("00:00:01"), b=anchor("00:00:02")))
    assert [c.text for c in parse_note(text).claims] == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # CommonMark link destinations: balanced parentheses, <...> with spaces, a title; brackets in the text
        ("The [Eiffel Tower](https://en.wikipedia.org/wiki/Eiffel_Tower_(Paris)) opened in "
         "[1889](https://en.wikipedia.org/wiki/1889_(year)) {a}", ["The Eiffel Tower opened in 1889"]),
        ("See [fox](<https://x.org/a b>), ![img](pic_(1).png \"t\") and [a [b] c](https://e.com) {a}",
         ["See fox, img and a [b] c"]),
        ("Not [a link](url with space) here {a}", ["Not [a link](url with space) here"]),
        # emphasis around two anchors: each claim holds one half of the pair
        ("One {a}. **Two {b} and three** {c}.", ["One", "Two", "and three"]),
        ("_Italic start {a} italic end_ {b}.", ["Italic start", "italic end"]),
        ("A product 2 * 3 and x*y {a}", ["A product 2 * 3 and x*y"]),
        ("Call my__private__name, not __bold__ {a}", ["Call my__private__name, not bold"]),
        ("A hard break\\\ngoes on {a}", ["A hard break goes on"]),
        ("Cause {a} -> effect {b} → result {c}", ["Cause", "effect", "result"]),
        ("## Heading ## {a}\n\n# C# rocks {b}", ["Heading", "C# rocks"]),  # an ATX heading's closing run
        # a row citing two times in one cell: both back the row's claim
        ("| # | time | claim |\n|---|---|---|\n| 3 | {a}, {b} | claim three |\n| 4 | {c} | claim four |",
         ["claim three", "claim three", "claim four"]),
        # GFM: a table's rows need no outer pipes once a delimiter row is under its header
        ("Intro {a}\n\nclaim | time\n--- | :---:\nfirst row claim | {b}\nsecond | {c}\n\nAfter {a}",
         ["Intro", "first row claim", "second", "After"]),
        ("Not a table | here {a}\nbut a paragraph {b}", ["Not a table | here", "but a paragraph"]),
    ],
)
def test_claim_text_of_links_emphasis_and_rows(body: str, expected: list[str]) -> None:
    text = note(body.format(a=anchor("00:00:01"), b=anchor("00:00:02"), c=anchor("00:00:03")))
    assert [c.text for c in parse_note(text).claims] == expected


def test_an_autolink_is_a_citation_and_its_brackets_no_claim_text() -> None:
    """`<https://youtu.be/ID?t=20>` is a CommonMark autolink; a URL inside a tag's attribute is a player."""
    text = note(f"Autolink claim <https://youtu.be/{VID}?t=20>.\n\n"
                f'<iframe src="https://www.youtube.com/embed/{VID}?start=4"></iframe>\n\n'
                f"Another claim (<https://youtu.be/{VID}?t=30>), and more.\n")
    assert [(c.text, c.cited_s) for c in parse_note(text).claims] == [("Autolink claim", 20.0), ("Another claim", 30.0)]


def test_control_characters_never_reach_claim_text_or_title() -> None:
    """An ESC in a note would recolour (or worse) the terminal that prints its claims."""
    parsed = parse_note(note(f"Evil \x1b[31m claim\x07 {anchor('00:00:04')}", front=f'videoId: {VID}\ntitle: "\\e[31mRed"\n'))
    assert parsed.title == "[31mRed"
    assert [c.text for c in parsed.claims] == ["Evil [31m claim"]


def test_private_use_characters_in_a_note_are_kept() -> None:
    """The placeholders code spans are held by must not swallow the same characters in the note."""
    prose = "Odd \ue0007\ue001 and `code`"
    assert [c.text for c in parse_note(note(f"{prose} {anchor('00:00:01')}")).claims] == [prose.replace("`", "")]


def test_lone_cr_breaks_give_the_claim_texts_of_lf_breaks() -> None:
    """A lone CR ends a line as LF does (old Mac files): the '>' of a quote's next line is no claim text."""
    body = (f"> The speaker says\n> peace means a truce {anchor('00:08:36')}\n> and talks stall {anchor('00:09:00')}"
            f"\n\n> [!note] Title\n> Callout claim {anchor('00:10:00')}\n")
    expected = ["The speaker says peace means a truce", "and talks stall", "Callout claim"]
    for nl in ("\n", "\r\n", "\r"):
        assert [c.text for c in parse_note(note(body, nl=nl)).claims] == expected, repr(nl)


@pytest.mark.parametrize("nl", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("blank", ["", "  "], ids=["empty", "spaces"])
def test_a_blank_line_ends_an_unclosed_tag_whatever_the_line_breaks(nl: str, blank: str) -> None:
    """``n <k`` opens no tag that a URL two paragraphs on could be an attribute of: a blank line ends it."""
    text = note(f"Holds for n <k\n{blank}\nClaim https://youtu.be/{VID}?t=5\n", nl=nl)
    assert [(c.text, c.cited_s) for c in parse_note(text).claims] == [("Claim", 5.0)]
