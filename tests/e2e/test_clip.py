"""Clips cut by real ffmpeg from generated media, and sections downloaded by real yt-dlp.

The source video burns its frame number into the picture, so a clip's frames can be matched to
the source frame at a given time: small mean absolute difference for the same frame, large for a
frame one second away.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cliptool import media as media_mod
from cliptool.captions import load_captions
from cliptool.cli import app
from cliptool.clip import ClipJob, ClipResult, ClipSpec, cut, make_clip, make_clips
from cliptool.errors import FfmpegError, InputError, MediaError, MediaNetworkError, MediaUnavailableError
from cliptool.media import MediaSource, fetch_sections, ffmpeg_exe, probe
from cliptool.models import CaptionInfo, Cue, Transcript

pytestmark = pytest.mark.e2e

VID = "abcdefghijk"
FPS = 25
LENGTH_S = 40
SIZE = (320, 180)  # frames are compared at this size
FONT_MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"


def _ffmpeg(*args: str) -> bytes:
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", *args],
                          capture_output=True, check=True)
    return proc.stdout


def make_source(path: Path, *, length_s: int = LENGTH_S) -> Path:
    """640x360 testsrc2 with its frame number burned in big, a 440 Hz tone, a keyframe every 2 s."""
    number = "drawtext=text='%{frame_num}':fontsize=96:fontcolor=white:box=1:boxcolor=black:x=220:y=120"
    if Path(FONT_MONO).is_file():
        number = number.replace("drawtext=", f"drawtext=fontfile={FONT_MONO}:")
    _ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate={FPS}:duration={length_s}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={length_s}",
        "-vf", number, "-c:v", "libx264", "-preset", "ultrafast", "-g", str(2 * FPS), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", "-y", str(path),
    )
    return path


def gray_frame(path: Path, at_s: float) -> bytes:
    """The frame shown at ``at_s`` as raw 8-bit gray at SIZE (ffmpeg's accurate input seek)."""
    w, h = SIZE
    return _ffmpeg("-ss", f"{at_s:.3f}", "-i", str(path), "-frames:v", "1", "-s", f"{w}x{h}",
                   "-pix_fmt", "gray", "-f", "rawvideo", "-")


def mad(a: bytes, b: bytes) -> float:
    """Mean absolute difference of two gray frames (0-255)."""
    assert len(a) == len(b) and a
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def frame_count(path: Path) -> int:
    """Video frames in the file, counted by decoding them all to 4x4 gray (one byte per pixel)."""
    return len(_ffmpeg("-i", str(path), "-map", "0:v:0", "-s", "4x4", "-pix_fmt", "gray", "-f", "rawvideo", "-")) // 16


def header(path: Path) -> str:
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True, check=False)
    return proc.stderr


def container_duration(path: Path) -> float:
    m = re.search(r"Duration: (\d+):(\d+):(\d+\.\d+)", header(path))
    assert m, header(path)
    return int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3])


def spec(start_s: float, end_s: float, index: int = 0, claim: str = "a claim") -> ClipSpec:
    return ClipSpec(video_id=VID, index=index, claim=claim, cited_s=start_s + 2, start_s=start_s, end_s=end_s,
                    evidence="the words", status="ok", snapped=True, line=7)


TRANSCRIPT = Transcript(
    cues=(Cue(9.0, 12.0, "ALPHA LINE"), Cue(12.0, 16.0, "BETA LINE"), Cue(19.0, 25.0, "GAMMA LINE")),
    language="en", kind="manual", source="test",
)


@pytest.fixture(scope="session")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_source(tmp_path_factory.mktemp("media") / "talk.mp4")


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ------------------------------------------------------------------------------- cutting


def test_accurate_clip_has_the_asked_length_and_starts_on_the_asked_frame(source: Path, tmp_path: Path) -> None:
    result = cut(spec(10.0, 20.0), source, tmp_path, subs="none")
    assert result.path == tmp_path / f"{VID}_000010-000020.mp4"
    assert result.mode == "accurate"
    assert frame_count(result.path) == 10 * FPS
    assert abs(container_duration(result.path) - 10.0) <= 1 / FPS
    assert (result.start_s, result.end_s, result.frames) == (10.0, 20.0, 250)
    first = gray_frame(result.path, 0)
    assert mad(first, gray_frame(source, 10.0)) < 1.5
    assert mad(first, gray_frame(source, 11.0)) > 4
    assert mad(gray_frame(result.path, 5.0), gray_frame(source, 15.0)) < 1.5
    h = header(result.path)
    assert "Video: h264" in h and "Audio: aac" in h


def test_fractional_start_snaps_to_the_nearest_frame(source: Path, tmp_path: Path) -> None:
    result = cut(spec(7.3, 12.3), source, tmp_path, subs="none")
    assert result.start_s == pytest.approx(7.32)  # 7.3 s is half-way between frames 182 and 183
    assert abs(frame_count(result.path) - 5 * FPS) <= 1
    assert abs(result.duration_s - 5.0) <= 1 / FPS
    assert mad(gray_frame(result.path, 0), gray_frame(source, result.start_s)) < 1.5


