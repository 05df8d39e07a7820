"""`cliptool clip`: selections, exit codes, stdout vs stderr, snapping to cached captions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cliptool.cli import app

VID = "abcdefghijk"
FILLER = [
    "Welcome everyone to this short generated talk.",
    "Today we look at how tones are made.",
    "A sine wave is the purest sound there is.",
    "It has a single frequency and no overtones.",
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "That sentence holds every letter of the alphabet.",
    "Now let us listen to the tone for a while.",
    "Thank you all for listening and goodbye.",
]


def _ts(s: float) -> str:
    ms = round(s * 1000)
    return f"00:00:{ms // 1000:02d},{ms % 1000:03d}"


def _srt(lines: list[str], step_s: float = 5.0) -> str:
    return "\n".join(f"{i + 1}\n{_ts(i * step_s)} --> {_ts(i * step_s + step_s)}\n{t}\n" for i, t in enumerate(lines))


NOTE = f"""---
title: Generated talk
videoId: {VID}
---

The talk opens with a welcome <a class="yt-timestamp" data-t="00:00:01">[00:00:01]</a>.
The quick brown fox jumps over the lazy dog by the river bank <a class="yt-timestamp" data-t="00:00:05">[00:00:05]</a>.
A sine wave has one frequency and no overtones <a class="yt-timestamp" data-t="00:00:16">[00:00:16]</a>.
Something said after the end <a class="yt-timestamp" data-t="00:01:30">[00:01:30]</a>.
"""


@pytest.fixture
def media(make_media: Callable[..., Path]) -> Path:
    return make_media("320x180", 40)


@pytest.fixture
def note(tmp_path: Path) -> Path:
    path = tmp_path / "talk.md"
    path.write_text(NOTE, encoding="utf-8")
    return path


@pytest.fixture
def cached_captions(tmp_path: Path) -> Path:
    cache = tmp_path / "cache"
    (cache / VID).mkdir(parents=True)
    (cache / VID / "en.srt").write_text(_srt(FILLER), encoding="utf-8")
    return cache


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["clip", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--claim", "00:75:00"], "--claim: impossible timestamp"),
        (["--claim", "00:00:03"], ("no claim cited at 00:00:03; nearest cited times: 00:00:01 (anchor 0), "
                                  "00:00:05 (anchor 1), 00:00:16 (anchor 2)")),
        (["--anchor", "7"], "no anchor 7: the note has anchors 0-3"),
        (["--status", "wrong"], "unknown status wrong"),
        (["--all", "--video-id", "zzzzzzzzzzz"], "no note about video zzzzzzzzzzz"),
    ],
)
def test_bad_selection_is_exit_3(note: Path, tmp_path: Path, args: list[str], message: str) -> None:
    code, out, err = _run(str(note), *args, "--media", str(tmp_path / "unused.mp4"), "--out", str(tmp_path / "c"))
    assert code == 3, err
    assert message in " ".join(err.split())
    assert out == ""
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{note}"], "choose exactly one of --claim"),
        (["{note}", "--anchor", "0", "--claim", "00:00:05"], "choose exactly one of --claim"),
        (["{note}", "--all", "--status", "shifted"], "choose exactly one of --claim"),
        (["--claim", "00:00:05"], "give a NOTE, or --video-id ID with --claim HH:MM:SS"),
        (["--video-id", VID, "--all"], "give a NOTE, or --video-id ID with --claim HH:MM:SS"),
        (["{folder}", "--claim", "00:00:05"], "a folder of notes needs --all or --status"),
    ],
)
def test_options_that_do_not_go_together_are_a_usage_error(
    note: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    """Exit 2, as the README's table says of a usage error; they used to exit 3 as bad input."""
    args = [a.format(note=note, folder=note.parent) for a in args]
    code, out, err = _run(*args, "--media", str(tmp_path / "unused.mp4"), "--out", str(tmp_path / "c"))
    assert code == 2, err
    assert message in " ".join(err.split()) and out == ""
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(("value", "code"), [("nan", 3), ("inf", 3), ("-inf", 3), ("-1", 2)])
def test_padding_that_is_no_number_of_seconds_is_a_bad_value(note: Path, tmp_path: Path, value: str,
                                                              code: int) -> None:
    """nan and inf alike are bad values (exit 3, said once); nan was a usage error and inf failed
    each note. A negative number stays out of the option's range (exit 2)."""
    for option in ("--before", "--after"):
        got, out, err = _run(str(note), "--all", option, value, "--media", str(tmp_path / "unused.mp4"),
                             "--out", str(tmp_path / "c"))
        assert got == code, err
        said = " ".join(err.split())
        assert ("must be a finite number of seconds" in said) if code == 3 else ("must be seconds >= 0" in said)
        assert err.count("error:") <= 1 and out == "" and not (tmp_path / "c").exists()


