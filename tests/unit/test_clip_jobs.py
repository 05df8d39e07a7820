"""From notes to clip jobs (what `cliptool clip` does before it cuts): selections, failures per
note and per clip, and the notices told to ``warn``. Media comes from generated files or the
offline cache, never from the network."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cliptool.clip import ClipJob, ClipSpec, Selection, clip_jobs, label_of, parse_selection, read_clip_notes
from cliptool.errors import CaptionsError, InputError, MediaError, NoteError, UsageError
from cliptool.media import MediaSource
from cliptool.models import Claim, Note
from cliptool.verify import VerifyOptions

VID = "abcdefghijk"
SRT = """1
00:00:00,000 --> 00:00:05,000
Welcome everyone to this short generated talk.

2
00:00:05,000 --> 00:00:10,000
Today we look at how tones are made.

3
00:00:20,000 --> 00:00:25,000
The quick brown fox jumps over the lazy dog near the river bank.
"""


def _note_text(*claims: tuple[str, str], video_id: str = VID) -> str:
    body = "".join(f'{text} <a class="yt-timestamp" data-t="{at}">[{at}]</a>.\n' for text, at in claims)
    return f"---\nvideoId: {video_id}\n---\n\n{body}"


def _write(path: Path, *claims: tuple[str, str], video_id: str = VID) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_note_text(*claims, video_id=video_id), encoding="utf-8")
    return path


@pytest.fixture
def talk(tmp_path: Path) -> Path:
    return _write(tmp_path / "notes" / "talk.md", ("The talk opens with a welcome", "00:00:01"),
                  ("The quick brown fox jumps over the lazy dog by the river bank", "00:00:05"))


@pytest.fixture
def offline(tmp_path: Path) -> VerifyOptions:
    """An empty cache read offline: no captions, no media, no network."""
    return VerifyOptions(cache_dir=tmp_path / "cache", offline=True)


# ------------------------------------------------------------------------------ selection


@pytest.mark.parametrize(
    ("options", "selection"),
    [
        ({"claim": "00:00:05"}, Selection(at_s=5.0)),
        ({"claim": "1:02:03.5"}, Selection(at_s=3723.5)),
        ({"anchor": 0}, Selection(anchor=0)),
        ({"every": True}, Selection(every=True)),
        ({"status": " shifted, ,unsupported "}, Selection(statuses=("shifted", "unsupported"))),
    ],
)
def test_parse_selection(options: dict[str, Any], selection: Selection) -> None:
    assert parse_selection(**options) == selection


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "choose exactly one of --claim"),
        ({"claim": "00:75:00"}, "--claim: "),
        ({"status": " , "}, "--status needs a list such as shifted,unsupported"),
        ({"status": "shifted,wrong"}, "unknown status wrong"),
        ({"claim": "00:00:05", "every": True}, "choose exactly one"),
    ],
)
def test_parse_selection_refuses(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        parse_selection(**options)
    # options that do not go together are a usage error (exit 2); a bad value is bad input (exit 3)
    usage = message.startswith("choose exactly one")
    assert isinstance(err.value, UsageError) is usage
    assert err.value.exit_code == (2 if usage else 3)


# -------------------------------------------------------------------------------- notes


def test_an_unreadable_note_is_a_failure_and_the_others_are_read(talk: Path) -> None:
    bad = talk.with_name("broken.md")
    bad.write_bytes(b"---\nvideoId: " + VID.encode() + b"\n---\n\n\xff\xfe\n")
    (talk.parent / "cover.png").write_bytes(b"\x89PNG")
    heard: list[str] = []
    notes, failures = read_clip_notes(talk.parent, None, Selection(every=True), warn=heard.append)
    assert [n.path for n in notes] == [str(talk)]
    assert [(label, type(err)) for label, err in failures] == [(str(bad), NoteError)]
    assert heard == [f"skipped {talk.parent / 'cover.png'}: not a .md/.markdown/.txt file"]


def test_video_id_keeps_the_notes_about_that_video(talk: Path) -> None:
    other = _write(talk.with_name("other.md"), ("Something else", "00:00:02"), video_id="zyxwvutsrqp")
    notes, _ = read_clip_notes(talk.parent, "zyxwvutsrqp", Selection(every=True))
    assert [n.path for n in notes] == [str(other)]
    with pytest.raises(InputError, match="no note about video mmmmmmmmmmm"):
        read_clip_notes(talk.parent, "mmmmmmmmmmm", Selection(every=True))
    # a link to the video names it too
    by_link, _ = read_clip_notes(talk.parent, "https://youtu.be/zyxwvutsrqp?t=2", Selection(every=True))
    assert [n.path for n in by_link] == [str(other)]
    (bare,), _ = read_clip_notes(None, f"https://www.youtube.com/watch?v={VID}", Selection(at_s=5.0))
    assert bare.video_id == VID


def test_a_time_without_a_note_is_one_bare_claim() -> None:
    (note,), failures = read_clip_notes(None, VID, Selection(at_s=5.0))
    assert failures == []
    assert (note.path, note.video_id, [(c.cited_s, c.text) for c in note.claims]) == ("", VID, [(5.0, "")])
    with pytest.raises(UsageError, match="give a NOTE, or --video-id ID with --claim HH:MM:SS"):
        read_clip_notes(None, VID, Selection(anchor=0))
    with pytest.raises(UsageError, match="give a NOTE, or --video-id ID with --claim HH:MM:SS"):
        read_clip_notes(None, VID, Selection(every=True))


@pytest.mark.parametrize("select", [Selection(at_s=5.0), Selection(anchor=0)])
def test_a_folder_needs_all_or_status(talk: Path, select: Selection) -> None:
    with pytest.raises(UsageError, match="a folder of notes needs --all or --status"):
        read_clip_notes(talk.parent, None, select)


def test_a_folder_without_notes_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no notes \(\.md, \.markdown, \.txt\) found in "):
        read_clip_notes(tmp_path, None, Selection(every=True))


# --------------------------------------------------------------------------------- jobs


def test_a_bad_anchor_is_reported_before_any_captions_or_media_work(
    talk: Path, offline: VerifyOptions, tmp_path: Path
) -> None:
    # --snap with no captions would fail on captions (exit 4) and the media file does not exist
    # (exit 6): the selection is the note's first problem, and the one reported.
    heard: list[str] = []
    (note,), _ = read_clip_notes(talk, None, Selection(anchor=7))
    jobs, failures = clip_jobs([note], Selection(anchor=7), offline, snap=True, media=tmp_path / "missing.mp4",
                               warn=heard.append)
    assert jobs == [] and heard == []
    ((label, err),) = failures
    assert label == str(talk) and isinstance(err, InputError)
    assert str(err) == f"{talk}: no anchor 7: the note has anchors 0-1"


def test_captions_not_cached_is_told_and_each_clip_without_media_fails_alone(
    talk: Path, offline: VerifyOptions
) -> None:
    heard: list[str] = []
    (note,), _ = read_clip_notes(talk, None, Selection(every=True))
    jobs, failures = clip_jobs([note], Selection(every=True), offline, warn=heard.append)
    assert heard == [f"{VID}: captions not cached; cutting around the cited times (--snap fetches them)"]
    assert jobs == []
    assert [label for label, _ in failures] == [f"{talk}: anchor 0", f"{talk}: anchor 1"]
    assert all(isinstance(err, MediaError) and "not cached and --offline is set" in str(err) for _, err in failures)


def test_snap_requires_captions_and_no_snap_says_nothing_of_them(talk: Path, offline: VerifyOptions) -> None:
    (note,), _ = read_clip_notes(talk, None, Selection(anchor=1))
    _, failures = clip_jobs([note], Selection(anchor=1), offline, snap=True)
    ((label, err),) = failures
    assert label == str(talk) and isinstance(err, CaptionsError)
    heard: list[str] = []
    _, failures = clip_jobs([note], Selection(anchor=1), offline, snap=False, warn=heard.append)
    assert heard == [] and [label for label, _ in failures] == [f"{talk}: anchor 1"]


def test_verify_verdict_is_told_with_note_prefix(talk: Path, offline: VerifyOptions) -> None:
    (offline.cache_dir / VID).mkdir(parents=True)
    (offline.cache_dir / VID / "en.srt").write_text(SRT, encoding="utf-8")
    (note,), _ = read_clip_notes(talk, None, Selection(at_s=5.0))
    heard: list[str] = []
    clip_jobs([note], Selection(at_s=5.0), offline, warn=heard.append)
    assert heard == [f"note: {talk} anchor 1: cited 00:00:05, said at 00:00:20 (shifted): clipping there"]


def test_a_note_whose_captions_verify_doubts_is_cut_at_its_cited_times(
    tmp_path: Path, offline: VerifyOptions, make_media: Callable[..., Path]
) -> None:
    """Verdicts against what may be another video's captions would snap clips to wrong places."""
    (offline.cache_dir / VID).mkdir(parents=True)
    (offline.cache_dir / VID / "en.srt").write_text(SRT, encoding="utf-8")
    note_path = _write(tmp_path / "n.md", ("The quick brown fox jumps over the lazy dog near the river bank", "00:00:05"),
                       ("Penguins migrate across frozen Antarctic glaciers every winter season", "00:00:06"),
                       ("Volcanic eruptions reshape tectonic plate boundaries dramatically", "00:00:07"),
                       ("Medieval cathedrals required centuries of stonemason labour", "00:00:08"),
                       ("Quantum computers factor enormous integers using entangled qubits", "00:00:09"))
    (note,), _ = read_clip_notes(note_path, None, Selection(anchor=0))
    heard: list[str] = []
    jobs, failures = clip_jobs([note], Selection(anchor=0), offline, media=make_media("320x180", 40), warn=heard.append)
    assert not failures and [j.spec.start_s for j in jobs] == [3.0]  # around the cited 00:00:05, not the fox at 20 s
    assert [h for h in heard if "Cutting around the cited times" in h] and not [h for h in heard if "said at" in h]
    _, failures = clip_jobs([note], Selection(statuses=("shifted",)), offline, media=make_media("320x180", 40))
    ((_, err),) = failures
    assert isinstance(err, InputError) and "not clipped by status" in str(err)