def test_fast_mode_copies_streams_and_says_so(source: Path, tmp_path: Path) -> None:
    result = cut(spec(11.0, 21.0), source, tmp_path, fast=True, subs="none")
    assert result.mode == "fast"
    assert any("keyframe" in n for n in result.notes)
    assert 10.0 - 0.1 <= container_duration(result.path) <= 10.0 + 2.0  # at most one GOP of lead-in
    assert result.path.stat().st_size > 0
    # the length reported is the file's own, not ffmpeg's progress count with the lead-in
    assert result.duration_s == pytest.approx(container_duration(result.path), abs=0.02)
    audio = cut(spec(11.3, 21.0), source, tmp_path, fast=True, audio_only=True, subs="none")
    assert audio.duration_s == pytest.approx(container_duration(audio.path), abs=0.02)


def test_sidecar_captions_are_retimed_to_the_clip(source: Path, tmp_path: Path) -> None:
    result = cut(spec(10.0, 20.0), source, tmp_path, subs="sidecar", transcript=TRANSCRIPT)
    srt, vtt = (result.path.with_suffix(ext) for ext in (".srt", ".vtt"))
    assert result.subtitles == (srt, vtt)
    want = [(0.0, 2.0, "ALPHA LINE"), (2.0, 6.0, "BETA LINE"), (9.0, 10.0, "GAMMA LINE")]
    for path in (srt, vtt):
        got = [(round(c.start, 3), round(c.end, 3), c.text) for c in load_captions(path).cues]
        assert got == want, path


def _rows(frame: bytes, top: float, bottom: float) -> bytes:
    w, h = SIZE
    return frame[int(h * top) * w: int(h * bottom) * w]


def test_burned_captions_are_drawn_in_the_subtitle_region(source: Path, tmp_path: Path) -> None:
    plain = cut(spec(10.0, 20.0), source, tmp_path / "plain", subs="none")
    burned = cut(spec(10.0, 20.0), source, tmp_path / "burn", subs="burn", transcript=TRANSCRIPT)
    assert burned.burned and not burned.subtitles
    a, b = gray_frame(plain.path, 3.0), gray_frame(burned.path, 3.0)  # "BETA LINE" is on screen
    assert mad(_rows(a, 0.8, 1.0), _rows(b, 0.8, 1.0)) > 3  # the text is there
    assert mad(_rows(a, 0.0, 0.6), _rows(b, 0.0, 0.6)) < 1.5  # and nowhere else
    quiet = gray_frame(burned.path, 7.5)  # 17.5 s: between cues, nothing drawn
    assert mad(_rows(gray_frame(plain.path, 7.5), 0.8, 1.0), _rows(quiet, 0.8, 1.0)) < 1.5


def test_audio_only_clip(source: Path, tmp_path: Path) -> None:
    result = cut(spec(5.0, 9.0), source, tmp_path, audio_only=True, subs="none")
    assert result.path.suffix == ".m4a"
    h = header(result.path)
    assert "Audio: aac" in h and "Video:" not in h
    assert abs(container_duration(result.path) - 4.0) < 0.05


def test_a_clip_starting_past_the_media_end_names_its_start_and_the_end(source: Path, tmp_path: Path) -> None:
    """What a download from a page that gave no length tells only at the cut."""
    with pytest.raises(MediaError, match=rf"the clip's start 00:00:{LENGTH_S + 5} is past the end of the video "
                                         rf"\(00:00:{LENGTH_S}\)"):
        cut(spec(LENGTH_S + 5.0, LENGTH_S + 15.0), source, tmp_path, subs="none")


# ---------------------------------------------------------------------- provenance, batch


def test_manifest_and_index(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the caption path below is relative to here, as --cache cache gives it
    src = MediaSource(path=source)
    caps = CaptionInfo(language="en", kind="manual", source="cache/en.srt")
    located = replace(spec(10.0, 20.0), located_start_s=12.0, located_end_s=18.0, score=0.8, offset_s=0.0)
    job = ClipJob(spec=located, source=src, note_path="notes/talk.md", title="A talk", captions=caps,
                  transcript=TRANSCRIPT)
    result = make_clip(job, tmp_path)
    assert result.manifest == tmp_path / f"{VID}_000010-000020.mp4.json"
    doc = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert doc["sha256"] == hashlib.sha256(result.path.read_bytes()).hexdigest() == result.sha256
    assert doc["source_url"] == f"https://www.youtube.com/watch?v={VID}&t=10s"
    assert (doc["video_id"], doc["title"], doc["note"]) == (VID, "A talk", "notes/talk.md")
    assert doc["claim"]["text"] == "a claim" and doc["claim"]["cited"] == "00:00:12"
    assert doc["requested"] == {"start_s": 10.0, "end_s": 20.0, "snapped_to_passage": True}
    assert doc["actual"]["start_s"] == 10.0 and doc["actual"]["duration_s"] == 10.0
    assert doc["claim"]["given"] is True and doc["claim"]["status"] == "ok"
    assert doc["verdict"] == {"status": "ok", "located_start_s": 12.0, "located_end_s": 18.0, "offset_s": 0.0,
                              "score": 0.8}
    assert doc["page_url"] is None  # a local file: no page
    # the record is read from anywhere: the caption path is not left relative to where clip ran
    assert doc["captions"] == {"language": "en", "kind": "manual", "source": str(tmp_path / "cache" / "en.srt")}
    assert doc["evidence"] == "the words"
    assert doc["media"]["file"] == str(source.resolve())
    assert set(doc["tools"]) == {"cliptool", "ffmpeg", "yt-dlp"} and all(doc["tools"].values())
    assert doc["subtitles"] == [f"{VID}_000010-000020.srt", f"{VID}_000010-000020.vtt"]

    make_clip(ClipJob(spec=spec(20.0, 25.0, index=1), source=src), tmp_path, subs="none")
    make_clip(job, tmp_path)  # the same clip again replaces its row
    index = json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))
    assert [r["clip"] for r in index["clips"]] == [f"{VID}_000010-000020.mp4", f"{VID}_000020-000025.mp4"]
    assert index["clips"][0]["sha256"] == result.sha256
    assert (index["clips"][0]["status"], index["clips"][0]["cited"]) == ("ok", "00:00:12")