def test_missing_media_is_exit_6(note: Path, tmp_path: Path) -> None:
    code, out, err = _run(str(note), "--claim", "00:00:05", "--media", str(tmp_path / "nope.mp4"))
    assert code == 6 and "media file not found" in err and out == ""


def test_offline_without_cached_media_is_exit_6(note: Path, tmp_path: Path) -> None:
    code, _, err = _run(str(note), "--claim", "00:00:05", "--offline", "--url-template", "http://127.0.0.1:9/{id}",
                        "--out", str(tmp_path / "c"))
    assert code == 6
    assert "not cached and --offline is set" in err
    assert not any((tmp_path / "c").glob("*.mp4"))


@pytest.mark.e2e
def test_claim_with_local_media_no_captions(note: Path, media: Path, tmp_path: Path) -> None:
    out = tmp_path / "clips"
    code, stdout, err = _run(str(note), "--claim", "00:00:05", "--media", str(media), "--out", str(out))
    assert code == 0, err
    name = f"{VID}_000003-000013.mp4"
    assert stdout.startswith(str(out / name))
    assert "00:00:03-00:00:13 (10.00 s, accurate)" in stdout
    assert "captions not cached" in err and "1 clip made" in err
    assert sorted(p.name for p in out.iterdir()) == sorted([name, f"{name}.json", "index.json", ".index.lock"])


@pytest.mark.e2e
def test_snaps_to_the_passage_in_cached_captions(note: Path, media: Path, cached_captions: Path, tmp_path: Path) -> None:
    out = tmp_path / "clips"
    args = [str(note), "--claim", "00:00:05", "--media", str(media), "--cache", str(cached_captions), "--out", str(out)]
    code, stdout, err = _run(*args)
    assert code == 0, err
    # The fox sentence is said at 20-25 s, not at the cited 5 s: the clip spans that passage
    # (as verify located it) plus 2 s before and 8 s after.
    path = Path(stdout.split()[0])
    doc = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
    assert doc["requested"]["snapped_to_passage"] is True
    assert 15.0 <= doc["requested"]["start_s"] <= 18.0 and doc["requested"]["end_s"] >= 33.0
    assert "quick brown fox" in doc["evidence"].lower()
    assert doc["captions"]["language"] == "en"
    srt = path.with_suffix(".srt").read_text(encoding="utf-8")
    offset = doc["actual"]["start_s"]
    assert f"{_ts(20 - offset)} --> {_ts(25 - offset)}\nThe quick brown fox" in srt

    code, stdout, err = _run(*args, "--no-snap")
    assert code == 0, err
    assert f"{VID}_000003-000013.mp4" in stdout


@pytest.mark.e2e
def test_says_what_verify_found_when_the_clip_is_not_at_the_cited_time(
    note: Path, media: Path, cached_captions: Path, tmp_path: Path
) -> None:
    args = [str(note), "--media", str(media), "--cache", str(cached_captions), "--subs", "none"]
    code, _, err = _run(*args, "--claim", "00:00:05", "--out", str(tmp_path / "a"))
    assert code == 0, err
    assert f"note: {note} anchor 1: cited 00:00:05, said at 00:00:20 (shifted): clipping there\n" in err
    code, _, err = _run(*args, "--claim", "00:00:05", "--no-snap", "--out", str(tmp_path / "b"))
    assert code == 0, err
    assert "(shifted): clipping around the cited time (--no-snap)" in err
    code, _, err = _run(*args, "--claim", "00:00:01", "--out", str(tmp_path / "c"))  # ok: nothing to tell
    assert code == 0 and "note:" not in err, err


