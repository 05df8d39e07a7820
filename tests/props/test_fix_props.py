"""Property tests for fix's round trip on generated notes: retimes and markers change only what they
must, the fixed note reads back with the same claims at their new times, and a second fix does nothing.

The notes mix every anchor form the parser reads (yt-timestamp anchors, Markdown links, bare URLs,
full, collapsed and shortcut references with their definitions, some of them shared) in paragraphs,
list items, quotes with lazy lines, callouts, tables and headings, with emphasis around anchors, and
anchors in code and comments that are no claims; each note is tried with LF, CRLF and lone CR breaks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_notes_props import LAYOUTS, VID, anchors, words  # the parser's generators, beside this file

from cliptool import DEFAULT_MARKER
from cliptool.fix import Change, apply_changes, plan_fixes
from cliptool.models import LINE_BREAK, Alignment, Note
from cliptool.notes import parse_note
from cliptool.timecode import format_like, format_ts, parse_time

# Reproducible in CI: the same examples every run, and no example database carried between runs.
FIX_SETTINGS = settings(max_examples=250, deadline=None, derandomize=True, database=None,
                        suppress_health_check=[HealthCheck.too_slow])

MARK = f'<span class="cliptool-unsupported">{DEFAULT_MARKER}</span>'
FRONT = f"---\ntitle: t\nvideoId: {VID}\n---\n"
BREAKS = {"LF": "\n", "CRLF": "\r\n", "CR": "\r"}

prose = st.one_of(words, st.lists(st.sampled_from(
    ["The", "model", "learns", "weights,", "then", "biases.", "It's", "3", "x_1", "(a", "note)", "'quoted'",
     "5.5%", "**bold**", "*em*", "[[wiki|link]]", "&amp;", "so:", "-5", "[note]", "\\[x\\]", "at 12:31", "a < b",
     "<kbd>Ctrl</kbd>", "naïve", "東京", "😀", "#tag", "&", "`code`", "1.", "-", "~", "=", "|"]),
    min_size=1, max_size=6).map(" ".join))
EMPHASIS = ["", "", "", "**", "*", "_", "__", "~~", "=="]
T_FORMATS = ["516", "516s", "8m36s"]


def _url(seconds: int, t_format: str, host: int) -> str:
    t = format_like(seconds, t_format)
    return (f"https://youtu.be/{VID}?t={t}", f"https://www.youtube.com/watch?v={VID}&t={t}",
            f"https://m.youtube.com/watch?v={VID}&feature=share&t={t}")[host]


@dataclass
class _Refs:
    """The reference definitions of a note being generated, by label: time, text, and the links and
    images using each (``w0``, ``w1``... for full references, the shown time for the others)."""

    seconds: dict[str, int]
    written: dict[str, str]
    uses: dict[str, int]

    def define(self, draw: st.DrawFn, label: str, seconds: int) -> None:
        url = _url(seconds, draw(st.sampled_from(T_FORMATS)), draw(st.integers(0, 2)))
        title = draw(st.sampled_from(["", ' "the talk"', " 'the talk'", " (the talk)"]))
        indent = draw(st.sampled_from(["", " ", "   "]))
        layout = draw(st.integers(0, 3))
        if layout == 0:
            written = f"{indent}[{label}]: {url}{title}"
        elif layout == 1:
            written = f"{indent}[{label}]: <{url}>{title}"
        elif layout == 2:  # CommonMark lets the URL go on the next line, and the title on the one after
            written = f"{indent}[{label}]:\n  {url}" + (f"\n  {title.strip()}" if title else "")
        else:
            written = f"{indent}[{label}]: {url}" + (f"\n{title.strip()}" if title else "")
        self.seconds[label], self.written[label], self.uses[label] = seconds, written, 0


@st.composite
def _claim_anchor(draw: st.DrawFn, refs: _Refs) -> tuple[str, str | None]:
    """One anchor that is a claim, with emphasis around it maybe, and the definition key it uses."""
    form = draw(st.sampled_from(["inline", "inline", "inline", "other", "range", "href", "full", "collapsed",
                                 "shortcut"]))
    key: str | None = None
    if form == "inline":
        _, _, markup, _ = draw(anchors())
        if "youtu.be" in markup and draw(st.booleans()):  # a Markdown link with a title
            markup = markup[:-1] + draw(st.sampled_from([' "jump")', " 'jump')", " (jump))"]))
    elif form == "other":  # the rarer ways notes write a time
        seconds = draw(st.integers(0, 35999))
        markup = draw(st.sampled_from([
            f"[the claim said here](https://youtu.be/{VID}?t={seconds})",
            f"[{format_ts(seconds, hours=False)}](<https://youtu.be/{VID}?t={seconds}s>)",
            f"[0:57](https://www.youtube.com/embed/{VID}?start={seconds})",
            f"https://youtu.be/{VID}?t={format_ts(seconds, hours=False)}",
            f'<a class="yt-timestamp" data-t="{format_ts(seconds)}" href="https://youtu.be/{VID}?t={seconds}">'
            f"[{format_ts(seconds)}]</a>",
            f'<a class="yt-timestamp">[{format_ts(seconds)}]</a>',
            f'<a class="yt-timestamp" data-t="{format_ts(seconds)}.5">[{format_ts(seconds)}]</a>',
            f"[▶ {format_ts(seconds)}](https://youtu.be/{VID}?t={seconds})",
            f"[from {format_like(seconds, '8m36s')}](https://youtu.be/{VID}?t={seconds})",
        ]))
    elif form == "range":  # a shown range moves whole with its start
        seconds, length = draw(st.integers(0, 35999)), draw(st.integers(1, 600))
        layout = draw(st.sampled_from(LAYOUTS))
        shown = f"{format_like(seconds, layout)}{draw(st.sampled_from(['-', ' - ', chr(0x2013), ' to ']))}" \
                f"{format_like(seconds + length, layout)}"
        if draw(st.booleans()):
            markup = f"[{shown}]({_url(seconds, draw(st.sampled_from(T_FORMATS)), draw(st.integers(0, 2)))})"
        else:
            markup = f'<a class="yt-timestamp" data-t="{format_like(seconds, layout)}">[{shown}]</a>'
    elif form == "href":  # a plain HTML link to the video, its & written &amp; now and then
        seconds = draw(st.integers(0, 35999))
        url = _url(seconds, draw(st.sampled_from(T_FORMATS)), draw(st.integers(0, 2)))
        url = url.replace("&", draw(st.sampled_from(["&", "&amp;"])))
        markup = f'<a href="{url}">{draw(st.sampled_from([format_ts(seconds), "the talk"]))}</a>'
    elif form == "full":
        named = [k for k in refs.seconds if k.startswith("w")]
        if named and draw(st.integers(0, 3)) == 0:
            key = draw(st.sampled_from(named))  # a second link to one definition: shared
        else:
            key = f"w{len(refs.seconds)}"
            refs.define(draw, key, draw(st.integers(0, 35999)))
        seconds = refs.seconds[key]
        label = draw(st.sampled_from([format_ts(seconds, hours=False), f"▶ {format_ts(seconds)}", "watch",
                                      format_like(seconds, "8m36s")]))
        markup = f"[{label}][{draw(st.sampled_from([key, key.upper()]))}]"
    else:
        timed = [k for k in refs.seconds if not k.startswith("w")]
        if timed and draw(st.integers(0, 3)) == 0:
            key = draw(st.sampled_from(timed))
        else:
            key = format_ts(draw(st.integers(0, 35999)), hours=False)
            if key not in refs.seconds:
                refs.define(draw, key, int(parse_time(key)))
        markup = f"[{key}][]" if form == "collapsed" else f"[{key}]"
    if key is not None:
        refs.uses[key] += 1
    em = draw(st.sampled_from(EMPHASIS))
    return f"{em}{markup}{em}", key


@st.composite
def _hidden(draw: st.DrawFn, refs: _Refs) -> str:
    """Markup that looks like an anchor but is no claim where it is put (code, comments)."""
    _, _, markup, _ = draw(anchors())
    if refs.seconds and draw(st.booleans()):
        markup = f"[12:31][{draw(st.sampled_from(sorted(refs.seconds)))}]"  # not a use of the definition
    return markup


@dataclass
class Generated:
    """A generated note (LF breaks) and what its claims must be: the definition key of each, if any."""

    text: str
    keys: list[str | None]
    uses: dict[str, int]

    @property
    def shared(self) -> list[bool]:
        return [key is not None and self.uses[key] > 1 for key in self.keys]


@st.composite
def fix_notes(draw: st.DrawFn) -> Generated:
    """A note of up to seven blocks of every kind, then the definitions its references use."""
    refs = _Refs({}, {}, {})
    keys: list[str | None] = []
    blocks: list[str] = []

    def item() -> str:
        """Prose and a claim's anchor, or now and then an anchor in inline code or a comment."""
        text = draw(prose)
        if draw(st.integers(0, 5)) == 0:
            hidden = draw(_hidden(refs))
            text += draw(st.sampled_from([f" `{hidden}` ", f" <!-- {hidden} --> "])) + draw(prose)
        text = _line_start(text)
        markup, key = draw(_claim_anchor(refs))
        keys.append(key)
        if draw(st.integers(0, 4)) == 0 and _word(text):
            em = draw(st.sampled_from(["**", "__"]))  # emphasis around the claim and its anchor
            return f"{em}{text.strip()} {markup}{em}"
        if draw(st.integers(0, 5)) == 0:
            markup = f"({markup})"
        elif key is None and markup.rstrip("*_~=").endswith((")", ">")) and draw(st.integers(0, 5)) == 0:
            # two anchors with nothing between them; after a bare URL the next would be part of it, and
            # a reference is no link when a bracket follows it (`[12:31][x](url)`: [12:31] is text)
            _, _, second, _ = draw(anchors())
            keys.append(None)
            markup += second
        markup += draw(st.sampled_from(["", "", "", ".", ",", ";", ":", "!"]))
        return f"{text} {markup}" if text else markup

    kinds: list[str] = []
    for _ in range(draw(st.integers(1, 7))):
        kind = draw(st.sampled_from(["para", "para", "list", "ordered", "nested", "listquote", "quote", "lazy",
                                     "callout", "table", "heading", "fence", "indented", "comment", "image", "less"]))
        n = draw(st.integers(1, 3))
        if kind == "para":
            blocks.append(draw(st.sampled_from([" ", "\n", "  \n"])).join(item() for _ in range(n)))
        elif kind in ("list", "ordered"):
            marker = draw(st.sampled_from(["-", "*", "+"] if kind == "list" else ["1.", "2)"]))
            blocks.append("\n".join(f"{marker} {item()}" for _ in range(n)))
        elif kind == "nested":  # an item's text going on under it, and an item under it
            blocks.append(f"- {item()}\n  {item()}\n  - {item()}\n\n  {item()}")
        elif kind == "listquote":  # a quote in an item, its next line lazy
            blocks.append(f"- > {item()}\n{item()}")
        elif kind == "quote":
            blocks.append("\n".join(f"> {item()}" for _ in range(n)))
        elif kind == "lazy":  # "> a" then "b": b goes on with the quote's paragraph
            blocks.append(f"> {item()}\n{item()}")
        elif kind == "callout":
            blocks.append(f"> [!note]{draw(st.sampled_from(['', ' Title', '- Title']))}\n"
                          + "\n".join(f"> {item()}" for _ in range(n)))
        elif kind == "table":  # the time's cell with blanks around it or not (`|https://..?t=36|`)
            cells = [draw(st.sampled_from([" {} ", "{}"])).format(_cell(draw, refs, keys)) for _ in range(n)]
            rows = "\n".join(f"| {draw(prose)} |{cell}|" for cell in cells)
            blocks.append(f"| Claim | Time |\n| --- | --- |\n{rows}")
        elif kind == "heading":
            blocks.append(f"{draw(st.sampled_from(['#', '##', '###']))} {item()}")
        elif kind == "fence":
            fence = draw(st.sampled_from(["```", "~~~", "````"]))
            blocks.append(f"{fence}\n{draw(prose)} {draw(_hidden(refs))}\n{fence}")
        elif kind == "indented" and kinds[-1:] not in (["list"], ["ordered"], ["nested"], ["listquote"]):
            blocks.append(f"    {draw(prose)} {draw(_hidden(refs))}")  # code; after a list, the item's text
        elif kind == "comment":
            blocks.append(f"<!-- {draw(prose)} {draw(_hidden(refs))} -->")
        elif kind == "image" and refs.seconds:  # an image using a definition makes it shared
            key = draw(st.sampled_from(sorted(refs.seconds)))
            refs.uses[key] += 1
            blocks.append(_line_start(f"{draw(prose)} ![thumbnail][{key}]"))
        elif kind == "less":  # no tag, and the paragraph ends it (a URL further on is no attribute)
            blocks.append(_line_start(f"{draw(prose)} when n <k {draw(prose)}"))
        else:
            continue
        kinds.append(kind)
    # The definitions: at the end, or anywhere between blocks, alone or as a quote's.
    for written in refs.written.values():
        where = draw(st.sampled_from(["end", "end", "between", "quote"]))
        if where == "end":
            blocks.append(written)
        else:
            at = draw(st.integers(0, len(kinds)))
            blocks.insert(at, written if where == "between" else "> " + written.replace("\n", "\n> "))
            kinds.insert(at, "definition")
    bom = draw(st.sampled_from(["", "", "\ufeff"]))
    return Generated(bom + FRONT + "\n\n".join(blocks) + draw(st.sampled_from(["", "\n"])), keys, refs.uses)