def _kept(folder: Path, *, but: set[str]) -> dict[str, bytes]:
    """The bytes of every file in ``folder`` except those named (what a test broke, the lock)."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.name not in but}


# Ways index.json cannot be updated, each failing for root too (root ignores a file's mode, not
# the bits safe_write checks): (files it changes, the error, its message).
INDEX_BREAKAGES = {
    "index is a folder": ({"index.json"}, InputError, "index.json: not a regular file; nothing written"),
    "index is read-only": ({"index.json"}, InputError, "index.json: the file is read-only; nothing written"),
    "index nested too deeply": ({"index.json"}, InputError, "index.json: not a clips index (nested too deeply)"),
    # passes the check made before the cut: the clip, captions and record are renamed into place,
    # then the index write fails and they are rolled back
    "lock is a folder": ({".index.lock"}, MediaError, ".index.lock: Is a directory"),
}


def _break_index(folder: Path, breakage: str) -> None:
    folder.mkdir(exist_ok=True)
    index, lock = folder / "index.json", folder / ".index.lock"
    if breakage == "index is a folder":
        index.unlink(missing_ok=True)
        index.mkdir()
    elif breakage == "index is read-only":
        if not index.exists():
            index.write_text('{"clips": []}\n', encoding="utf-8")
        index.chmod(0o444)
    elif breakage == "index nested too deeply":
        index.write_text("[" * 100_000, encoding="utf-8")
    else:
        lock.unlink(missing_ok=True)
        lock.mkdir()


@pytest.mark.parametrize("breakage", sorted(INDEX_BREAKAGES))
def test_a_clip_whose_index_cannot_be_updated_leaves_the_earlier_cut_as_it_was(
    source: Path, tmp_path: Path, breakage: str
) -> None:
    """A rerun used to delete the earlier clip and its captions and leave a record of the new cut
    whose sha256 matched no file."""
    job = ClipJob(spec=spec(10.0, 20.0), source=MediaSource(path=source), note_path="talk.md",
                  transcript=TRANSCRIPT)
    make_clip(job, tmp_path)
    changed, error, message = INDEX_BREAKAGES[breakage]
    before = _kept(tmp_path, but={*changed, ".index.lock"})
    name = job.spec.filename()
    assert {name, f"{name}.json", name.replace(".mp4", ".srt"), name.replace(".mp4", ".vtt")} <= set(before)
    _break_index(tmp_path, breakage)
    rerun = replace(job, spec=replace(job.spec, claim="another claim"))
    with pytest.raises(error) as err:
        make_clip(rerun, tmp_path, fast=True)  # other bytes than the earlier accurate cut
    assert message in str(err.value)
    assert _kept(tmp_path, but={*changed, ".index.lock"}) == before
    assert not [n for n in _files(tmp_path) if n.startswith(".clip-")]


@pytest.mark.parametrize("breakage", sorted(INDEX_BREAKAGES))
def test_a_first_clip_whose_index_cannot_be_updated_leaves_nothing(
    source: Path, tmp_path: Path, breakage: str
) -> None:
    _break_index(tmp_path, breakage)
    changed, error, message = INDEX_BREAKAGES[breakage]
    with pytest.raises(error, match=re.escape(message)):
        make_clip(ClipJob(spec=spec(10.0, 20.0), source=MediaSource(path=source), transcript=TRANSCRIPT), tmp_path)
    assert set(_files(tmp_path)) <= {*changed, ".index.lock"}  # no clip, no captions, no record


@pytest.mark.parametrize("index", ['{"clips": null}', '{"clips": {"a.mp4": {}}}', "[]", '{"clips": [1, "x"]}'])
def test_an_index_that_lists_no_clips_is_started_again(source: Path, tmp_path: Path, index: str) -> None:
    (tmp_path / "index.json").write_text(index, encoding="utf-8")
    result = make_clip(ClipJob(spec=spec(10.0, 12.0), source=MediaSource(path=source)), tmp_path, subs="none")
    rows = json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))["clips"]
    assert [r["clip"] for r in rows] == [result.path.name]


def test_an_earlier_record_nested_too_deeply_is_replaced(source: Path, tmp_path: Path) -> None:
    job = ClipJob(spec=spec(10.0, 12.0), source=MediaSource(path=source), transcript=TRANSCRIPT)
    record = tmp_path / f"{job.spec.filename()}.json"
    record.write_text("[" * 100_000, encoding="utf-8")  # a RecursionError in json.loads
    result = make_clip(job, tmp_path)
    assert json.loads(record.read_text(encoding="utf-8"))["sha256"] == result.sha256


def test_a_caption_with_a_lone_surrogate_is_written_escaped_and_every_clip_is_made(
    source: Path, tmp_path: Path
) -> None:
    """json3 captions may hold "\\ud800", which UTF-8 cannot encode: writing the .srt crashed the
    batch, abandoning the note's other clips."""
    odd = replace(TRANSCRIPT, cues=(*TRANSCRIPT.cues[:2], Cue(19.0, 25.0, "GAMMA \ud800 LINE")))
    src = MediaSource(path=source)
    jobs = [ClipJob(spec=spec(18.0, 22.0, 0), source=src, transcript=odd),
            ClipJob(spec=spec(10.0, 14.0, 1), source=src, transcript=odd)]
    results = make_clips(jobs, tmp_path)
    assert [type(r) for r in results] == [ClipResult, ClipResult]
    first = results[0]
    assert isinstance(first, ClipResult)
    for caption in first.subtitles:
        assert "GAMMA \\ud800 LINE" in caption.read_text(encoding="utf-8")
    assert len(json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))["clips"]) == 2