@pytest.mark.e2e
def test_record_names_the_verdict_and_an_absolute_caption_path(
    note: Path, media: Path, cached_captions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, stdout, err = _run(str(note), "--claim", "00:00:05", "--media", str(media), "--cache", "cache",
                             "--out", "clips")
    assert code == 0, err
    path = tmp_path / stdout.split()[0]
    doc = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
    verdict = doc["verdict"]
    assert (verdict["status"], verdict["located_start_s"], verdict["offset_s"]) == ("shifted", 20.0, -15.0)
    assert verdict["located_end_s"] >= 25.0 and 0 < verdict["score"] <= 1
    assert doc["captions"]["source"] == str(cached_captions.resolve() / VID / "en.srt")
    (row,) = json.loads((tmp_path / "clips" / "index.json").read_text(encoding="utf-8"))["clips"]
    assert (row["status"], row["cited"], row["page_url"]) == ("shifted", "00:00:05", None)


@pytest.mark.e2e
def test_a_time_without_a_note_records_no_claim(media: Path, cached_captions: Path, tmp_path: Path) -> None:
    out = tmp_path / "clips"
    code, stdout, err = _run("--video-id", VID, "--claim", "00:00:05", "--media", str(media), "--cache",
                             str(cached_captions), "--out", str(out))
    assert code == 0, err
    assert "note:" not in err  # nothing was claimed, so nothing is unsupported
    path = Path(stdout.split()[0])
    doc = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
    assert doc["note"] is None and doc["verdict"] is None and doc["serves"] == []
    assert doc["claim"] == {"given": False, "index": None, "line": None, "text": None, "cited": "00:00:05",
                            "cited_s": 5.0, "status": None, "also": []}
    assert doc["captions"]["language"] == "en"  # the sidecar captions still come from them
    (row,) = json.loads((out / "index.json").read_text(encoding="utf-8"))["clips"]
    assert (row["note"], row["claim"], row["status"], row["serves"]) == (None, None, None, [])


@pytest.mark.e2e
def test_printed_span_agrees_with_the_file_name(note: Path, media: Path, tmp_path: Path) -> None:
    code, stdout, err = _run(str(note), "--claim", "00:00:05", "--media", str(media), "--out", str(tmp_path / "c"),
                             "--no-snap", "--before", "1.234", "--after", "2.345", "--subs", "none")
    assert code == 0, err
    # 3.766 s starts on the frame at 3.76 s; the name counts whole seconds around the clip
    assert f"{VID}_000003-000008.mp4  00:00:03.76-00:00:07.36 (3.60 s, accurate)" in stdout


@pytest.mark.e2e
def test_a_rerun_without_captions_removes_the_clips_earlier_sidecars(
    note: Path, media: Path, cached_captions: Path, tmp_path: Path
) -> None:
    out = tmp_path / "clips"
    args = [str(note), "--claim", "00:00:01", "--media", str(media), "--cache", str(cached_captions), "--out", str(out)]
    other = out / "keep.srt"  # not the clip's: never touched
    out.mkdir()
    other.write_text("1\n", encoding="utf-8")
    assert _run(*args)[0] == 0
    stem = f"{VID}_000000-000013"
    assert (out / f"{stem}.srt").is_file() and (out / f"{stem}.vtt").is_file()
    code, _, err = _run(*args, "--subs", "none")
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        f"{stem}.mp4", f"{stem}.mp4.json", "index.json", "keep.srt"]
    assert json.loads((out / f"{stem}.mp4.json").read_text(encoding="utf-8"))["subtitles"] == []


def test_a_rerun_without_captions_keeps_sidecars_the_audio_cut_of_the_same_span_lists(
    note: Path, media: Path, cached_captions: Path, tmp_path: Path
) -> None:
    out = tmp_path / "clips"
    args = [str(note), "--claim", "00:00:01", "--media", str(media), "--cache", str(cached_captions), "--out", str(out)]
    assert _run(*args, "--audio-only")[0] == 0
    assert _run(*args)[0] == 0
    code, _, err = _run(*args, "--subs", "none")
    assert code == 0, err
    stem = f"{VID}_000000-000013"
    listed = json.loads((out / f"{stem}.m4a.json").read_text(encoding="utf-8"))["subtitles"]
    assert listed == [f"{stem}.srt", f"{stem}.vtt"]
    assert all((out / name).is_file() for name in listed)


