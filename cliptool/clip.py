"""Clips: plan the stretch of video that backs each claim (pure), then cut it with ffmpeg.

``plan_clips`` turns a note (and verify's alignments, when there are captions) into
:class:`ClipSpec` values without touching disk; ``cut`` makes one clip from a media file;
``make_clip`` adds the provenance manifest and the ``index.json`` entry; ``make_clips`` runs
many cuts in threads (each cut is an ffmpeg subprocess, so threads are enough). ``read_clip_notes``
and ``clip_jobs`` do what ``cliptool clip`` does before it cuts: read the notes, find their
captions, plan, and find the media for each clip.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import ffmpeg

from cliptool import __version__
from cliptool.errors import CaptionsError, CliptoolError, InputError, MediaError, UsageError
from cliptool.fix import is_renotation
from cliptool.media import (
    DEFAULT_FORMAT,
    MediaSource,
    fetch_sections,
    ffmpeg_version,
    media_error,
    probe,
    progress_of,
    run_ffmpeg,
)
from cliptool.models import Alignment, CaptionInfo, Claim, Note, Status, Transcript
from cliptool.notes import find_notes, no_notes_error, read_note, video_id_of
from cliptool.parallel import result_of
from cliptool.safe_write import check_writable, file_lock, text_bytes, write_atomic
from cliptool.timecode import TimestampError, format_ts, mmss_reading, parse_ts, utc_now

if TYPE_CHECKING:  # verify pulls in the aligner (numpy): imported only when clip_jobs runs
    from cliptool.verify import VerifyOptions

__all__ = [
    "MIN_CLIP_S",
    "STATUSES",
    "ClipJob",
    "ClipResult",
    "ClipSpec",
    "Selection",
    "SubsMode",
    "check_padding",
    "clip_jobs",
    "clip_name",
    "cut",
    "find_font",
    "label_of",
    "make_clip",
    "make_clips",
    "manifest_of",
    "merge_jobs",
    "parse_selection",
    "plan_clip",
    "plan_clips",
    "read_clip_notes",
    "select_claims",
    "served_claims",
    "shown_time",
    "source_url",
    "update_index",
    "verdict_notice",
    "verdict_notices",
]

log = logging.getLogger(__name__)

SubsMode = Literal["sidecar", "burn", "none"]
STATUSES: tuple[Status, ...] = get_args(Status)
MIN_CLIP_S = 0.1  # shorter than a few frames is no clip: treat it as an empty range
INDEX_NAME = "index.json"
# x264 "ultrafast": a 10 s 720p clip re-encodes in ~0.7 s on this project's 2-core machine where
# "veryfast" takes ~1.5 s (bench/clip.py); CRF 23 keeps the picture clean at roughly twice the size.
PRESET = "ultrafast"
CRF = 23
# Audio is decoded from this long before a clip's start (see _audio_from); longer than any keyframe
# interval a video site uses, and cheap next to the video encode (bench/clip.py).
AUDIO_LEAD_S = 30.0
# verify calls a cited time right from this long before the passage that says the claim (its default
# --tolerance): a reading of the cited time that lands there is the one verify used.
OK_LEAD_S = 5.0
STALE_TEMP_S = 3600.0  # a .clip-* temp folder older than this belongs to a run that was killed
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)


# ----------------------------------------------------------------------------- planning


@dataclass(frozen=True, slots=True)
class Selection:
    """Which claims to clip: by cited time, by anchor index, all of them, or by verify status."""

    at_s: float | None = None
    anchor: int | None = None
    every: bool = False
    statuses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        chosen = sum((self.at_s is not None, self.anchor is not None, self.every, bool(self.statuses)))
        if chosen != 1:
            raise UsageError("choose exactly one of --claim HH:MM:SS, --anchor N, --all, --status LIST")
        bad = [s for s in self.statuses if s not in STATUSES]
        if bad:
            raise InputError(f"unknown status {', '.join(bad)} (choose from {', '.join(STATUSES)})")


def parse_selection(
    *, claim: str | None = None, anchor: int | None = None, every: bool = False, status: str | None = None
) -> Selection:
    """The :class:`Selection` clip's options spell: ``claim`` a time as typed, ``status`` a comma list.

    >>> parse_selection(status="shifted, unsupported").statuses
    ('shifted', 'unsupported')
    """
    try:
        at_s = parse_ts(claim) if claim is not None else None
    except TimestampError as exc:
        raise InputError(f"--claim: {exc}") from None
    statuses = tuple(s.strip() for s in (status or "").split(",") if s.strip())
    if status is not None and not statuses:
        raise InputError("--status needs a list such as shifted,unsupported")
    return Selection(at_s=at_s, anchor=anchor, every=every, statuses=statuses)


@dataclass(frozen=True, slots=True)
class ClipSpec:
    """One planned clip: the claim it backs and the stretch of video to cut (seconds)."""

    video_id: str
    index: int  # the claim's anchor index in its note
    claim: str
    cited_s: float
    start_s: float  # requested start
    end_s: float  # requested end
    evidence: str = ""  # verify's transcript text of the passage, when aligned
    status: str | None = None  # verify's status, when aligned
    snapped: bool = False  # True: spans the aligned passage; False: around the cited time
    line: int = 0
    also_specs: tuple[ClipSpec, ...] = ()  # plans of other anchors the same clip backs (same file name)
    located_start_s: float | None = None  # the passage verify located (before padding), when it did
    located_end_s: float | None = None
    score: float | None = None  # verify's 0-1 confidence, when aligned
    offset_s: float | None = None  # cited minus located start (positive: the note cites too late)

    @property
    def also(self) -> tuple[int, ...]:
        """Anchor indexes of the other claims this clip backs."""
        return tuple(other.index for other in self.also_specs)

    def filename(self, ext: str = "mp4") -> str:
        return clip_name(self.video_id, self.start_s, self.end_s, ext)


def clip_name(video_id: str, start_s: float, end_s: float, ext: str = "mp4") -> str:
    """``<videoId>_<HHMMSS>-<HHMMSS>.<ext>``: whole seconds, start rounded down, end up.

    Built only from a checked id and numbers, so no note text can reach a path.

    >>> clip_name("yqizMvX5YsA", 514.0, 524.4)
    'yqizMvX5YsA_000834-000845.mp4'
    """
    from cliptool.fetch import check_video_id

    if ext not in ("mp4", "m4a"):
        raise InputError(f"unsupported clip extension {ext!r}")
    a = format_ts(math.floor(start_s + 1e-6)).replace(":", "")
    b = format_ts(math.ceil(end_s - 1e-6)).replace(":", "")
    return f"{check_video_id(video_id)}_{a}-{b}.{ext}"


def select_claims(note: Note, alignments: Sequence[Alignment] | None, select: Selection) -> list[Claim]:
    """The note's claims that ``select`` names; :class:`InputError` when it names none."""
    claims = list(note.claims)
    if select.at_s is not None:
        at = select.at_s
        # Within half a second either way: a note's whole second and a typed 00:00:30.5 meet.
        hits = [c for c in claims if abs(c.cited_s - at) <= 0.5 + 1e-9]
        if not hits:
            raise InputError(f"no claim cited at {shown_time(at)}; {_nearest(claims, at)}", path=note.path)
        return hits
    if select.anchor is not None:
        hits = [c for c in claims if c.index == select.anchor]
        if not hits:
            span = f"anchors 0-{len(claims) - 1}" if claims else "no anchors"
            raise InputError(f"no anchor {select.anchor}: the note has {span}", path=note.path)
        return hits
    if select.every:
        return claims
    if alignments is None:
        raise InputError("--status needs verify's alignment, and the video's captions are not available",
                         path=note.path)
    wanted = set(select.statuses)
    by_index = {a.index: a for a in alignments}
    return [c for c in claims if c.index in by_index and by_index[c.index].status in wanted]


