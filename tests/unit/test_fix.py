"""fix's pure core: which spans change, in which format, and that nothing else does."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from cliptool.errors import InputError, NoteError, UncheckedError
from cliptool.fix import (
    DEFAULT_MARKER,
    Change,
    apply_changes,
    below_min_score,
    fix_note,
    in_shared_definitions,
    left_as_written,
    plan_fixes,
    plan_note_fix,
    read_note_file,
    retime_target,
    write_note_fix,
)
from cliptool.models import Alignment, Claim, Note, NoteReport, Span, Status
from cliptool.safe_write import BackupPlan
from cliptool.timecode import parse_t_param, parse_ts

# A tiny local parse of yt-timestamp anchors and YouTube links, so these tests pin fix's
# behaviour on hand-written notes without depending on notes.py's choices.
_ANCHOR = re.compile(r'<a class="yt[-_]timestamp" data-t="(?P<dt>[^"]*)">\[(?P<vis>[^\]]*)\]</a>')
_LINK = re.compile(r"\[(?P<lt>[^\]]*)\]\(https://youtu\.be/\w+\?t=(?P<t>\w+)\)")


def _mark(marker: str) -> str:
    """The element fix writes for ``marker`` (spelt out here so the tests pin the format)."""
    return f'<span class="cliptool-unsupported">{marker}</span>'


def _note(text: str) -> Note:
    found: list[tuple[int, Claim]] = []
    for m in _ANCHOR.finditer(text):
        spans = (Span(m.start("dt"), m.end("dt"), "data-t"), Span(m.start("vis"), m.end("vis"), "visible"))
        found.append((m.start(), Claim(0, text.count("\n", 0, m.start()) + 1, 1, parse_ts(m["dt"]), m["dt"],
                                       "claim", spans)))
    for m in _LINK.finditer(text):
        spans = (Span(m.start("lt"), m.end("lt"), "link-text"), Span(m.start("t"), m.end("t"), "t-param"))
        found.append((m.start(), Claim(0, text.count("\n", 0, m.start()) + 1, 1, parse_t_param(m["t"]), m["t"],
                                       "claim", spans)))
    claims = tuple(
        Claim(i, c.line, c.column, c.cited_s, c.raw, c.text, c.spans) for i, (_, c) in enumerate(sorted(found))
    )
    return Note("n.md", "vid", claims)


def _shift(note: Note, delta_s: float, status: Status = "shifted", score: float = 0.9) -> list[Alignment]:
    return [Alignment(c.index, status, score=score, corrected_s=c.cited_s + delta_s) for c in note.claims]


def _fix(text: str, alignments: Sequence[Alignment], **kw: object) -> str:
    return apply_changes(text, plan_fixes(text, _note(text), alignments, **kw))  # type: ignore[arg-type]


A = '<a class="yt-timestamp" data-t="{}">[{}]</a>'


@pytest.mark.parametrize(
    ("before", "delta", "after"),
    [
        (A.format("00:08:36", "00:08:36"), 7, A.format("00:08:43", "00:08:43")),
        # the visible text that differed from data-t gets the new time too
        (A.format("00:07:59", "00:08:03"), 120, A.format("00:09:59", "00:09:59")),
        # MM:SS written in the HH:MM slots stays in the three-slot form
        (A.format("02:03:00", "02:03:00"), -7257, A.format("00:02:03", "00:02:03")),
        ("[8:36](https://youtu.be/abc?t=516)", -90, "[7:06](https://youtu.be/abc?t=426)"),
        ("[8m36s](https://youtu.be/abc?t=8m36s)", 60, "[9m36s](https://youtu.be/abc?t=9m36s)"),
        ("[0:59](https://youtu.be/abc?t=59s)", 3600, "[60:59](https://youtu.be/abc?t=3659s)"),
        # QA: unusual forms keep their fields, padding and fraction, and say the right time
        (A.format("00:02:51,000", "00:02:51,000"), -120, A.format("00:00:51,000", "00:00:51,000")),
        (A.format("00:02:51.5", "00:02:51"), -120.5, A.format("00:00:51.0", "00:00:51")),
        ("[0h2m51s](https://youtu.be/abc?t=0h2m51s)", -120, "[0h0m51s](https://youtu.be/abc?t=0h0m51s)"),
        ("[2:51](https://youtu.be/abc?t=2m51s)", -120, "[0:51](https://youtu.be/abc?t=0m51s)"),
        # three hour digits were needed, not chosen: the layout is HH:MM:SS
        (A.format("100:00:00", "100:00:00"), -359995, A.format("00:00:05", "00:00:05")),
        # three minute digits, zero-padded or past 99
        (A.format("002:51", "002:51"), -120, A.format("000:51", "000:51")),
        (A.format("105:30", "105:30"), 60, A.format("106:30", "106:30")),
    ],
)
def test_retime_keeps_each_span_format(before: str, delta: float, after: str) -> None:
    text = f"A claim {before}.\n"
    assert _fix(text, _shift(_note(text), delta)) == f"A claim {after}.\n"


def test_change_records_claim_line_and_span() -> None:
    text = "---\nvideoId: x\n---\n\nclaim " + A.format("00:01:00", "00:01:00") + "\n"
    changes = plan_fixes(text, _note(text), _shift(_note(text), 15))
    assert [(c.claim_index, c.line, c.old, c.new, c.kind, c.role) for c in changes] == [
        (0, 5, "00:01:00", "00:01:15", "retime", "data-t"),
        (0, 5, "00:01:00", "00:01:15", "retime", "visible"),
    ]
    assert all(text[c.start : c.end] == c.old for c in changes)


@pytest.mark.parametrize("status", ["ok", "unsupported", "ambiguous"])
def test_only_shifted_claims_are_retimed(status: Status) -> None:
    text = "x " + A.format("00:01:00", "00:01:00")
    assert plan_fixes(text, _note(text), _shift(_note(text), 30, status=status)) == []


def test_out_of_range_is_retimed_only_when_located() -> None:
    text = "x " + A.format("17:30:00", "17:30:00")
    located = [Alignment(0, "out-of-range", score=0.8, corrected_s=1050)]
    lost = [Alignment(0, "out-of-range", score=0.0, corrected_s=None)]
    assert _fix(text, located) == "x " + A.format("00:17:30", "00:17:30")
    assert plan_fixes(text, _note(text), lost) == []


def test_min_score_filters_low_confidence() -> None:
    text = "a " + A.format("00:01:00", "00:01:00") + " b " + A.format("00:02:00", "00:02:00")
    alignments = [Alignment(0, "shifted", score=0.4, corrected_s=70), Alignment(1, "shifted", score=0.8, corrected_s=130)]
    changes = plan_fixes(text, _note(text), alignments, min_score=0.5)
    assert {c.claim_index for c in changes} == {1}


def test_a_time_past_the_end_written_as_its_own_mmss_reading_needs_no_score() -> None:
    # 15:47:00 read as 15:47 is a re-notation of the note's own time, not a move: it is written
    # however weak the evidence there; a move to any other time still needs --min-score.
    text = "a " + A.format("15:47:00", "15:47:00") + " b " + A.format("13:31:00", "13:31:00")
    alignments = [Alignment(0, "out-of-range", score=0.09, corrected_s=947),
                  Alignment(1, "out-of-range", score=0.09, corrected_s=100)]
    assert _fix(text, alignments) == "a " + A.format("00:15:47", "00:15:47") + " b " + A.format("13:31:00", "13:31:00")
    note = _note(text)
    assert below_min_score(note.claims, alignments, 0.15) == 1


def test_a_time_past_the_end_too_weak_to_move_still_gets_its_mmss_reading() -> None:
    # 07:35:00 in a 19-minute video, located 5 s after 07:35 with a score under --min-score: the
    # move is not made, but leaving 07:35:00 would leave a time that points at nothing.
    text = "a " + A.format("07:35:00", "07:35:00") + " b " + A.format("13:31:00", "13:31:00")
    alignments = [Alignment(0, "out-of-range", score=0.09, corrected_s=460, reading_s=455),
                  Alignment(1, "out-of-range", score=0.5, corrected_s=975, reading_s=811)]
    assert _fix(text, alignments) == "a " + A.format("00:07:35", "00:07:35") + " b " + A.format("00:16:15", "00:16:15")
    assert below_min_score(_note(text).claims, alignments, 0.15) == 0


def test_a_claim_a_later_round_retimed_is_not_counted_as_left_as_written() -> None:
    # The counts come from the first round's alignments; the rounds that follow may retime a claim
    # the first found too weakly, and it must then count as retimed only, not also as left alone.
    text = "a " + A.format("00:01:00", "00:01:00") + " b " + A.format("00:02:00", "00:02:00")
    note = _note(text)
    first_round = [Alignment(0, "shifted", score=0.05, corrected_s=30),
                   Alignment(1, "shifted", score=0.05, corrected_s=90)]
    assert left_as_written(note.claims, first_round, (), 0.15) == (2, 0)
    assert left_as_written(note.claims, first_round, (1,), 0.15) == (1, 0)
    assert left_as_written(note.claims, first_round, (0, 1), 0.15) == (0, 0)


def test_idempotent_on_fixed_text() -> None:
    text = "a " + A.format("00:07:59", "00:08:03") + "\r\nb " + A.format("00:02:00", "00:02:00") + "\r\n"
    fixed = _fix(text, _shift(_note(text), 42))
    now_ok = [Alignment(c.index, "ok", score=0.9) for c in _note(fixed).claims]
    still_shifted_same_time = [
        Alignment(c.index, "shifted", score=0.9, corrected_s=c.cited_s) for c in _note(fixed).claims
    ]
    assert plan_fixes(fixed, _note(fixed), now_ok) == []
    assert plan_fixes(fixed, _note(fixed), still_shifted_same_time) == []


def test_crlf_and_trailing_whitespace_survive() -> None:
    text = "---\r\ntitle: t  \r\n---\r\n> [!note] \r\n> [[a|b]] " + A.format("00:00:10", "00:00:10") + "  \r\n"
    fixed = _fix(text, _shift(_note(text), 5))
    assert fixed == text.replace("00:00:10", "00:00:15")


def test_marker_after_last_anchor_of_a_run_and_not_duplicated() -> None:
    text = (
        "Said. " + A.format("00:01:00", "00:01:00") + " " + A.format("00:01:10", "00:01:10") + ".\n"
        "Other. " + A.format("00:02:00", "00:02:00") + "\n"
    )
    alignments = [Alignment(0, "unsupported"), Alignment(1, "unsupported"), Alignment(2, "ok", score=1.0)]
    marked = _fix(text, alignments, mark_unsupported=DEFAULT_MARKER)
    assert marked == text.replace("[00:01:10]</a>.", f"[00:01:10]</a> {_mark(DEFAULT_MARKER)}.")
    assert plan_fixes(marked, _note(marked), alignments, mark_unsupported=DEFAULT_MARKER) == []
    # a marker of another text is still a marker: no second one
    assert plan_fixes(marked, _note(marked), alignments, mark_unsupported="(??)") == []


def test_a_marker_with_line_breaks_is_written_on_one_line() -> None:
    # A newline would end the paragraph and give the rest of the marker to the next claim.
    text = "a " + A.format("00:01:00", "00:01:00") + "\nb " + A.format("00:02:00", "00:02:00") + "\n"
    changes = plan_fixes(text, _note(text), [Alignment(0, "unsupported"), Alignment(1, "ok", score=1.0)],
                         mark_unsupported="line1\n\n line2\t!")
    assert [c.new for c in changes] == [" " + _mark("line1 line2 !")]


def test_marker_only_on_request_and_never_for_ambiguous() -> None:
    text = "a " + A.format("00:01:00", "00:01:00") + "\nb " + A.format("00:02:00", "00:02:00") + "\n"
    alignments = [Alignment(0, "unsupported"), Alignment(1, "ambiguous")]
    assert plan_fixes(text, _note(text), alignments) == []
    changes = plan_fixes(text, _note(text), alignments, mark_unsupported="(??)")
    assert [(c.kind, c.claim_index, c.line, c.new) for c in changes] == [("mark", 0, 1, " " + _mark("(??)"))]


def test_marker_runs_split_by_a_supported_anchor_and_after_markdown_links() -> None:
    text = (
        "a " + A.format("00:01:00", "00:01:00") + " " + A.format("00:01:30", "00:01:30") + "\n"
        "b [1:00](https://youtu.be/abc?t=60), more\n"
    )
    alignments = [Alignment(0, "unsupported"), Alignment(1, "ok", score=1.0), Alignment(2, "unsupported")]
    marked = _fix(text, alignments, mark_unsupported="<!!>")
    assert marked == (
        "a " + A.format("00:01:00", "00:01:00") + f" {_mark('&lt;!!&gt;')} " + A.format("00:01:30", "00:01:30")
        + f"\nb [1:00](https://youtu.be/abc?t=60) {_mark('&lt;!!&gt;')}, more\n"
    )


def test_apply_changes_refuses_stale_and_overlapping_changes() -> None:
    with pytest.raises(InputError, match="expected '1:00'"):
        apply_changes("at 2:00", [Change(0, 1, "1:00", "1:15", 3, 7)])
    with pytest.raises(InputError, match="overlapping"):
        apply_changes("at 1:00", [Change(0, 1, "1:00", "1:15", 3, 7), Change(0, 1, ":00", ":15", 4, 7)])


def test_plan_refuses_a_cited_span_that_does_not_hold_a_timestamp_naming_file_and_line() -> None:
    text = "front\nsome words here"
    note = Note("n.md", "vid", (Claim(0, 2, 1, 60.0, "00:01:00", "c", (Span(11, 16, "data-t"),)),))
    with pytest.raises(InputError, match=r"^n\.md:2: data-t 'words' is not a timestamp") as got:
        plan_fixes(text, note, [Alignment(0, "shifted", score=1.0, corrected_s=90)])
    assert not re.search(r"\d+-\d+", str(got.value))  # no character offsets


@pytest.mark.parametrize(
    ("anchor", "fixed"),
    [
        (A.format("00:02:51", "2:75"), A.format("00:00:51", "2:75")),
        ("[99:99:99](https://youtu.be/abcdefghijk?t=171)", "[99:99:99](https://youtu.be/abcdefghijk?t=51)"),
        ("[at 2:75](https://youtu.be/abcdefghijk?t=171)", "[at 2:75](https://youtu.be/abcdefghijk?t=51)"),
        # a shown range whose start is no time: its end keeps its distance from the cited time
        ('<a class="yt-timestamp" data-t="00:02:51">[00:02:75 - 00:02:59]</a>',
         '<a class="yt-timestamp" data-t="00:00:51">[00:02:75 - 00:00:59]</a>'),
    ],
)
def test_shown_text_that_is_no_time_stays_and_the_rest_is_fixed_with_a_warning(anchor: str, fixed: str) -> None:
    """QA: one anchor showing no time no longer makes the note unfixable; the link is retimed, the
    shown text left for the user, and the note's other claims are fixed."""
    from cliptool.notes import parse_note

    text = ("---\nvideoId: abcdefghijk\n---\nFirst claim [1:00](https://youtu.be/abcdefghijk?t=60).\n\n"
            f"Second claim {anchor}.\n")
    note = parse_note(text, path="n.md")
    moved = [Alignment(0, "shifted", score=1.0, corrected_s=75), Alignment(1, "shifted", score=1.0, corrected_s=51)]
    heard: list[str] = []
    changes = plan_fixes(text, note, moved, warn=heard.append)
    others_fixed = text.replace("[1:00]", "[1:15]").replace("t=60", "t=75")
    assert apply_changes(text, changes) == others_fixed.replace(anchor, fixed)
    assert len(heard) == 1 and heard[0].startswith("line 6: ") and "00:00:51" in heard[0]