def test_parallel_batch_reports_a_failure_and_finishes_the_rest(source: Path, tmp_path: Path) -> None:
    src = MediaSource(path=source)
    specs = [spec(1.0, 4.0, 0), spec(5.0, 8.0, 1), spec(45.0, 50.0, 2), spec(30.0, 33.0, 3)]
    seen: list[int] = []
    results = make_clips([ClipJob(spec=s, source=src) for s in specs], tmp_path, workers=2, subs="none",
                         on_done=lambda job, got: seen.append(job.spec.index))
    assert sorted(seen) == [0, 1, 2, 3]
    assert [type(r) for r in results] == [ClipResult, ClipResult, MediaError, ClipResult]
    assert "past the end of the video (00:00:40)" in str(results[2])
    rows = json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))["clips"]
    assert len(rows) == 3
    assert not [n for n in _files(tmp_path) if n.startswith(".clip-")]  # no temp folder left behind


def test_a_signal_a_worker_thread_takes_stops_the_batch_at_once(make_media: Callable[..., Path], tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel may hand a process's SIGINT to any thread; Python runs the handler only in the
    main thread, so a main thread blocked until the cuts end would stop nothing."""

    monkeypatch.setattr(media_mod, "_stopped", threading.Event())  # stop_ffmpeg's flag, for this test only
    src = MediaSource(path=make_media("640x360", 90))
    jobs = [ClipJob(spec=spec(3.0 + i, 85.0 + i, i), source=src) for i in range(2)]
    handled: list[float] = []
    sent: list[float] = []

    def on_int(signum: int, frame: Any) -> None:
        handled.append(time.monotonic())
        media_mod.stop_ffmpeg()
        raise KeyboardInterrupt

    def signal_a_worker() -> None:
        deadline = time.monotonic() + 30
        while not _ffmpeg_writing_into(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.02)
        worker = next(t for t in threading.enumerate() if t.name.startswith("clip"))
        signal.pthread_kill(worker.ident or 0, signal.SIGINT)
        sent.append(time.monotonic())

    previous = signal.signal(signal.SIGINT, on_int)
    sender = threading.Thread(target=signal_a_worker)
    try:
        sender.start()
        with pytest.raises(KeyboardInterrupt):
            make_clips(jobs, tmp_path, workers=2, subs="none")
    finally:
        sender.join()
        signal.signal(signal.SIGINT, previous)
    assert handled and handled[0] - sent[0] < 1.0  # handled while ffmpeg ran, not after the cuts ended
    assert _ffmpeg_writing_into(tmp_path) == []
    assert not [n for n in _files(tmp_path) if n.endswith(".mp4") or n.startswith(".clip-")]


# ----------------------------------------------------------------------------- bad input


def test_missing_media(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="media file not found"):
        cut(spec(1.0, 2.0), tmp_path / "nope.mp4", tmp_path / "out")
    assert _files(tmp_path / "out") == []


def test_not_a_media_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(FfmpegError, match=r"not a readable media file: .*Invalid data"):
        cut(spec(1.0, 2.0), junk, tmp_path / "out")
    assert _files(tmp_path / "out") == []


def test_a_caption_file_is_no_media(tmp_path: Path) -> None:
    vtt = tmp_path / "en.vtt"
    vtt.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:04.000\nHello there.\n", encoding="utf-8")
    with pytest.raises(MediaError) as err:
        cut(spec(1.0, 2.0), vtt, tmp_path / "out")
    assert str(err.value) == f"{vtt}: no video or audio stream (ffmpeg reads it as webvtt): not a video or audio file"
    assert _files(tmp_path / "out") == []


def test_ffmpeg_failure_names_its_last_line_and_leaves_nothing(source: Path, tmp_path: Path) -> None:
    with pytest.raises(FfmpegError) as err:
        cut(spec(1.0, 3.0), source, tmp_path, preset="no-such-preset", transcript=TRANSCRIPT)
    assert "ffmpeg failed" in str(err.value)
    last = [ln for ln in err.value.stderr.splitlines() if ln.strip()][-1]
    assert str(err.value).endswith(last)
    assert _files(tmp_path) == []  # not the clip, not the sidecars, not the temp folder


def test_range_past_the_end(source: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="past the end"):
        cut(spec(41.0, 45.0), source, tmp_path)
    assert _files(tmp_path) == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 400 kB tmpfs: a real ENOSPC. Needs mount rights (root in CI containers); skips otherwise."""
    mount = shutil.which("mount")
    folder = tmp_path / "tiny"
    folder.mkdir()
    if mount is None:
        pytest.skip("no mount command")
    done = subprocess.run([mount, "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(folder)], capture_output=True,
                          check=False)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + done.stderr.decode(errors="replace").strip())
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_no_disk_space(source: Path, tiny_disk: Path) -> None:
    with pytest.raises(MediaError, match="no space left on the device"):
        cut(spec(0.0, 20.0), source, tiny_disk / "clips", subs="none")
    assert _files(tiny_disk / "clips") == []


# ----------------------------------------------------------------- download through yt-dlp


@pytest.fixture
def site(source: Path, tmp_path: Path, http_server: Callable[[Path], Any]) -> tuple[Any, str]:
    """A page with a <video> for yt-dlp's generic extractor; returns (server, url template)."""
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(source, root / "talk.mp4")
    (root / f"{VID}.html").write_text(
        "<!doctype html><html><head><title>A generated talk</title></head>"
        '<body><video controls src="talk.mp4"></video></body></html>', encoding="utf-8")
    server = http_server(root)
    return server, server.base_url + "/{id}.html"


def test_download_only_the_needed_sections_then_reuse_them(
    source: Path, tmp_path: Path, site: tuple[Any, str]
) -> None:
    server, template = site
    cache = tmp_path / "cache"
    first = fetch_sections(VID, [(10.0, 20.0), (24.0, 27.0)], cache_dir=cache, url_template=template)
    assert first[0] == first[1]  # 4 s apart: one section
    sec = first[0]
    assert (sec.offset_s, sec.url) == (9.0, template.replace("{id}", VID))
    assert sec.title and sec.title.startswith("A generated talk")  # the generic extractor may add " (1)"
    assert sec.path.parent == cache / VID / "media"
    assert sec.path.stat().st_size < (source.stat().st_size * 0.7)  # a section, not the whole video
    assert server.count("/talk.mp4") >= 1

    result = cut(spec(10.0, 20.0), sec.path, tmp_path / "clips", media_offset_s=sec.offset_s, subs="none")
    assert frame_count(result.path) == 10 * FPS
    assert mad(gray_frame(result.path, 0), gray_frame(source, 10.0)) < 1.5
    assert mad(gray_frame(result.path, 9.0), gray_frame(source, 19.0)) < 1.5

    hits = server.count()
    again = fetch_sections(VID, [(12.0, 18.0)], cache_dir=cache, url_template=template)
    offline = fetch_sections(VID, [(12.0, 18.0)], cache_dir=cache, url_template=template, offline=True)
    assert again == offline == [sec]
    assert server.count() == hits  # cached: no request at all

    cached, missing = fetch_sections(VID, [(12.0, 18.0), (30.0, 35.0)], cache_dir=cache, url_template=template,
                                     offline=True)
    assert cached == sec
    assert isinstance(missing, MediaError) and "00:00:30-00:00:35 is not cached and --offline" in str(missing)


def test_download_failure_is_a_media_error(tmp_path: Path, site: tuple[Any, str]) -> None:
    server, template = site
    server.fail(f"/{VID}.html", 404, times=5)
    with pytest.raises(MediaError, match=f"{VID}: cannot download the video") as err:
        fetch_sections(VID, [(1.0, 3.0)], cache_dir=tmp_path / "cache", url_template=template)
    # no page for the video: it is unavailable (exit 4, as for its captions), not a network failure
    assert isinstance(err.value, MediaUnavailableError) and err.value.exit_code == 4
    assert not list((tmp_path / "cache" / VID / "media").glob("*.mp4"))


def test_a_download_the_network_fails_exits_as_a_network_failure(tmp_path: Path, clip_one_claim: Any) -> None:
    """A refused connection is the network's failure, exit code 5 as for captions, not a media one (6)."""
    import socket

    with socket.socket() as probe_port:
        probe_port.bind(("127.0.0.1", 0))
        port = probe_port.getsockname()[1]  # closed again: nothing listens there
    template = f"http://127.0.0.1:{port}/{{id}}.html"
    with pytest.raises(MediaNetworkError, match="Connection refused") as err:
        fetch_sections(VID, [(1.0, 3.0)], cache_dir=tmp_path / "cache", url_template=template, retry_delay_s=0.01)
    assert err.value.exit_code == 5
    run = clip_one_claim(VID, template)
    assert run.exit_code == 5, run.output
    assert "cannot download the video" in run.stderr and "0 clips made" in run.stderr


def test_media_that_answers_404_is_named_with_its_status(tmp_path: Path, site: tuple[Any, str]) -> None:
    server, template = site
    (server.root / "gone1234567.html").write_text(
        '<!doctype html><html><body><video src="gone.mp4?sig=abc"></video></body></html>', encoding="utf-8")
    with pytest.raises(MediaError) as err:
        fetch_sections("gone1234567", [(1.0, 3.0)], cache_dir=tmp_path / "cache", url_template=template)
    assert str(err.value) == (f"gone1234567: cannot download the video from {server.url('gone1234567.html')}: "
                              f"media {server.url('gone.mp4')}?…: HTTP 404 Not Found")
    assert err.value.exit_code == 6  # the page is there, its media file is not: a media failure


def test_a_download_the_server_cuts_short_is_an_error_not_a_short_clip(
    source: Path, tmp_path: Path, site: tuple[Any, str]
) -> None:
    """ffmpeg takes a dropped connection for the end of the file: a section shorter than asked
    while the video goes on is a failed download (the network's: tried again, then exit 5), and
    nothing of it is cached."""
    server, template = site
    cache = tmp_path / "cache"
    server.cut("/talk.mp4", source.stat().st_size // 4, times=100)
    with pytest.raises(MediaNetworkError, match=rf"{VID}: the download of 00:00:\d\d-00:00:\d\d stopped at 00:00:\d\d "
                       r"and the video is longer: the connection was cut; nothing was kept \(gave up after 3 attempts\)$"):
        fetch_sections(VID, [(20.0, 30.0)], cache_dir=cache, url_template=template, retry_delay_s=0.01)
    media = cache / VID / "media"
    assert not list(media.glob("*.mp4")) and not (media / "sections.json").exists()
    server.reset()
    (sec,) = fetch_sections(VID, [(20.0, 30.0)], cache_dir=cache, url_template=template)  # healthy again
    assert sec.offset_s <= 20.0 and probe(sec.path).duration_s + sec.offset_s >= 30.0


def test_a_format_no_stream_matches_is_said_without_yt_dlp_options(tmp_path: Path, site: tuple[Any, str]) -> None:
    _, template = site
    with pytest.raises(MediaError) as err:  # the page's one file is a combined stream: no video-only one
        fetch_sections(VID, [(1.0, 3.0)], cache_dir=tmp_path / "cache", url_template=template, fmt="bv*+ba")
    assert str(err.value).endswith("no format of the video matches 'bv*+ba' (try another --format, or leave it out)")
    assert "--list-formats" not in str(err.value)


def test_cli_clip_downloads_sections_and_writes_provenance(
    source: Path, tmp_path: Path, site: tuple[Any, str]
) -> None:
    server, template = site
    note = tmp_path / "talk.md"
    note.write_text(
        f"---\ntitle: Generated talk\nvideoId: {VID}\n---\n\n"
        'The tone starts early <a class="yt-timestamp" data-t="00:00:12">[00:00:12]</a>. '
        'Later it goes on <a class="yt-timestamp" data-t="00:00:30">[00:00:30]</a>.\n',
        encoding="utf-8",
    )
    out = tmp_path / "clips"
    args = ["clip", str(note), "--all", "--url-template", template, "--cache", str(tmp_path / "cache"),
            "--out", str(out), "--jobs", "2", "--after", "5"]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 0, run.output
    names = [f"{VID}_000010-000017.mp4", f"{VID}_000028-000035.mp4"]
    for name in names:
        assert name in run.stdout
        doc = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        assert doc["media"]["url"] == template.replace("{id}", VID)
        # the canonical YouTube page to re-check against, and the mirror page the media came from
        assert doc["source_url"].startswith(f"https://www.youtube.com/watch?v={VID}&t=")
        assert doc["page_url"] == template.replace("{id}", VID)
        assert doc["media"]["retrieved_at"]
        assert doc["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
        assert doc["title"] == "Generated talk"  # the note's
        assert doc["media"]["title"].startswith("A generated talk")  # the page's, as yt-dlp names its video
    first = gray_frame(out / names[1], 0)
    assert mad(first, gray_frame(source, 28.0)) < 1.5
    assert "2 clips made" in run.stderr
    hits = server.count("/talk.mp4")
    rerun = CliRunner().invoke(app, [*args, "--offline"])  # the sections are cached now
    assert rerun.exit_code == 0, rerun.output
    assert server.count("/talk.mp4") == hits


# --------------------------------------------------------------- audio of downloaded sections


def make_beeps(path: Path, *, length_s: int = 60) -> Path:
    """Numbered frames, a 0.1 s beep at every whole second and a keyframe every 2 s."""
    _ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate={FPS}:duration={length_s}",
        "-f", "lavfi", "-i", f"aevalsrc='0.8*sin(2*PI*1000*t)*lt(mod(t\\,1)\\,0.1)':s=44100:d={length_s}",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", str(2 * FPS), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", "-y", str(path),
    )
    return path


def beep_onsets(path: Path) -> tuple[float, list[float]]:
    """(seconds of audio as played, beep onsets): a late-starting track is padded with silence."""
    raw = _ffmpeg("-i", str(path), "-vn", "-af", "aresample=async=1:first_pts=0", "-ac", "1", "-ar", "8000",
                  "-f", "s16le", "-")
    samples = memoryview(raw).cast("h")
    onsets: list[float] = []
    quiet = True
    for i in range(0, len(samples) - 40, 40):
        loud = max(abs(x) for x in samples[i:i + 40]) > 5000
        if loud and quiet:
            onsets.append(round(i / 8000, 2))
        quiet = not loud
    return len(samples) / 8000, onsets


def decoded_duration(path: Path) -> float:
    """Length of the file as ffmpeg decodes it (the last ``time=`` of a null encode)."""
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-f", "null", "-"],
                          capture_output=True, text=True, check=True)
    m = re.findall(r"time=(\d+):(\d+):(\d+\.\d+)", proc.stderr)
    assert m, proc.stderr
    h, mi, s = m[-1]
    return int(h) * 3600 + int(mi) * 60 + float(s)


@pytest.fixture(scope="session")
def beeps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_beeps(tmp_path_factory.mktemp("beeps") / "beeps.mp4")


@pytest.fixture
def beep_site(beeps: Path, tmp_path: Path, http_server: Callable[[Path], Any]) -> str:
    root = tmp_path / "beepsite"
    root.mkdir()
    shutil.copy(beeps, root / "beeps.mp4")
    (root / f"{VID}.html").write_text(
        '<!doctype html><html><head><title>Beeps</title></head><body><video src="beeps.mp4"></video></body></html>',
        encoding="utf-8")
    return http_server(root).base_url + "/{id}.html"


@pytest.mark.parametrize("audio_only", [False, True])
def test_clip_from_a_section_keeps_the_audio_from_its_first_frame(
    beep_site: str, tmp_path: Path, audio_only: bool
) -> None:
    # The section starts at 27 s, one second after a keyframe: yt-dlp's stream copy then carries
    # an audio edit-list skip, which input seeking turned into a second of lost sound.
    (sec,) = fetch_sections(VID, [(28.0, 33.0)], cache_dir=tmp_path / "cache", url_template=beep_site)
    assert sec.offset_s == 27.0
    result = cut(spec(28.0, 33.0), sec.path, tmp_path / "clips", media_offset_s=sec.offset_s, subs="none",
                 audio_only=audio_only)
    played, onsets = beep_onsets(result.path)
    assert onsets == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert abs(played - 5.0) < 0.03
    assert "start 0.9" not in header(result.path)
    assert abs(result.duration_s - decoded_duration(result.path)) < 0.01  # what clip prints is what is there


def test_clip_far_into_a_long_file_keeps_its_audio_in_sync(beeps: Path, tmp_path: Path) -> None:
    # Past the audio lead the audio is input-seeked as well: still no lost or shifted beep.
    result = cut(spec(45.0, 48.0), beeps, tmp_path, subs="none")
    assert beep_onsets(result.path)[1] == [0.0, 1.0, 2.0]
    assert mad(gray_frame(result.path, 0), gray_frame(beeps, 45.0)) < 1.5


# ------------------------------------------------------------------------ read-only cache


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Callable[[Path], Path]]:
    """``read_only(folder)``: the folder's contents seen through a read-only view, really unwritable.

    chmod stops a normal user; root ignores it, so there a read-only bind mount is used (skips
    when neither works).
    """
    mounts: list[Path] = []
    changed: list[Path] = []

    def make(folder: Path) -> Path:
        for p in [folder, *folder.rglob("*")]:
            if p.is_dir():
                p.chmod(0o555)
                changed.append(p)
        probe_file = folder / ".probe"
        try:
            probe_file.touch()
        except OSError:
            return folder
        probe_file.unlink()
        view = tmp_path / f"ro-{folder.name}"
        view.mkdir()
        mount = shutil.which("mount")
        ok = mount is not None and subprocess.run([mount, "--bind", str(folder), str(view)],
                                                  capture_output=True, check=False).returncode == 0
        if ok:
            mounts.append(view)
            ok = subprocess.run([mount, "-o", "remount,ro,bind", str(view)], capture_output=True,
                                check=False).returncode == 0
        if not ok:
            pytest.skip("cannot make a read-only folder here (root without mount rights)")
        return view

    yield make
    for view in mounts:
        subprocess.run(["umount", str(view)], check=False)
    for p in changed:
        p.chmod(0o755)