def test_one_media_file_cannot_serve_several_videos(tmp_path: Path, offline: VerifyOptions) -> None:
    notes = [Note(path=f"{v}.md", video_id=v, claims=(Claim(0, 5, 1, 5.0, "00:00:05", "x"),))
             for v in (VID, "zyxwvutsrqp")]
    with pytest.raises(UsageError, match="cannot serve notes about several videos"):
        clip_jobs(notes, Selection(every=True), offline, media=tmp_path / "talk.mp4")


@pytest.mark.parametrize(
    "sections",
    [
        "[" * 100_000,  # a RecursionError in json.loads
        '{"sections": 5}',
        '{"sections": [{"file": "s.mp4", "start_s": "0", "end_s": 60, "format": "%s"}]}',
        # ends before the clip, so the video's length (a string) is compared
        '{"sections": [{"file": "s.mp4", "start_s": 0, "end_s": 5, "format": "%s", "video_duration_s": "60"}]}',
    ],
)
def test_a_media_cache_index_that_cannot_be_read_holds_no_sections(
    talk: Path, offline: VerifyOptions, sections: str
) -> None:
    from cliptool.media import DEFAULT_FORMAT

    folder = offline.cache_dir / VID / "media"
    folder.mkdir(parents=True)
    (folder / "s.mp4").write_bytes(b"")
    (folder / "sections.json").write_text(sections.replace("%s", DEFAULT_FORMAT), encoding="utf-8")
    (note,), _ = read_clip_notes(talk, None, Selection(anchor=0))
    jobs, failures = clip_jobs([note], Selection(anchor=0), offline, snap=False)
    ((label, err),) = failures
    assert jobs == [] and label == f"{talk}: anchor 0"
    assert isinstance(err, MediaError) and "not cached and --offline is set" in str(err)