# --- byte-for-byte preservation on real notes -------------------------------------------------------


def _invert(changes: Sequence[Change]) -> list[Change]:
    """The changes that undo ``changes`` on the text they produced."""
    out: list[Change] = []
    delta = 0
    for c in sorted(changes, key=lambda c: c.start):
        start = c.start + delta
        out.append(Change(c.claim_index, c.line, c.new, c.old, start, start + len(c.new), c.kind, c.role))
        delta += len(c.new) - len(c.old)
    return out


def _masked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with every span replaced by one placeholder, to compare what lies outside them."""
    parts, pos = [], 0
    for start, end in sorted(spans):
        parts += [text[pos:start], "\0"]
        pos = end
    return "".join([*parts, text[pos:]])


def _real_notes(corpus: Path, seed_note: Path) -> list[Path]:
    return [*sorted(corpus.glob("notes/*/*.md")), seed_note]


def test_plus_seven_on_every_real_note_changes_only_spans(corpus: Path, seed_note: Path) -> None:
    """Retime every claim by +7 s: only the spans differ, and undoing the changes gives the exact bytes."""
    paths = _real_notes(corpus, seed_note)
    assert len(paths) > 20
    for path in paths:
        nf = read_note_file(path)
        assert nf.note.claims, path
        changes = plan_fixes(nf.text, nf.note, _shift(nf.note, 7))
        fixed = apply_changes(nf.text, changes)
        assert {c.claim_index for c in changes} == {c.index for c in nf.note.claims}, path
        undo = _invert(changes)
        assert _masked(fixed, [(c.start, c.end) for c in undo]) == _masked(
            nf.text, [(c.start, c.end) for c in changes]
        ), path
        assert apply_changes(fixed, undo).encode("utf-8") == path.read_bytes(), path


@pytest.mark.parametrize("variant", ["crlf", "bom", "crlf+bom"])
def test_plus_seven_on_crlf_and_bom_variants(variant: str, corpus: Path, seed_note: Path, tmp_path: Path) -> None:
    for path in _real_notes(corpus, seed_note)[::3]:
        raw = path.read_bytes()
        if "crlf" in variant:
            raw = raw.replace(b"\n", b"\r\n")
        if "bom" in variant:
            raw = b"\xef\xbb\xbf" + raw
        note_path = tmp_path / path.name
        note_path.write_bytes(raw)
        nf = read_note_file(note_path)
        fix = write_note_fix(plan_note_fix(nf, _shift(nf.note, 7)), root=tmp_path)
        written = note_path.read_bytes()
        assert written.startswith(b"\xef\xbb\xbf") == ("bom" in variant)
        assert written.count(b"\r\n") == raw.count(b"\r\n")
        assert written.count(b"\n") == raw.count(b"\n")
        assert len(fix.changes) >= 2 * len(nf.note.claims)
        restored = apply_changes(written.decode("utf-8"), _invert(fix.changes))
        assert restored.encode("utf-8") == raw, path
        # and again: the fixed note read back plans nothing once verify calls it ok
        again = read_note_file(note_path)
        assert plan_fixes(again.text, again.note, [Alignment(c.index, "ok", score=1.0) for c in again.note.claims]) == []


def test_markers_on_real_notes_with_the_real_parser(corpus: Path, seed_note: Path) -> None:
    """Every claim unsupported: one marker per run of adjacent anchors, none added on a second run."""
    for path in _real_notes(corpus, seed_note)[::2]:
        nf = read_note_file(path)
        unsupported = [Alignment(c.index, "unsupported") for c in nf.note.claims]
        changes = plan_fixes(nf.text, nf.note, unsupported, mark_unsupported=DEFAULT_MARKER)
        assert changes and all(c.kind == "mark" and c.old == "" for c in changes)
        assert len(changes) <= len(nf.note.claims)
        marked = apply_changes(nf.text, changes)
        assert marked.replace(" " + _mark(DEFAULT_MARKER), "") == nf.text
        for c in changes:  # right after an anchor's close
            assert nf.text[: c.start].endswith("</a>"), (path, c.line)
        from cliptool.notes import parse_note

        again = parse_note(marked, path=str(path))
        assert [c.cited_s for c in again.claims] == [c.cited_s for c in nf.note.claims]
        assert [c.text for c in again.claims] == [c.text for c in nf.note.claims]
        assert plan_fixes(marked, again, unsupported, mark_unsupported=DEFAULT_MARKER) == []


@pytest.mark.parametrize("title", [' "jump"', " 'jump'", " (jump)", ""])
def test_a_marker_goes_after_a_link_with_a_title_not_inside_it(title: str) -> None:
    from cliptool.notes import parse_note

    link = f"[09:00](https://youtu.be/abcdefghijk?t=540{title})"
    text = f"---\nvideoId: abcdefghijk\n---\nPurple giraffes sing opera {link}.\n"
    note = parse_note(text, path="n.md")
    marked = apply_changes(text, plan_fixes(text, note, [Alignment(0, "unsupported")], mark_unsupported="(?)"))
    assert marked == f"---\nvideoId: abcdefghijk\n---\nPurple giraffes sing opera {link} {_mark('(?)')}.\n"
    assert [c.text for c in parse_note(marked, path="n.md").claims] == ["Purple giraffes sing opera"]


def test_markers_after_links_with_the_real_parser() -> None:
    from cliptool.notes import parse_note

    text = (
        "---\nvideoId: abcdefghijk\n---\n"
        "A claim [8:36](https://youtu.be/abcdefghijk?t=516) and more.\n"
        "Another https://www.youtube.com/watch?v=abcdefghijk&t=8m36s.\n"
        'Third <a href="https://youtu.be/abcdefghijk?t=60">1:00</a>; end\n'
    )
    note = parse_note(text, path="n.md")
    alignments = [Alignment(c.index, "unsupported") for c in note.claims]
    assert len(alignments) == 3
    marked = apply_changes(text, plan_fixes(text, note, alignments, mark_unsupported="(?)"))
    assert marked == (
        "---\nvideoId: abcdefghijk\n---\n"
        f"A claim [8:36](https://youtu.be/abcdefghijk?t=516) {_mark('(?)')} and more.\n"
        f"Another https://www.youtube.com/watch?v=abcdefghijk&t=8m36s {_mark('(?)')}.\n"
        f'Third <a href="https://youtu.be/abcdefghijk?t=60">1:00</a> {_mark("(?)")}; end\n'
    )
    assert [c.text for c in parse_note(marked, path="n.md").claims] == [c.text for c in note.claims]
    retimed = apply_changes(text, plan_fixes(text, note, [Alignment(c.index, "shifted", score=1, corrected_s=75)
                                                          for c in note.claims]))
    assert retimed == (
        "---\nvideoId: abcdefghijk\n---\n"
        "A claim [1:15](https://youtu.be/abcdefghijk?t=75) and more.\n"
        "Another https://www.youtube.com/watch?v=abcdefghijk&t=1m15s.\n"
        'Third <a href="https://youtu.be/abcdefghijk?t=75">1:15</a>; end\n'
    )


def test_write_refuses_a_note_edited_since_it_was_read(tmp_path: Path, seed_note: Path) -> None:
    from cliptool.errors import WriteConflictError

    note = tmp_path / "n.txt"
    note.write_bytes(seed_note.read_bytes())
    planned = plan_note_fix(read_note_file(note), _shift(read_note_file(note).note, 7))
    note.write_bytes(seed_note.read_bytes() + b"\nA line the user added meanwhile.\n")
    with pytest.raises(WriteConflictError) as err:
        write_note_fix(planned, root=tmp_path, backup=tmp_path / "n.txt.bak")
    assert err.value.exit_code == 7
    assert note.read_bytes().endswith(b"meanwhile.\n")
    assert not (tmp_path / "n.txt.bak").exists()


def test_nothing_to_change_writes_nothing(tmp_path: Path, seed_note: Path) -> None:
    note = tmp_path / "n.txt"
    note.write_bytes(seed_note.read_bytes())
    nf = read_note_file(note)
    fix = write_note_fix(plan_note_fix(nf, [Alignment(c.index, "ok", score=1.0) for c in nf.note.claims]),
                         root=tmp_path, backup=tmp_path / "n.txt.bak")
    assert fix.changes == () and not fix.written
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("n.txt") or p.name.startswith(".")] == ["n.txt"]


def test_a_decorated_link_label_is_retimed_with_its_t_in_its_own_format() -> None:
    from cliptool.notes import parse_note

    text = ("---\nvideoId: abcdefghijk\n---\n"
            "One [▶ 05:36](https://youtu.be/abcdefghijk?t=336). Two [**6m28s**](https://youtu.be/abcdefghijk?t=388).\n")
    note = parse_note(text, path="n.md")
    moved = [Alignment(c.index, "shifted", score=1.0, corrected_s=c.cited_s - 300) for c in note.claims]
    assert apply_changes(text, plan_fixes(text, note, moved)) == (
        "---\nvideoId: abcdefghijk\n---\n"
        "One [▶ 00:36](https://youtu.be/abcdefghijk?t=36). Two [**1m28s**](https://youtu.be/abcdefghijk?t=88).\n")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('<a class="yt-timestamp" data-t="00:05:36">[00:05:36\u201300:05:50]</a>',
         '<a class="yt-timestamp" data-t="00:00:36">[00:00:36\u201300:00:50]</a>'),
        ("[05:51-06:05](https://youtu.be/abcdefghijk?t=351)", "[00:51-01:05](https://youtu.be/abcdefghijk?t=51)"),
        ("[05:51 to 06:05](https://youtu.be/abcdefghijk?t=351)", "[00:51 to 01:05](https://youtu.be/abcdefghijk?t=51)"),
        # shown from 05:54 while t= says 05:51: the range keeps its own 10 s
        ("[05:54-06:04](https://youtu.be/abcdefghijk?t=351)", "[00:51-01:01](https://youtu.be/abcdefghijk?t=51)"),
    ],
)
def test_a_shown_range_moves_whole(before: str, after: str) -> None:
    from cliptool.notes import parse_note

    text = f"---\nvideoId: abcdefghijk\n---\nTokens are pieces of words {before}.\n"
    note = parse_note(text, path="n.md")
    (claim,) = note.claims
    assert claim.text == "Tokens are pieces of words"
    moved = [Alignment(0, "shifted", score=1.0, corrected_s=claim.cited_s - 300)]
    assert apply_changes(text, plan_fixes(text, note, moved)) == text.replace(before, after)


def test_a_t_value_written_as_a_clock_is_retimed_as_a_clock() -> None:
    from cliptool.notes import parse_note

    text = "---\nvideoId: abcdefghijk\n---\nHeads run in parallel https://youtu.be/abcdefghijk?t=22:47.\n"
    note = parse_note(text, path="n.md")
    moved = [Alignment(0, "shifted", score=1.0, corrected_s=1247.0)]
    assert apply_changes(text, plan_fixes(text, note, moved)) == text.replace("t=22:47", "t=20:47")


# --- reference-style links: the time sits in the definition, elsewhere in the note ----------------

_REF_NOTE = "---\nvideoId: abcdefghijk\n---\n{}\n\n{}\n"


@pytest.mark.parametrize(
    ("body", "definitions", "fixed_body", "fixed_definitions"),
    [
        ("Claim [12:31][w].", "[w]: https://youtu.be/abcdefghijk?t=751",
         "Claim [07:31][w].", "[w]: https://youtu.be/abcdefghijk?t=451"),
        ("Claim [watch][w].", "[w]: https://youtu.be/abcdefghijk?t=12m31s 'the talk'",
         "Claim [watch][w].", "[w]: https://youtu.be/abcdefghijk?t=7m31s 'the talk'"),
        # the shown label is the definition's key: both move, so the link still resolves
        ("Claim [12:31].", "[12:31]: https://youtu.be/abcdefghijk?t=751",
         "Claim [07:31].", "[07:31]: https://youtu.be/abcdefghijk?t=451"),
        ("Claim [12:31][].", "[12:31]: <https://youtu.be/abcdefghijk?t=751>",
         "Claim [07:31][].", "[07:31]: <https://youtu.be/abcdefghijk?t=451>"),
        # CommonMark lets the URL go on the line after the label, and the title on the line after that
        ("Claim [12:31][w].", "[w]:\n  https://youtu.be/abcdefghijk?t=751",
         "Claim [07:31][w].", "[w]:\n  https://youtu.be/abcdefghijk?t=451"),
        ("Claim [watch][w].", "[w]: https://youtu.be/abcdefghijk?t=751\n  'the talk'",
         "Claim [watch][w].", "[w]: https://youtu.be/abcdefghijk?t=451\n  'the talk'"),
        ("Claim [12:31].", "[12:31]:\n<https://youtu.be/abcdefghijk?t=751>\n'the talk'",
         "Claim [07:31].", "[07:31]:\n<https://youtu.be/abcdefghijk?t=451>\n'the talk'"),
    ],
)
def test_a_reference_link_used_once_is_retimed_in_its_definition(
    body: str, definitions: str, fixed_body: str, fixed_definitions: str
) -> None:
    from cliptool.notes import parse_note

    text = _REF_NOTE.format(body, definitions).replace("\n", "\r\n")
    note = parse_note(text, path="n.md")
    (claim,) = note.claims
    changes = plan_fixes(text, note, [Alignment(0, "shifted", score=1.0, corrected_s=claim.cited_s - 300)])
    fixed = apply_changes(text, changes)
    assert fixed == _REF_NOTE.format(fixed_body, fixed_definitions).replace("\n", "\r\n")
    assert [(c.cited_s, c.text) for c in parse_note(fixed, path="n.md").claims] == [(claim.cited_s - 300, claim.text)]


def test_a_definition_several_links_use_is_never_rewritten_and_is_counted() -> None:
    from cliptool.notes import parse_note

    text = _REF_NOTE.format("One [12:31][w]. Two [12:31][W]. Three [12:31][own].",
                            "[w]: https://youtu.be/abcdefghijk?t=751\n[own]: https://youtu.be/abcdefghijk?t=751")
    note = parse_note(text, path="n.md")
    moved = [Alignment(c.index, "shifted", score=1.0, corrected_s=451.0) for c in note.claims]
    changes = plan_fixes(text, note, moved)
    assert {c.claim_index for c in changes} == {2}
    assert apply_changes(text, changes) == text.replace("Three [12:31]", "Three [07:31]").replace(
        "[own]: https://youtu.be/abcdefghijk?t=751", "[own]: https://youtu.be/abcdefghijk?t=451")
    assert in_shared_definitions(note.claims, moved) == 2
    assert left_as_written(note.claims, moved, (), 1.5) == (1, 2)  # the shared two whatever the score, the own one below it
    assert in_shared_definitions(note.claims, [Alignment(0, "ok", score=1.0)]) == 0


def test_a_marker_goes_after_the_reference_link_not_its_definition() -> None:
    from cliptool.notes import parse_note

    text = _REF_NOTE.format("One [12:31][w], [12:40]. Two [12:50][x] and more.",
                            "[w]: https://youtu.be/abcdefghijk?t=751\n[12:40]: https://youtu.be/abcdefghijk?t=760\n"
                            "[x]: https://youtu.be/abcdefghijk?t=770")
    note = parse_note(text, path="n.md")
    unsupported = [Alignment(c.index, "unsupported") for c in note.claims]
    assert len(unsupported) == 3
    marked = apply_changes(text, plan_fixes(text, note, unsupported, mark_unsupported="(?)"))
    assert marked == text.replace("[12:40].", f"[12:40] {_mark('(?)')}.").replace(
        "[12:50][x] and", f"[12:50][x] {_mark('(?)')} and")
    again = parse_note(marked, path="n.md")
    assert [c.text for c in again.claims] == [c.text for c in note.claims]
    assert plan_fixes(marked, again, unsupported, mark_unsupported="(?)") == []


def test_a_definition_an_image_uses_too_is_never_rewritten() -> None:
    """``![thumb][w]`` shares ``[w]`` with the link: a new t= would change the image's URL too."""
    from cliptool.notes import parse_note

    text = _REF_NOTE.format("Claim [12:31][w].\n\n![thumbnail][W]", "[w]: https://youtu.be/abcdefghijk?t=751")
    note = parse_note(text, path="n.md")
    moved = [Alignment(0, "shifted", score=1.0, corrected_s=451.0)]
    assert plan_fixes(text, note, moved) == []
    assert in_shared_definitions(note.claims, moved) == 1
    assert retime_target(note.claims[0], moved[0]) is None
    assert below_min_score(note.claims, moved, 0.15) == 0


