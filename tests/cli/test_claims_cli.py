"""`cliptool claims`: exit codes, JSON on stdout, notices and errors on stderr."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from cliptool.cli import app

runner = CliRunner()
FIELDS = {"path", "video_id", "index", "line", "column", "cited", "cited_seconds", "visible", "text"}


def _note(folder: Path, name: str, body: str, video_id: str = "tinyvideo01") -> Path:
    path = folder / name
    path.write_text(f"---\nvideoId: {video_id}\n---\n\n{body}\n", encoding="utf-8")
    return path


def test_seed_lists_its_38_claims_as_json(seed_note: Path) -> None:
    result = runner.invoke(app, ["claims", str(seed_note.parent), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 38
    assert all(set(r) == FIELDS for r in rows)
    assert [r["index"] for r in rows] == list(range(38))
    first = rows[0]
    assert (first["video_id"], first["line"], first["cited"], first["cited_seconds"]) == (
        "yqizMvX5YsA", 8, "00:00:45", 45.0)
    assert first["text"].startswith("The Kremlin's approach to peace negotiations involves")
    for r in rows:  # clean text: no anchors, wiki-link brackets or emphasis markers
        assert not any(mark in r["text"] for mark in ("<a", "[[", "]]", "**", "data-t"))
        assert isinstance(r["line"], int) and isinstance(r["cited_seconds"], float)
    # not all in time order (claim 21 goes back in time)
    seconds = [r["cited_seconds"] for r in rows]
    assert seconds != sorted(seconds)


def test_table_names_the_note_and_its_claims(seed_note: Path) -> None:
    result = runner.invoke(app, ["claims", str(seed_note)])
    assert result.exit_code == 0
    assert "yqizMvX5YsA" in result.stdout
    assert "00:00:45" in result.stdout
    assert "38 claims in 1 note" in result.stdout
    assert result.stderr == ""


def test_a_bad_note_is_one_error_line_and_the_others_still_listed(tmp_path: Path) -> None:
    good = _note(tmp_path, "a-good.md", 'Said here <a class="yt-timestamp" data-t="00:01:05">[00:01:05]</a>.')
    bad = _note(tmp_path, "b-bad.md", 'Impossible <a class="yt-timestamp" data-t="00:75:00">[00:75:00]</a>.')
    result = runner.invoke(app, ["claims", str(tmp_path), "--format", "json"])
    assert result.exit_code == 3
    rows = json.loads(result.stdout)
    assert [(r["path"], r["cited_seconds"], r["text"]) for r in rows] == [(str(good), 65.0, "Said here")]
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1
    assert errors[0].startswith(f"error: {bad}:5:") and "00:75:00" in errors[0]


def test_bad_video_id_and_missing_front_matter(tmp_path: Path) -> None:
    _note(tmp_path, "id.md", "text", video_id="../../etc")
    (tmp_path / "plain.md").write_text("no front matter at all\n", encoding="utf-8")
    result = runner.invoke(app, ["claims", str(tmp_path)])
    assert result.exit_code == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith("error: ") for line in lines)
    assert "0 claims in 0 notes" in result.stdout


def test_other_files_are_skipped_with_a_notice_on_stderr(tmp_path: Path) -> None:
    _note(tmp_path, "note.md", 'A <a class="yt-timestamp" data-t="00:00:05">[00:00:05]</a>.')
    (tmp_path / "picture.png").write_bytes(b"\x89PNG")
    result = runner.invoke(app, ["claims", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == 1
    assert "skipped" in result.stderr and "picture.png" in result.stderr


def test_misspelled_anchor_class_is_read_with_a_warning(tmp_path: Path) -> None:
    _note(tmp_path, "typo.md", 'Typo <a class="yt_timestamp" data-t="00:00:07">[00:00:07]</a>.')
    result = runner.invoke(app, ["claims", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0
    assert [r["cited_seconds"] for r in json.loads(result.stdout)] == [7.0]
    assert re.search(r"warning: \S*typo\.md:\d+: anchor class 'yt_timestamp'", result.stderr)  # file:line, as errors


def test_visible_time_that_differs_is_kept(tmp_path: Path) -> None:
    _note(tmp_path, "vis.md", 'Claim <a class="yt-timestamp" data-t="00:07:59">[00:08:03]</a>.')
    result = runner.invoke(app, ["claims", str(tmp_path), "--format", "json"])
    (row,) = json.loads(result.stdout)
    assert (row["cited"], row["cited_seconds"], row["visible"]) == ("00:07:59", 479.0, "00:08:03")


def test_table_reads_a_t_value_as_a_clock_time(tmp_path: Path) -> None:
    _note(tmp_path, "t.md", "Acceleration [watch](https://youtu.be/tinyvideo01?t=5m49s).\n\n"
                            "Gravity [at 224](https://youtu.be/tinyvideo01?t=224).")
    result = runner.invoke(app, ["claims", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    assert "5m49s = 00:05:49" in result.stdout and "224 = 00:03:44" in result.stdout


def test_missing_path_and_empty_folder_exit_3(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["claims", str(tmp_path / "nope")])
    assert missing.exit_code == 3
    assert "no such file or directory" in missing.stderr and missing.stdout == ""
    empty = runner.invoke(app, ["claims", str(tmp_path)])
    assert empty.exit_code == 3
    assert "no notes" in empty.stderr


def test_unknown_format_is_a_usage_error(seed_note: Path) -> None:
    result = runner.invoke(app, ["claims", str(seed_note), "--format", "xml"])
    assert result.exit_code == 2


def test_reference_links_indented_code_and_wrapped_quotes(tmp_path: Path) -> None:
    _note(tmp_path, "n.md", "The network has 13,000 weights and biases [12:31][w].\n\n"
                            "    Code: [12:31][w]\n\n"
                            "> The third layer might combine edges into loops\n"
                            "> and longer lines into patterns [06:07](https://youtu.be/tinyvideo01?t=367).\n\n"
                            "[w]: https://youtu.be/tinyvideo01?t=751")
    result = runner.invoke(app, ["claims", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert [(r["line"], r["cited_seconds"], r["text"]) for r in json.loads(result.stdout)] == [
        (5, 751.0, "The network has 13,000 weights and biases"),
        (10, 367.0, "The third layer might combine edges into loops and longer lines into patterns"),
    ]