def _cell(draw: st.DrawFn, refs: _Refs, keys: list[str | None]) -> str:
    """A table cell's anchor (the claim is in the row's other cells)."""
    markup, key = draw(_claim_anchor(refs))
    keys.append(key)
    return markup


def _line_start(text: str) -> str:
    """Prose made fit to open a line of a paragraph.

    No blank before it: four spaces would make code of it, and one to three after a list would keep
    the list going in the parser's eyes (CommonMark ends the list when a line is indented less than
    the item's text; the parser keeps any indented line in the list). No list marker either.
    """
    text = text.lstrip()
    return "So " + text if text.split(" ", 1)[0] in ("1.", "-") else text


def _word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


# --- the fix round trip ------------------------------------------------------------------------------

ACTIONS = ["keep", "ok", "retime", "retime", "out-of-range", "unsupported"]


@st.composite
def fix_cases(draw: st.DrawFn) -> tuple[Generated, list[tuple[str, int]]]:
    """A note and, for each of its claims, what verify says of it: an action and a target time."""
    generated = draw(fix_notes())
    plan = [(draw(st.sampled_from(ACTIONS)), draw(st.integers(0, 35999))) for _ in generated.keys]
    return generated, plan


def _alignments(plan: Sequence[tuple[str, int]]) -> list[Alignment]:
    out: list[Alignment] = []
    for index, (action, target) in enumerate(plan):
        if action == "ok":
            out.append(Alignment(index, "ok", score=1.0))
        elif action == "retime":
            out.append(Alignment(index, "shifted", score=1.0, corrected_s=float(target)))
        elif action == "out-of-range":
            out.append(Alignment(index, "out-of-range", score=1.0, corrected_s=float(target)))
        elif action == "unsupported":
            out.append(Alignment(index, "unsupported"))
    return out


