"""Regressions found by a QA pass over the whole CLI, each used as a fact-checker would."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cliptool.cli import _reflow, app

DATA = Path(__file__).resolve().parent.parent / "data"
NOTE = DATA / "verify_note.md"  # tinyvideo01: ok, ok, shifted, unsupported, out-of-range
VIDEO_ID = "tinyvideo01"
COMMANDS = ["claims", "captions", "verify", "fix", "clip"]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, chmod and symlinks as on POSIX")


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def note(tmp_path: Path) -> Path:
    path = tmp_path / "notes" / "bees.md"
    path.parent.mkdir()
    path.write_bytes(NOTE.read_bytes())
    return path


def _offline(tiny_cache: Path) -> list[str]:
    return ["--cache", str(tiny_cache), "--offline"]


# --- help ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_help_paragraphs_are_not_cut_where_the_docstring_wraps(command: str) -> None:
    code, out, _ = _run(command, "--help", env={"COLUMNS": "1000"})
    assert code == 0
    callback = app.registered_commands[COMMANDS.index(command)].callback
    assert callback is not None
    doc = _reflow(callback.__doc__) or ""
    lines = [" ".join(line.split()) for line in out.splitlines()]
    for paragraph in doc.split("\n\n"):
        assert any(paragraph in line for line in lines), paragraph


def test_fix_help_names_its_argument_like_the_other_commands() -> None:
    _, out, _ = _run("fix", "--help", env={"COLUMNS": "200"})
    assert "{PATH}..." in out and "{paths}" not in out and "paths..." not in out


# --- verify --output ---------------------------------------------------------------------------


def test_verify_output_into_a_fifo_writes_through_it(note: Path, tiny_cache: Path, tmp_path: Path) -> None:
    """`-o /dev/stdout` or a FIFO must stay what it is; renaming over it replaced /dev/null as root."""
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    # A separate process with a deadline: reading the FIFO back (as a backup would) blocks forever.
    cmd = [sys.executable, "-m", "cliptool", "verify", str(note), *_offline(tiny_cache), "--format", "json", "-o", str(fifo)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("verify -o FIFO hung")
    reader.join(timeout=10)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert got and json.loads(got[0])["notes"][0]["video_id"] == VIDEO_ID


def test_verify_refuses_to_write_its_report_over_a_note(note: Path, tiny_cache: Path) -> None:
    before = note.read_bytes()
    code, _, err = _run("verify", str(note), *_offline(tiny_cache), "-o", str(note))
    assert code == 2
    assert "one of the notes being verified" in err
    assert note.read_bytes() == before


def test_verify_output_into_a_missing_folder_fails_before_the_run(note: Path, tiny_cache: Path, tmp_path: Path) -> None:
    """A long run must not end in "cannot write the report": the folder is checked first."""
    broken = tmp_path / "notes" / "broken.md"
    broken.write_text("no front matter\n", encoding="utf-8")
    target = tmp_path / "reports" / "report.json"
    code, out, err = _run("verify", str(note), str(broken), *_offline(tiny_cache), "-o", str(target))
    assert code == 3
    assert "cannot write the report" in err and "does not exist" in err
    assert "missing front matter" not in err  # nothing was verified
    assert out == "" and not target.parent.exists()


# --- missing paths among good ones ---------------------------------------------------------------


def test_verify_reports_a_missing_path_and_checks_the_rest(note: Path, tiny_cache: Path, tmp_path: Path) -> None:
    missing = tmp_path / "typo.md"
    code, out, err = _run("verify", str(note), str(missing), *_offline(tiny_cache), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert [n["status"] for n in doc["notes"]] == ["checked", "error"]
    assert doc["notes"][1]["path"] == str(missing) and "no such file" in doc["notes"][1]["reason"]
    assert f"{missing}: no such file or directory" in err


def test_claims_lists_the_other_notes_when_one_path_is_missing(note: Path, tmp_path: Path) -> None:
    code, out, err = _run("claims", str(note), str(tmp_path / "typo.md"), "--format", "json")
    assert code == 3
    assert len(json.loads(out)) == 5
    assert "typo.md: no such file or directory" in err


def test_min_accuracy_without_judged_claims_says_so_plainly(tmp_path: Path) -> None:
    code, _, err = _run("verify", str(NOTE), "--cache", str(tmp_path / "empty"), "--offline", "--min-accuracy", "50")
    assert code == 1
    assert "no claim could be judged, so --min-accuracy 50% is not met" in " ".join(err.split())
    # a threshold of 0 asks for nothing, and never fails
    code, _, err = _run("verify", str(NOTE), "--cache", str(tmp_path / "empty"), "--offline", "--min-accuracy", "0")
    assert code == 0 and "min-accuracy" not in err


# --- fix -----------------------------------------------------------------------------------------


def test_fix_json_lists_a_missing_path_among_its_errors(tmp_path: Path, tiny_cache: Path) -> None:
    code, out, _ = _run("fix", str(tmp_path / "typo.md"), *_offline(tiny_cache), "--format", "json")
    assert code == 3
    doc = json.loads(out)
    assert [e["exit_code"] for e in doc["errors"]] == [3]
    assert doc["summary"]["notes_failed"] == 1


def test_fix_on_a_folder_without_notes_is_exit_3(tmp_path: Path, tiny_cache: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = _run("fix", str(tmp_path / "empty"), *_offline(tiny_cache))
    assert code == 3
    assert "no notes (.md, .markdown, .txt) found" in err


def test_fix_write_leaves_a_read_only_note_alone(note: Path, tiny_cache: Path) -> None:
    before = note.read_bytes()
    note.chmod(0o444)
    code, out, err = _run("fix", str(note), *_offline(tiny_cache), "--write")
    assert code == 3
    assert "read-only" in err
    assert note.read_bytes() == before
    assert not note.with_name(note.name + ".bak").exists()
    assert "retimed 0 anchors" in out


def test_a_file_name_with_a_line_break_or_an_escape_sequence_stays_on_one_printed_line(tmp_path: Path,
                                                                                       tiny_cache: Path) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    bad = '---\nvideoId: tinyvideo01\n---\nx <a class="yt-timestamp" data-t="zz">[zz]</a>\n'
    for name in ("bad\nname.md", "esc\x1b[31mred.md"):
        (folder / name).write_text(bad, encoding="utf-8")
    (folder / "title\x1bred.md").write_bytes(NOTE.read_bytes())  # a good note: its table's title
    for command in (["claims", str(folder)], ["verify", str(folder), *_offline(tiny_cache)]):
        _, out, err = _run(*command)
        assert "\x1b" not in out + err and "title\\x1bred.md" in out
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        assert len(errors) == 2 and not any(line.startswith("name.md") for line in (out + err).splitlines())
        assert f"error: {folder}/bad\\nname.md:4: impossible timestamp" in err
        assert f"error: {folder}/esc\\x1b[31mred.md:4: impossible timestamp" in err


@pytest.mark.parametrize("columns", ["1", "5"])
def test_a_terminal_a_few_columns_wide_still_gets_the_table_not_a_traceback(note: Path, tiny_cache: Path,
                                                                           columns: str) -> None:
    env = {**os.environ, "COLUMNS": columns}
    for command, last in ((["verify", str(note), *_offline(tiny_cache)], "1 note (1 checked)"),
                          (["claims", str(note)], "5 claims in 1 note")):
        done = subprocess.run([sys.executable, "-m", "cliptool", *command], capture_output=True, text=True,
                              env=env, timeout=60)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-300:]
        assert done.stdout.rstrip().splitlines()[-1].startswith(last) or last in done.stderr


def test_a_reader_that_goes_away_ends_the_run_with_the_pipe_code_not_the_accuracy_code(tmp_path: Path) -> None:
    """`cliptool claims notes | head -1`: exit 141 as a shell reports SIGPIPE, quietly; 1 would read
    as "accuracy below --min-accuracy"."""
    notes = tmp_path / "many"
    notes.mkdir()
    for i in range(400):  # far more than a pipe's buffer holds
        (notes / f"n{i:03}.md").write_bytes(NOTE.read_bytes())
    proc = subprocess.Popen([sys.executable, "-m", "cliptool", "claims", str(notes)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline()
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, err
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_fix_dry_run_diff_is_a_patch_for_a_crlf_note_without_a_final_line_break(note: Path, tiny_cache: Path) -> None:
    """Piped, the diff keeps each CRLF line's \\r and marks the last line's missing break, so
    `patch` turns the note into what --write writes."""
    note.write_bytes(NOTE.read_bytes().replace(b"\n", b"\r\n").rstrip(b"\r\n"))
    original = note.read_bytes()
    # A real pipe: the test runner's captured stdout turns CRLF into LF.
    done = subprocess.run([sys.executable, "-m", "cliptool", "fix", str(note), *_offline(tiny_cache)],
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode("utf-8")
    body = [line for line in out.split("\n") if line[:1] in ("+", "-") and not line.startswith(("---", "+++"))]
    last = [line for line in body if "during inspections" in line]  # the note's last line, changed
    assert len(last) == 2 and not any(line.endswith("\r") for line in last)
    assert len(body) > 2 and all(line.endswith("\r") for line in body if line not in last)
    assert out.count("\n\\ No newline at end of file\n") == 2
    assert _run("fix", str(note), *_offline(tiny_cache), "--write")[0] == 0
    written = note.read_bytes()
    if shutil.which("patch") is None:
        pytest.skip("no patch program here")
    note.write_bytes(original)
    patch = note.with_suffix(".diff")
    patch.write_bytes(out.encode("utf-8"))
    done = subprocess.run(["patch", "-s", "-p0", "-i", str(patch)], cwd="/", capture_output=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert note.read_bytes() == written


def test_fix_dry_run_diff_is_a_patch_for_a_note_whose_name_has_a_space(note: Path, tiny_cache: Path) -> None:
    spaced = note.with_name("my bees.md")
    note.rename(spaced)
    done = subprocess.run([sys.executable, "-m", "cliptool", "fix", spaced.name, *_offline(tiny_cache)],
                          capture_output=True, timeout=60, cwd=spaced.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"--- my bees.md\t\n+++ my bees.md\t\n")
    if shutil.which("patch") is None:
        pytest.skip("no patch program here")
    patched = subprocess.run(["patch", "-s", "-p0"], input=done.stdout, cwd=spaced.parent, capture_output=True,
                             timeout=60)
    assert patched.returncode == 0, patched.stdout + patched.stderr
    assert _run("fix", str(spaced), *_offline(tiny_cache))[1].startswith("dry run: would retime 0 anchors")


def test_fix_dry_run_does_not_promise_a_write_that_would_be_refused(note: Path, tiny_cache: Path, tmp_path: Path) -> None:
    note.chmod(0o444)
    code, out, err = _run("fix", str(note), *_offline(tiny_cache))
    assert code == 3 and "read-only" in err
    assert "--write to apply" not in out
    assert out.startswith(f"--- {note}\n+++ {note}\n@@ ")  # the preview is still shown
    # the summary counts the diff it shows, and says --write would refuse it
    shown = sum(1 for line in out.splitlines() if line.startswith("+") and not line.startswith("+++"))
    assert shown >= 1
    assert out.rstrip().splitlines()[-1] == (
        f"dry run: would retime {'1 anchor' if shown == 1 else f'{shown} anchors'} in 1 of 1 note; "
        "--write would refuse 1 of them")

    # the JSON lists the same changes as the diff, marked as not writable
    code, out, _ = _run("fix", str(note), *_offline(tiny_cache), "--format", "json")
    doc = json.loads(out)
    assert code == 3 and len(doc["notes"][0]["retimed_claims"]) == shown
    assert doc["changes"] and {c["path"] for c in doc["changes"]} == {str(note)}
    assert [(n["path"], n["writable"], n["written"]) for n in doc["notes"]] == [(str(note), False, False)]
    assert "read-only" in doc["errors"][0]["error"]

    outside = tmp_path / "elsewhere.md"
    outside.write_bytes(NOTE.read_bytes())
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "link.md").symlink_to(outside)
    code, out, err = _run("fix", str(vault), *_offline(tiny_cache))
    assert code == 3 and "refusing to follow a symlink" in err
    assert "--write to apply" not in out


def test_marking_an_unsupported_claim_leaves_the_next_claim_text_alone(tmp_path: Path, tiny_cache: Path) -> None:
    path = tmp_path / "n.md"
    path.write_text(
        "---\nvideoId: tinyvideo01\n---\n\n"
        'Octopuses change colour using chromatophores <a class="yt-timestamp" data-t="00:01:30">[00:01:30]</a>. '
        'Queens can lay up to two thousand eggs <a class="yt-timestamp" data-t="00:00:30">[00:00:30]</a>.\n',
        encoding="utf-8",
    )
    code, _, err = _run("fix", str(path), *_offline(tiny_cache), "--mark-unsupported", "--write", "--no-backup")
    assert code == 0, err
    assert "not in transcript" in path.read_text(encoding="utf-8")
    code, out, _ = _run("claims", str(path), "--format", "json")
    assert [c["text"] for c in json.loads(out)] == [
        "Octopuses change colour using chromatophores", "Queens can lay up to two thousand eggs",
    ]


# --- clip ----------------------------------------------------------------------------------------

CLIP_VIDEO = "abcdefghijk"
LONG_CLAIM = ("A claim written at great length so that the clip's one-line summary has to shorten it "
              "somewhere before its end")


@pytest.fixture
def media(make_media: Callable[..., Path]) -> Path:
    return make_media("160x90", 20)


@pytest.fixture
def clip_note(tmp_path: Path) -> Path:
    path = tmp_path / "talk.txt"
    path.write_text(
        f"---\nvideoId: {CLIP_VIDEO}\n---\n\n"
        f'The talk opens <a class="yt-timestamp" data-t="00:00:00">[00:00:00]</a>.\n\n'
        f'{LONG_CLAIM} <a class="yt-timestamp" data-t="00:00:05">[00:00:05]</a>.\n\n'
        f'Said after the file ends <a class="yt-timestamp" data-t="00:00:30">[00:00:30]</a>.\n',
        encoding="utf-8",
    )
    return path


def _clip(*args: str) -> tuple[int, str, str]:
    return _run("clip", *args)


def test_clip_failure_names_the_note_once(clip_note: Path, tmp_path: Path) -> None:
    code, _, err = _clip(str(clip_note), "--anchor", "7", "--media", str(tmp_path / "unused.mp4"))
    assert code == 3
    assert err.count(str(clip_note)) == 1, err


def test_clip_burn_with_fast_or_audio_only_is_a_usage_error(clip_note: Path, tmp_path: Path) -> None:
    for extra in ("--fast", "--audio-only"):
        code, out, err = _clip(str(clip_note), "--anchor", "1", "--media", str(tmp_path / "unused.mp4"),
                               "--subs", "burn", extra, "--out", str(tmp_path / "c"), "--offline",
                               "--cache", str(tmp_path / "cache"))
        assert code == 2, err
        assert "--subs burn" in err and out == ""
    assert not (tmp_path / "c").exists()


@pytest.mark.e2e
def test_clip_says_infinite_padding_is_not_a_number_of_seconds(clip_note: Path, media: Path, tmp_path: Path) -> None:
    code, _, err = _clip(str(clip_note), "--anchor", "1", "--after", "inf", "--media", str(media),
                         "--offline", "--cache", str(tmp_path / "cache"))
    assert code == 3
    assert "must be a finite number of seconds" in " ".join(err.split())


@pytest.mark.e2e
def test_clip_from_a_text_file_as_media_is_refused(clip_note: Path, seed_note: Path, tmp_path: Path) -> None:
    """ffmpeg reads a .txt as ANSI art; a "clip" of a note's text must not be made."""
    out = tmp_path / "clips"
    code, stdout, err = _clip(str(clip_note), "--anchor", "0", "--media", str(seed_note), "--out", str(out),
                              "--offline", "--cache", str(tmp_path / "cache"))
    assert code == 6
    assert "not a video or audio file" in err
    assert stdout == "" and not list(out.glob("*.mp4"))