@pytest.mark.parametrize(
    "taken",
    [
        "[07:31]: https://youtu.be/abcdefghijk?t=999",  # another definition already has the new label
        "Said again at [07:31], a label no definition has yet.",  # text a new [07:31]: would make a link
    ],
)
def test_a_label_that_is_its_definitions_key_keeps_it_when_the_new_one_is_taken(taken: str) -> None:
    """``[12:31]`` moved to ``[07:31]`` must not make the link (or other text) resolve elsewhere: only t= moves."""
    from cliptool.notes import parse_note

    text = _REF_NOTE.format(f"Claim [12:31].\n\n{taken}", "[12:31]: https://youtu.be/abcdefghijk?t=751")
    note = parse_note(text, path="n.md")
    warnings: list[str] = []
    changes = plan_fixes(text, note, [Alignment(0, "shifted", score=1.0, corrected_s=451.0)], warn=warnings.append)
    assert [(c.role, c.old, c.new) for c in changes] == [("t-param", "751", "451")]
    # the label now shows another time than the link opens: the user hears which line to mend
    assert warnings == [f"line {note.claims[0].line}: the label [12:31] stays as written: [07:31] is already another "
                        "link's label; the link's t= is retimed to 07:31, so its label no longer shows its time"]
    fixed = apply_changes(text, changes)
    assert [(c.cited_s, c.visible) for c in parse_note(fixed, path="n.md").claims][:1] == [(451.0, "12:31")]
    # with the label free, both places move as before
    free = text.replace(taken, "Nothing here.")
    changes = plan_fixes(free, parse_note(free, path="n.md"), [Alignment(0, "shifted", score=1.0, corrected_s=451.0)])
    assert [(c.role, c.new) for c in changes] == [("link-text", "07:31"), ("link-text", "07:31"), ("t-param", "451")]


