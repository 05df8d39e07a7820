"""Media for clips: which ffmpeg to run, what a media file holds, and sections fetched with yt-dlp.

ffmpeg is the one on PATH, else the static binary imageio-ffmpeg ships, so ``pip install .``
alone can cut clips. There is no ffprobe in that package: durations and stream facts are read
from ffmpeg's own header and ``-progress`` output. Commands are built with ffmpeg-python and
run as argument lists (never through a shell).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from pathlib import Path
from typing import Any

import ffmpeg

from cliptool.errors import FfmpegError, InputError, MediaError, MediaNetworkError, MediaUnavailableError
from cliptool.fetch import RETRIES, RETRY_DELAY_S  # yt-dlp itself is imported only when media is fetched
from cliptool.safe_write import file_lock, write_atomic
from cliptool.timecode import format_ts, utc_now

__all__ = [
    "DEFAULT_FORMAT",
    "MediaInfo",
    "MediaSource",
    "Progress",
    "check_format",
    "fetch_sections",
    "ffmpeg_exe",
    "ffmpeg_version",
    "media_error",
    "parse_header",
    "probe",
    "progress_of",
    "RW_TIMEOUT_S",
    "STALE_DOWNLOAD_S",
    "stopping",
    "run_ffmpeg",
    "stop_ffmpeg",
]

log = logging.getLogger(__name__)

# Prefer H.264 + AAC (stream-copyable into MP4 for --fast) at 720p or less, then anything <= 720p.
DEFAULT_FORMAT = "bv*[height<=720][vcodec^=avc1]+ba[acodec^=mp4a]/b[height<=720]/bv*[height<=720]+ba/b"


def check_format(fmt: str) -> None:
    """Refuse a yt-dlp format selector that does not parse, before any download starts.

    yt-dlp raises ``SyntaxError`` for ``bv[height<=abc]`` or ``bv+`` only once a download is
    set up, which would fail every clip of the run one by one. A selector that parses but
    matches nothing is a different matter: only the video's formats can tell.
    """
    import yt_dlp

    try:
        yt_dlp.YoutubeDL({"quiet": True, "no_warnings": True}).build_format_selector(fmt)
    except (SyntaxError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"not a yt-dlp format selector: {fmt!r} ({reason})") from None

_DURATION = re.compile(r"^\s*Duration:\s*(?:(\d+):(\d+):(\d+(?:\.\d+)?)|N/A)", re.MULTILINE)
_STREAM = re.compile(r"^\s*Stream #0:\d+.*?: (Video|Audio): (.*)$", re.MULTILINE)
_FPS = re.compile(r"(\d+(?:\.\d+)?)(k?) (?:fps|tbr)\b")
_SIZE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_TEXT_INPUT = re.compile(r"^Input #0, tty\b", re.MULTILINE)
_INPUT_FORMAT = re.compile(r"^Input #0, (.+?),? from ", re.MULTILINE)
_HTTP_STATUS = re.compile(r"(?:HTTP error|Server returned) (\d{3}\b[^\r\n]*)")
_HTTP_URL = re.compile(r"https?://", re.IGNORECASE)
_FFMPEG_EXIT = re.compile(r"\bffmpeg exited with code \d+")
_NO_FORMAT = "Requested format is not available"
_NO_SPACE = ("No space left on device", "Disk quota exceeded")
_MERGE_GAP_S = 20.0  # download nearby ranges as one section: one request beats two seeks
_running: set[subprocess.Popen[str]] = set()  # ffmpeg children run_ffmpeg waits for
_running_lock = threading.Lock()
_stopped = threading.Event()
_SHORT_S = 0.5  # a section this much shorter than asked ends at the video's end
_LENGTH_SLACK_S = 2.0  # ... when it ends this close to the video's known length
# A media server silent this long is given up on (ffmpeg's rw_timeout, for each read): without
# it, ffmpeg waits forever on a server that accepted the connection and sends nothing.
RW_TIMEOUT_S = 20.0
# A download temp folder nothing was written into for this long was left by a killed run: a live
# download writes all the time, and one whose server goes silent is given up on after RW_TIMEOUT_S.
STALE_DOWNLOAD_S = 15 * 60.0
_HEAD_BYTES = 64 * 1024  # of a media file, asked for to see whether its server serves ranges
# A request's failure as yt-dlp's HTTP stack words it (urllib3, http.client, the OS) in a few words.
_CONNECTION_CLOSED = re.compile(
    r"remote end closed|connection aborted|connection reset|reset by peer|closed connection|incompleteread"
    r"|broken pipe", re.IGNORECASE)
_TIMED_OUT = re.compile(r"timed out", re.IGNORECASE)
_REFUSED = re.compile(r"connection refused", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What ffmpeg says a file holds; ``fps`` is the first video stream's (None without video)."""

    duration_s: float
    has_video: bool
    has_audio: bool
    fps: float | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class MediaSource:
    """A file to cut from; its t=0 is ``offset_s`` in the video (a downloaded section starts later)."""

    path: Path
    offset_s: float = 0.0
    url: str | None = None  # what yt-dlp downloaded from, or None for a local file
    format: str | None = None  # the yt-dlp format selector used
    format_id: str | None = None  # the format(s) yt-dlp picked
    title: str | None = None
    retrieved_at: str | None = None  # ISO time of the download
    video_duration_s: float | None = None  # the whole video's length when yt-dlp knew it