def _fix(text: str, plan: Sequence[tuple[str, int]]) -> tuple[Note, list[Change], str]:
    note = parse_note(text, path="n.md")
    changes = plan_fixes(text, note, _alignments(plan), mark_unsupported=DEFAULT_MARKER)
    return note, changes, apply_changes(text, changes)


def _retimed(plan: Sequence[tuple[str, int]], index: int) -> bool:
    return plan[index][0] in ("retime", "out-of-range")


def _undo(changes: Sequence[Change]) -> list[Change]:
    """The changes that take the fixed text back to the original."""
    out: list[Change] = []
    delta = 0
    for c in sorted(changes, key=lambda c: (c.start, c.end)):
        start = c.start + delta
        out.append(Change(c.claim_index, c.line, c.new, c.old, start, start + len(c.new), c.kind, c.role))
        delta += len(c.new) - len(c.old)
    return out


@FIX_SETTINGS
@given(fix_cases(), st.sampled_from(sorted(BREAKS)))
def test_fixed_note_reads_back_with_the_same_claims_at_their_new_times(
    case: tuple[Generated, list[tuple[str, int]]], breaks: str
) -> None:
    """Same claims in the same order with the same texts; a retimed one cites its new time, unless its
    definition is shared; every other keeps its time."""
    generated, plan = case
    text = generated.text.replace("\n", BREAKS[breaks])
    note, _, fixed = _fix(text, plan)
    assert len(note.claims) == len(generated.keys), "the generator and the parser disagree on the claims"
    assert [c.shared for c in note.claims] == generated.shared
    again = parse_note(fixed, path="n.md")
    assert [c.index for c in again.claims] == [c.index for c in note.claims]
    assert [c.text for c in again.claims] == [c.text for c in note.claims]
    expected = [float(plan[c.index][1]) if _retimed(plan, c.index) and not c.shared else c.cited_s
                for c in note.claims]
    assert [c.cited_s for c in again.claims] == expected
    assert [c.shared for c in again.claims] == [c.shared for c in note.claims]
    # The shown times move with the cited one. A `[12:31]` whose new label is another's already keeps
    # its label (only t= moves), so the link still finds its definition.
    for before, after, key in zip(note.claims, again.claims, generated.keys, strict=True):
        if not _retimed(plan, before.index) or before.shared:
            assert after.visible == before.visible
        elif key is None or key.startswith("w"):
            assert after.visible is None