@pytest.mark.e2e
def test_a_rerun_whose_index_cannot_be_updated_fails_in_one_line_and_keeps_the_earlier_clip(
    note: Path, media: Path, cached_captions: Path, tmp_path: Path
) -> None:
    out = tmp_path / "clips"
    args = [str(note), "--claim", "00:00:05", "--media", str(media), "--cache", str(cached_captions),
            "--out", str(out), "--no-snap"]
    assert _run(*args)[0] == 0
    kept = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix != ".lock"}
    assert len(kept) == 5  # clip, record, .srt, .vtt, index
    (out / "index.json").unlink()
    (out / "index.json").mkdir()
    code, stdout, err = _run(*args, "--fast")
    assert code == 3, err
    assert "index.json: not a regular file; nothing written" in err and "Traceback" not in err
    assert stdout == "" and "0 clips made" in err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.suffix != ".lock"} == {
        name: data for name, data in kept.items() if name != "index.json"}


@pytest.mark.e2e
def test_an_index_whose_clips_are_null_is_started_again(note: Path, media: Path, tmp_path: Path) -> None:
    out = tmp_path / "clips"
    out.mkdir()
    (out / "index.json").write_text('{"clips": null}', encoding="utf-8")  # was a TypeError traceback
    code, stdout, err = _run(str(note), "--claim", "00:00:05", "--media", str(media), "--out", str(out))
    assert code == 0, err
    (row,) = json.loads((out / "index.json").read_text(encoding="utf-8"))["clips"]
    assert stdout.startswith(str(out / row["clip"]))


@pytest.mark.e2e
def test_a_caption_with_a_lone_surrogate_costs_no_clip(note: Path, media: Path, tmp_path: Path) -> None:
    """json3 text may hold a lone surrogate; writing it into the .srt crashed clip mid-batch."""
    cache = tmp_path / "cache"
    (cache / VID).mkdir(parents=True)
    events = [{"tStartMs": i * 5000, "dDurationMs": 5000, "segs": [{"utf8": t.replace("fox", "fox \ud800")}]}
              for i, t in enumerate(FILLER)]
    (cache / VID / "en.json3").write_text(json.dumps({"events": events}), encoding="utf-8")  # "\ud800" stays escaped
    out = tmp_path / "clips"
    code, stdout, err = _run(str(note), "--all", "--media", str(media), "--cache", str(cache), "--out", str(out),
                             "--fast", "--no-snap")
    assert code == 6, err  # anchor 3 is cited past the video's end; the others are all cut
    assert "3 clips made" in err and "1 failed" in err
    assert len(stdout.splitlines()) == 3
    assert any("fox \\ud800" in p.read_text(encoding="utf-8") for p in out.glob("*.srt"))


@pytest.mark.e2e
def test_the_closing_line_shows_the_out_folder_as_given(note: Path, media: Path, tmp_path: Path) -> None:
    out = tmp_path / "o[b]ut"  # Rich markup in a path: printed as "out" before
    code, _, err = _run(str(note), "--claim", "00:00:05", "--media", str(media), "--out", str(out), "--subs", "none")
    assert code == 0, err
    assert err.endswith(f"1 clip made in {out}\n")


@pytest.mark.e2e
def test_status_and_batch_failure_exit_code(note: Path, media: Path, cached_captions: Path, tmp_path: Path) -> None:
    out = tmp_path / "clips"
    code, stdout, err = _run(str(note), "--all", "--media", str(media), "--cache", str(cached_captions),
                             "--out", str(out), "--jobs", "2", "--fast", "--subs", "none")
    assert code == 6  # anchor 3 is cited past the video's end; the others are still cut
    assert "anchor 3" in err and "past the end" in err
    assert "3 clips made" in err and "1 failed" in err
    assert err.count("note: fast: stream copy") == 1  # the caveat is said once, not per clip
    assert len(json.loads((out / "index.json").read_text(encoding="utf-8"))["clips"]) == 3

    code, stdout, err = _run(str(note), "--status", "unsupported", "--media", str(media), "--cache",
                             str(cached_captions), "--out", str(tmp_path / "unsupported"), "--subs", "none")
    assert code == 6  # verify finds nothing for anchor 3, and it is cited past the end
    assert "anchor 3" in err and "0 clips made" in err and stdout == ""


@pytest.mark.e2e
def test_burn_without_captions_fails_cleanly(note: Path, media: Path, tmp_path: Path) -> None:
    out = tmp_path / "clips"
    code, _, err = _run(str(note), "--claim", "00:00:05", "--media", str(media), "--out", str(out), "--subs", "burn",
                        "--offline")
    assert code == 4  # --subs burn requires captions, and offline there are none
    assert "no cached en captions" in err
    assert not out.exists() or not list(out.glob("*.mp4"))