@pytest.mark.parametrize(
    ("targets", "expected"),
    [
        # B gives up [00:01] in the same fix, so A may take it, whichever comes first in the note
        ((1.0, 0.0), "A [00:01]. B [00:00].\n\n[00:01]: https://youtu.be/abcdefghijk?t=1\n"
                     "[00:00]: https://youtu.be/abcdefghijk?t=0"),
        ((3.0, 2.0), "A [00:03]. B [00:02].\n\n[00:03]: https://youtu.be/abcdefghijk?t=3\n"
                     "[00:02]: https://youtu.be/abcdefghijk?t=2"),
        # a swap frees neither label first: both renames are made together
        ((1.0, 2.0), "A [00:01]. B [00:02].\n\n[00:01]: https://youtu.be/abcdefghijk?t=1\n"
                     "[00:02]: https://youtu.be/abcdefghijk?t=2"),
    ],
)
def test_a_label_another_rename_frees_is_free(targets: tuple[float, float], expected: str) -> None:
    from cliptool.notes import parse_note

    text = _REF_NOTE.format("A [00:02]. B [00:01].", "[00:02]: https://youtu.be/abcdefghijk?t=2\n"
                            "[00:01]: https://youtu.be/abcdefghijk?t=1")
    note = parse_note(text, path="n.md")
    moved = [Alignment(c.index, "shifted", score=1.0, corrected_s=t) for c, t in zip(note.claims, targets, strict=True)]
    fixed = apply_changes(text, plan_fixes(text, note, moved))
    assert fixed == _REF_NOTE.format(*expected.split("\n\n"))
    assert [c.cited_s for c in parse_note(fixed, path="n.md").claims] == list(targets)