@dataclass(frozen=True, slots=True)
class Progress:
    """The end of ffmpeg's ``-progress`` report: frames written and the last output time."""

    frames: int
    out_time_s: float


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the ffmpeg to run: PATH first, else imageio-ffmpeg's static binary."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as exc:
        raise MediaError("ffmpeg not found: install it on PATH or `pip install imageio-ffmpeg`") from exc


@lru_cache(maxsize=1)
def ffmpeg_version() -> str:
    """ffmpeg's version string, e.g. ``n9.0.2-17-g2a571b6068-20260930``."""
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-version"], capture_output=True, text=True, check=False)
    m = re.match(r"ffmpeg version (\S+)", out.stdout)
    return m.group(1) if m else "unknown"


def run_ffmpeg(
    stream: Any, *, what: str, global_args: Sequence[str] = (), cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run an ffmpeg-python graph with the resolved binary; raise :class:`FfmpegError` on failure.

    ``-progress pipe:1`` puts machine-readable counters on stdout; stderr keeps only errors, so
    its last line is the message the user needs. ``cwd`` lets filters name files relatively.
    """
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-nostats", "-progress", "pipe:1", *global_args]
    args = ffmpeg.compile(stream, cmd=cmd, overwrite_output=True)
    log.debug("running %s", args)
    try:
        child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                                 cwd=cwd)
    except OSError as exc:
        raise MediaError(f"{what}: cannot run ffmpeg ({args[0]}): {exc.strerror or exc}") from exc
    with _running_lock:
        _running.add(child)
        if _stopped.is_set():  # stop_ffmpeg ran: no new work (e.g. clips queued for --jobs)
            child.kill()
    try:
        with child:
            try:
                stdout, stderr = child.communicate()
            except BaseException:  # interrupted (Ctrl-C, SIGTERM): never leave ffmpeg running
                child.kill()
                child.wait()
                raise
    finally:
        with _running_lock:
            _running.discard(child)
    proc = subprocess.CompletedProcess(args, child.returncode, stdout, stderr)
    if proc.returncode != 0:
        if any(s in proc.stderr for s in _NO_SPACE):
            raise MediaError(f"{what}: no space left on the device")
        raise FfmpegError(f"{what}: ffmpeg failed (exit {proc.returncode})", proc.stderr)
    return proc


def stop_ffmpeg() -> None:
    """Kill every ffmpeg run_ffmpeg is waiting for, in any thread (a SIGTERM handler's job).

    Their callers then fail as usual and remove their temp files; any ffmpeg started later in
    this process is killed at once.
    """
    with _running_lock:
        _stopped.set()
        children = list(_running)
    for child in children:
        with contextlib.suppress(OSError):
            child.kill()


def stopping() -> bool:
    """True once :func:`stop_ffmpeg` ran: a cut failing now was stopped, it did not fail."""
    return _stopped.is_set()


def progress_of(stdout: str) -> Progress:
    """Frames and output time from the last block of ffmpeg's ``-progress`` output.

    >>> progress_of("frame=10\\nout_time_us=400000\\nprogress=continue\\nframe=250\\nout_time_us=9960000\\nprogress=end\\n")
    Progress(frames=250, out_time_s=9.96)
    """
    values: dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    frames = int(values.get("frame", "0") or 0)
    us = values.get("out_time_us", "")
    out_time = int(us) / 1e6 if us.lstrip("-").isdigit() and int(us) > 0 else 0.0
    return Progress(frames=frames, out_time_s=out_time)


def probe(path: Path) -> MediaInfo:
    """Duration and streams of a media file; :class:`MediaError` when it is missing or not media."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise MediaError(f"{p}: media file not found") from exc
    if not p.is_file():
        raise MediaError(f"{p}: not a file")
    return _probe(str(p.resolve()), st.st_mtime_ns, st.st_size)


def _read_header(src: Any, *, timeout_s: float | None = None) -> subprocess.CompletedProcess[str]:
    """ffmpeg's report on an input (its stderr): `-t 0` to the null muxer opens it, prints its
    header and stops."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "info", "-nostats"]
    args = ffmpeg.compile(ffmpeg.output(src, "-", f="null", t=0), cmd=cmd)
    return subprocess.run(args, capture_output=True, text=True, errors="replace", check=False, timeout=timeout_s)


@lru_cache(maxsize=64)
def _probe(path: str, _mtime_ns: int, _size: int) -> MediaInfo:
    # Keyed on mtime and size too, so a file replaced in place is probed again.
    src = ffmpeg.input(path)
    proc = _read_header(src)
    info = parse_header(proc.stderr)
    if info is None:
        raise FfmpegError(f"{path}: not a readable media file", proc.stderr)
    if _TEXT_INPUT.search(proc.stderr):
        # ffmpeg's tty demuxer shows any .txt/.nfo file as ANSI art: a "video" of the note's text.
        raise MediaError(f"{path}: a text file, not a video or audio file")
    if not (info.has_video or info.has_audio):
        # A caption file or a data track opens fine, but any cut of it fails on an empty output.
        kind = _INPUT_FORMAT.search(proc.stderr)
        read_as = f" (ffmpeg reads it as {kind.group(1)})" if kind else ""
        raise MediaError(f"{path}: no video or audio stream{read_as}: not a video or audio file")
    if info.duration_s <= 0:
        # No duration in the header (some streams): count through the file to its end.
        done = run_ffmpeg(ffmpeg.output(src, "-", f="null", c="copy"), what=f"{path}: reading duration")
        info = MediaInfo(progress_of(done.stdout).out_time_s, info.has_video, info.has_audio,
                         info.fps, info.width, info.height)
    return info


def parse_header(stderr: str) -> MediaInfo | None:
    """Facts from the ``Input #0`` part of ffmpeg's log; None when there is no input header.

    >>> parse_header("Input #0, mov, from 'a.mp4':\\n  Duration: 00:00:30.00, start: 0.000000\\n"
    ...              "  Stream #0:0[0x1](und): Video: h264 (High), yuv420p, 640x360 [SAR 1:1], 25 fps, 25 tbr\\n")
    MediaInfo(duration_s=30.0, has_video=True, has_audio=False, fps=25.0, width=640, height=360)
    """
    head, sep, _ = stderr.partition("Input #0")
    if not sep:
        return None
    body = stderr[len(head):].split("Output #0", 1)[0]
    m = _DURATION.search(body)
    duration = 0.0
    if m and m.group(1) is not None:
        duration = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    has_video = has_audio = False
    fps: float | None = None
    width = height = None
    for kind, rest in _STREAM.findall(body):
        if kind == "Audio":
            has_audio = True
            continue
        if "attached pic" in rest or has_video:
            continue  # cover art is a one-frame "video" stream
        has_video = True
        f = _FPS.search(rest)
        if f:
            fps = float(f.group(1)) * (1000 if f.group(2) else 1)
        s = _SIZE.search(rest)
        if s:
            width, height = int(s.group(1)), int(s.group(2))
    return MediaInfo(duration, has_video, has_audio, fps, width, height)


# ------------------------------------------------------------------------------- sections


def _media_dir(video_id: str, cache_dir: Path) -> Path:
    """``<cache>/<videoId>/media``, beside the captions; the fetcher owns the cache layout and the id check."""
    from cliptool.fetch import video_dir

    return video_dir(video_id, cache_dir) / "media"


def _format_key(fmt: str) -> str:
    return hashlib.sha1(fmt.encode("utf-8")).hexdigest()[:8]


def _load_index(folder: Path) -> list[dict[str, Any]]:
    """The cached sections ``sections.json`` lists; an unreadable index lists none (they are fetched again)."""
    try:
        doc = json.loads((folder / "sections.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        return []
    rows = doc.get("sections") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        return []
    return [r for r in rows if isinstance(r, dict) and _is_section(r) and (folder / r["file"]).is_file()]


def _is_section(row: dict[str, Any]) -> bool:
    """A row :func:`_covering` and :func:`_source` can read: a file name and numeric times (a
    hand-edited index would otherwise fail every clip of the video with a traceback).

    >>> _is_section({"file": "a.mp4", "start_s": 0, "end_s": 9.5}), _is_section({"file": "a.mp4", "start_s": "0"})
    (True, False)
    """
    def number(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    duration = row.get("video_duration_s")
    return (isinstance(row.get("file"), str) and number(row.get("start_s")) and number(row.get("end_s"))
            and (duration is None or number(duration)))


def _save_index(folder: Path, rows: list[dict[str, Any]]) -> None:
    data = json.dumps({"sections": rows}, indent=1, ensure_ascii=False) + "\n"
    try:
        write_atomic(folder / "sections.json", data.encode("utf-8"), expected_sha256=None, backup=None)
    except OSError as exc:
        raise media_error(exc, f"cannot write {folder / 'sections.json'}") from exc


def _played_s(path: Path) -> float:
    """Seconds of the file a player shows, by decoding it (a header's duration counts hidden packets)."""
    done = run_ffmpeg(ffmpeg.output(ffmpeg.input(str(path)), "-", f="null"), what=f"{path}: reading its length")
    return progress_of(done.stdout).out_time_s


def media_error(exc: OSError, what: str) -> MediaError:
    """One line for a failed media or clip write, naming a full disk plainly."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return MediaError(f"{what}: no space left on the device")
    return MediaError(f"{what}: {exc.strerror or exc}")


def _source(folder: Path, row: dict[str, Any]) -> MediaSource:
    return MediaSource(
        path=folder / row["file"], offset_s=float(row["start_s"]), url=row.get("url"), format=row.get("format"),
        format_id=row.get("format_id"), title=row.get("title"), retrieved_at=row.get("retrieved_at"),
        video_duration_s=row.get("video_duration_s"),
    )


def _covering(rows: list[dict[str, Any]], fmt: str, start_s: float, end_s: float) -> dict[str, Any] | None:
    eps = 0.001
    best = None
    for r in rows:
        if r.get("format") != fmt or r["start_s"] > start_s + eps:
            continue
        video_end = r.get("video_duration_s")
        # A section that stops at the video's end covers any range up to that end.
        reaches = r["end_s"] >= end_s - eps or (video_end is not None and r["end_s"] >= video_end - 0.5)
        if reaches and (best is None or r["end_s"] - r["start_s"] < best["end_s"] - best["start_s"]):
            best = r
    return best


def _merge(ranges: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted ranges joined when they overlap or sit within ``_MERGE_GAP_S`` of each other.

    >>> _merge([(50, 60), (0, 10), (15, 25), (100, 110)])
    [(0, 25), (50, 60), (100, 110)]
    """
    out: list[tuple[float, float]] = []
    for a, b in sorted(ranges):
        if out and a - out[-1][1] <= _MERGE_GAP_S:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def fetch_sections(
    video_id: str,
    ranges: Sequence[tuple[float, float]],
    *,
    cache_dir: Path,
    url_template: str,
    fmt: str = DEFAULT_FORMAT,
    offline: bool = False,
    margin_s: float = 1.0,
    retries: int = RETRIES,
    retry_delay_s: float = RETRY_DELAY_S,
) -> list[MediaSource | MediaError]:
    """For each (start_s, end_s) a cached file that covers it, or the error that range alone met.

    yt-dlp fetches just the missing sections (its ``download_ranges``) in format ``fmt`` into
    ``cache_dir/<id>/media/``; a later clip of the same stretch reuses the file. A range past the
    video's end, or not cached with ``offline``, is a :class:`MediaError` in its place, so the other
    clips of a note are still cut; a failed download or an unwritable cache raises. A download the
    network fails (HTTP 5xx/408/425/429, a dropped or silent connection) is tried again as captions
    are: ``retries`` times, waiting ``retry_delay_s`` doubled each time, then it raises
    :class:`MediaNetworkError`.
    """
    folder = _media_dir(video_id, cache_dir)
    _sweep_downloads(folder)
    # Everything cached: read without the lock, so a read-only cache (a shared or mounted one) serves.
    rows = _load_index(folder)
    if offline or all(_covering(rows, fmt, a, b) is not None for a, b in ranges):
        return [_found(video_id, folder, rows, fmt, a, b, offline=offline) for a, b in ranges]
    with contextlib.ExitStack() as stack:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            stack.enter_context(file_lock(folder / ".lock"))  # one writer of the folder and its index at a time
        except OSError as exc:
            raise media_error(exc, f"{video_id}: cannot write the media cache {folder}") from exc
        rows = _load_index(folder)  # again under the lock: another run may have added sections
        missing = [(a, b) for a, b in ranges if _covering(rows, fmt, a, b) is None]
        if missing:
            # Whole-second section bounds keep the section's frames on the video's frame grid.
            wanted = _merge([(max(0.0, math.floor(a - margin_s)), math.ceil(b + margin_s)) for a, b in missing])
            got = _download_retrying(video_id, wanted, folder=folder, url_template=url_template, fmt=fmt,
                                     retries=max(0, retries), retry_delay_s=retry_delay_s)
            names = {r["file"] for r in got}  # a section fetched again replaces its row, never doubles it
            rows = [r for r in rows if r.get("file") not in names] + got
            _save_index(folder, rows)
        return [_found(video_id, folder, rows, fmt, a, b, offline=False) for a, b in ranges]


def _sweep_downloads(folder: Path, *, max_age_s: float = STALE_DOWNLOAD_S) -> None:
    """Remove the ``.download.*`` temp folders a killed run left in the media folder.

    Only folders nothing was written into for ``max_age_s``: another process may be downloading
    into its own right now (where flock is missing, the media lock does not keep it out). A
    read-only cache keeps them, silently: they cost space, not correctness.
    """
    now = time.time()
    for work in folder.glob(".download.*"):
        with contextlib.suppress(OSError):
            if work.is_symlink() or not work.is_dir():
                continue  # not a folder mkdtemp made
            # The folder's own mtime changes only when a file is made in it; the files' as they grow.
            with os.scandir(work) as entries:
                newest = max([work.stat().st_mtime, *(e.stat(follow_symlinks=False).st_mtime for e in entries)])
            if now - newest > max_age_s:
                shutil.rmtree(work, ignore_errors=True)


def _found(
    video_id: str, folder: Path, rows: list[dict[str, Any]], fmt: str, start_s: float, end_s: float, *, offline: bool
) -> MediaSource | MediaError:
    row = _covering(rows, fmt, start_s, end_s)
    if row is not None:
        return _source(folder, row)
    span = f"{format_ts(start_s)}-{format_ts(end_s)}"
    if offline:
        return MediaError(f"{video_id}: media for {span} is not cached and --offline is set; "
                          "pass --media FILE or drop --offline")
    # yt-dlp gave nothing from there: the video ends before the range starts
    return MediaError(f"{video_id}: {span} is past the end of the video")


def _url_recorder(formats: list[tuple[str, dict[str, str]]]) -> Any:
    """A yt-dlp ``before_dl`` postprocessor that adds each media URL (and its headers) to ``formats``.

    yt-dlp runs ffmpeg with ``-loglevel quiet`` for a section, so its error is only "ffmpeg exited
    with code 8"; the URLs let :func:`_media_failure` ask the media what went wrong.
    """
    from yt_dlp.postprocessor.common import PostProcessor

    class Recorder(PostProcessor):
        def run(self, info: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
            for f in info.get("requested_formats") or [info]:
                media_url = f.get("url")
                if isinstance(media_url, str) and all(media_url != u for u, _ in formats):
                    formats.append((media_url, dict(f.get("http_headers") or {})))
            return [], info

    return Recorder()


def _rw_timeout_us() -> int:
    return round(RW_TIMEOUT_S * 1_000_000)


def _remote_input(media_url: str, headers: dict[str, str]) -> Any:
    """An ffmpeg input of a media URL with yt-dlp's headers, given up on when the server stalls."""
    opts: dict[str, Any] = {"rw_timeout": _rw_timeout_us()}
    if headers:
        opts["headers"] = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return ffmpeg.input(media_url, **opts)


def _remote_duration(formats: Sequence[tuple[str, dict[str, str]]]) -> float | None:
    """The video's length as its media URL's header gives it, when the page did not say it."""
    for media_url, headers in formats:
        try:
            proc = _read_header(_remote_input(media_url, headers), timeout_s=2 * RW_TIMEOUT_S + 5)
        except (OSError, subprocess.TimeoutExpired):
            continue
        info = parse_header(proc.stderr)
        if info is not None and info.duration_s:
            return info.duration_s
    return None


def _ask_media(media_url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """Status and first bytes of a small ranged GET of a media URL; raises yt-dlp's request errors.

    It goes through yt-dlp's HTTP stack (its proxy and TLS settings, the format's headers), which
    gives the exact status: ffmpeg says only "5XX Server Error" of any 5xx.
    """
    import yt_dlp
    from yt_dlp.networking import Request

    from cliptool.fetch import YtdlpLog

    # A healthy server answers this at once; a silent one has had RW_TIMEOUT_S already, in ffmpeg.
    params = {"quiet": True, "no_warnings": True, "logger": YtdlpLog(), "socket_timeout": min(RW_TIMEOUT_S, 5.0)}
    request = Request(media_url, headers={**headers, "Range": f"bytes=0-{_HEAD_BYTES - 1}"})
    with yt_dlp.YoutubeDL(params) as ydl, ydl.urlopen(request) as resp:
        # A server that ignores the range sends the whole file: read no more than asked.
        return int(resp.status), bytes(resp.read(_HEAD_BYTES))


def _request_failure(exc: BaseException) -> str:
    """A failed media request in a few words: ``HTTP 503 Service Unavailable``, ``connection closed``."""
    from yt_dlp.networking.exceptions import HTTPError

    from cliptool.fetch import error_line

    if isinstance(exc, HTTPError):
        # The standard phrase, as ffmpeg says it: a server's own ("File not found") varies, HTTP/2 has none.
        with contextlib.suppress(ValueError):
            return f"HTTP {exc.status} {HTTPStatus(exc.status).phrase}"
        return f"HTTP {exc.status} {exc.reason or ''}".strip()
    text = str(exc)  # the causes' words too: urllib3 nests them in its message
    for pattern, words in ((_CONNECTION_CLOSED, "connection closed"), (_TIMED_OUT, "timed out"),
                           (_REFUSED, "connection refused")):
        if pattern.search(text):
            return words
    return error_line(exc)


def _media_failure(formats: Sequence[tuple[str, dict[str, str]]]) -> tuple[str, bool] | None:
    """Why a media URL could not be read, and whether that was the network's fault (worth another
    try): ``("media <url>: HTTP 404 Not Found", False)``, ``("media <url>: connection closed", True)``.

    The status comes from an HTTP request; a media URL that answers is then read by ffmpeg, whose
    last line says what is wrong with it. None when both go well.
    """
    from yt_dlp.utils import YoutubeDLError

    from cliptool.fetch import download_failure, shown_url

    for media_url, headers in formats:
        try:
            if _HTTP_URL.match(media_url):  # HLS, DASH and the like are HTTP too; rtmp and files are not
                _ask_media(media_url, headers)
        except (YoutubeDLError, OSError) as exc:
            return f"media {shown_url(media_url)}: {_request_failure(exc)}", download_failure(exc) == "network"
        try:
            run_ffmpeg(ffmpeg.output(_remote_input(media_url, headers), "-", f="null", t=0),
                       what=f"reading {media_url}")
        except FfmpegError as err:
            shown = shown_url(media_url)
            status = _HTTP_STATUS.search(err.stderr)
            if status:
                return f"media {shown}: HTTP {status.group(1).strip()}", False
            tail = next((ln for ln in reversed(err.stderr.splitlines()) if ln.strip()), "")
            return f"media {shown}: {tail.strip() or 'ffmpeg cannot read it'}", False
        except MediaError:
            continue
    return None


def _index_at_end(head: bytes) -> bool:
    """True when an MP4's top-level boxes, read from its first bytes, reach its media data (mdat)
    before its index (moov): without byte ranges, ffmpeg cannot seek to the index to read a section.

    >>> def box(kind: bytes, body: bytes = b"") -> bytes: return (8 + len(body)).to_bytes(4, "big") + kind + body
    >>> _index_at_end(box(b"ftyp", b"isom") + box(b"free") + box(b"mdat", b"...")), _index_at_end(box(b"ftyp") + box(b"moov"))
    (True, False)
    """
    pos = 0
    while pos + 8 <= len(head):
        kind = head[pos + 4:pos + 8]
        if kind in (b"moov", b"mdat"):
            return kind == b"mdat"
        size = int.from_bytes(head[pos:pos + 4], "big")
        if size == 1 and pos + 16 <= len(head):  # a 64-bit size follows the type
            size = int.from_bytes(head[pos + 8:pos + 16], "big")
        if size < 8:  # 0 (the box runs to the end of the file), or not an MP4
            return False
        pos += size
    return False


def _unreadable_section(video_id: str, formats: Sequence[tuple[str, dict[str, str]]], err: MediaError,
                        got: Path) -> MediaError:
    """The error for a downloaded section ffmpeg cannot read, naming the media URL (its temp file
    means nothing to the user) and, when it is so, the server's part in it."""
    from yt_dlp.utils import YoutubeDLError

    from cliptool.fetch import shown_url

    for media_url, headers in formats:
        if not _HTTP_URL.match(media_url):
            continue
        with contextlib.suppress(YoutubeDLError, OSError):
            status, head = _ask_media(media_url, headers)
            if status == 200 and _index_at_end(head):
                return MediaError(
                    f"{video_id}: cannot download a section of media {shown_url(media_url)}: its server does not "
                    "serve byte ranges (it answers a ranged request with the whole file) and the file's index "
                    "is at its end, so no part of it can be read alone; download the whole file and pass it "
                    "with --media FILE")
    why = str(err).removeprefix(f"{got}: ").removeprefix(f"{got.resolve()}: ")
    shown = ", ".join(f"media {shown_url(u)}" for u, _ in formats) or "the video"
    return MediaError(f"{video_id}: the section downloaded from {shown} cannot be read: {why}")


def _download_retrying(
    video_id: str, wanted: list[tuple[float, float]], *, folder: Path, url_template: str, fmt: str, retries: int,
    retry_delay_s: float,
) -> list[dict[str, Any]]:
    """:func:`_download`, tried again after a failure that was the network's, with the captions' policy."""
    from cliptool.fetch import with_retries

    return with_retries(
        lambda last_try: _download(video_id, wanted, folder=folder, url_template=url_template, fmt=fmt,
                                   last_try=last_try),
        MediaNetworkError, lambda err, note: MediaNetworkError(f"{err} ({note})"),
        retries=retries, retry_delay_s=retry_delay_s, stop=stopping)


def _download(
    video_id: str, wanted: list[tuple[float, float]], *, folder: Path, url_template: str, fmt: str,
    last_try: bool = True,
) -> list[dict[str, Any]]:
    """yt-dlp's download of the ``wanted`` sections into ``folder``: their index rows, files in place.

    A failure the network may have caused raises :class:`MediaNetworkError`; so does one nothing
    explains (the media reads fine when asked again, as after a single 503 or dropped connection)
    unless this is the ``last_try``.
    """
    import contextvars

    import yt_dlp
    from yt_dlp.postprocessor.ffmpeg import FFmpegPostProcessor
    from yt_dlp.utils import download_range_func

    from cliptool.fetch import YtdlpLog, page_url  # one place decides where yt-dlp's chatter goes

    url = page_url(video_id, url_template)
    formats: list[tuple[str, dict[str, str]]] = []  # media URLs yt-dlp read, to explain its failure
    work = Path(tempfile.mkdtemp(prefix=".download.", dir=folder))
    opts: dict[str, Any] = {
        "format": fmt,
        "download_ranges": download_range_func(None, wanted),
        "outtmpl": str(work / "%(section_start)s.%(ext)s"),
        "ffmpeg_location": ffmpeg_exe(),
        "noplaylist": True,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "logger": YtdlpLog(),
        "overwrites": True,
        "external_downloader_args": {"ffmpeg_i": ["-rw_timeout", str(_rw_timeout_us())]},
    }

    def run() -> dict[str, Any]:
        # yt-dlp asks "is ffmpeg installed?" before it reads ffmpeg_location; its own CLI answers
        # through this context variable, which a context copy keeps from leaking to other threads.
        var = getattr(FFmpegPostProcessor, "_ffmpeg_location", None)
        if var is not None:
            var.set(ffmpeg_exe())
        with yt_dlp.YoutubeDL(opts) as ydl:
            ydl.add_post_processor(_url_recorder(formats), when="before_dl")
            return ydl.extract_info(url, download=True) or {}

    retrieved = utc_now()
    try:
        try:
            info = contextvars.copy_context().run(run)
        except yt_dlp.utils.DownloadError as exc:
            # the fetcher's reading of yt-dlp's failures
            from cliptool.fetch import download_failure, error_line

            msg = error_line(exc)
            if _NO_FORMAT in msg:  # yt-dlp's text sends the user to its own --list-formats
                msg = f"no format of the video matches {fmt!r} (try another --format, or leave it out)"
            failure = {"network": MediaNetworkError, "unavailable": MediaUnavailableError}.get(
                download_failure(exc), MediaError)
            if _FFMPEG_EXIT.search(msg):  # yt-dlp ran ffmpeg quietly: ask the media URL ourselves why
                found = _media_failure(formats)
                if found is not None:
                    msg, network = found
                    failure = MediaNetworkError if network else MediaError
                elif not last_try:  # gone when asked again: a passing fault another try gets past
                    failure = MediaNetworkError
            raise failure(f"{video_id}: cannot download the video from {url}: {msg}") from exc
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise MediaError(f"{video_id}: no space left on the device for {folder}") from exc
            raise MediaError(f"{video_id}: cannot download the video: {exc}") from exc
        rows = []
        done: list[tuple[Path, str]] = []  # moved into the cache only once every section is whole
        past_end = 0  # sections that start after the video's end
        downloads = info.get("requested_downloads") or []
        length: float | None = info.get("duration")  # the page's word; else asked of the media once
        length_asked = length is not None
        for d in downloads:
            got = Path(d.get("filepath") or d.get("_filename") or "")
            if not got.is_file():
                continue
            start = float(d.get("section_start") or 0.0)
            requested_end = d.get("section_end")
            try:
                media = probe(got)
            except MediaError as err:  # e.g. an empty file: ffmpeg could not seek in the media
                raise _unreadable_section(video_id, formats, err, got) from err
            end = start + media.duration_s
            video_end = length
            if requested_end is not None and end < float(requested_end) - _SHORT_S:
                # Less than asked: the video ends in this section (or before it, when the file holds
                # only a last keyframe's packets that no frame of the section's time shows), or the
                # connection dropped, which ffmpeg takes for the end of the file.
                end = start + _played_s(got)
                if not length_asked:
                    length, length_asked = _remote_duration(formats), True
                # A page's length is whole seconds, a header's may count padding: near the end,
                # only a section stopping well before it is one cut short.
                if length is None or end < min(float(requested_end) - _SHORT_S, length - _LENGTH_SLACK_S):
                    said = "the video is longer" if length is not None else "the video's length cannot be read"
                    raise MediaNetworkError(  # tried again, as any dropped connection
                        f"{video_id}: the download of {format_ts(start)}-{format_ts(float(requested_end))} stopped "
                        f"at {format_ts(end)} and {said}: the connection was cut; nothing was kept")
                if end - start < _SHORT_S:
                    got.unlink(missing_ok=True)
                    past_end += 1
                    continue
                video_end = length or end
            if requested_end is not None:
                end = min(end, float(requested_end))
            key = _format_key(fmt)
            name = f"{video_id}_{round(start * 1000)}-{round(end * 1000)}_{key}{got.suffix}"
            done.append((got, name))
            rows.append({
                "file": name, "start_s": start, "end_s": end, "url": url, "format": fmt,
                "format_id": d.get("format_id"), "title": info.get("title"), "retrieved_at": retrieved,
                "video_duration_s": video_end,
            })
        if not rows and not past_end:
            raise MediaError(f"{video_id}: yt-dlp downloaded nothing from {url}")
        for got, name in done:
            os.replace(got, folder / name)
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)

