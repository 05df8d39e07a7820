"""Clip planning without ffmpeg: selection, snapping, padding, bounds, names; ffmpeg log parsing."""

from __future__ import annotations

import pytest

from cliptool.clip import (
    ClipSpec,
    Selection,
    clip_name,
    plan_clip,
    plan_clips,
    select_claims,
    shown_time,
    source_url,
    verdict_notice,
    verdict_notices,
)
from cliptool.errors import CliptoolError, InputError, MediaError
from cliptool.media import MediaInfo, Progress, _covering, _merge, parse_header, progress_of
from cliptool.models import Alignment, Claim, Location, Note

VID = "yqizMvX5YsA"


def _claim(index: int, cited_s: float, text: str = "") -> Claim:
    return Claim(index=index, line=10 + index, column=1, cited_s=cited_s, raw="", text=text or f"claim {index}")


NOTE = Note(
    path="talk.md",
    video_id=VID,
    claims=(
        _claim(0, 45), _claim(1, 161), _claim(2, 516, "peace is a truce"), _claim(3, 516, "same sentence, 2nd anchor"),
        _claim(4, 528), _claim(5, 7440),
    ),
)
ALIGN = (
    Alignment(0, "ok", 44.2, 49.8, 0.9, "evidence zero"),
    Alignment(1, "shifted", 190.5, 197.25, 0.8, "evidence one", corrected_s=190),
    Alignment(2, "ok", 513.6, 521.4, 0.95, "a truce, not peace"),
    Alignment(3, "ok", 513.6, 521.4, 0.95, "a truce, not peace"),
    Alignment(4, "unsupported"),
    Alignment(5, "out-of-range", 120.0, 126.0, 0.7, "said at 2:00", corrected_s=120),
)


@pytest.mark.parametrize(
    ("select", "indices"),
    [
        (Selection(at_s=516), [2, 3]),
        (Selection(at_s=516.4), [2, 3]),
        (Selection(at_s=516.5), [2, 3]),  # half a second off, as --claim 00:08:36.5 is
        (Selection(anchor=4), [4]),
        (Selection(every=True), [0, 1, 2, 3, 4, 5]),
        (Selection(statuses=("shifted", "unsupported")), [1, 4]),
        (Selection(statuses=("out-of-range",)), [5]),
        (Selection(statuses=("ambiguous",)), []),
    ],
)
def test_select_claims(select: Selection, indices: list[int]) -> None:
    assert [c.index for c in select_claims(NOTE, ALIGN, select)] == indices


def test_no_claim_at_that_time_lists_the_nearest_cited_times() -> None:
    with pytest.raises(InputError) as err:
        select_claims(NOTE, ALIGN, Selection(at_s=520))
    msg = str(err.value)
    assert msg.startswith("talk.md: no claim cited at 00:08:40")
    assert msg.endswith("nearest cited times: 00:08:36 (anchors 2, 3), 00:08:48 (anchor 4), 00:02:41 (anchor 1)")


def test_a_fractional_time_is_shown_as_given() -> None:
    with pytest.raises(InputError, match=r"no claim cited at 00:08:40\.5; nearest cited times: 00:08:36"):
        select_claims(NOTE, ALIGN, Selection(at_s=520.5))


@pytest.mark.parametrize(("seconds", "shown"), [(30.0, "00:00:30"), (30.5, "00:00:30.5"), (28.766, "00:00:28.77"),
                                                (28.999, "00:00:29"), (3723.25, "01:02:03.25")])
def test_shown_time(seconds: float, shown: str) -> None:
    assert shown_time(seconds) == shown


def test_anchor_out_of_range() -> None:
    with pytest.raises(InputError, match=r"no anchor 9: the note has anchors 0-5"):
        select_claims(NOTE, None, Selection(anchor=9))


def test_status_needs_alignments() -> None:
    with pytest.raises(InputError, match="--status needs verify's alignment"):
        select_claims(NOTE, None, Selection(statuses=("shifted",)))


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"at_s": 1.0, "every": True}, {"anchor": 1, "statuses": ("ok",)}],
)
def test_selection_needs_exactly_one_way(kwargs: dict) -> None:
    with pytest.raises(InputError, match="exactly one"):
        Selection(**kwargs)