def test_a_freed_label_goes_to_one_rename_only() -> None:
    from cliptool.notes import parse_note

    # A and C both wait for [00:01], which B, after them, gives up: A gets it, C keeps its label
    text = _REF_NOTE.format("A [00:02]. C [00:03]. B [00:01].", "[00:02]: https://youtu.be/abcdefghijk?t=2\n"
                            "[00:03]: https://youtu.be/abcdefghijk?t=3\n[00:01]: https://youtu.be/abcdefghijk?t=1")
    note = parse_note(text, path="n.md")
    moved = [Alignment(c.index, "shifted", score=1.0, corrected_s=t) for c, t in zip(note.claims, (1, 1, 0), strict=True)]
    fixed = apply_changes(text, plan_fixes(text, note, moved))
    assert fixed == _REF_NOTE.format("A [00:01]. C [00:03]. B [00:00].", "[00:01]: https://youtu.be/abcdefghijk?t=1\n"
                                     "[00:03]: https://youtu.be/abcdefghijk?t=1\n[00:00]: https://youtu.be/abcdefghijk?t=0")
    assert [c.cited_s for c in parse_note(fixed, path="n.md").claims] == [1.0, 1.0, 0.0]


@pytest.mark.parametrize(
    ("other", "renamed"),
    [
        # three labels passed round: all renamed together
        ("", ("A [00:01]. B [00:02]. C [00:03].", "[00:01]: https://youtu.be/abcdefghijk?t=1\n"
             "[00:02]: https://youtu.be/abcdefghijk?t=2\n[00:03]: https://youtu.be/abcdefghijk?t=3")),
        # another link keeps [00:01] in use: A cannot take it, so C cannot take A's, nor B C's; only t= moves
        (" [00:01](https://example.com)", ("A [00:02]. B [00:03]. C [00:01]. [00:01](https://example.com)",
                                           "[00:02]: https://youtu.be/abcdefghijk?t=1\n"
                           "[00:03]: https://youtu.be/abcdefghijk?t=2\n[00:01]: https://youtu.be/abcdefghijk?t=3")),
    ],
)
def test_labels_passed_round_are_renamed_together_unless_one_stays_in_use(other: str,
                                                                           renamed: tuple[str, str]) -> None:
    from cliptool.notes import parse_note

    text = _REF_NOTE.format(f"A [00:02]. B [00:03]. C [00:01].{other}", "[00:02]: https://youtu.be/abcdefghijk?t=2\n"
                            "[00:03]: https://youtu.be/abcdefghijk?t=3\n[00:01]: https://youtu.be/abcdefghijk?t=1")
    note = parse_note(text, path="n.md")
    moved = [Alignment(c.index, "shifted", score=1.0, corrected_s=t) for c, t in zip(note.claims, (1, 2, 3), strict=True)]
    fixed = apply_changes(text, plan_fixes(text, note, moved))
    assert fixed == _REF_NOTE.format(*renamed)
    assert [c.cited_s for c in parse_note(fixed, path="n.md").claims] == [1.0, 2.0, 3.0]