def test_read_only_cache_serves_what_it_holds_and_says_what_it_cannot_write(
    tmp_path: Path, site: tuple[Any, str], read_only: Callable[[Path], Path]
) -> None:
    server, template = site
    fetch_sections(VID, [(10.0, 14.0)], cache_dir=tmp_path / "cache", url_template=template)
    cache = read_only(tmp_path / "cache")
    hits = server.count()
    (got,) = fetch_sections(VID, [(11.0, 13.0)], cache_dir=cache, url_template=template)
    assert got.path.is_file() and server.count() == hits  # cached: no lock taken, nothing asked
    with pytest.raises(MediaError, match=f"cannot write the media cache {re.escape(str(cache / VID / 'media'))}"):
        fetch_sections(VID, [(30.0, 33.0)], cache_dir=cache, url_template=template)
    with pytest.raises(MediaError, match="cannot write the media cache"):  # no media folder at all yet
        fetch_sections("zyxwvutsrqp", [(1.0, 3.0)], cache_dir=cache, url_template=template)

    note = tmp_path / "talk.md"
    note.write_text(f"---\nvideoId: {VID}\n---\n\nEarly <a class=\"yt-timestamp\" data-t=\"00:00:12\">[00:00:12]</a>."
                    ' Late <a class="yt-timestamp" data-t="00:00:30">[00:00:30]</a>.\n', encoding="utf-8")
    base = ["clip", str(note), "--url-template", template, "--cache", str(cache), "--out", str(tmp_path / "clips"),
            "--before", "1", "--after", "1"]
    ok = CliRunner().invoke(app, [*base, "--claim", "00:00:12"])
    assert ok.exit_code == 0, ok.output
    failed = CliRunner().invoke(app, [*base, "--claim", "00:00:30"])
    assert failed.exit_code == 6, failed.output
    assert isinstance(failed.exception, SystemExit)  # no traceback
    assert f"cannot write the media cache {cache / VID / 'media'}: Read-only file system" in failed.stderr \
        or "Permission denied" in failed.stderr