@pytest.mark.e2e
def test_a_failing_note_costs_its_own_clips_and_shared_stretches_make_one_job(
    tmp_path: Path, offline: VerifyOptions, make_media: Callable[..., Path]
) -> None:
    media = make_media("320x180", 40)
    folder = tmp_path / "notes"
    a = _write(folder / "a.md", ("Queens lay two thousand eggs a day", "00:00:05"))
    late = _write(folder / "b.md", ("Said after the end", "00:01:30"))
    c = _write(folder / "c.md", ("A queen lays many eggs", "00:00:05"))
    notes, _ = read_clip_notes(folder, None, Selection(every=True))
    jobs, failures = clip_jobs(notes, Selection(every=True), offline, media=media)
    ((label, err),) = failures
    assert label == "" and isinstance(err, MediaError)  # the plan error names note, line and anchor itself
    assert str(err).startswith(f"{late}:5: anchor 0: 00:01:30 is past the end of the media file {media}")
    (job,) = jobs
    assert (job.note_path, job.spec.start_s, job.spec.end_s, job.source) == (str(a), 3.0, 13.0, MediaSource(media))
    assert [o.note_path for o in job.others] == [str(c)]
    assert label_of(job) == f"{a}: anchor 0 (also for {c}: anchor 0)"


def test_label_of_a_time_without_a_note() -> None:
    spec = ClipSpec(video_id=VID, index=0, claim="", cited_s=5.5, start_s=3.5, end_s=13.5)
    assert label_of(ClipJob(spec=spec, source=MediaSource(Path("talk.mp4")))) == f"{VID} at 00:00:05.5"