def shown_time(seconds: float) -> str:
    """``HH:MM:SS``, with hundredths when the time has a fraction: never rounded to another second.

    >>> shown_time(30.0), shown_time(30.5), shown_time(28.766), shown_time(28.999)
    ('00:00:30', '00:00:30.5', '00:00:28.77', '00:00:29')
    """
    whole = math.floor(seconds + 0.005)
    frac = round(seconds - whole, 2)
    return format_ts(whole) + (f"{frac:.2f}"[1:].rstrip("0") if frac > 0 else "")


def _nearest(claims: Sequence[Claim], at_s: float, *, count: int = 3) -> str:
    """``nearest cited times: 00:08:36 (anchors 2, 3), ...`` for the error message.

    >>> _nearest([Claim(0, 1, 1, 30.0, "00:00:30", "a"), Claim(1, 2, 1, 95.0, "00:01:35", "b")], 40.0)
    'nearest cited times: 00:00:30 (anchor 0), 00:01:35 (anchor 1)'
    """
    if not claims:
        return "the note cites no times"
    by_time: dict[float, list[int]] = {}
    for c in claims:
        by_time.setdefault(c.cited_s, []).append(c.index)
    ranked = sorted(by_time.items(), key=lambda kv: (abs(kv[0] - at_s), kv[0]))[:count]
    parts = [f"{format_ts(t)} (anchor{'s' if len(ix) > 1 else ''} {', '.join(map(str, ix))})" for t, ix in ranked]
    return "nearest cited times: " + ", ".join(parts)


def check_padding(before_s: float, after_s: float) -> None:
    """Refuse padding that is no number of seconds (nan, inf) or negative, with :class:`InputError`.

    >>> check_padding(2.0, float("inf"))
    Traceback (most recent call last):
    cliptool.errors.InputError: --before/--after must be a finite number of seconds (got 2, inf)
    """
    if not (math.isfinite(before_s) and math.isfinite(after_s)):
        raise InputError(f"--before/--after must be a finite number of seconds (got {before_s:g}, {after_s:g})")
    if before_s < 0 or after_s < 0:
        raise InputError(f"--before/--after must be seconds >= 0 (got {before_s:g}, {after_s:g})")


def plan_clip(
    note: Note,
    claim: Claim,
    alignment: Alignment | None,
    *,
    before_s: float = 2.0,
    after_s: float = 8.0,
    snap: bool = True,
    duration_s: float | None = None,
    duration_of: str = "the video",
) -> ClipSpec:
    """The clip for one claim: the aligned passage (``snap``) or the cited time, plus padding.

    Raises :class:`MediaError` when the moment is past the end of ``duration_of`` (the video,
    or the local media file whose length ``duration_s`` is) and :class:`InputError` for
    negative padding or an empty range.
    """
    check_padding(before_s, after_s)
    where = f"anchor {claim.index}"
    located = alignment is not None and alignment.start is not None and alignment.end is not None
    snapped = snap and located
    if snapped:
        assert alignment is not None and alignment.start is not None and alignment.end is not None
        lo, hi = alignment.start, alignment.end
        if hi < lo:
            raise InputError(f"{where}: the aligned passage ends before it starts ({lo:g}-{hi:g} s)",
                             path=note.path, line=claim.line)
    else:
        lo = hi = _cited_moment(claim, alignment)
    if lo < 0:
        raise InputError(f"{where}: negative time {lo:g} s", path=note.path, line=claim.line)
    if duration_s is not None and lo >= duration_s:
        place = f"{note.path}:{claim.line}: " if note.path else ""
        raise MediaError(f"{place}{where}: {format_ts(lo)} is past the end of {duration_of} ({format_ts(duration_s)})")
    start = max(0.0, lo - before_s)
    end = hi + after_s
    if duration_s is not None:
        end = min(end, duration_s)
    if end - start < MIN_CLIP_S:
        raise InputError(
            f"{where}: empty range {format_ts(start)}-{format_ts(end)} (give --before/--after some seconds)",
            path=note.path or None, line=claim.line or None,
        )
    return ClipSpec(
        video_id=note.video_id,
        index=claim.index,
        claim=claim.text,
        cited_s=claim.cited_s,
        start_s=round(start, 3),
        end_s=round(end, 3),
        evidence=alignment.evidence if alignment is not None else "",
        status=alignment.status if alignment is not None else None,
        snapped=snapped,
        line=claim.line,
        located_start_s=alignment.start if alignment is not None else None,
        located_end_s=alignment.end if alignment is not None else None,
        score=round(alignment.score, 3) if alignment is not None else None,
        offset_s=alignment.offset(claim.cited_s) if alignment is not None else None,
    )


def _cited_moment(claim: Claim, alignment: Alignment | None) -> float:
    """The second the note cites: its MM:SS reading when verify read a time past the end so
    (``01:31:00`` in a 20-minute video is 00:01:31), else the time as written."""
    if alignment is not None and is_renotation(claim, alignment):
        assert alignment.corrected_s is not None
        return alignment.corrected_s
    if alignment is not None and alignment.reading_s is not None:
        return alignment.reading_s  # read as MM:SS, though the claim is said a little way off
    return claim.cited_s