@FIX_SETTINGS
@given(fix_cases(), st.sampled_from(sorted(BREAKS)))
def test_fix_changes_only_times_and_inserts_only_markers(
    case: tuple[Generated, list[tuple[str, int]]], breaks: str
) -> None:
    """Each change replaces a time span of a retimed claim or inserts a marker after an unsupported one's
    anchor, and undoing the changes gives the original text back, byte for byte."""
    generated, plan = case
    text = generated.text.replace("\n", BREAKS[breaks])
    note, changes, fixed = _fix(text, plan)
    by_index = {c.index: c for c in note.claims}
    for change in changes:
        claim = by_index[change.claim_index]
        if change.kind == "retime":
            assert _retimed(plan, claim.index) and not claim.shared
            assert any((s.start, s.end) == (change.start, change.end) for s in claim.spans)
            assert parse_time(change.old) >= 0 and parse_time(change.new) >= 0
        else:
            assert plan[claim.index][0] == "unsupported"
            assert (change.old, change.new, change.start) == ("", " " + MARK, change.end)
            # right after its anchor (or the run of them it ends): on its line, in its table cell
            at = [0, *(m.end() for m in LINE_BREAK.finditer(text))][claim.line - 1] + claim.column - 1
            assert not any(ch in text[at : change.start] for ch in "|\r\n"), text[at : change.start]
    assert apply_changes(fixed, _undo(changes)) == text