@pytest.mark.e2e
def test_clip_past_the_end_of_local_media_blames_the_media_file(clip_note: Path, media: Path, tmp_path: Path) -> None:
    code, _, err = _clip(str(clip_note), "--anchor", "2", "--media", str(media), "--out", str(tmp_path / "c"),
                         "--offline", "--cache", str(tmp_path / "cache"))
    assert code == 6
    assert f"past the end of the media file {media} (00:00:20)" in " ".join(err.split())
    assert "past the end of the video" not in err


@pytest.mark.e2e
def test_clip_line_shortens_a_long_claim_with_an_ellipsis(clip_note: Path, media: Path, tmp_path: Path) -> None:
    code, out, err = _clip(str(clip_note), "--anchor", "1", "--media", str(media), "--out", str(tmp_path / "c"),
                           "--offline", "--cache", str(tmp_path / "cache"), "--subs", "none", "--audio-only")
    assert code == 0, err
    line = " ".join(out.split())
    assert "anchor 1: A claim written at great length" in line
    assert line.endswith("…") and LONG_CLAIM not in line


@pytest.mark.e2e
def test_clip_of_a_bare_video_id_names_the_video_and_time(media: Path, tmp_path: Path) -> None:
    code, out, err = _clip("--video-id", CLIP_VIDEO, "--claim", "00:00:05", "--media", str(media),
                           "--out", str(tmp_path / "c"), "--offline", "--cache", str(tmp_path / "cache"),
                           "--subs", "none", "--audio-only")
    assert code == 0, err
    assert out.rstrip().endswith(f"{CLIP_VIDEO} at 00:00:05")
    assert "anchor 0" not in out