def verdict_notice(claim: Claim, alignment: Alignment | None, *, note_path: str, snapped: bool) -> str | None:
    """What verify found for a claim whose clip is not simply at the cited time, in verify's words.

    None for an ``ok`` claim or one without captions: there the clip is where the note says.

    >>> verdict_notice(Claim(4, 9, 1, 100.0, "00:01:40", "x"), Alignment(4, "shifted", 60.0, 66.0),
    ...                note_path="notes/x.md", snapped=True)
    'notes/x.md anchor 4: cited 00:01:40, said at 00:01:00 (shifted): clipping there'
    """
    if alignment is None or alignment.status == "ok":
        return None
    status, cited = alignment.status, format_ts(claim.cited_s)
    where = f"{note_path} anchor {claim.index}" if note_path else f"anchor {claim.index}"
    if status == "unsupported" or alignment.start is None:
        return f"{where}: cited {cited} is not found in the captions ({status}): clipping around the cited time"
    said = format_ts(alignment.start)
    if status == "ambiguous" and len(alignment.alternatives) > 1:
        places = [format_ts(loc.start) for loc in alignment.alternatives]
        said = ", ".join(places[:-1]) + " and " + places[-1]
    if status == "out-of-range":
        reading = mmss_reading(claim.raw)
        read_as = ""
        if reading is not None and alignment.end is not None and \
                alignment.start - OK_LEAD_S <= reading <= alignment.end:
            read_as = f", read as {format_ts(reading, hours=False)} (MM:SS)"
        cited = f"{cited} is past the video's end{read_as};"
    else:
        cited += ","
    where_cut = f"clipping at {format_ts(alignment.start)}" if status == "ambiguous" else "clipping there"
    if not snapped:
        around = "its MM:SS reading" if _cited_moment(claim, alignment) != claim.cited_s else "the cited time"
        where_cut = f"clipping around {around} (--no-snap)"
    return f"{where}: cited {cited} said at {said} ({status}): {where_cut}"


def verdict_notices(note: Note, alignments: Sequence[Alignment] | None, specs: Sequence[ClipSpec], *,
                    snap: bool = True) -> list[str]:
    """:func:`verdict_notice` for every claim the planned clips serve, in anchor order."""
    by_index = {a.index: a for a in alignments or ()}
    claims = {c.index: c for c in note.claims}
    served = sorted(i for s in specs for i in (s.index, *s.also))
    lines = (verdict_notice(claims[i], by_index.get(i), note_path=note.path, snapped=snap) for i in served)
    return [line for line in lines if line]


def plan_clips(
    note: Note,
    alignments: Sequence[Alignment] | None,
    *,
    select: Selection,
    before_s: float = 2.0,
    after_s: float = 8.0,
    snap: bool = True,
    duration_s: float | None = None,
    duration_of: str = "the video",
    on_error: Callable[[Claim, CliptoolError], None] | None = None,
) -> list[ClipSpec]:
    """Clips for the selected claims, in anchor order; claims that would make the same file share it.

    A claim that cannot be clipped raises, unless ``on_error`` is given: then it is reported
    there and the others are still planned (batch mode).
    """
    by_index = {a.index: a for a in alignments or ()}
    specs: list[ClipSpec] = []
    for claim in select_claims(note, alignments, select):
        try:
            specs.append(plan_clip(note, claim, by_index.get(claim.index), before_s=before_s, after_s=after_s,
                                   snap=snap, duration_s=duration_s, duration_of=duration_of))
        except CliptoolError as err:
            if on_error is None:
                raise
            on_error(claim, err)
    return _merge_same_file(specs)


def _merge_same_file(specs: list[ClipSpec]) -> list[ClipSpec]:
    """Anchors in pairs after one claim plan the same clip: cut it once, naming every anchor."""
    out: dict[str, ClipSpec] = {}
    for s in specs:
        name = s.filename()
        first = out.get(name)
        if first is None:
            out[name] = s
            continue
        out[name] = replace(first, start_s=min(first.start_s, s.start_s), end_s=max(first.end_s, s.end_s),
                            also_specs=(*first.also_specs, s))
    return list(out.values())


# ------------------------------------------------------------------------------ cutting


@dataclass(frozen=True, slots=True)
class ClipResult:
    """A clip on disk and what it really holds (actual times may differ from the request)."""

    spec: ClipSpec
    path: Path
    mode: Literal["accurate", "fast"]
    start_s: float  # actual start in the video
    end_s: float  # actual end in the video
    duration_s: float
    sha256: str
    frames: int = 0
    subtitles: tuple[Path, ...] = ()  # sidecar files
    burned: bool = False
    notes: tuple[str, ...] = ()  # caveats to show the user (fast mode, no captions in range)
    manifest: Path | None = None