def test_selection_rejects_unknown_status() -> None:
    with pytest.raises(InputError, match="unknown status wrong"):
        Selection(statuses=("ok", "wrong"))


# (claim index, snap, before, after, duration) -> (start, end, snapped)
PLANS = [
    (2, True, 2.0, 8.0, 900.0, (511.6, 529.4, True)),  # aligned passage 513.6-521.4 plus padding
    (2, False, 2.0, 8.0, 900.0, (514.0, 524.0, False)),  # around the cited second
    (1, True, 2.0, 8.0, 900.0, (188.5, 205.25, True)),  # shifted: the located passage, not the cited 161
    (4, True, 2.0, 8.0, 900.0, (526.0, 536.0, False)),  # unsupported: no passage, falls back to cited time
    (0, True, 60.0, 8.0, 900.0, (0.0, 57.8, True)),  # start clamped at 0
    (2, True, 2.0, 8.0, 525.0, (511.6, 525.0, True)),  # end clamped at the video's end
    (2, False, 0.0, 3.5, None, (516.0, 519.5, False)),  # no duration known: no clamp
    (5, True, 2.0, 8.0, 900.0, (118.0, 134.0, True)),  # out-of-range cited time, but located at 2:00
]


@pytest.mark.parametrize(("index", "snap", "before", "after", "duration", "want"), PLANS)
def test_plan_clip_times(index: int, snap: bool, before: float, after: float, duration: float | None,
                         want: tuple[float, float, bool]) -> None:
    spec = plan_clip(NOTE, NOTE.claims[index], ALIGN[index], before_s=before, after_s=after, snap=snap,
                     duration_s=duration)
    assert (spec.start_s, spec.end_s, spec.snapped) == want
    assert spec.index == index
    assert spec.video_id == VID
    assert spec.claim == NOTE.claims[index].text
    assert spec.cited_s == NOTE.claims[index].cited_s
    assert spec.evidence == ALIGN[index].evidence
    assert spec.status == ALIGN[index].status
    # the verdict is kept whole for the record, not only as the padded range
    assert (spec.located_start_s, spec.located_end_s) == (ALIGN[index].start, ALIGN[index].end)
    assert spec.offset_s == ALIGN[index].offset(NOTE.claims[index].cited_s)
    assert spec.score == ALIGN[index].score


def test_plan_without_alignment_cuts_around_cited_time() -> None:
    spec = plan_clip(NOTE, NOTE.claims[2], None, duration_s=None)
    assert (spec.start_s, spec.end_s, spec.snapped, spec.status, spec.evidence) == (514.0, 524.0, False, None, "")
    assert (spec.located_start_s, spec.located_end_s, spec.score, spec.offset_s) == (None, None, None, None)