# ------------------------------------------------------------------------- the video's end


def test_claims_near_and_past_the_end_of_a_video_of_unknown_length(
    tmp_path: Path, site: tuple[Any, str]
) -> None:
    # The test page gives yt-dlp no duration: the 40 s video's end is learnt from the download.
    server, template = site
    note = tmp_path / "talk.md"
    note.write_text(
        f"---\nvideoId: {VID}\n---\n\n"
        'Early <a class="yt-timestamp" data-t="00:00:12">[00:00:12]</a>. '
        'Near the end <a class="yt-timestamp" data-t="00:00:38">[00:00:38]</a>. '
        'After it <a class="yt-timestamp" data-t="00:00:50">[00:00:50]</a>.\n',
        encoding="utf-8",
    )
    out, cache = tmp_path / "clips", tmp_path / "cache"
    args = ["clip", str(note), "--all", "--url-template", template, "--cache", str(cache), "--out", str(out)]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 6, run.output
    assert f"{VID}_000010-000020.mp4" in run.stdout
    assert f"{VID}_000036-000040.mp4  00:00:36-00:00:40 (4.00 s, accurate)" in run.stdout  # trimmed at the end
    assert "anchor 2: the clip's start 00:00:48 is past the end" in run.stderr and "anchor 0" not in run.stderr
    assert "2 clips made" in run.stderr and "1 failed" in run.stderr
    assert frame_count(out / f"{VID}_000036-000040.mp4") == 4 * FPS

    hits = server.count("/talk.mp4")
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 6 and "2 clips made" in again.stderr, again.output
    assert server.count("/talk.mp4") == hits  # the end is known now: nothing downloaded again
    rows = json.loads((cache / VID / "media" / "sections.json").read_text(encoding="utf-8"))["sections"]
    assert len({r["file"] for r in rows}) == len(rows) == 1