def test_a_marker_goes_after_a_full_reference_followed_by_a_parenthesis() -> None:
    """``[12:31][w](more)`` is the link ``[12:31][w]`` then text: the marker must not split it."""
    from cliptool.notes import parse_note

    text = _REF_NOTE.format("One [12:31][w](see the slides) and more.", "[w]: https://youtu.be/abcdefghijk?t=751")
    note = parse_note(text, path="n.md")
    marked = apply_changes(text, plan_fixes(text, note, [Alignment(0, "unsupported")], mark_unsupported="(?)"))
    assert marked == text.replace("[12:31][w](", f"[12:31][w] {_mark('(?)')}(")
    # the marker is no claim text (a one-word lead-in runs on to the sentence's end)
    assert [(c.cited_s, c.text) for c in parse_note(marked, path="n.md").claims] == [
        (751.0, "One (see the slides) and more.")]


@pytest.mark.parametrize(
    ("body", "fixed_body", "marked_body"),
    [
        ("Claim text **[12:31](https://youtu.be/abcdefghijk?t=751)**.",
         "Claim text **[07:31](https://youtu.be/abcdefghijk?t=451)**.",
         "Claim text **[12:31](https://youtu.be/abcdefghijk?t=751)** {m}."),
        ("**Bold claim text [12:31](https://youtu.be/abcdefghijk?t=751)**",
         "**Bold claim text [07:31](https://youtu.be/abcdefghijk?t=451)**",
         "**Bold claim text [12:31](https://youtu.be/abcdefghijk?t=751)** {m}"),
        ('**Bold claim text <a class="yt-timestamp" data-t="00:12:31">[00:12:31]</a>**',
         '**Bold claim text <a class="yt-timestamp" data-t="00:07:31">[00:07:31]</a>**',
         '**Bold claim text <a class="yt-timestamp" data-t="00:12:31">[00:12:31]</a>** {m}'),
        ("Claim text **[12:31][w]**.\n\n[w]: https://youtu.be/abcdefghijk?t=751",
         "Claim text **[07:31][w]**.\n\n[w]: https://youtu.be/abcdefghijk?t=451",
         "Claim text **[12:31][w]** {m}.\n\n[w]: https://youtu.be/abcdefghijk?t=751"),
    ],
)
def test_emphasis_around_an_anchor_stays_and_the_marker_goes_after_it(
    body: str, fixed_body: str, marked_body: str
) -> None:
    """fix rewrites the times inside the emphasis; a marker goes after its closer, out of the claim's text."""
    from cliptool.notes import parse_note

    text = _REF_NOTE.format(body, "")
    note = parse_note(text, path="n.md")
    (claim,) = note.claims
    assert claim.text in ("Claim text", "Bold claim text")
    fixed = apply_changes(text, plan_fixes(text, note, [Alignment(0, "shifted", score=1.0, corrected_s=451.0)]))
    assert fixed == _REF_NOTE.format(fixed_body, "")
    assert [(c.cited_s, c.text) for c in parse_note(fixed, path="n.md").claims] == [(451.0, claim.text)]
    unsupported = [Alignment(0, "unsupported")]
    marked = apply_changes(text, plan_fixes(text, note, unsupported, mark_unsupported="(?)"))
    assert marked == _REF_NOTE.format(marked_body.format(m=_mark("(?)")), "")
    again = parse_note(marked, path="n.md")
    assert [c.text for c in again.claims] == [claim.text]
    assert plan_fixes(marked, again, unsupported, mark_unsupported="(?)") == []