@pytest.mark.parametrize(
    ("index", "alignment", "kwargs", "error", "message"),
    [
        (5, None, {"duration_s": 900.0}, MediaError, r"talk\.md:15: anchor 5: 02:04:00 is past the end of the video \(00:15:00\)"),
        (5, ALIGN[5], {"duration_s": 900.0, "snap": False}, MediaError, "past the end"),
        (2, None, {"duration_s": 516.0}, MediaError, "past the end"),  # exactly at the end: nothing to show
        (2, None, {"before_s": 0.0, "after_s": 0.0}, InputError, r"talk\.md:12: anchor 2: empty range 00:08:36-00:08:36"),
        (2, None, {"before_s": -1.0}, InputError, "--before/--after must be seconds >= 0"),
        (2, None, {"after_s": float("nan")}, InputError, "--before/--after"),
        (2, Alignment(2, "ok", 520.0, 515.0), {}, InputError, "ends before it starts"),
    ],
)
def test_plan_errors(index: int, alignment: Alignment | None, kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        plan_clip(NOTE, NOTE.claims[index], alignment, **kwargs)


def test_plan_clips_merges_anchors_that_make_the_same_file() -> None:
    specs = plan_clips(NOTE, ALIGN, select=Selection(at_s=516), duration_s=900.0)
    assert len(specs) == 1
    assert (specs[0].index, specs[0].also) == (2, (3,))
    assert specs[0].filename() == f"{VID}_000831-000850.mp4"


def test_the_record_of_a_merged_clip_describes_every_anchor_it_serves() -> None:
    from pathlib import Path

    from cliptool.clip import ClipJob, served_claims
    from cliptool.media import MediaSource
    from cliptool.timecode import format_ts

    (spec,) = plan_clips(NOTE, ALIGN, select=Selection(at_s=516), duration_s=900.0)
    rows = served_claims(ClipJob(spec=spec, source=MediaSource(Path("talk.mp4")), note_path="talk.md"))
    assert [r["index"] for r in rows] == [2, 3]
    for row, claim in zip(rows, (NOTE.claims[2], NOTE.claims[3]), strict=True):
        assert (row["line"], row["text"], row["cited"]) == (claim.line, claim.text, format_ts(claim.cited_s))
        assert row["status"] is not None


def test_plan_clips_strict_raises_and_batch_reports() -> None:
    with pytest.raises(MediaError):
        plan_clips(NOTE, None, select=Selection(every=True), duration_s=900.0)
    failed: list[tuple[int, CliptoolError]] = []
    specs = plan_clips(NOTE, None, select=Selection(every=True), duration_s=900.0,
                       on_error=lambda c, e: failed.append((c.index, e)))
    assert [s.index for s in specs] == [0, 1, 2, 4]  # 3 shares 2's file, 5 is past the end
    assert [(i, type(e)) for i, e in failed] == [(5, MediaError)]


# ------------------------------------------------------------------- what verify found

MMSS = Claim(index=7, line=20, column=1, cited_s=5460.0, raw="01:31:00", text="said at 1:31")
AMBIGUOUS = Alignment(1, "ambiguous", 190.5, 197.25, 0.5, "x",
                      alternatives=(Location(190.5, 197.25, 0.5), Location(400.0, 405.0, 0.45)))


@pytest.mark.parametrize(
    ("claim", "alignment", "snapped", "want"),
    [
        (NOTE.claims[0], ALIGN[0], True, None),  # ok: the clip is where the note says
        (NOTE.claims[2], None, True, None),  # no captions: nothing to tell
        (NOTE.claims[1], ALIGN[1], True, "talk.md anchor 1: cited 00:02:41, said at 00:03:10 (shifted): clipping there"),
        (NOTE.claims[1], ALIGN[1], False,
         "talk.md anchor 1: cited 00:02:41, said at 00:03:10 (shifted): clipping around the cited time (--no-snap)"),
        (NOTE.claims[4], ALIGN[4], True,
         "talk.md anchor 4: cited 00:08:48 is not found in the captions (unsupported): clipping around the cited time"),
        (NOTE.claims[1], AMBIGUOUS, True,
         "talk.md anchor 1: cited 00:02:41, said at 00:03:10 and 00:06:40 (ambiguous): clipping at 00:03:10"),
        (NOTE.claims[5], ALIGN[5], True,
         "talk.md anchor 5: cited 02:04:00 is past the video's end; said at 00:02:00 (out-of-range): clipping there"),
        (MMSS, Alignment(7, "out-of-range", 88.0, 94.0, 0.8), True,
         "talk.md anchor 7: cited 01:31:00 is past the video's end, read as 01:31 (MM:SS); said at 00:01:28 "
         "(out-of-range): clipping there"),
        (MMSS, Alignment(7, "out-of-range", 88.0, 94.0, 0.8, corrected_s=91.0), False,
         "talk.md anchor 7: cited 01:31:00 is past the video's end, read as 01:31 (MM:SS); said at 00:01:28 "
         "(out-of-range): clipping around its MM:SS reading (--no-snap)"),
    ],
)
def test_verdict_notice(claim: Claim, alignment: Alignment | None, snapped: bool, want: str | None) -> None:
    assert verdict_notice(claim, alignment, note_path="talk.md", snapped=snapped) == want


def test_verdict_notices_cover_every_claim_a_clip_serves() -> None:
    specs = plan_clips(NOTE, ALIGN, select=Selection(every=True), duration_s=9000.0)
    lines = verdict_notices(NOTE, ALIGN, specs)
    assert [line.split(":")[0] for line in lines] == ["talk.md anchor 1", "talk.md anchor 4", "talk.md anchor 5"]


@pytest.mark.parametrize(
    ("start", "end", "ext", "name"),
    [
        (514.0, 524.0, "mp4", f"{VID}_000834-000844.mp4"),
        (511.6, 529.4, "mp4", f"{VID}_000831-000850.mp4"),
        (0.0, 0.5, "m4a", f"{VID}_000000-000001.m4a"),
        (3723.0, 3733.0, "mp4", f"{VID}_010203-010213.mp4"),
    ],
)
def test_clip_name(start: float, end: float, ext: str, name: str) -> None:
    assert clip_name(VID, start, end, ext) == name


@pytest.mark.parametrize(("video_id", "ext"), [("../../etc/x", "mp4"), ("abc", "mp4"), (VID, "sh")])
def test_clip_name_refuses_unchecked_parts(video_id: str, ext: str) -> None:
    with pytest.raises(InputError):
        clip_name(video_id, 1.0, 2.0, ext)


def test_spec_filename_and_source_url() -> None:
    spec = ClipSpec(video_id=VID, index=0, claim="x", cited_s=516, start_s=514.0, end_s=524.0)
    assert spec.filename("m4a") == f"{VID}_000834-000844.m4a"
    assert source_url(VID, 514.9) == f"https://www.youtube.com/watch?v={VID}&t=514s"


# ----------------------------------------------------------------- ffmpeg output parsing

HEADER = """ffmpeg version n9.0.2 Copyright (c) 2000-2026 the FFmpeg developers
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'src.mp4':
  Metadata:
    major_brand     : isom
  Duration: 00:10:00.04, start: 0.000000, bitrate: 806 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 1280x720 [SAR 1:1 DAR 16:9], 730 kb/s, 29.97 fps, 29.97 tbr, 30k tbn (default)
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 69 kb/s (default)
Output #0, null, to 'pipe:':
  Stream #0:0: Video: wrapped_avframe, 12 fps
"""


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (HEADER, MediaInfo(600.04, True, True, 29.97, 1280, 720)),
        (("Input #0, wav, from 'a.wav':\n  Duration: 00:00:03.50, bitrate: 705 kb/s\n"
         "  Stream #0:0: Audio: pcm_s16le, 44100 Hz, mono\n"), MediaInfo(3.5, False, True)),
        (("Input #0, mp3, from 'a.mp3':\n  Duration: 00:01:00.00\n  Stream #0:0: Audio: mp3, 44100 Hz\n"
         "  Stream #0:1: Video: mjpeg, yuvj420p, 500x500, 90k tbr, 90k tbn (attached pic)\n"),
         MediaInfo(60.0, False, True)),
        ("Input #0, hls, from 'x':\n  Duration: N/A, start: 0\n  Stream #0:0: Video: h264, 640x360, 25 fps\n",
         MediaInfo(0.0, True, False, 25.0, 640, 360)),
        ("x.mp4: No such file or directory\n", None),
    ],
)
def test_parse_header(text: str, want: MediaInfo | None) -> None:
    assert parse_header(text) == want