@FIX_SETTINGS
@given(fix_cases(), st.sampled_from(sorted(BREAKS)))
def test_a_second_fix_changes_nothing(case: tuple[Generated, list[tuple[str, int]]], breaks: str) -> None:
    """On the fixed note, with verify saying ok where it retimed and unsupported where it marked: no
    re-retime, and no second marker, whatever the marker's text."""
    generated, plan = case
    text = generated.text.replace("\n", BREAKS[breaks])
    _, _, fixed = _fix(text, plan)
    again = parse_note(fixed, path="n.md")
    assert len(again.claims) == len(plan)
    now = [Alignment(c.index, "unsupported") if plan[c.index][0] == "unsupported"
           else Alignment(c.index, "ok", score=1.0) for c in again.claims]
    assert plan_fixes(fixed, again, now, mark_unsupported=DEFAULT_MARKER) == []
    assert plan_fixes(fixed, again, now, mark_unsupported="(another marker)") == []
    # Verify calling a retimed claim shifted to where it now is moves no time either. It may put the new
    # time into a `[12:31]` label the first fix left as it was: the label it needed was another's then.
    cited = {c.index: c.cited_s for c in again.claims}
    there = [Alignment(a.index, "shifted", score=1.0, corrected_s=cited[a.index]) if _retimed(plan, a.index)
             else a for a in now]
    changes = plan_fixes(fixed, again, there, mark_unsupported=DEFAULT_MARKER)
    assert all(c.kind == "retime" and c.role == "link-text" for c in changes)
    assert [c.cited_s for c in parse_note(apply_changes(fixed, changes), path="n.md").claims] == [
        c.cited_s for c in again.claims]