def test_a_definition_several_links_use_is_counted_as_shared_whatever_its_score() -> None:
    """Each claim verify located elsewhere is in one count: retimed, below --min-score, or shared."""
    from cliptool.notes import parse_note

    text = _REF_NOTE.format("One [12:31][w]. Two [12:31][W]. Three [12:31][own].",
                            "[w]: https://youtu.be/abcdefghijk?t=751\n[own]: https://youtu.be/abcdefghijk?t=751")
    note = parse_note(text, path="n.md")
    weak = [Alignment(c.index, "shifted", score=0.5, corrected_s=451.0) for c in note.claims]
    assert plan_fixes(text, note, weak, min_score=0.9) == []
    assert (below_min_score(note.claims, weak, 0.9), in_shared_definitions(note.claims, weak)) == (1, 2)
    retimed = {c.claim_index for c in plan_fixes(text, note, weak, min_score=0.3)}
    assert (len(retimed), below_min_score(note.claims, weak, 0.3), in_shared_definitions(note.claims, weak)) == (
        1, 0, 2)


# --- found by tests/props/test_fix_props.py --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "marked"),
    [
        # a bare URL glued to its cell's closing bar: after the bar the marker is in the next cell, or in
        # none (a cell past the header's is not shown)
        ("| Claim | Time |\n|---|---|\n| Heads run in parallel |https://youtu.be/abcdefghijk?t=36|",
         "| Claim | Time |\n|---|---|\n| Heads run in parallel |https://youtu.be/abcdefghijk?t=36 {m}|"),
        # ... or to a tag: the marker went after the next word, or into the next anchor's tag, which
        # then was no anchor (its claim lost)
        ("Claim https://youtu.be/abcdefghijk?t=36<br>Next claim " + A.format("00:00:09", "00:00:09"),
         "Claim https://youtu.be/abcdefghijk?t=36 {m}<br>Next claim " + A.format("00:00:09", "00:00:09")),
        ("Claim https://youtu.be/abcdefghijk?t=36" + A.format("00:00:09", "00:00:09"),
         "Claim https://youtu.be/abcdefghijk?t=36 {m}" + A.format("00:00:09", "00:00:09")),
        # ... or to the emphasis around it: the marker goes after the emphasis closes, as for links
        ("Claim **https://youtu.be/abcdefghijk?t=36**.", "Claim **https://youtu.be/abcdefghijk?t=36** {m}."),
        ("Claim https://youtu.be/abcdefghijk?t=36.", "Claim https://youtu.be/abcdefghijk?t=36 {m}."),
    ],
)
def test_a_marker_after_a_bare_url_stops_where_the_url_does(body: str, marked: str) -> None:
    from cliptool.notes import parse_note

    text = _REF_NOTE.format(body, "")
    note = parse_note(text, path="n.md")
    alignments = [Alignment(0, "unsupported")] + [Alignment(c.index, "ok", score=1.0) for c in note.claims[1:]]
    fixed = apply_changes(text, plan_fixes(text, note, alignments, mark_unsupported="(?)"))
    assert fixed == _REF_NOTE.format(marked.format(m=_mark("(?)")), "")
    assert [(c.cited_s, c.text) for c in parse_note(fixed, path="n.md").claims] == [
        (c.cited_s, c.text) for c in note.claims]