@pytest.mark.e2e
def test_clip_batch_exits_with_the_highest_code_of_its_failures(clip_note: Path, media: Path, tmp_path: Path) -> None:
    """README: clip goes on past a bad note and exits with the highest code any note produced."""
    (clip_note.parent / "broken.md").write_text("no front matter\n", encoding="utf-8")  # exit 3, found first
    code, _, err = _clip(str(clip_note.parent), "--all", "--media", str(media), "--out", str(tmp_path / "c"),
                         "--offline", "--cache", str(tmp_path / "cache"), "--subs", "none", "--fast")
    assert "missing front matter" in err and "past the end" in err  # 3 and 6
    assert code == 6


def test_fix_write_with_a_blocked_backup_folder_is_one_error_line(tmp_path: Path, tiny_cache: Path) -> None:
    """A backup that cannot be written is an error for that note, not a traceback; the note stays."""
    vault = tmp_path / "vault"
    (vault / "sub").mkdir(parents=True)
    note = vault / "sub" / "bees.md"
    note.write_bytes(NOTE.read_bytes())
    backups = tmp_path / "backups"
    backups.mkdir()
    (backups / "sub").write_text("a file where the mirrored folder would go\n", encoding="utf-8")
    code, _, err = _run("fix", str(vault), *_offline(tiny_cache), "--write", "--backup-dir", str(backups))
    assert code == 3
    assert "cannot write the fixed note" in err and "the note is unchanged" in err
    assert "Traceback" not in err
    assert note.read_bytes() == NOTE.read_bytes()


