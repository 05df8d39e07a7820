"""`cliptool verify`: every output format over a hand-made note and SRT, exit codes, the corpus."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cliptool import __version__
from cliptool.cli import app
from cliptool.report import CSV_COLUMNS

runner = CliRunner()
DATA = Path(__file__).resolve().parent.parent / "data"
NOTE = DATA / "verify_note.md"
VIDEO_ID = "tinyvideo01"
STATUSES = ["ok", "ok", "shifted", "unsupported", "out-of-range"]
CLAIM_STATUSES = {"ok", "shifted", "unsupported", "ambiguous", "out-of-range"}


def _verify(*args: str) -> Any:
    return runner.invoke(app, ["verify", *args])


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_schema(doc: dict[str, Any]) -> None:
    """The JSON layout issue 3 fixes (and score.py reads)."""
    assert doc["tool"] == {"name": "cliptool", "version": __version__}
    assert isinstance(doc["notes"], list) and isinstance(doc["summary"], dict)
    for note in doc["notes"]:
        assert {"path", "video_id", "title", "status", "reason", "captions", "claims", "counts", "accuracy"} <= set(note)
        assert note["status"] in {"checked", "no-captions", "error"}
        assert (note["reason"] is None) == (note["status"] == "checked")
        if note["captions"] is not None:
            assert set(note["captions"]) == {"language", "kind", "source"}
        assert set(note["counts"]) == CLAIM_STATUSES
        assert sum(note["counts"].values()) == (len(note["claims"]) if note["status"] == "checked" else 0)
        assert note["accuracy"] is None or 0.0 <= note["accuracy"] <= 1.0
        for i, claim in enumerate(note["claims"]):
            assert {"index", "line", "cited", "cited_seconds", "text", "status", "start", "end", "offset", "score",
                    "evidence", "alternatives"} <= set(claim)
            assert claim["index"] == i and isinstance(claim["line"], int) and _number(claim["cited_seconds"])
            if note["status"] != "checked":
                assert claim["status"] is None
                continue
            assert claim["status"] in CLAIM_STATUSES
            located = claim["status"] != "unsupported"
            assert (claim["start"] is not None) == located and (claim["end"] is not None) == located
            if located:
                assert _number(claim["start"]) and _number(claim["end"]) and claim["start"] <= claim["end"]
                assert claim["offset"] == pytest.approx(claim["cited_seconds"] - claim["start"], abs=0.01)
                assert claim["evidence"]
            assert 0.0 <= claim["score"] <= 1.0
            for alt in claim["alternatives"]:
                assert set(alt) == {"start", "end", "score"}
    assert {"notes", "claims", "counts", "accuracy"} <= set(doc["summary"])


def test_json_report(tiny_cache: Path) -> None:
    result = _verify(str(NOTE), "--cache", str(tiny_cache), "--offline", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    doc = json.loads(result.stdout)
    check_schema(doc)
    (note,) = doc["notes"]
    assert (note["path"], note["video_id"], note["title"], note["status"]) == (
        str(NOTE), VIDEO_ID, "Honeybees in five minutes", "checked")
    assert note["captions"]["language"] == "en"
    assert [c["status"] for c in note["claims"]] == STATUSES
    assert [c["start"] for c in note["claims"]] == [30.0, 40.0, 80.0, None, 95.0]
    assert note["claims"][2]["offset"] == 140.0 - 80.0
    assert note["counts"] == {"ok": 2, "shifted": 1, "unsupported": 1, "ambiguous": 0, "out-of-range": 1}
    assert note["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert doc["summary"]["notes"] == 1 and doc["summary"]["claims"] == 5


def test_csv_report_has_a_row_per_claim(tiny_cache: Path) -> None:
    result = _verify(str(NOTE), "--cache", str(tiny_cache), "--offline", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["status"] for r in rows] == STATUSES
    assert [r["index"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert rows[2]["start"] == "80.0" and rows[3]["start"] == ""


def test_markdown_report(tiny_cache: Path) -> None:
    result = _verify(str(NOTE), "--cache", str(tiny_cache), "--offline", "--format", "markdown")
    assert result.exit_code == 0
    md = result.stdout
    assert md.startswith("# ")
    assert "## Honeybees in five minutes" in md
    rows = [line for line in md.splitlines() if line.startswith("| ") and line[2:3].isdigit()]
    assert [row.split(" | ")[2] for row in rows] == STATUSES
    assert f"https://youtu.be/{VIDEO_ID}?t=140" in md  # cited
    assert f"https://youtu.be/{VIDEO_ID}?t=80" in md  # located


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.open: list[str] = []
        self.claims: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if tag not in {"meta", "br", "img", "input", "link", "circle", "line", "rect", "path"}:
            self.open.append(tag)
        if tag == "tr" and "claim" in (a.get("class") or ""):
            self.claims.append(a.get("data-status") or "")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()


def test_html_report_is_self_contained_and_well_formed(tiny_cache: Path) -> None:
    result = _verify(str(NOTE), "--cache", str(tiny_cache), "--offline", "--format", "html")
    assert result.exit_code == 0
    page = _Html()
    page.feed(result.stdout)
    page.close()
    assert page.open == []
    assert page.claims == STATUSES
    assert "svg" in page.tags and "script" not in page.tags
    assert f"https://youtu.be/{VIDEO_ID}?t=140" in page.links and f"https://youtu.be/{VIDEO_ID}?t=80" in page.links
    assert all(link.startswith(("https://youtu.be/", "#")) for link in page.links)  # nothing to fetch online


def test_table_report_and_summary_line(tiny_cache: Path) -> None:
    result = _verify(str(NOTE), "--cache", str(tiny_cache), "--offline")
    assert result.exit_code == 0
    for status in ("ok", "shifted", "unsupported", "out-of-range"):
        assert status in result.stdout
    assert "1 note (1 checked); 5 claims" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("fmt", ["json", "html", "table"])
def test_output_file_is_written_whole(tiny_cache: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "reports" / f"report.{fmt}"
    out.parent.mkdir()
    out.write_text("old report", encoding="utf-8")
    result = _verify(str(NOTE), "--cache", str(tiny_cache), "--offline", "--format", fmt, "--output", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert f"wrote {out}" in result.stderr
    text = out.read_text(encoding="utf-8")
    if fmt == "json":
        check_schema(json.loads(text))
    elif fmt == "table":
        assert "out-of-range" in text and "\x1b[" not in text  # plain text in a file
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temp file left behind


def test_output_into_a_missing_folder_exits_3(tiny_cache: Path, tmp_path: Path) -> None:
    result = _verify(str(NOTE), "--cache", str(tiny_cache), "--offline", "--output", str(tmp_path / "no" / "r.json"))
    assert result.exit_code == 3
    assert "cannot write the report" in result.stderr


@pytest.mark.parametrize(("pct", "code"), [("0", 0), ("66", 0), ("67", 1), ("100", 1)])
def test_min_accuracy_sets_the_exit_code(tiny_cache: Path, pct: str, code: int) -> None:
    # accuracy of the note: 2 ok / (2 ok + 1 shifted) = 66.7 %
    result = _verify(str(NOTE), "--cache", str(tiny_cache), "--offline", "--format", "json", "--min-accuracy", pct)
    assert result.exit_code == code
    json.loads(result.stdout)  # the report is printed either way
    assert ("below --min-accuracy" in result.stderr) == bool(code)


def test_min_accuracy_with_nothing_judged_fails(tmp_path: Path) -> None:
    result = _verify(str(NOTE), "--cache", str(tmp_path / "empty"), "--offline", "--min-accuracy", "50")
    assert result.exit_code == 1
    assert "no claim could be judged" in result.stderr


def test_summary_line_says_claims_without_captions_were_not_checked(tmp_path: Path) -> None:
    result = _verify(str(NOTE), "--cache", str(tmp_path / "empty"), "--offline")
    assert result.exit_code == 0
    assert "1 note (1 no-captions); 5 claims: 5 not checked; accuracy n/a" in result.stdout
    assert "no claims" not in result.stdout


def test_bad_notes_are_reported_and_the_run_goes_on(tiny_cache: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"---\nvideoId: tinyvideo01\n---\n\xff\xfe broken\n")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    result = _verify(str(NOTE), str(tmp_path), "--cache", str(tiny_cache), "--offline", "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    check_schema(doc)
    assert [n["status"] for n in doc["notes"]] == ["checked", "error"]
    assert doc["notes"][1]["reason"].startswith(f"{bad}:4:")
    assert f"error: {bad}:4:" in result.stderr
    assert "skipped" in result.stderr and "notes.pdf" in result.stderr


@pytest.mark.parametrize("name", ["report.md", "report.txt"])  # Markdown, and the table as plain text
def test_a_report_written_beside_the_notes_is_not_read_as_a_note(tiny_cache: Path, tmp_path: Path, name: str) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(NOTE, notes / "n.md")
    first = _verify(str(notes), "--cache", str(tiny_cache), "--offline", "-o", str(notes / name))
    assert first.exit_code == 0, first.stderr
    again = _verify(str(notes), "--cache", str(tiny_cache), "--offline", "--format", "json")
    assert again.exit_code == 0
    assert [n["path"] for n in json.loads(again.stdout)["notes"]] == [str(notes / "n.md")]
    assert f"skipped {notes / name}: a cliptool verify report, not a note" in again.stderr
    assert "error" not in again.stderr


def test_a_table_report_the_shell_redirects_into_the_notes_folder_is_not_read_as_a_note(tiny_cache: Path,
                                                                                         tmp_path: Path) -> None:
    """`verify notes > notes/report.txt`: the shell makes the file before the run reads the folder,
    and the next run finds the table there."""
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(NOTE, notes / "n.md")
    report = notes / "report.txt"
    for _ in range(2):
        with report.open("wb") as fh:
            done = subprocess.run([sys.executable, "-m", "cliptool", "verify", str(notes), "--cache", str(tiny_cache),
                                   "--offline"], stdout=fh, stderr=subprocess.PIPE, text=False, timeout=60)
        err = done.stderr.decode()
        assert done.returncode == 0 and "error" not in err, err
        assert f"skipped {report}: this run's own output" in err
        assert report.read_text(encoding="utf-8").startswith("# cliptool verify report\n")
        assert "1 note (1 checked)" in report.read_text(encoding="utf-8")


def test_a_report_sent_to_stderr_into_the_notes_folder_is_not_read_as_a_note(tiny_cache: Path, tmp_path: Path) -> None:
    """`verify notes -o /dev/stderr 2> notes/log.txt`: the run's notices come before the report."""
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(NOTE, notes / "n.md")
    log = notes / "log.txt"
    with log.open("wb") as fh:
        subprocess.run([sys.executable, "-m", "cliptool", "verify", str(notes), "--cache", str(tiny_cache),
                        "--offline", "-o", "/dev/stderr"], stdout=subprocess.DEVNULL, stderr=fh, timeout=60)
    assert log.read_text(encoding="utf-8").startswith("skipped ")  # the notice, then the report
    again = _verify(str(notes), "--cache", str(tiny_cache), "--offline", "--format", "json")
    assert again.exit_code == 0 and f"skipped {log}: a cliptool verify report, not a note" in again.stderr
    assert [n["path"] for n in json.loads(again.stdout)["notes"]] == [str(notes / "n.md")]