def _assert_serves_both_notes(clip: Path, notes: Path) -> None:
    """The clip's record and its index row name the claim of notes/a.md and of notes/b.md."""
    doc = json.loads(clip.with_name(clip.name + ".json").read_text(encoding="utf-8"))
    assert [(c["note"], c["index"], c["text"]) for c in doc["serves"]] == [
        (str(notes / "a.md"), 0, "Queens lay two thousand eggs a day"),
        (str(notes / "b.md"), 0, "A queen lays many eggs"),
    ]
    (row,) = json.loads((clip.parent / "index.json").read_text(encoding="utf-8"))["clips"]
    assert row["serves"] == [{"note": str(notes / n), "claim_index": 0} for n in ("a.md", "b.md")]


def _two_notes_citing_five_seconds(tmp_path: Path) -> Path:
    """notes/a.md and notes/b.md, each one claim cited at 00:00:05."""
    notes = tmp_path / "notes"
    notes.mkdir()
    for name, text in (("a.md", "Queens lay two thousand eggs a day"), ("b.md", "A queen lays many eggs")):
        (notes / name).write_text(f"---\nvideoId: {VID}\n---\n\n{text} "
                                  '<a class="yt-timestamp" data-t="00:00:05">[00:00:05]</a>.\n', encoding="utf-8")
    return notes


@pytest.mark.e2e
def test_two_notes_citing_the_same_stretch_share_one_clip_and_keep_both_claims(
    media: Path, tmp_path: Path
) -> None:
    notes = _two_notes_citing_five_seconds(tmp_path)
    out = tmp_path / "clips"
    code, stdout, err = _run(str(notes), "--all", "--media", str(media), "--out", str(out), "--jobs", "2")
    assert code == 0, err
    name = f"{VID}_000003-000013.mp4"
    assert stdout.count(name) == 1  # one clip line, naming both notes
    assert f"{notes / 'a.md'}: anchor 0 (also for {notes / 'b.md'}: anchor 0)" in stdout
    assert "1 clip made for 2 claims" in err
    _assert_serves_both_notes(out / name, notes)


@pytest.mark.e2e
def test_a_later_run_cutting_the_same_stretch_adds_its_claim_to_the_clips_record(media: Path, tmp_path: Path) -> None:
    notes = _two_notes_citing_five_seconds(tmp_path)
    out = tmp_path / "clips"
    for name in ("a.md", "b.md", "a.md"):  # the last run re-cuts a's clip: b's claim stays in its record
        code, _, err = _run(str(notes / name), "--all", "--media", str(media), "--out", str(out))
        assert code == 0, err
    _assert_serves_both_notes(out / f"{VID}_000003-000013.mp4", notes)


@pytest.mark.e2e
def test_a_recut_for_an_edited_note_says_which_of_its_claims_the_clip_serves_now(
    media: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = _two_notes_citing_five_seconds(tmp_path)
    out = tmp_path / "clips"
    for name in ("a.md", "b.md"):
        assert _run(str(notes / name), "--all", "--media", str(media), "--out", str(out))[0] == 0
    # An anchor added above a's claim renumbers it; the run names the note by a relative path.
    a = notes / "a.md"
    a.write_text(a.read_text(encoding="utf-8").replace(
        "Queens", 'A first claim <a class="yt-timestamp" data-t="00:00:40">[00:00:40]</a>.\n\nQueens'), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, _, err = _run("notes/a.md", "--anchor", "1", "--media", str(media), "--out", str(out))
    assert code == 0, err
    doc = json.loads((out / f"{VID}_000003-000013.mp4.json").read_text(encoding="utf-8"))
    assert [(c["note"], c["index"]) for c in doc["serves"]] == [("notes/a.md", 1), (str(notes / "b.md"), 0)]


@pytest.mark.parametrize("fmt", ["garbage[[", "bv[height<=abc]", "bv+", "("])
def test_a_format_selector_that_does_not_parse_is_a_usage_error(note: Path, tmp_path: Path, fmt: str) -> None:
    # yt-dlp only raises SyntaxError once a download is set up: a traceback, or every clip failing
    code, _, err = _run(str(note), "--claim", "00:00:05", "--format", fmt, "--out", str(tmp_path / "o"),
                          "--cache", str(tmp_path / "c"), "--offline")
    assert code == 2
    assert "not a yt-dlp format selector" in " ".join(err.split()) and "Traceback" not in err
    assert not (tmp_path / "o").exists()