def test_progress_of_takes_the_last_block() -> None:
    out = "frame=1\nout_time_us=40000\nprogress=continue\nframe=125\nout_time_us=5000000\nprogress=end\n"
    assert progress_of(out) == Progress(125, 5.0)
    assert progress_of("frame=0\nout_time_us=N/A\nprogress=end\n") == Progress(0, 0.0)


@pytest.mark.parametrize(
    ("ranges", "merged"),
    [
        ([(10, 20), (15, 30)], [(10, 30)]),
        ([(10, 20), (40, 50)], [(10, 50)]),  # 20 s apart: one download
        ([(10, 20), (41, 50)], [(10, 20), (41, 50)]),
        ([(100, 110), (0, 5)], [(0, 5), (100, 110)]),
    ],
)
def test_merge_download_ranges(ranges: list[tuple[float, float]], merged: list[tuple[float, float]]) -> None:
    assert _merge(ranges) == merged


def test_covering_section() -> None:
    fmt = "b"
    rows = [
        {"file": "a", "start_s": 0.0, "end_s": 60.0, "format": fmt, "video_duration_s": None},
        {"file": "b", "start_s": 100.0, "end_s": 120.0, "format": fmt, "video_duration_s": None},
        {"file": "c", "start_s": 100.0, "end_s": 119.5, "format": "other", "video_duration_s": None},
        {"file": "d", "start_s": 200.0, "end_s": 239.8, "format": fmt, "video_duration_s": 240.0},
    ]
    assert _covering(rows, fmt, 10, 20)["file"] == "a"  # type: ignore[index]
    assert _covering(rows, fmt, 101, 119)["file"] == "b"  # type: ignore[index]
    assert _covering(rows, fmt, 50, 70) is None
    assert _covering(rows, "other", 101, 119.5)["file"] == "c"  # type: ignore[index]
    assert _covering(rows, fmt, 230, 250)["file"] == "d"  # type: ignore[index]  # the section reaches the end