def test_symlink_loops_and_dangling_links_are_error_rows_not_a_crash(tiny_cache: Path, tmp_path: Path) -> None:
    """A symlink loop in a notes folder, or named on the command line, is one unreadable note."""
    folder = tmp_path / "notes"
    folder.mkdir()
    shutil.copy(NOTE, folder / "good.md")
    (folder / "x.md").symlink_to("y.md")
    (folder / "y.md").symlink_to("x.md")
    (tmp_path / "gone.md").symlink_to("nowhere.md")
    result = _verify(str(folder), str(folder / "x.md"), str(tmp_path / "gone.md"), "--cache", str(tiny_cache),
                     "--offline", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    check_schema(doc)
    rows = {Path(n["path"]).name: (n["status"], n["reason"]) for n in doc["notes"]}
    assert rows["good.md"] == ("checked", None)
    assert [rows[name][0] for name in ("x.md", "y.md", "gone.md")] == ["error"] * 3
    assert "symbolic links" in rows["x.md"][1] and "No such file" in rows["gone.md"][1]
    assert len(doc["notes"]) == 4  # x.md named twice is read once


def test_output_dash_is_stdout(tiny_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _verify(str(NOTE), "--cache", str(tiny_cache), "--offline", "--format", "json", "-o", "-")
    assert result.exit_code == 0, result.output
    check_schema(json.loads(result.stdout))
    assert not (tmp_path / "-").exists()


@pytest.mark.skipif(not Path("/dev/stdout").exists(), reason="no /dev/stdout here")
def test_output_dev_stdout_is_stdout_even_when_it_is_redirected_to_a_file(tiny_cache: Path, tmp_path: Path) -> None:
    """A shell's `> report.json` makes /dev/stdout a link to that file: it is still stdout."""
    out = tmp_path / "report.json"
    with out.open("wb") as fh:
        done = subprocess.run([sys.executable, "-m", "cliptool", "verify", str(NOTE), "--cache", str(tiny_cache),
                               "--offline", "--format", "json", "-o", "/dev/stdout"], stdout=fh, stderr=subprocess.PIPE,
                              text=False, timeout=60)
    assert done.returncode == 0, done.stderr
    check_schema(json.loads(out.read_text(encoding="utf-8")))


@pytest.mark.skipif(not Path("/dev/stderr").exists(), reason="no /dev/stderr here")
def test_output_dev_stderr_is_stderr_even_when_it_is_redirected_to_a_file(tiny_cache: Path, tmp_path: Path) -> None:
    """`-o /dev/stderr 2> log` writes the report into the log, as the shell means, not refused as a link."""
    log = tmp_path / "log.txt"
    with log.open("wb") as fh:
        done = subprocess.run([sys.executable, "-m", "cliptool", "verify", str(NOTE), "--cache", str(tiny_cache),
                               "--offline", "--format", "json", "-o", "/dev/stderr"], stdout=subprocess.PIPE,
                              stderr=fh, text=False, timeout=60)
    assert done.returncode == 0, log.read_text(encoding="utf-8")
    assert done.stdout == b""
    check_schema(json.loads(log.read_text(encoding="utf-8")))


def test_jobs_give_the_same_report(tiny_cache: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(5):
        shutil.copy(NOTE, notes / f"n{i}.md")
    args = [str(notes), "--cache", str(tiny_cache), "--offline", "--format", "json"]
    serial = _verify(*args)
    parallel = _verify(*args, "--jobs", "2")
    assert serial.exit_code == parallel.exit_code == 0
    assert json.loads(serial.stdout) == json.loads(parallel.stdout)
    assert parallel.stderr == ""  # not a terminal: no progress bar


def test_a_workers_warning_reads_as_the_main_process_warnings_do_and_comes_once(tiny_cache: Path,
                                                                                 tmp_path: Path) -> None:
    """Each worker reads the broken info.json: the user still gets one warning, not one per worker."""
    (tiny_cache / "tinyvideo01" / "info.json").write_text("{ not json", encoding="utf-8")
    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(4):
        shutil.copy(NOTE, notes / f"n{i}.md")
    done = subprocess.run([sys.executable, "-m", "cliptool", "verify", str(notes), "--cache", str(tiny_cache),
                           "--offline", "--format", "json", "--jobs", "2"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if "ignoring unreadable" in ln]
    assert len(lines) == 1 and lines[0].startswith("warning: ignoring unreadable "), done.stderr


def test_tolerance_option(tiny_cache: Path, tmp_path: Path) -> None:
    note = tmp_path / "early.md"
    note.write_text('---\nvideoId: tinyvideo01\n---\n\nVarroa mites are the biggest threat to managed hives '
                    '<a class="yt-timestamp" data-t="00:00:30">[00:00:30]</a>.\n', encoding="utf-8")
    strict = json.loads(_verify(str(note), "--cache", str(tiny_cache), "--offline", "--format", "json").stdout)
    loose = json.loads(_verify(str(note), "--cache", str(tiny_cache), "--offline", "--format", "json",
                               "--tolerance", "60").stdout)
    assert strict["notes"][0]["claims"][0]["status"] == "shifted"
    assert loose["notes"][0]["claims"][0]["status"] == "ok"


@pytest.mark.parametrize("bad", [["--jobs", "0"], ["--min-accuracy", "101"], ["--format", "pdf"], ["--tolerance", "-1"]])
def test_bad_options_are_usage_errors(bad: list[str]) -> None:
    assert _verify(str(NOTE), "--offline", *bad).exit_code == 2


def test_no_notes_exits_3(tmp_path: Path) -> None:
    result = _verify(str(tmp_path))
    assert result.exit_code == 3
    assert "no notes" in result.stderr


def _seed_report(seed_note: Path, *extra: str) -> dict[str, Any]:
    result = _verify(str(seed_note.parent), "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    check_schema(doc)
    (note,) = doc["notes"]
    assert note["video_id"] == "yqizMvX5YsA" and note["status"] == "no-captions"
    assert len(note["claims"]) == 38
    return note


def test_seed_without_network_is_an_honest_no_captions_report(seed_note: Path) -> None:
    # Port 9 (discard) on 127.0.0.1 is closed: a network failure that never leaves the machine.
    note = _seed_report(seed_note, "--url-template", "http://127.0.0.1:9/{id}")
    assert note["reason"].startswith("network:")


def test_seed_offline_says_not_cached(seed_note: Path) -> None:
    note = _seed_report(seed_note, "--offline")
    assert note["reason"].startswith("not cached (offline):")


def test_corpus_is_checked_and_scored(corpus: Path, tmp_path: Path) -> None:
    report = tmp_path / "corpus.json"
    result = _verify(str(corpus / "notes"), "--cache", str(corpus / "cache"), "--offline", "--format", "json",
                     "--output", str(report))
    assert result.exit_code == 0, result.stderr
    doc = json.loads(report.read_text(encoding="utf-8"))
    check_schema(doc)
    assert len(doc["notes"]) == len(list((corpus / "notes").rglob("*.md")))
    assert {n["status"] for n in doc["notes"]} == {"checked"}
    scored = subprocess.run([sys.executable, str(corpus / "score.py"), str(report), "--json"],
                            capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL)
    figures = json.loads(scored.stdout)
    assert figures["notes"] > 0 and figures["supported"] > 0
    for key in ("located_hit_rate", "cited_hit_rate", "verdict_agreement"):
        assert 0.0 <= figures[key] <= 1.0


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_flag_logs_to_stderr_before_or_after_the_command(tiny_cache: Path, where: str) -> None:
    args = ["verify", str(NOTE), "--offline", "--cache", str(tiny_cache), "--format", "json"]
    args = ["-v", *args] if where == "before" else [*args, "-v"]
    loud = subprocess.run([sys.executable, "-m", "cliptool", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, check=False)
    quiet = subprocess.run([sys.executable, "-m", "cliptool", *[a for a in args if a != "-v"]],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    assert loud.returncode == quiet.returncode == 0
    assert f"DEBUG cliptool.fetch: {VIDEO_ID}: cache hit" in loud.stderr
    assert "DEBUG" not in quiet.stderr
    assert json.loads(loud.stdout) == json.loads(quiet.stdout)  # logs never reach the report


def test_progress_bar_only_on_a_terminal_and_never_in_the_report(tiny_cache: Path, tmp_path: Path) -> None:
    """With stderr a terminal (rich's TTY_COMPATIBLE) a bar counts the notes; stdout is unchanged."""
    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(5):
        shutil.copy(NOTE, notes / f"n{i}.md")
    args = [sys.executable, "-m", "cliptool", "verify", str(notes), "--cache", str(tiny_cache), "--offline",
            "--format", "json"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TTY_", "FORCE_"))}
    plain = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    watched = subprocess.run(args, capture_output=True, text=True, env={**env, "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1"}, timeout=60)
    assert plain.returncode == watched.returncode == 0
    assert plain.stderr == ""
    assert "verifying" in watched.stderr and "5/5" in watched.stderr
    assert json.loads(watched.stdout) == json.loads(plain.stdout)


@pytest.mark.parametrize(("name", "check"), [
    ("r.json", lambda t: json.loads(t)["tool"]["name"] == "cliptool"),
    ("r.html", lambda t: t.lstrip().lower().startswith("<!doctype html")),
    ("r.CSV", lambda t: t.startswith("path,video_id,")),
    ("r.md", lambda t: t.startswith("# cliptool verify report")),
    ("r.txt", lambda t: "accuracy" in t and not t.lstrip().startswith(("{", "<"))),
])  # fmt: skip
def test_output_extension_picks_the_format_when_none_is_given(tmp_path: Path, name: str, check: Any) -> None:
    out = tmp_path / name
    result = CliRunner().invoke(app, ["verify", str(DATA / "verify_note.md"), "-o", str(out), "--offline",
                                      "--cache", str(tmp_path / "empty")])
    assert result.exit_code == 0, result.stderr
    assert check(out.read_text(encoding="utf-8"))


def test_output_inside_a_file_says_the_folder_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "base.md"
    blocker.write_text("x")
    result = CliRunner().invoke(app, ["verify", str(DATA / "verify_note.md"), "-o", str(blocker / "r.json")])
    assert result.exit_code == 3
    assert f"its folder {blocker} is a file, not a folder" in result.stderr