@pytest.mark.parametrize("command", ["captions", "verify", "fix"])
def test_a_file_given_as_the_cache_folder_is_a_usage_error(command: str, tmp_path: Path) -> None:
    code, _, err = _run(command, str(NOTE) if command != "captions" else VIDEO_ID, "--cache", str(NOTE), "--offline",
                        env={"COLUMNS": "400"})
    assert code == 2
    assert "--cache" in err and "is a file" in err


# --- file names that are not UTF-8 ---------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")
def test_a_note_whose_file_name_is_not_utf8_is_reported_with_an_escape(tmp_path: Path, tiny_cache: Path) -> None:
    """A Latin-1 file name reaches Python as a lone surrogate: it is shown as an escape in every
    output (stdout and report files stay valid UTF-8), not a traceback."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / os.fsdecode(b"caf\xe9.md")).write_bytes(NOTE.read_bytes())
    html = tmp_path / "report.html"
    base = [sys.executable, "-m", "cliptool", "verify", str(notes), *_offline(tiny_cache)]
    for args in (["--format", "json"], ["--format", "csv"], ["--format", "table"], ["-o", str(html)]):
        done = subprocess.run([*base, *args], capture_output=True, stdin=subprocess.DEVNULL, timeout=120,
                              env={**os.environ, "COLUMNS": "200"})
        err = done.stderr.decode("utf-8")
        assert done.returncode == 0 and "Traceback" not in err, err
        out = done.stdout.decode("utf-8")  # strict: no raw 0xe9 byte
        assert "caf\\udce9.md" in (out or html.read_bytes().decode("utf-8")), out
    # In JSON the escape is the string's own: a reader gets the name the file system gave back.
    doc = json.loads(subprocess.run([*base, "--format", "json"], capture_output=True, timeout=120).stdout)
    assert doc["notes"][0]["path"] == str(notes / os.fsdecode(b"caf\xe9.md"))


# --- folder walks, option values and empty paths -------------------------------------------------


@pytest.mark.parametrize("command", ["claims", "verify", "fix"])
def test_a_fifo_named_like_a_note_in_a_folder_is_skipped_not_opened(command: str, note: Path, tiny_cache: Path) -> None:
    """Opening a FIFO waits for a writer forever: the walk leaves it out with a notice, the note is read."""
    os.mkfifo(note.parent / "pipe.md")
    options = [] if command == "claims" else _offline(tiny_cache)
    cmd = [sys.executable, "-m", "cliptool", command, str(note.parent), *options]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60, check=False,
                              env={**os.environ, "COLUMNS": "400"})
    except subprocess.TimeoutExpired:
        pytest.fail(f"{command} hung on a FIFO in the folder")
    assert done.returncode == 0, done.stderr
    assert f"skipped {note.parent / 'pipe.md'}: not a regular file" in done.stderr
    assert "error" not in done.stderr
    assert "bees.md" in done.stdout or "retime" in done.stdout  # the real note was still handled


_BAD_OPTIONS = [("--lang", "x y", "invalid language code 'x y'"),
                ("--url-template", "http://h/noid", "URL template 'http://h/noid' has no {id}")]


@pytest.mark.parametrize(("option", "value", "message"), _BAD_OPTIONS)
@pytest.mark.parametrize("command", ["verify", "fix", "clip", "captions"])
def test_a_bad_lang_or_url_template_is_one_usage_error_before_any_note(
    command: str, option: str, value: str, message: str, note: Path, tiny_cache: Path, tmp_path: Path,
) -> None:
    (note.parent / "wasps.md").write_bytes(NOTE.read_bytes())  # two notes: the error must still come once
    target = {"captions": [VIDEO_ID], "clip": [str(note.parent), "--all", "--media", str(tmp_path / "unused.mp4"),
                                              "--out", str(tmp_path / "clips")]}.get(command, [str(note.parent)])
    code, out, err = _run(command, *target, *_offline(tiny_cache), option, value, env={"COLUMNS": "400"})
    assert code == 2, err
    assert err.count(message) == 1, err
    assert option in err and "Traceback" not in err
    assert out == "" and "bees.md" not in err and not (tmp_path / "clips").exists()


def test_a_url_template_from_the_environment_without_id_is_a_usage_error(note: Path, tiny_cache: Path) -> None:
    code, out, err = _run("verify", str(note), *_offline(tiny_cache),
                          env={"COLUMNS": "400", "CLIPTOOL_URL_TEMPLATE": "http://h/noid"})
    assert code == 2, err
    assert "CLIPTOOL_URL_TEMPLATE" in err and err.count("has no {id}") == 1
    assert out == ""


@pytest.mark.parametrize("command", ["claims", "verify", "fix", "clip"])
def test_an_empty_path_argument_is_a_usage_error_not_the_working_directory(
    command: str, tmp_path: Path, tiny_cache: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`cliptool fix "$NOTES" --write` with NOTES unset must not rewrite the notes where it runs."""
    here = tmp_path / "cwd"
    here.mkdir()
    (here / "n.md").write_bytes(NOTE.read_bytes())
    monkeypatch.chdir(here)
    extra = {
        "claims": [],
        "verify": _offline(tiny_cache),
        "fix": [*_offline(tiny_cache), "--write"],
        "clip": [*_offline(tiny_cache), "--all", "--media", str(tmp_path / "unused.mp4"), "--out", str(tmp_path / "c")],
    }[command]
    code, out, err = _run(command, "", *extra, env={"COLUMNS": "400"})
    assert code == 2, err
    error_lines = [line for line in err.splitlines() if "an empty string is not a path" in line]
    assert len(error_lines) == 1 and ("'PATH'" in error_lines[0] or "'NOTE'" in error_lines[0]), err
    assert out == ""
    assert sorted(p.name for p in here.iterdir()) == ["n.md"]  # no backup, no rewrite
    assert (here / "n.md").read_bytes() == NOTE.read_bytes()


