"""Library-level regressions found by a QA pass over the CLI."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from rich.console import Console

from cliptool import report
from cliptool.errors import InputError, MediaError, NoteError
from cliptool.fix import DEFAULT_MARKER, apply_changes, plan_fixes
from cliptool.media import probe
from cliptool.models import Alignment, CaptionInfo, Claim, NoteReport
from cliptool.notes import parse_note
from cliptool.safe_write import write_atomic


def _table_rows(r: NoteReport) -> list[str]:
    console = Console(file=io.StringIO(), width=160, color_system=None)
    for renderable in report.render_table([r]):
        console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return [line for line in out.splitlines() if line.startswith("│")]


@pytest.mark.parametrize(
    ("cited_s", "start_s", "located", "offset"),
    [
        (3.0, 4.5, "00:00:04", "-1s"),  # the columns say 3 and 4: the offset must say -1, not -0
        (45.0, 45.3, "00:00:45", "0s"),  # no sign on nothing
        (45.0, 44.6, "00:00:44", "+1s"),  # floored like the link (t=44) and fix's 00:00:44
        (60.0, 58.9, "00:00:58", "+2s"),
    ],
)
def test_table_offset_agrees_with_the_cited_and_located_columns(
    cited_s: float, start_s: float, located: str, offset: str
) -> None:
    claim = Claim(0, 1, 1, cited_s, "x", "A claim.")
    r = NoteReport(path="n.md", video_id="vidA", status="checked", claims=(claim,),
                   captions=CaptionInfo("en", "manual", "en.srt"),
                   alignments=(Alignment(0, "ok", start=start_s, end=start_s + 4, score=0.9, evidence="e"),))
    (row,) = _table_rows(r)
    cells = [c.strip() for c in row.strip("│").split("│")]
    assert cells[3] == located and cells[4] == offset
    assert "-0s" not in row and "+0s" not in row


def test_markdown_and_html_offsets_carry_no_sign_on_zero() -> None:
    claim = Claim(0, 1, 1, 45.0, "00:00:45", "A claim.")
    r = NoteReport(path="n.md", video_id="vidA", status="checked", claims=(claim,),
                   alignments=(Alignment(0, "ok", start=45.3, end=49.0, score=0.9, evidence="e"),))
    for text in (report.to_markdown([r]), report.to_html([r], version="t")):
        assert "-0s" not in text and "+0s" not in text


@pytest.mark.parametrize("marker", [DEFAULT_MARKER, "(not said — *check*)"])
def test_fix_marker_is_not_part_of_the_next_claim(marker: str) -> None:
    text = (
        "---\nvideoId: tinyvideo01\n---\n\n"
        'Invented <a class="yt-timestamp" data-t="00:00:10">[00:00:10]</a>. '
        'Then a real claim <a class="yt-timestamp" data-t="00:00:20">[00:00:20]</a>.\n'
    )
    note = parse_note(text)
    unsupported = [Alignment(0, "unsupported"), Alignment(1, "ok", score=1.0)]
    marked = apply_changes(text, plan_fixes(text, note, unsupported, mark_unsupported=marker))
    assert marker in marked
    assert [c.text for c in parse_note(marked).claims] == ["Invented", "Then a real claim"]


def test_videoid_list_error_reads_as_a_sentence() -> None:
    with pytest.raises(NoteError, match=r"videoId is a list or mapping, not 11 characters"):
        parse_note("---\nvideoId:\n  - abcdefghijk\n---\n")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_write_atomic_refuses_a_read_only_file(tmp_path: Path) -> None:
    """A rename ignores the file's mode; a file the user made read-only must stay as it is."""
    path = tmp_path / "n.md"
    path.write_bytes(b"old\n")
    path.chmod(0o444)
    with pytest.raises(InputError, match="read-only"):
        write_atomic(path, b"new\n", expected_sha256=None, backup=tmp_path / "n.md.bak")
    assert path.read_bytes() == b"old\n"
    assert not (tmp_path / "n.md.bak").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.md"]


@pytest.mark.e2e
def test_probe_refuses_a_text_file(seed_note: Path) -> None:
    """ffmpeg's tty demuxer reads a .txt as ANSI-art video; it is no media to clip."""
    with pytest.raises(MediaError, match="a text file, not a video or audio file"):
        probe(seed_note)


def test_table_does_not_say_no_claims_of_a_note_it_could_not_read() -> None:
    r = NoteReport(path="broken.md", video_id=None, status="error", reason="broken.md:1: missing front matter")
    console = Console(file=io.StringIO(), width=120, color_system=None)
    for renderable in report.render_table([r]):
        console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "missing front matter" in out and "no claims" not in out