# --- fix_note: one note read, verified, planned and written ------------------------------------
_ONE = '---\nvideoId: abcdefghijk\n---\nA claim <a class="yt-timestamp" data-t="00:01:00">[00:01:00]</a>.\n'


def _verified(status: str = "checked", **kw: object) -> Callable[[Note], NoteReport]:
    """A verify that finds every claim at 90 s, or reports the note ``status`` (not checked)."""
    def verify(note: Note) -> NoteReport:
        moved = tuple(Alignment(c.index, "ok", score=0.9) if c.cited_s == 90 else
                      Alignment(c.index, "shifted", score=0.9, corrected_s=90) for c in note.claims)
        if status != "checked":
            return NoteReport(note.path, note.video_id, status, claims=note.claims, **kw)  # type: ignore[arg-type]
        return NoteReport(note.path, note.video_id, "checked", claims=note.claims, alignments=moved,
                          **kw)  # type: ignore[arg-type]
    return verify


def test_fix_note_writes_with_a_backup(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_text(_ONE)
    done = fix_note(note, tmp_path, _verified(), write=True, backups=BackupPlan(None))
    assert done.fix.written and done.fix.retimed_claims == (0,) and done.refused is None
    assert 'data-t="00:01:30">[00:01:30]' in note.read_text()
    assert Path(done.fix.backup or "").read_text() == _ONE


def test_fix_note_dry_run_says_why_write_would_refuse_without_raising(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_text(_ONE)
    note.chmod(0o444)
    done = fix_note(note, tmp_path, _verified())
    assert isinstance(done.refused, InputError) and "read-only" in str(done.refused)
    assert done.fix.changes and not done.fix.written and note.read_text() == _ONE


def test_fix_note_says_once_which_shown_text_it_left_as_written(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_text(_ONE.replace("[00:01:00]", "[1:75]"))
    heard: list[str] = []
    done = fix_note(note, tmp_path, _verified(), warn=heard.append)
    assert [c.role for c in done.fix.changes] == ["data-t"]
    assert heard == [f"line {done.fix.changes[0].line}: '1:75' shows no time, so it stays as written while the rest "
                     "of its anchor is retimed to 00:01:30; correct it by hand"]


def test_a_backup_path_that_is_a_folder_is_named_in_the_error_not_the_temp_file(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_text(_ONE)
    (tmp_path / "n.md.bak").mkdir()
    with pytest.raises(NoteError) as got:
        fix_note(note, tmp_path, _verified(), write=True, backups=BackupPlan(None))
    assert f"(its backup {tmp_path / 'n.md.bak'})" in str(got.value) and "the note is unchanged" in str(got.value)
    assert "cliptool-tmp" not in str(got.value)
    assert note.read_text() == _ONE and sorted(p.name for p in tmp_path.iterdir()) == ["n.md", "n.md.bak"]


def test_fix_note_stops_at_a_note_verify_could_not_check_with_its_exit_code(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_text(_ONE)
    heard: list[str] = []
    with pytest.raises(UncheckedError, match=r"n\.md: network: offline") as got:
        fix_note(note, tmp_path, _verified("no-captions", reason="network: offline", error_code=5,
                                           warnings=("a warning",)), write=True, warn=heard.append)
    assert got.value.exit_code == 5 and heard == ["a warning"] and note.read_text() == _ONE

