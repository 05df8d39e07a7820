"""`cliptool captions`: every output format from a cached SRT, and the error exits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cliptool.captions import load_captions, parse_captions
from cliptool.cli import app

runner = CliRunner()
DATA = Path(__file__).resolve().parent.parent / "data"
VIDEO_ID = "tinyvideo01"


def test_text_is_one_timed_sentence_per_line(tiny_cache: Path) -> None:
    result = runner.invoke(app, ["captions", VIDEO_ID, "--cache", str(tiny_cache), "--offline"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "[00:00:01] Welcome to this short talk about honeybees and how they find flowers."
    assert lines[-1] == "[00:02:20] Thanks for watching, and see you next time."
    assert len(lines) == 12
    assert result.stderr == ""


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_srt_and_vtt_read_back_to_the_same_cues(tiny_cache: Path, fmt: str) -> None:
    result = runner.invoke(app, ["captions", VIDEO_ID, "--cache", str(tiny_cache), "--offline", "--format", fmt])
    assert result.exit_code == 0, result.stderr
    back = parse_captions(result.stdout, fmt=fmt)  # type: ignore[arg-type]
    original = load_captions(tiny_cache / VIDEO_ID / "en.srt")
    assert [(c.start, c.end, c.text) for c in back.cues] == [(c.start, c.end, c.text) for c in original.cues]
    if fmt == "vtt":
        assert result.stdout.startswith("WEBVTT")


def test_json_has_cues_with_times(tiny_cache: Path) -> None:
    result = runner.invoke(app, ["captions", VIDEO_ID, "--cache", str(tiny_cache), "--offline", "--format", "json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["language"] == "en"
    assert len(doc["cues"]) == 12
    assert doc["cues"][8] == {"start": 80.0, "end": 85.0, "text": "Varroa mites are the biggest threat to managed hives today.",
                              "words": []}


def test_a_note_path_names_its_video(tiny_cache: Path) -> None:
    by_note = runner.invoke(app, ["captions", str(DATA / "verify_note.md"), "--cache", str(tiny_cache), "--offline"])
    by_id = runner.invoke(app, ["captions", VIDEO_ID, "--cache", str(tiny_cache), "--offline"])
    assert by_note.exit_code == 0
    assert by_note.stdout == by_id.stdout


def test_a_note_path_names_its_language_too_unless_lang_is_given(tiny_cache: Path, tmp_path: Path) -> None:
    note = tmp_path / "de.md"
    note.write_text(f"---\nvideoId: {VIDEO_ID}\nlang: de\n---\n", encoding="utf-8")
    (tiny_cache / VIDEO_ID / "de.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nGuten Tag.\n", encoding="utf-8")
    german = runner.invoke(app, ["captions", str(note), "--cache", str(tiny_cache), "--offline"])
    assert german.exit_code == 0 and "Guten Tag." in german.stdout
    english = runner.invoke(app, ["captions", str(note), "--lang", "en", "--cache", str(tiny_cache), "--offline"])
    assert english.exit_code == 0 and "Guten Tag." not in english.stdout and english.stdout


@pytest.mark.parametrize("link", ["https://youtu.be/{id}", "https://www.youtube.com/watch?v={id}&t=5s"])
def test_a_youtube_link_names_its_video(tiny_cache: Path, link: str) -> None:
    by_link = runner.invoke(app, ["captions", link.format(id=VIDEO_ID), "--cache", str(tiny_cache), "--offline"])
    by_id = runner.invoke(app, ["captions", VIDEO_ID, "--cache", str(tiny_cache), "--offline"])
    assert by_link.exit_code == 0 and by_link.stdout == by_id.stdout


def test_cache_from_the_environment(tiny_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIPTOOL_CACHE", str(tiny_cache))
    result = runner.invoke(app, ["captions", VIDEO_ID, "--offline"])
    assert result.exit_code == 0
    assert "Varroa" in result.stdout


def test_offline_without_cache_exits_4_with_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["captions", VIDEO_ID, "--cache", str(tmp_path / "empty"), "--offline"])
    assert result.exit_code == 4
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and VIDEO_ID in lines[0] and "offline" in lines[0]


@pytest.mark.parametrize("source", ["short", "../no/such/note.md", "has spaces!", "https://example.com/watch?v=abcdefghijk"])
def test_neither_note_nor_video_id_exits_3(source: str) -> None:
    result = runner.invoke(app, ["captions", source, "--offline"])
    assert result.exit_code == 3
    assert "neither a note file, a video id" in result.stderr and "nor a YouTube link" in result.stderr


def test_unreadable_note_argument_exits_3(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_text("---\nvideoId: nope\n---\n", encoding="utf-8")
    result = runner.invoke(app, ["captions", str(note), "--offline"])
    assert result.exit_code == 3
    assert str(note) in result.stderr


def test_refresh_and_offline_contradict() -> None:
    result = runner.invoke(app, ["captions", VIDEO_ID, "--offline", "--refresh"])
    assert result.exit_code == 2


# Nothing listens on port 9 (discard): a run that got as far as the network would fail with exit 5.
_NO_SERVER = "http://127.0.0.1:9/{id}"


def test_a_cache_path_through_a_file_is_a_usage_error_before_any_fetch(tmp_path: Path) -> None:
    (tmp_path / "somefile").write_text("", encoding="utf-8")
    result = runner.invoke(app, ["captions", VIDEO_ID, "--cache", str(tmp_path / "somefile" / "sub"),
                                 "--url-template", _NO_SERVER], env={"COLUMNS": "400"})
    assert result.exit_code == 2, result.stderr
    assert "'--cache'" in result.stderr and f"{tmp_path / 'somefile'} is a file, not a folder" in result.stderr
    assert "warning" not in result.stderr and result.stdout == ""


def test_a_cache_from_the_environment_that_is_a_file_is_one_error_before_any_fetch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "somefile").write_text("", encoding="utf-8")
    monkeypatch.setenv("CLIPTOOL_CACHE", str(tmp_path / "somefile"))
    result = runner.invoke(app, ["captions", VIDEO_ID, "--url-template", _NO_SERVER], env={"COLUMNS": "400"})
    assert result.exit_code == 2, result.stderr
    assert "CLIPTOOL_CACHE" in result.stderr and "it is a file, not a folder" in result.stderr
    assert "ignoring unreadable" not in result.stderr and result.stdout == ""


def test_a_cached_caption_file_over_the_cap_is_refused_quickly(tiny_cache: Path) -> None:
    with (tiny_cache / VIDEO_ID / "en.srt").open("r+b") as fh:
        fh.truncate(60_000_000)  # sparse: 60 MB on paper, nothing on disk
    result = runner.invoke(app, ["captions", VIDEO_ID, "--cache", str(tiny_cache), "--offline"])
    assert result.exit_code == 3, result.stderr
    assert "en.srt: cached caption file is 60 MB, over the 50 MB cap for captions; delete it" in result.stderr


def test_a_url_template_that_is_no_http_url_is_a_usage_error() -> None:
    result = runner.invoke(app, ["captions", VIDEO_ID, "--url-template", "not a url {id}"], env={"COLUMNS": "400"})
    assert result.exit_code == 2, result.stderr
    assert "'--url-template'" in result.stderr and "is not an http(s) URL" in result.stderr