@FIX_SETTINGS
@given(fix_cases(), st.sampled_from(["CRLF", "CR"]))
def test_other_line_breaks_give_the_same_claims_and_keep_them(
    case: tuple[Generated, list[tuple[str, int]]], breaks: str
) -> None:
    """CRLF and lone CR notes give the claims of the LF note, and their fix is the LF one with the same breaks."""
    generated, plan = case
    nl = BREAKS[breaks]
    lf_note, lf_changes, lf_fixed = _fix(generated.text, plan)
    note, changes, fixed = _fix(generated.text.replace("\n", nl), plan)

    def seen(n: Note) -> list[tuple[int, int, int, float, str, str | None, bool]]:
        return [(c.index, c.line, c.column, c.cited_s, c.text, c.visible, c.shared) for c in n.claims]

    assert seen(note) == seen(lf_note)
    assert [(c.claim_index, c.line, c.old, c.new, c.kind) for c in changes] == [
        (c.claim_index, c.line, c.old, c.new, c.kind) for c in lf_changes]
    assert fixed == lf_fixed.replace("\n", nl)
    assert fixed.count(nl) == generated.text.count("\n")
    assert "\r" not in fixed.replace(nl, "") and "\n" not in fixed.replace(nl, "")  # no break of another kind


# --- each rewritten time keeps its written form ------------------------------------------------------

@st.composite
def _time_layouts(draw: st.DrawFn) -> str:
    """A time as notes write one: clocks with any field widths, 3-digit hours or minutes, a fraction
    after . or ,; t= values with h/m/s units (zero-padded or not), bare or with an s."""
    fraction = draw(st.sampled_from(["", "", ".5", ",000", ".25", ",5"]))
    kind = draw(st.sampled_from(["clock", "mmss", "units", "seconds"]))
    if kind == "clock":
        hours = draw(st.sampled_from(["0", "00", "000", "1", "12", "100"]))
        return f"{hours}:{draw(st.sampled_from(['02', '59']))}:{draw(st.sampled_from(['51', '07']))}{fraction}"
    if kind == "mmss":
        minutes = draw(st.sampled_from(["0", "8", "08", "59", "002", "105"]))
        return f"{minutes}:{draw(st.sampled_from(['51', '07']))}{fraction}"
    if kind == "units":
        h = draw(st.sampled_from(["", "0h", "1h", "00h"]))
        # always an m: an h with none (1h5s) gains one for a time with minutes
        m = draw(st.sampled_from(["2m", "02m", "0m", "12m"]))
        return f"{h}{m}{draw(st.sampled_from(['51s', '05s', '7s']))}"
    return draw(st.sampled_from(["171", "171s", "5s"]))


def _zero_padded(text: str) -> list[int]:
    """Width of each zero-padded digit field (``02``, ``000``), 0 for the others."""
    return [len(d) if len(d) > 1 and d.startswith("0") else 0 for d in re.findall(r"\d+", text)]


@FIX_SETTINGS
@given(_time_layouts(), st.floats(min_value=0, max_value=3599.999, allow_nan=False))
def test_a_rewritten_time_keeps_its_layout_and_says_the_time_rounded_down(template: str, seconds: float) -> None:
    """QA: ``00:02:51,000`` became ``00:00:51``, ``0h2m51s`` ``51s``, ``100:00:00`` ``000:00:05``."""
    out = format_like(seconds, template)
    assert re.sub(r"\d+", "#", out) == re.sub(r"\d+", "#", template)  # same fields, separators, units
    # a zero-padded field keeps its width (the fraction's digits too); the rest may shrink to the value
    assert all(len(o) >= w for o, w in zip(re.findall(r"\d+", out), _zero_padded(template), strict=True))
    digits = len(re.split(r"[.,]", template)[1]) if re.search(r"[.,]", template) else 0
    assert math.isclose(parse_time(out), math.floor(seconds * 10**digits + 1e-6) / 10**digits, abs_tol=1e-9)