def test_the_record_shows_a_fractional_cited_time_as_given() -> None:
    from pathlib import Path

    from cliptool.clip import ClipJob, ClipSpec, served_claims
    from cliptool.media import MediaSource

    spec = ClipSpec(video_id=VID, index=0, claim="x", cited_s=30.5, start_s=28.5, end_s=38.5)
    (row,) = served_claims(ClipJob(spec=spec, source=MediaSource(Path("talk.mp4")), note_path="n.md"))
    assert row["cited"] == "00:00:30.5"  # not rounded to a second the note never wrote


def test_the_record_of_a_clip_asked_by_a_fractional_time_shows_that_time() -> None:
    from pathlib import Path

    from cliptool.clip import ClipResult, ClipSpec, manifest_of
    from cliptool.media import MediaSource

    spec = ClipSpec(video_id=VID, index=0, claim="", cited_s=30.5, start_s=28.5, end_s=38.5)
    result = ClipResult(spec=spec, path=Path("c.mp4"), mode="accurate", start_s=28.5, end_s=38.5, duration_s=10.0,
                        sha256="0" * 64)
    record = manifest_of(result, source=MediaSource(Path("talk.mp4")), note_path=None)
    assert (record["claim"]["cited"], record["claim"]["cited_s"]) == ("00:00:30.5", 30.5)


def test_no_snap_cuts_a_slip_past_the_end_around_its_mmss_reading() -> None:
    """--no-snap cuts around the cited second; for 01:31:00 in a 20-minute video that second is 1:31,
    the reading verify confirmed, not a moment past the end."""
    note = Note(path="talk.md", video_id=VID, claims=(MMSS,))
    read = Alignment(7, "out-of-range", 88.0, 94.0, 0.8, corrected_s=91.0)
    spec = plan_clip(note, MMSS, read, snap=False, duration_s=1200.0)
    assert (spec.start_s, spec.end_s, spec.snapped) == (89.0, 99.0, False)
    # located a little way off its reading, the slip still means 1:31: the note's own second
    near = Alignment(7, "out-of-range", 97.0, 104.0, 0.1, corrected_s=97.0, reading_s=91.0)
    assert plan_clip(note, MMSS, near, snap=False, duration_s=1200.0).start_s == 89.0
    # a time past the end with no MM:SS reading in the video has no cited second
    moved = Alignment(7, "out-of-range", 300.0, 306.0, 0.8, corrected_s=300.0)
    with pytest.raises(MediaError, match="past the end"):
        plan_clip(note, MMSS, moved, snap=False, duration_s=1200.0)