def find_font(font_file: Path | None = None) -> Path | None:
    """A TrueType font for burned subtitles: the given file, else DejaVu Sans via fontconfig or known paths."""
    if font_file is not None:
        if not Path(font_file).is_file():
            raise InputError(f"font file not found: {font_file}")
        return Path(font_file)
    fc = shutil.which("fc-match")
    if fc:
        out = subprocess.run([fc, "-f", "%{file}", "DejaVu Sans"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout and Path(out.stdout).is_file():
            return Path(out.stdout)
    return next((Path(p) for p in _FONT_CANDIDATES if Path(p).is_file()), None)


def _font_family(font: Path) -> str:
    """The family name libass must be told (``FontName``); fc-query knows it, else guess from the name."""
    fc = shutil.which("fc-query")
    if fc:
        out = subprocess.run([fc, "-f", "%{family[0]}", str(font)], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    stem = font.stem.split("-")[0]
    return "DejaVu Sans" if stem == "DejaVuSans" else stem


def _write_text(path: Path, text: str) -> None:
    # A json3 caption can hold a lone surrogate ("\ud800"), which UTF-8 cannot encode: written as
    # that escape, as text_bytes writes records, rather than failing the clip.
    with open(path, "w", encoding="utf-8", errors="backslashreplace", newline="\n") as fh:
        fh.write(text)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sweep_stale(out_dir: Path, *, max_age_s: float = STALE_TEMP_S) -> None:
    """Remove temp folders a killed run left in ``out_dir`` (a live cut's is younger than this)."""
    now = time.time()
    for tmp in out_dir.glob(".clip-*"):
        with contextlib.suppress(OSError):
            if tmp.is_dir() and now - tmp.stat().st_mtime > max_age_s:
                shutil.rmtree(tmp, ignore_errors=True)


def _audio_from(media: Path, local_start: float) -> Any:
    """The audio of ``media`` from ``local_start``, seeked so no sample after that point is lost.

    ffmpeg's input seeking drops the first second or so of audio after the keyframe it lands on
    when the audio track has an edit-list skip, as every section yt-dlp stream-copies from a
    keyframe before its start has (``Audio: aac ... start 0.97`` in the clip). So the audio is
    read from ``AUDIO_LEAD_S`` earlier (at least a keyframe interval: the lost stretch then lies
    before the clip) and trimmed by decoding, which costs little for audio.
    """
    seek = max(0.0, local_start - AUDIO_LEAD_S)
    src = ffmpeg.input(str(media), ss=f"{seek:.6f}") if seek > 0 else ffmpeg.input(str(media))
    return src["a:0"].filter("atrim", start=f"{local_start - seek:.6f}").filter("asetpts", "PTS-STARTPTS")


def cut(
    spec: ClipSpec,
    media: Path,
    out_dir: Path,
    *,
    media_offset_s: float = 0.0,
    fast: bool = False,
    audio_only: bool = False,
    subs: SubsMode = "sidecar",
    transcript: Transcript | None = None,
    font_file: Path | None = None,
    crf: int = CRF,
    preset: str = PRESET,
) -> ClipResult:
    """Cut ``spec`` from ``media`` (whose t=0 is ``media_offset_s`` in the video) into ``out_dir``.

    Accurate mode re-encodes (H.264 ``preset``/``crf``, AAC; video by input seeking, audio by
    decoding from before the start, see :func:`_audio_from`) so the clip starts on the asked frame
    with its sound; ``fast`` stream-copies, which starts the file at the keyframe before.
    Everything is written under a temp folder in ``out_dir`` and renamed at the end: a failure
    leaves no partial file, and an earlier cut of the same clip as it was.
    """
    with _cut_staged(spec, media, out_dir, media_offset_s=media_offset_s, fast=fast, audio_only=audio_only,
                     subs=subs, transcript=transcript, font_file=font_file, crf=crf, preset=preset) as staged:
        _put_in_place(staged.moves, staged.work)
        return staged.result


@dataclass(frozen=True, slots=True)
class _Staged:
    """A cut made in a temp folder: the result it will be once in place, and the renames that put it there."""

    result: ClipResult
    work: Path  # the temp folder, removed when the cut is done with
    moves: tuple[tuple[Path, Path], ...]  # (temp file, final path): captions first, the clip last


@contextlib.contextmanager
def _cut_staged(
    spec: ClipSpec,
    media: Path,
    out_dir: Path,
    *,
    media_offset_s: float,
    fast: bool,
    audio_only: bool,
    subs: SubsMode,
    transcript: Transcript | None,
    font_file: Path | None,
    crf: int = CRF,
    preset: str = PRESET,
) -> Iterator[_Staged]:
    """:func:`cut` up to the renames: the clip and its captions wait in a temp folder of ``out_dir``
    (removed after the block), so a caller can put its record beside them and rename all or none."""
    if subs not in ("sidecar", "burn", "none"):
        raise InputError(f"unknown subtitles mode {subs!r} (sidecar, burn or none)")
    if subs == "burn" and (fast or audio_only):
        raise UsageError("--subs burn draws into the picture: it needs re-encoded video (no --fast, no --audio-only)")
    if subs == "burn" and transcript is None:
        raise InputError("--subs burn needs the video's captions, and none are available")
    info = probe(media)
    if audio_only and not info.has_audio:
        raise MediaError(f"{media}: no audio stream")
    media_end = media_offset_s + info.duration_s
    if spec.start_s < media_offset_s - 0.01:
        raise MediaError(f"{media} starts at {format_ts(media_offset_s)}, after the clip's start {format_ts(spec.start_s)}")
    if spec.start_s >= media_end:
        # Found out only now when the page gave no length: the clip's own start, not the cited
        # second, is what the video does not reach.
        raise MediaError(f"the clip's start {format_ts(spec.start_s)} is past the end of the video "
                         f"({format_ts(media_end)})")
    local_start = max(0.0, spec.start_s - media_offset_s)
    if info.fps and not fast:
        # Start on a frame boundary: the clip then holds exactly round(duration * fps) frames.
        local_start = math.floor(local_start * info.fps + 0.5) / info.fps
    local_end = min(spec.end_s, media_end) - media_offset_s
    duration = local_end - local_start
    if duration < MIN_CLIP_S:
        raise MediaError(f"{format_ts(spec.start_s)}-{format_ts(spec.end_s)}: empty range within the media")

    ext = "m4a" if audio_only else "mp4"
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _sweep_stale(out_dir)
        work = Path(tempfile.mkdtemp(prefix=".clip-", dir=out_dir))
    except OSError as exc:
        raise media_error(exc, f"cannot write to {out_dir}") from exc
    final = out_dir / spec.filename(ext)
    try:
        notes: list[str] = []
        shifted = None
        if transcript is not None and subs != "none":
            from cliptool.captions import shift, to_srt, to_vtt

            shifted = shift(transcript, media_offset_s + local_start, media_offset_s + local_end)
            if not shifted.cues:
                notes.append(f"{final.name}: no captions in this stretch")
            try:
                if subs == "sidecar":
                    _write_text(work / "clip.srt", to_srt(shifted))
                    _write_text(work / "clip.vtt", to_vtt(shifted))
                elif shifted.cues:
                    _write_text(work / "burn.srt", to_srt(shifted))
            except OSError as exc:
                raise media_error(exc, f"cannot write subtitles in {out_dir}") from exc

        tmp_clip = (work / f"clip.{ext}").resolve()
        media_path = Path(media).resolve()
        src = ffmpeg.input(str(media_path), ss=f"{local_start:.6f}")
        streams: list[Any] = []
        burned = False
        out_opts: dict[str, Any] = {"t": f"{duration:.6f}", "f": "mp4", "movflags": "+faststart"}
        if info.has_video and not audio_only:
            video = src["v:0"]
            if subs == "burn" and shifted is not None and shifted.cues:
                font = find_font(font_file)
                style = "FontSize=22,Outline=2,MarginV=18"
                kwargs: dict[str, str] = {}
                if font is not None:
                    kwargs["fontsdir"] = str(font.parent.resolve())
                    style = f"FontName={_font_family(font)},{style}"
                # The filter reads "burn.srt" relative to ffmpeg's cwd (the temp folder): a bare
                # name needs no escaping, whatever characters the output folder's path holds.
                video = video.filter("subtitles", "burn.srt", force_style=style, **kwargs)
                burned = True
            streams.append(video)
        if info.has_audio:
            streams.append(src["a:0"] if fast else _audio_from(media_path, local_start))
        if fast:
            out_opts["c"] = "copy"
            notes.append("fast: stream copy from the keyframe at or before the start; players that ignore "
                         "MP4 edit lists show that lead-in, and the end falls on a packet boundary")
        else:
            if info.has_video and not audio_only:
                out_opts.update(vcodec="libx264", preset=preset, crf=crf, pix_fmt="yuv420p")
            if info.has_audio:
                out_opts.update(acodec="aac", audio_bitrate="128k")
        if audio_only:
            out_opts["f"] = "ipod"  # the MP4 flavour .m4a players expect
        graph = ffmpeg.output(*streams, str(tmp_clip), **out_opts)
        what = f"cutting {final.name}"
        done = run_ffmpeg(graph, what=what, cwd=work)
        prog = progress_of(done.stdout)
        if info.has_video and not audio_only and info.fps and not fast:
            actual = prog.frames / info.fps
        elif fast:
            # A stream copy starts at a keyframe and ends on a packet: its progress counts the
            # lead-in an edit list hides. What the file plays is what its header says.
            actual = probe(tmp_clip).duration_s or prog.out_time_s or duration
        else:
            actual = prog.out_time_s or duration
        if prog.frames == 0 and info.has_video and not audio_only:
            raise MediaError(f"{what}: ffmpeg wrote no video frames")
        sha = _sha256_file(tmp_clip)
        captions = [(work / f"clip.{side}", final.with_suffix(f".{side}")) for side in ("srt", "vtt")]
        moves = (*((tmp, dest) for tmp, dest in captions if tmp.exists()), (tmp_clip, final))
        actual_start = media_offset_s + local_start
        result = ClipResult(
            spec=spec, path=final, mode="fast" if fast else "accurate", start_s=round(actual_start, 3),
            end_s=round(actual_start + actual, 3), duration_s=round(actual, 3), sha256=sha, frames=prog.frames,
            subtitles=tuple(dest for _, dest in moves[:-1]), burned=burned, notes=tuple(notes),
        )
        yield _Staged(result=result, work=work, moves=moves)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _put_in_place(moves: Sequence[tuple[Path, Path]], work: Path) -> list[tuple[Path, Path, Path]]:
    """Rename each temp file over its final path, keeping the file it replaces in ``work``.

    Returns what :func:`_roll_back` needs to bring the earlier files back when a later step (the
    index) fails; on success the kept files go with ``work``. A failure here is rolled back at once.
    """
    done: list[tuple[Path, Path, Path]] = []
    try:
        for n, (tmp, dest) in enumerate(moves):
            kept = work / f"earlier-{n}"
            done.append((tmp, dest, kept))  # before any rename: an interrupt anywhere can be undone
            if not dest.is_dir() or dest.is_symlink():  # a folder in the way is left alone: the rename fails
                with contextlib.suppress(FileNotFoundError):
                    os.replace(dest, kept)
            os.replace(tmp, dest)
    except BaseException as exc:
        _roll_back(done)
        if isinstance(exc, OSError):
            raise media_error(exc, f"cannot write {done[-1][1]}") from exc
        raise
    return done


def _roll_back(done: Sequence[tuple[Path, Path, Path]]) -> None:
    """Undo :func:`_put_in_place`: each earlier file back where it was, each new one with none before it gone."""
    for tmp, dest, kept in reversed(done):
        with contextlib.suppress(OSError):
            if os.path.lexists(kept):
                os.replace(kept, dest)
            elif not os.path.lexists(tmp):  # the new file was renamed over nothing
                dest.unlink()


# --------------------------------------------------------------------------- provenance


def source_url(video_id: str, start_s: float) -> str:
    """The YouTube page at the clip's start, the link anyone can re-check the clip against.

    >>> source_url("yqizMvX5YsA", 514.6)
    'https://www.youtube.com/watch?v=yqizMvX5YsA&t=514s'
    """
    return f"https://www.youtube.com/watch?v={video_id}&t={int(start_s)}s"


def _json_bytes(doc: Any) -> bytes:
    return text_bytes(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def _atomic_json(path: Path, doc: Any) -> None:
    try:
        write_atomic(path, _json_bytes(doc), expected_sha256=None, backup=None)
    except OSError as exc:
        raise media_error(exc, f"cannot write {path}") from exc


def manifest_of(
    result: ClipResult,
    *,
    source: MediaSource,
    note_path: str | None,
    title: str | None = None,
    captions: CaptionInfo | None = None,
    serves: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The provenance record of one clip: where it came from and how to check it.

    ``note`` and ``claim`` are the claim the clip was cut for; ``serves`` lists every note and
    claim it backs (several notes may cite the same stretch). A clip asked for by time alone
    (no note, no claim text) says so (``claim.given`` false) instead of carrying a verdict.
    ``source_url`` is the YouTube page anyone can re-check against; ``page_url`` the page the
    media really came from (a ``--url-template`` mirror), None for a local file.
    """
    from cliptool.fetch import ytdlp_version  # the fetcher pulls in the caption parsers: only when needed

    spec = result.spec
    given = note_path is not None or bool(spec.claim)
    verdict = None if not given or spec.status is None else {
        "status": spec.status, "located_start_s": spec.located_start_s, "located_end_s": spec.located_end_s,
        "offset_s": spec.offset_s, "score": spec.score,
    }
    claim: dict[str, Any] = {
        "given": given,
        "index": spec.index if given else None,
        "line": spec.line if given else None,
        "text": spec.claim if given else None,
        "cited": shown_time(spec.cited_s),
        "cited_s": spec.cited_s,
        "status": spec.status if given else None,
        "also": [{"index": other.index, "text": other.claim} for other in spec.also_specs],
    }
    served = (list(serves) or [_served_row(note_path, spec)]) if given else []
    return {
        "clip": result.path.name,
        "sha256": result.sha256,
        "video_id": spec.video_id,
        "title": title or source.title,
        "source_url": source_url(spec.video_id, result.start_s),
        "page_url": source.url,
        "note": note_path,
        "claim": claim,
        "verdict": verdict,
        "serves": served,
        "requested": {"start_s": spec.start_s, "end_s": spec.end_s, "snapped_to_passage": spec.snapped},
        "actual": {"start_s": result.start_s, "end_s": result.end_s, "duration_s": result.duration_s,
                   "frames": result.frames},
        "mode": result.mode,
        "notes": list(result.notes),
        "captions": None if captions is None else {
            "language": captions.language, "kind": captions.kind, "source": _absolute(captions.source),
        },
        "evidence": spec.evidence,
        "subtitles": [p.name for p in result.subtitles],
        "burned_subtitles": result.burned,
        "media": {
            "url": source.url,
            "title": source.title,  # the page's own title, as downloaded ("title" above may be the note's)
            "file": None if source.url else str(Path(source.path).resolve()),
            "format": source.format,
            "format_id": source.format_id,
            "section_start_s": source.offset_s if source.url else None,
            "retrieved_at": source.retrieved_at,
        },
        "tools": {"cliptool": __version__, "ffmpeg": ffmpeg_version(), "yt-dlp": ytdlp_version()},
        "created_at": utc_now(),
    }


def _absolute(source: str) -> str:
    """A caption file's path made absolute (a URL stays): the record is read from anywhere, not from
    the folder clip ran in."""
    if not source or "://" in source:
        return source
    return str(Path(source).resolve())


def update_index(out_dir: Path, manifest: dict[str, Any]) -> Path:
    """Add (or replace) the clip's row in ``out_dir/index.json``; atomic, safe with --jobs."""
    path = Path(out_dir) / INDEX_NAME
    row = {
        "clip": manifest["clip"],
        "manifest": manifest["clip"] + ".json",
        "video_id": manifest["video_id"],
        "note": manifest["note"],
        "claim_index": manifest["claim"]["index"],
        "claim": manifest["claim"]["text"],
        "cited": manifest["claim"]["cited"],
        "status": manifest["claim"]["status"],
        "serves": [{"note": c["note"], "claim_index": c["index"]} for c in manifest.get("serves", [])],
        "start_s": manifest["actual"]["start_s"],
        "end_s": manifest["actual"]["end_s"],
        "mode": manifest["mode"],
        "sha256": manifest["sha256"],
        "source_url": manifest["source_url"],
        "page_url": manifest.get("page_url"),
        "created_at": manifest["created_at"],
    }
    lock = Path(out_dir) / ".index.lock"
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(file_lock(lock))  # one writer of index.json, safe with --jobs
        except OSError as exc:  # a folder or a read-only file by that name
            raise media_error(exc, f"cannot lock {lock}") from exc
        rows = [r for r in _index_rows(path) if r.get("clip") != row["clip"]]
        rows.append(row)
        rows.sort(key=lambda r: str(r.get("clip")))
        _atomic_json(path, {"tool": {"name": "cliptool", "version": __version__}, "clips": rows})
    return path


def _index_rows(path: Path) -> list[dict[str, Any]]:
    """The clips an ``index.json`` lists: none when there is no file, or it is JSON without a
    ``clips`` list. :class:`InputError` when it could not be rewritten (a folder, a read-only file)
    or is no JSON at all: replacing it would lose rows nobody can read back."""
    check_writable(path, path.absolute().parent)  # what the write would refuse, said before any cut
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise media_error(exc, f"cannot read {path}") from exc
    except (ValueError, RecursionError) as exc:  # RecursionError: arrays nested thousands deep
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InputError(f"not a clips index ({why}); nothing written (move it away to start a new one)",
                         path=str(path)) from None
    clips = doc.get("clips") if isinstance(doc, dict) else None
    return [r for r in clips if isinstance(r, dict)] if isinstance(clips, list) else []


# -------------------------------------------------------------------------------- batch


@dataclass(frozen=True, slots=True)
class ClipJob:
    """Everything one clip needs: the plan, the media and the context for its manifest."""

    spec: ClipSpec
    source: MediaSource
    note_path: str | None = None
    title: str | None = None
    captions: CaptionInfo | None = None
    transcript: Transcript | None = field(default=None, repr=False)
    others: tuple[ClipJob, ...] = ()  # jobs of other notes that make the same file (see merge_jobs)


def merge_jobs(jobs: Sequence[ClipJob]) -> list[ClipJob]:
    """One job per clip file: jobs of several notes citing the same stretch are cut once.

    The first job's range and media make the clip; the others ride along in ``others`` so the
    manifest and the index name every note and claim the clip serves, instead of one record
    overwriting the other.
    """
    out: dict[str, ClipJob] = {}
    for job in jobs:
        name = job.spec.filename()
        first = out.get(name)
        out[name] = job if first is None else replace(first, others=(*first.others, job))
    return list(out.values())


def _served_row(note_path: str | None, spec: ClipSpec) -> dict[str, Any]:
    """The record's ``serves`` entry for the claim ``spec`` was planned for."""
    return {"note": note_path, "index": spec.index, "line": spec.line, "text": spec.claim,
            "cited": shown_time(spec.cited_s), "status": spec.status}


def served_claims(job: ClipJob) -> list[dict[str, Any]]:
    """Every note and claim a clip serves: the job's claim, its note's other anchors, then other notes'."""
    return [_served_row(j.note_path, s) for j in (job, *job.others) for s in (j.spec, *j.spec.also_specs)]


def make_clip(
    job: ClipJob,
    out_dir: Path,
    *,
    fast: bool = False,
    audio_only: bool = False,
    subs: SubsMode = "sidecar",
    font_file: Path | None = None,
) -> ClipResult:
    """Cut one clip, write its manifest and add it to the index; on failure nothing stays behind."""
    spec, end = job.spec, job.source.video_duration_s
    if end is not None and spec.start_s < end < spec.end_s:
        # The video's length learnt from the download: trim there, as plan_clip does for --media,
        # so the file name tells the clip's real end.
        job = replace(job, spec=replace(spec, end_s=round(end, 3)))
    out_dir = Path(out_dir)
    clip = out_dir / job.spec.filename("m4a" if audio_only else "mp4")
    record = _record_of(clip)  # an earlier cut's, if any
    earlier = _sidecars_of(clip, record)
    served = served_claims(job)
    # The notes this run read say now which of their claims the clip serves (an anchor added
    # above renumbers them); the earlier record keeps its word for other notes only.
    read_now = {_note_file(row["note"]) for row in served}
    served += [row for row in _served_of(record) if _note_file(row.get("note")) not in read_now]
    _index_rows(out_dir / INDEX_NAME)  # an index that cannot be updated fails the clip before ffmpeg runs
    with _cut_staged(job.spec, job.source.path, out_dir, media_offset_s=job.source.offset_s, fast=fast,
                     audio_only=audio_only, subs=subs, transcript=job.transcript, font_file=font_file) as staged:
        result = staged.result
        manifest = manifest_of(result, source=job.source, note_path=job.note_path, title=job.title,
                               captions=job.captions, serves=served)
        path = result.path.with_suffix(result.path.suffix + ".json")
        try:
            (staged.work / "clip.json").write_bytes(_json_bytes(manifest))
        except OSError as exc:
            raise media_error(exc, f"cannot write {path}") from exc
        # Clip, captions and record replace an earlier cut's only together with its index row:
        # a failing index puts the earlier files back (or removes the new ones), so nothing new stays.
        placed = _put_in_place([*staged.moves, (staged.work / "clip.json", path)], staged.work)
        try:
            update_index(out_dir, manifest)
        except BaseException:
            _roll_back(placed)
            raise
    # A rerun with other --subs: no captions of a past cut stay, unless the audio-only cut of the
    # same span (``.m4a`` beside ``.mp4``, one stem) still lists them as its own.
    siblings = [result.path.with_suffix(ext) for ext in (".mp4", ".m4a") if result.path.suffix != ext]
    kept = {p for sibling in siblings for p in _sidecars_of(sibling, _record_of(sibling))}
    for stale in set(earlier) - set(result.subtitles) - kept:
        with contextlib.suppress(OSError):
            stale.unlink()
    return replace(result, manifest=path)


def _note_file(note: object) -> str | None:
    """A ``serves`` row's note as one file however it was named (relative, absolute, via a link)."""
    if not isinstance(note, str) or not note:
        return None
    try:
        return str(Path(note).resolve())
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL in a hand-edited record
        return note


def _record_of(clip: Path) -> dict[str, Any]:
    """The clip's record (``<clip>.json``) as written, or {} when there is none or it is unreadable."""
    try:
        doc = json.loads(clip.with_suffix(clip.suffix + ".json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        return {}
    return doc if isinstance(doc, dict) else {}


def _served_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The claims an earlier record says its clip serves: a later run cutting the same stretch
    for another claim (or note) adds to them rather than dropping the earlier claims' provenance."""
    rows = record.get("serves")
    if not isinstance(rows, list):
        return []
    keys = ("note", "index", "line", "text", "cited", "status")
    return [{k: r.get(k) for k in keys} for r in rows if isinstance(r, dict) and isinstance(r.get("index"), int)]


def _sidecars_of(clip: Path, record: dict[str, Any]) -> list[Path]:
    """The caption files the clip's earlier ``record`` lists; only ``<clip stem>.srt/.vtt`` are believed."""
    names = record.get("subtitles")
    if not isinstance(names, list):
        return []
    own = {f"{clip.stem}.srt", f"{clip.stem}.vtt"}
    return [clip.with_name(n) for n in names if isinstance(n, str) and n in own]


def make_clips(
    jobs: Sequence[ClipJob],
    out_dir: Path,
    *,
    workers: int = 1,
    fast: bool = False,
    audio_only: bool = False,
    subs: SubsMode = "sidecar",
    font_file: Path | None = None,
    on_done: Callable[[ClipJob, ClipResult | CliptoolError], None] | None = None,
) -> list[ClipResult | CliptoolError]:
    """Every job's result or error, in job order; one failing clip never stops the others."""

    def one(job: ClipJob) -> ClipResult | CliptoolError:
        try:
            got: ClipResult | CliptoolError = make_clip(job, out_dir, fast=fast, audio_only=audio_only, subs=subs,
                                                        font_file=font_file)
        except CliptoolError as err:
            got = err
        if on_done is not None:
            on_done(job, got)
        return got

    if workers <= 1 or len(jobs) < 2:
        return [one(j) for j in jobs]
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="clip")
    try:
        futures = [pool.submit(one, j) for j in jobs]
        return [result_of(f) for f in futures]  # not f.result(): a signal must stop ffmpeg now
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------------- notes to jobs


def _ignore(message: str) -> None:
    """The ``warn`` of a caller that asked for no notices."""


def read_clip_notes(
    note: Path | None,
    video_id: str | None,
    select: Selection,
    *,
    warn: Callable[[str], None] | None = None,
) -> tuple[list[Note], list[tuple[str, CliptoolError]]]:
    """The notes to clip from, and ``(path, error)`` for each that cannot be read (the others still are).

    ``note`` is a note or a folder of notes (a folder needs ``select.every`` or statuses, not
    one time or anchor meant for one note); ``video_id`` keeps only the notes about that video.
    Without ``note``, one bare claim at ``select.at_s`` of ``video_id``, with no note and no
    claim text. ``warn`` hears of the files in a folder that are skipped.
    """
    from cliptool.fetch import check_video_id  # the fetcher pulls in the caption parsers: only when needed

    if note is None:
        if video_id is None or select.at_s is None:
            raise UsageError("give a NOTE, or --video-id ID with --claim HH:MM:SS")
        cited = Claim(index=0, line=0, column=0, cited_s=select.at_s, raw="", text="")
        return [Note(path="", video_id=check_video_id(video_id_of(video_id) or video_id), claims=(cited,))], []
    if note.is_dir() and not (select.every or select.statuses):
        raise UsageError("a folder of notes needs --all or --status", path=str(note))
    files, notices = find_notes([note])
    for notice in notices:
        (warn or _ignore)(notice)
    if not files:
        raise no_notes_error([note])
    notes: list[Note] = []
    failures: list[tuple[str, CliptoolError]] = []
    for path in files:
        try:
            notes.append(read_note(path))
        except InputError as err:
            failures.append((str(path), err))
    if video_id is not None:
        wanted = check_video_id(video_id_of(video_id) or video_id)
        notes = [n for n in notes if n.video_id == wanted]
        if not notes:
            raise InputError(f"no note about video {video_id}", path=str(note))
    return notes, failures


def clip_jobs(
    notes: Sequence[Note],
    select: Selection,
    opts: VerifyOptions,
    *,
    before_s: float = 2.0,
    after_s: float = 8.0,
    snap: bool | None = None,
    subs: SubsMode = "sidecar",
    media: Path | None = None,
    fmt: str = DEFAULT_FORMAT,
    warn: Callable[[str], None] | None = None,
) -> tuple[list[ClipJob], list[tuple[str, CliptoolError]]]:
    """The clips to cut for the selected claims of ``notes`` (one job per file, see
    :func:`merge_jobs`), and ``(label, error)`` for each note or clip that cannot be had.

    A failure costs its note, or its clip alone, never the batch; its label is empty when the
    error names the note, line and anchor itself. Cached captions are always used (verify snaps
    the clip to the passage); ``opts`` may fetch them only when ``snap`` is True, statuses are
    selected or ``subs`` is ``"burn"``. ``snap`` None snaps when captions are cached. Each clip
    is cut from ``media``, else from sections of format ``fmt`` that yt-dlp downloads into
    ``opts.cache_dir`` (none downloaded when ``opts.offline``). ``warn`` hears, in order, what
    the clips will not tell: captions not cached, and verify's verdict (``note: ...``) on each
    claim whose clip is not simply at its cited time.
    """
    from cliptool.fetch import DEFAULT_URL_TEMPLATE

    tell = warn or _ignore
    if media is not None and len({n.video_id for n in notes}) > 1:
        raise UsageError(f"one media file ({media}) cannot serve notes about several videos")
    jobs: list[ClipJob] = []
    failures: list[tuple[str, CliptoolError]] = []

    def planning_failed(claim: Claim, problem: CliptoolError) -> None:
        failures.append(("", problem))  # plan errors already name the note, line and anchor

    for note in notes:
        name = note.path or note.video_id
        try:
            if not select.statuses:
                select_claims(note, None, select)  # a bad --claim/--anchor is said before any captions or media work
            alignments, captions, transcript = _captions_for(note, opts, snap=snap, need_status=bool(select.statuses),
                                                             subs=subs, tell=tell)
            specs = plan_clips(
                note, alignments, select=select, before_s=before_s, after_s=after_s, snap=snap is not False,
                duration_s=_duration_s(note, media, transcript, opts.cache_dir), on_error=planning_failed,
                # with media the length checked is the file's, which may be shorter than the video
                duration_of="the video" if media is None else f"the media file {media}",
            )
            for line in verdict_notices(note, alignments, specs, snap=snap is not False):
                tell(f"note: {line}")  # the clip is not simply at the cited time: say where and why
            if not specs:
                continue
            sources: Sequence[MediaSource | MediaError]
            if media is not None:
                sources = [MediaSource(path=media)] * len(specs)
            else:
                sources = fetch_sections(note.video_id, [(s.start_s, s.end_s) for s in specs],
                                         cache_dir=opts.cache_dir, url_template=opts.url_template or DEFAULT_URL_TEMPLATE,
                                         fmt=fmt, offline=opts.offline)
        except CliptoolError as err:
            failures.append((name, err))
            continue
        for spec, source in zip(specs, sources, strict=True):
            if isinstance(source, CliptoolError):  # this range alone cannot be had: its clip fails, not the note
                failures.append((f"{name}: anchor {spec.index}", source))
                continue
            jobs.append(ClipJob(spec=spec, source=source, note_path=note.path or None, title=note.title or source.title,
                                captions=captions, transcript=transcript))
    return merge_jobs(jobs), failures  # notes citing the same stretch share one clip and one record


def _captions_for(
    note: Note, opts: VerifyOptions, *, snap: bool | None, need_status: bool, subs: SubsMode,
    tell: Callable[[str], None],
) -> tuple[tuple[Alignment, ...] | None, CaptionInfo | None, Transcript | None]:
    """(alignments, caption info, transcript) for a note; Nones when its captions are not to be had.

    The network is asked only when ``snap``, a status selection or burned subs say captions are
    required; otherwise only the cache is read.
    """
    from cliptool.verify import caption_lang, transcript_for, verify_parsed

    required = bool(snap) or need_status or subs == "burn"
    lookup = replace(opts, lang=caption_lang(note, opts), offline=opts.offline or not required)
    try:
        transcript = transcript_for(note.video_id, lookup)
    except CaptionsError:
        if required:
            raise
        if snap is None:
            tell(f"{note.video_id}: captions not cached; cutting around the cited times (--snap fetches them)")
        return None, None, None
    if not note.path:  # a bare --video-id/--claim time: no claim text to verify
        return None, transcript.info, transcript
    # Verified even with --no-snap: the record and the notices say what verify found.
    report = verify_parsed(note, lookup)
    if report.status != "checked":
        if snap is False and not need_status:
            return None, None, transcript
        raise CaptionsError(note.video_id, report.reason or "captions cannot be used")
    if report.doubt is not None:
        # Verdicts against what may be another video's captions would snap clips to wrong places.
        if need_status:
            raise InputError(f"not clipped by status: {report.doubt}", path=note.path)
        tell(f"{note.path}: {report.doubt} Cutting around the cited times")
        return None, report.captions, transcript
    return report.alignments, report.captions, transcript


def _duration_s(note: Note, media: Path | None, transcript: Transcript | None, cache_dir: Path) -> float | None:
    """The length a clip must end within: the media file's, else the video's as the captions or
    the cached info.json know it; None when nothing says."""
    from cliptool.fetch import read_info

    if media is not None:
        return float(probe(media).duration_s)
    if transcript is not None and transcript.duration_s:
        return float(transcript.duration_s)
    info = read_info(note.video_id, cache_dir) or {}
    duration = info.get("duration_s")
    return float(duration) if isinstance(duration, (int, float)) and duration > 0 else None


def label_of(job: ClipJob) -> str:
    """Which claim a clip is for, as failures name it; a bare --video-id clip has no note and no anchor to name."""
    if not job.note_path:
        return f"{job.spec.video_id} at {shown_time(job.spec.cited_s)}"
    label = f"{job.note_path}: anchor {job.spec.index}"
    others = [f"anchor {i}" for i in job.spec.also] + [f"{o.note_path}: anchor {o.spec.index}" for o in job.others]
    return label + (f" (also for {', '.join(others)})" if others else "")