def test_a_range_after_the_end_fails_alone(tmp_path: Path, site: tuple[Any, str]) -> None:
    _, template = site
    got = fetch_sections(VID, [(10.0, 12.0), (48.0, 58.0)], cache_dir=tmp_path / "cache", url_template=template)
    assert isinstance(got[0], MediaSource) and got[0].offset_s == 9.0
    assert isinstance(got[1], MediaError) and "00:00:48-00:00:58 is past the end of the video" in str(got[1])
    (only,) = fetch_sections(VID, [(48.0, 58.0)], cache_dir=tmp_path / "other", url_template=template)
    assert isinstance(only, MediaError) and "past the end of the video" in str(only)
    assert not list((tmp_path / "other" / VID / "media").glob("*.mp4"))  # nothing kept of a section with no frame


# ---------------------------------------------------------------------------------- SIGTERM


def _ffmpeg_writing_into(folder: Path) -> list[int]:
    """Pids of live ffmpeg processes whose command line names ``folder`` (Linux /proc)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            args = cmdline.read_bytes().split(b"\0")
            if "ffmpeg" in args[0].decode(errors="replace") and any(str(folder).encode() in a for a in args):
                pids.append(int(cmdline.parent.name))
    return pids


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc to see child processes")
@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_a_signal_stops_ffmpeg_and_removes_temp_folders(make_media: Callable[..., Path], tmp_path: Path,
                                                        sig: signal.Signals, code: int, word: str) -> None:
    media = make_media("640x360", 90)
    note = tmp_path / "talk.md"
    note.write_text(f"---\nvideoId: {VID}\n---\n\nOne <a class=\"yt-timestamp\" data-t=\"00:00:05\">[00:00:05]</a>."
                    ' Two <a class="yt-timestamp" data-t="00:00:07">[00:00:07]</a>.\n', encoding="utf-8")
    out = tmp_path / "clips"
    stale = out / ".clip-crashed"
    stale.mkdir(parents=True)
    os.utime(stale, (time.time() - 7200, time.time() - 7200))  # left by a run killed two hours ago
    proc = subprocess.Popen([sys.executable, "-m", "cliptool", "clip", str(note), "--all", "--media", str(media),
                             "--out", str(out), "--after", "80", "--jobs", "2", "--subs", "none"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not (_ffmpeg_writing_into(out) and [p for p in out.glob(".clip-*") if p != stale]):
        assert proc.poll() is None and time.time() < deadline, "no cut started"
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert word in err and "Traceback" not in err
    assert "failed:" not in err  # the cuts the signal stopped are not clips that failed
    assert _ffmpeg_writing_into(out) == []
    assert list(out.glob(".clip-*")) == []  # the live cuts' temp folders and the stale one
    assert list(out.glob("*.mp4")) == []