def test_a_library_warning_reads_like_the_tools_own(note: Path, tiny_cache: Path) -> None:
    (tiny_cache / VIDEO_ID / "info.json").write_text("{not json", encoding="utf-8")
    code, _, err = _run("verify", str(note), *_offline(tiny_cache))
    assert code == 0
    assert next(line for line in err.splitlines() if "info.json" in line).startswith("warning: ignoring unreadable ")


def test_min_accuracy_missed_by_a_hair_does_not_print_two_equal_figures(note: Path, tiny_cache: Path) -> None:
    code, _, err = _run("verify", str(note), *_offline(tiny_cache), "--min-accuracy", "66.7")  # 2 of 3 ok
    assert code == 1
    assert err.strip().splitlines()[-1] == "accuracy 66.667% is below --min-accuracy 66.7%"


def test_fix_takes_verifys_tolerance(note: Path, tiny_cache: Path) -> None:
    """fix --tolerance rewrites what verify with the same tolerance calls shifted, no more."""
    # the varroa claim (said at 00:01:20) cited 18 s early: shifted at 5 s, ok at 30 s
    note.write_text(note.read_text(encoding="utf-8").replace("00:02:20", "00:01:02"), encoding="utf-8")
    for tolerance in ("5", "30"):
        code, out, _ = _run("verify", str(note), *_offline(tiny_cache), "--format", "json", "--tolerance", tolerance)
        shifted = {c["index"] for c in json.loads(out)["notes"][0]["claims"] if c["status"] != "ok" and c["corrected"]}
        code, out, err = _run("fix", str(note), *_offline(tiny_cache), "--format", "json", "--tolerance", tolerance)
        assert code == 0, err
        assert {c["claim_index"] for c in json.loads(out)["changes"]} == shifted
        assert (tolerance == "5") == (2 in shifted)


@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("4", "4")])
def test_the_cli_runs_numpy_on_one_blas_thread_unless_the_user_says_otherwise(given: str | None,
                                                                             expected: str) -> None:
    """Small products: BLAS threads cost more than they save, and verify --jobs multiplies them."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    # OpenBLAS reads the variable when numpy loads it, which the CLI's commands do after this import
    code = "import os, cliptool.cli; print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [expected, "1"]
