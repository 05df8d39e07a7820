"""Captions of a video: from the cache, else through yt-dlp into the cache.

Layout: ``<cache>/<videoId>/<lang>.<ext>`` (ext json3, vtt or srt) plus ``<cache>/<videoId>/info.json``.
A cache hit never touches the network or imports yt-dlp. Every file is written atomically, so a
crash or a parallel run leaves the old file or the new one, never half of one.

This is the only module that imports ``yt_dlp``, and only inside functions: ``cliptool --help``
stays fast and a cached run works even where yt-dlp is broken.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeVar, cast, get_args
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from cliptool import __version__
from cliptool.captions import MAX_CAPTION_BYTES, CaptionFormat, load_captions, parse_captions
from cliptool.errors import (
    CaptionsError,
    CliptoolError,
    InputError,
    NetworkError,
    NoCaptionsError,
    NotCachedError,
    VideoUnavailableError,
)
from cliptool.models import CaptionKind, Transcript
from cliptool.notes import is_video_id
from cliptool.safe_write import file_lock, write_atomic
from cliptool.timecode import utc_now

__all__ = [
    "CACHE_EXTS",
    "DEFAULT_URL_TEMPLATE",
    "MAX_CAPTION_BYTES",
    "RETRIES",
    "RETRY_DELAY_S",
    "Track",
    "YtdlpLog",
    "cached_files",
    "check_cache_dir",
    "check_lang",
    "check_video_id",
    "choose_track",
    "download_failure",
    "error_line",
    "fetch_captions",
    "offline_reason",
    "page_url",
    "read_info",
    "shown_url",
    "video_dir",
    "with_retries",
    "ytdlp_version",
]

log = logging.getLogger(__name__)
# yt-dlp's own chatter, all at DEBUG: a child logger so `-v` shows it and a caller can filter it.
_ytdlp_log = logging.getLogger(f"{__name__}.yt_dlp")

DEFAULT_URL_TEMPLATE = "https://www.youtube.com/watch?v={id}"

# Formats load_captions reads, best first: json3 and YouTube's vtt carry word times, srt never does.
# srv1-3 and ttml are skipped: nothing here parses them.
_FETCH_EXTS: tuple[CaptionFormat, ...] = ("json3", "vtt", "srt")
# Cached files without an info.json (e.g. ../shared/corpus/cache): manual formats first.
CACHE_EXTS: tuple[CaptionFormat, ...] = ("srt", "vtt", "json3")
INFO_NAME = "info.json"
FETCH_LOCK = ".fetch.lock"  # held while a video's captions are fetched, so parallel runs fetch once
RETRIES = 2  # a transient network failure (5xx, 429, a dropped connection) is tried this many times more
RETRY_DELAY_S = 0.5  # ... after this long, doubling each time
_READ_CHUNK = 1 << 16

_LANG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_KINDS = frozenset(get_args(CaptionKind))
# yt-dlp's words for a video that exists no more or not for us; retrying cannot help.
_UNAVAILABLE = re.compile(
    r"private video|video unavailable|this video (?:is|has been) (?:private|unavailable|removed|no longer)"
    r"|has been removed|account associated with this video has been terminated|not available in your country"
    r"|members[- ]only|join this channel|unsupported url|confirm your age|premieres in|does not exist",
    re.IGNORECASE,
)
_RETRY_STATUS = frozenset({408, 425, 429})
# Failures that mean this machine cannot reach any network: retrying only makes the user wait.
# Messages as glibc, macOS, Windows and urllib3 word them, for causes that reach us only as text.
_OFFLINE = re.compile(
    r"name or service not known|temporary failure in name resolution|nodename nor servname"
    r"|no address associated with hostname|getaddrinfo failed|failed to resolve|network is unreachable",
    re.IGNORECASE,
)
_URL_SECRETS = frozenset({"pot", "potc"})  # proof-of-origin token: session-bound, no use in a cache


@dataclass(frozen=True, slots=True)
class Track:
    """One caption track chosen from yt-dlp's info: which, in what format, where from."""

    lang: str  # yt-dlp's key: en, en-US, en-orig, en-ru ...
    ext: CaptionFormat
    url: str
    kind: CaptionKind  # manual | auto | auto-translated
    original_language: str | None = None  # language the text was first written/spoken in
    headers: tuple[tuple[str, str], ...] = ()
    impersonate: bool = False  # YouTube asks for a browser-like client for caption requests


# --------------------------------------------------------------------------- choosing (pure)


def _ext_of(fmt: Mapping[str, Any]) -> str:
    ext = fmt.get("ext")
    if isinstance(ext, str) and ext:
        return ext.lower()
    return PurePosixPath(urlsplit(str(fmt.get("url", ""))).path).suffix.lstrip(".").lower()


def _best_format(formats: object) -> tuple[CaptionFormat, Mapping[str, Any]] | None:
    """The most useful readable format of one track's list, or None when none is readable."""
    best: tuple[int, CaptionFormat, Mapping[str, Any]] | None = None
    for fmt in formats if isinstance(formats, list) else ():
        if not isinstance(fmt, Mapping) or not isinstance(fmt.get("url"), str):
            continue
        ext = _ext_of(fmt)
        if ext in _FETCH_EXTS:
            rank = _FETCH_EXTS.index(cast(CaptionFormat, ext))
            if best is None or rank < best[0]:
                best = (rank, cast(CaptionFormat, ext), fmt)
    return (best[1], best[2]) if best else None


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _is_translation(url: str) -> bool:
    """YouTube marks machine translation with ``tlang=`` on the caption URL."""
    return "tlang" in _query(url)


def _matching_keys(tracks: Mapping[str, Any], lang: str) -> list[str]:
    """Keys for ``lang``: exact first, then ``<lang>-orig``, then regional variants (en-US, en-GB).

    >>> _matching_keys({"en-GB": [], "de": [], "en": [], "en-orig": []}, "en")
    ['en', 'en-orig', 'en-GB']
    """
    want = lang.lower()
    base = want.split("-")[0]

    def rank(key: str) -> int | None:
        k = key.lower()
        if k == want:
            return 0
        if k == f"{want}-orig":
            return 1
        return 2 if k.split("-")[0] == base else None

    keys = [k for k in tracks if isinstance(k, str) and rank(k) is not None]
    return sorted(keys, key=lambda k: (rank(k), k))


def _orig_key_language(autos: Mapping[str, Any]) -> str | None:
    """YouTube lists the spoken language's own auto track a second time as ``<lang>-orig``."""
    for key in autos:
        if isinstance(key, str) and key.endswith("-orig"):
            return key.removesuffix("-orig")
    return None


def _make_track(key: str, ext: CaptionFormat, fmt: Mapping[str, Any], kind: CaptionKind,
                original: str | None, info: Mapping[str, Any]) -> Track:
    headers = fmt.get("http_headers") or info.get("http_headers") or {}
    return Track(
        lang=key,
        ext=ext,
        url=str(fmt["url"]),
        kind=kind,
        original_language=original,
        headers=tuple((str(k), str(v)) for k, v in headers.items()) if isinstance(headers, Mapping) else (),
        impersonate=bool(fmt.get("impersonate")),
    )


def choose_track(info: Mapping[str, Any], lang: str) -> Track | None:
    """Best captions in ``lang`` from yt-dlp's info: manual, else automatic, else auto-translated.

    Within a track json3 beats vtt beats srt (word timings first). Translated automatic tracks
    (``tlang=`` in the URL) only count as the last resort; their ``original_language`` is the
    language translated from.
    """
    subs = info.get("subtitles") or {}
    autos = info.get("automatic_captions") or {}
    for key in _matching_keys(subs, lang):
        found = _best_format(subs[key])
        if found:
            return _make_track(key, found[0], found[1], "manual", key.removesuffix("-orig"), info)

    translated: list[tuple[str, CaptionFormat, Mapping[str, Any]]] = []
    for key in _matching_keys(autos, lang):
        plain = [f for f in autos[key] or () if isinstance(f, Mapping) and not _is_translation(str(f.get("url")))]
        found = _best_format(plain)
        if found:
            return _make_track(key, found[0], found[1], "auto", key.removesuffix("-orig"), info)
        tl = _best_format([f for f in autos[key] or () if f not in plain])
        if tl:
            translated.append((key, *tl))
    if translated:
        key, ext, fmt = translated[0]
        source = next(iter(_query(str(fmt["url"])).get("lang") or ()), None) or _orig_key_language(autos)
        return _make_track(key, ext, fmt, "auto-translated", source, info)
    return None


def _available(info: Mapping[str, Any]) -> str:
    """Short list of what the video does have, for the no-captions message."""
    subs = sorted(k for k in info.get("subtitles") or {} if isinstance(k, str))
    autos = sorted(
        k for k, fmts in (info.get("automatic_captions") or {}).items()
        if isinstance(k, str) and not k.endswith("-orig")
        and any(isinstance(f, Mapping) and not _is_translation(str(f.get("url"))) for f in fmts or ())
    )
    parts = [f"manual {', '.join(subs[:8])}" if subs else "", f"auto {', '.join(autos[:8])}" if autos else ""]
    return "; ".join(p for p in parts if p) or "none"


# --------------------------------------------------------------------------- cache


def check_video_id(video_id: str) -> str:
    """``video_id`` when it is 11 characters of ``[A-Za-z0-9_-]``; anything else never reaches a path."""
    if not isinstance(video_id, str) or not is_video_id(video_id):
        raise InputError(f"invalid video id {video_id!r} (expected 11 characters of A-Z a-z 0-9 _ -)")
    return video_id


def page_url(video_id: str, url_template: str) -> str:
    """The page yt-dlp reads for the video: ``url_template`` with ``{id}`` replaced.

    >>> page_url("yqizMvX5YsA", "http://127.0.0.1:8000/{id}.html")
    'http://127.0.0.1:8000/yqizMvX5YsA.html'
    """
    if "{id}" not in url_template:
        raise InputError(f"URL template {url_template!r} has no {{id}}")
    url = url_template.replace("{id}", video_id)
    try:
        parts = urlsplit(url)
        is_http = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed [ in the host
        is_http = False
    if not is_http:  # yt-dlp would say "not a valid URL" only once the run is under way, once per video
        raise InputError(f"URL template {url_template!r} is not an http(s) URL (expected e.g. {DEFAULT_URL_TEMPLATE})")
    return url


def shown_url(url: str) -> str:
    """A URL as an error line shows it: a signed URL's query is long and says nothing to a user.

    >>> shown_url("https://cdn.example/v.mp4?sig=abc&exp=1"), shown_url("http://h/en.vtt")
    ('https://cdn.example/v.mp4?…', 'http://h/en.vtt')
    """
    parts = urlsplit(url)
    return parts._replace(query="", fragment="").geturl() + ("?…" if parts.query else "")


def check_lang(lang: str) -> str:
    """``lang`` in the case YouTube writes it (en, pt-BR, zh-Hans) if it is a language code yt-dlp
    and the cache can use, else an InputError.

    Language tags ignore case, so ``EN`` is ``en``: one spelling keeps one cache file per language.

    A locale's ``_`` (``ru_RU``, as systems and some notes write it) is read as the tag's ``-``.

    >>> check_lang("EN"), check_lang("pt-br"), check_lang("ZH-HANS"), check_lang("es-419"), check_lang("en-ORIG")
    ('en', 'pt-BR', 'zh-Hans', 'es-419', 'en-orig')
    >>> check_lang("ru_RU")
    'ru-RU'
    """
    if not isinstance(lang, str) or not _LANG.fullmatch(lang.replace("_", "-")):
        raise InputError(f"invalid language code {lang!r} (expected e.g. en, pt-BR)")
    lang = lang.replace("_", "-")
    first, *rest = lang.split("-")
    return "-".join([first.lower(), *(p.upper() if len(p) == 2 else p.title() if len(p) == 4 and p.lower() != "orig"
                                      else p.lower() for p in rest)])  # en-orig: yt-dlp's, not a script


def _size(n_bytes: int) -> str:
    """A byte count as an error line shows it.

    >>> _size(50_000_000), _size(300_123_456), _size(2048)
    ('50 MB', '300.1 MB', '2048 bytes')
    """
    return f"{n_bytes / 1e6:.4g} MB" if n_bytes >= 1_000_000 else f"{n_bytes} bytes"


def _not_a_folder(folder: Path) -> str | None:
    """Why ``folder`` cannot be a folder (it, or the nearest of its parents that exists, is a
    file), or None: the OS only says "File exists" or "Not a directory", naming neither."""
    for path in (folder, *folder.parents):
        try:
            if path.is_dir():
                return None
        except OSError:  # cannot look (no permission): the write will tell
            return None
        if os.path.lexists(path) and not path.is_dir():  # made a folder meanwhile by a parallel fetch
            return "it is a file, not a folder" if path == folder else f"{path} is a file, not a folder"
    return None


def check_cache_dir(cache_dir: Path) -> Path:
    """``cache_dir`` when it is a folder or can be made one; a file in its place or on its path
    is an InputError now, not after the network work it would waste."""
    reason = _not_a_folder(Path(cache_dir))
    if reason:
        raise InputError(f"cannot use the captions cache: {reason}", path=str(cache_dir))
    return cache_dir


def video_dir(video_id: str, cache_dir: Path) -> Path:
    """``cache_dir/<videoId>``, after checking the id."""
    return Path(cache_dir) / check_video_id(video_id)


def cached_files(video_id: str, cache_dir: Path, *, lang: str | None = None) -> list[Path]:
    """Caption files cached for the video (``<lang>.<ext>``), by language then :data:`CACHE_EXTS`.

    Temp files of an unfinished write (dot-prefixed) and ``info.json`` are never listed.
    """
    folder = video_dir(video_id, cache_dir)
    if not folder.is_dir():
        return []
    found: list[tuple[str, int, Path]] = []
    for path in folder.iterdir():
        stem, dot, ext = path.name.rpartition(".")
        if path.name.startswith(".") or not dot or ext not in CACHE_EXTS or not path.is_file():
            continue
        if lang is None or stem.lower() == lang.lower():  # language tags ignore case: EN is en
            found.append((stem, CACHE_EXTS.index(cast(CaptionFormat, ext)), path))
    return [p for _, _, p in sorted(found)]


def read_info(video_id: str, cache_dir: Path) -> dict[str, Any] | None:
    """The video's ``info.json``, or None when there is none (or it is unreadable: the cache then
    counts as having no metadata rather than failing the run)."""
    path = video_dir(video_id, cache_dir) / INFO_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):  # NotADirectory: the cache path is a file
        return None
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: arrays nested too deeply
        log.warning("ignoring unreadable %s: %s", path, exc)
        return None
    return data if isinstance(data, dict) else None


def _track_entry(info: Mapping[str, Any] | None, lang: str) -> Mapping[str, Any] | None:
    tracks = (info or {}).get("tracks")
    if not isinstance(tracks, Mapping):
        return None
    entry = tracks.get(lang) or next((v for k, v in tracks.items() if str(k).lower() == lang.lower()), None)
    return entry if isinstance(entry, Mapping) else None


def _cached_path(video_id: str, lang: str, cache_dir: Path, info: Mapping[str, Any] | None, *,
                 kin: bool = False) -> Path | None:
    """The file info.json names for ``lang`` if it is there, else the preferred cached file; with
    ``kin`` (offline, where nothing better can be had), for a language the cache lacks, its base
    language's, then another region's, as a fetch would choose them (``en-US``: ``en``, then
    ``en-GB``). Online the page may have the very track: pt-PT is not pt-BR."""
    files = cached_files(video_id, cache_dir, lang=lang)
    entry = _track_entry(info, lang)
    named = entry.get("file") if entry else None
    for path in files:
        if path.name == named:
            return path
    if files or not kin:
        return files[0] if files else None
    base = lang.split("-")[0].lower()
    related = [p for p in cached_files(video_id, cache_dir) if _file_lang(p).split("-")[0].lower() == base]
    related.sort(key=lambda p: _file_lang(p).lower() != base)  # stable: by language, then CACHE_EXTS
    return related[0] if related else None


def _file_lang(path: Path) -> str:
    """The language a cache file is named for (``en-US.vtt``: en-US)."""
    return path.name.rpartition(".")[0]


def _load_cached(path: Path, lang: str, info: Mapping[str, Any] | None, *, max_bytes: int) -> Transcript:
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # load_captions says why it cannot be read
    if size > max_bytes:  # put there by hand: parsing it would take minutes and gigabytes
        raise InputError(f"cached caption file is {_size(size)}, over the {_size(max_bytes)} cap for captions; "
                         "delete it", path=str(path))
    # The entry that names this file: the language asked for's, else (the base language's file
    # standing in for a regional code) the file's own. An entry for another file (info.json names
    # en.json3, which was deleted) says nothing about this one.
    entry = next((e for e in (_track_entry(info, lang), _track_entry(info, _file_lang(path)))
                  if e is not None and e.get("file") == path.name), None)
    kind = entry.get("kind") if entry else None
    # The track's own language: asked for en-US, a video with only "en" captions is checked
    # against those, and the report must say en, not what was asked.
    # (A translation's key is yt-dlp's "<target>-<source>": its text is in the language asked.)
    track = entry.get("track") if entry and kind != "auto-translated" else None
    language = (track.removesuffix("-orig") if isinstance(track, str) and _LANG.fullmatch(track)
                else lang if _file_lang(path).lower() == lang.lower() else _file_lang(path))
    transcript = load_captions(path, language=language, max_bytes=max_bytes,
                               kind=cast(CaptionKind, kind) if kind in _KINDS else "unknown")
    duration = (info or {}).get("duration_s")
    if isinstance(duration, (int, float)) and not isinstance(duration, bool) and duration > 0:
        transcript = replace(transcript, duration_s=float(duration))
    return transcript


def _now_utc() -> str:
    return utc_now().replace("+00:00", "Z")  # info.json has always said Z


def _public_url(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, vs in parse_qs(parts.query, keep_blank_values=True).items()
             if k not in _URL_SECRETS for v in vs]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _video_language(info: Mapping[str, Any], track: Track) -> str | None:
    lang = _orig_key_language(info.get("automatic_captions") or {}) or info.get("language")
    if isinstance(lang, str) and lang:
        return lang
    return track.original_language if track.kind != "manual" else None


def _write(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data, expected_sha256=None, backup=None)
    except OSError as exc:
        raise InputError(f"cannot write the captions cache: {exc.strerror or exc}", path=str(path)) from exc


def _store(video_id: str, lang: str, cache_dir: Path, info: Mapping[str, Any], track: Track,
           data: bytes, url: str) -> Path:
    """Write the caption file, then merge this track into info.json; both atomically."""
    folder = video_dir(video_id, cache_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = _not_a_folder(folder) or exc.strerror or str(exc)
        raise InputError(f"cannot create the captions cache: {reason}", path=str(folder)) from exc
    path = folder / f"{lang}.{track.ext}"
    _write(path, data)
    now = _now_utc()
    # Other languages of one video may be fetched in parallel: merge info.json one at a time.
    with file_lock(folder / ".info.lock"):
        old = read_info(video_id, cache_dir) or {}
        tracks = dict(old.get("tracks") or {}) if isinstance(old.get("tracks"), Mapping) else {}
        tracks[lang] = {
            "file": path.name,
            "track": track.lang,
            "ext": track.ext,
            "kind": track.kind,
            "language": lang,
            "original_language": track.original_language,
            "url": _public_url(track.url),
            "retrieved_at": now,
        }
        duration = info.get("duration")
        doc = {
            "video_id": video_id,
            "title": info.get("title") or old.get("title"),
            "duration_s": float(duration) if isinstance(duration, (int, float)) else old.get("duration_s"),
            "original_language": _video_language(info, track) or old.get("original_language"),
            "webpage_url": info.get("webpage_url") or url,
            "extractor": info.get("extractor_key") or info.get("extractor"),
            "retrieved_at": now,
            "yt_dlp_version": ytdlp_version(),
            "cliptool_version": __version__,
            "tracks": tracks,
        }
        _write(folder / INFO_NAME, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return path


# --------------------------------------------------------------------------- yt-dlp


def ytdlp_version() -> str | None:
    """yt-dlp's version string, or None when it is not installed."""
    try:
        from yt_dlp.version import __version__ as version
    except ImportError:
        return None
    return str(version)


class YtdlpLog:
    """yt-dlp's ``logger`` hook: everything it says goes to logging at DEBUG (``cliptool -v``).

    Its warnings are retries, fallbacks between YouTube clients and pages it could not get; what
    matters to the user arrives once, as the exception we translate, so they are not repeated.
    """

    def debug(self, msg: str) -> None:
        _ytdlp_log.debug("%s", msg)

    def info(self, msg: str) -> None:
        _ytdlp_log.debug("%s", msg)

    def warning(self, msg: str) -> None:
        _ytdlp_log.debug("%s", msg)

    def error(self, msg: str) -> None:
        _ytdlp_log.debug("%s", msg)  # it is raised right after, as an exception we translate


def _ydl_params(lang: str, socket_timeout_s: float) -> dict[str, Any]:
    # The Python API never reads yt-dlp's config files (only its CLI does) and gets no cookies.
    return {
        "quiet": True,
        "noprogress": True,
        "skip_download": True,
        # YouTube builds its table of translated captions only when automatic subtitles are wanted.
        "writesubtitles": True,
        "writeautomaticsub": True,
        "subtitleslangs": [lang],
        "ignore_no_formats_error": True,  # we want captions; a video with no playable format still has them
        "noplaylist": True,
        "socket_timeout": socket_timeout_s,
        # Our loop in _fetch_retrying is the one retry policy. YouTube's extractor would otherwise
        # retry every page and API call 3 more times inside each of our attempts. (``retries`` is
        # for yt-dlp's media downloaders, which never run here: skip_download.)
        "extractor_retries": 0,
        "logger": YtdlpLog(),
    }


def error_line(exc: BaseException) -> str:
    """yt-dlp's message without ``ERROR: [ie] id:`` and ``(caused by ...)``, on one line.

    An exception with no message is named by its class.

    >>> error_line(OSError("ERROR: [youtube] abc: Video unavailable (caused by X)\\nmore")), error_line(TimeoutError())
    ('Video unavailable', 'TimeoutError')
    """
    text = (str(exc).strip().splitlines() or [""])[0]
    text = re.sub(r"^(?:ERROR:\s*)?(?:\[[^\]]+\]\s*(?:[\w-]+:\s+)?)?", "", text)
    text = re.sub(r"\s*\(caused by .*\)\s*$", "", text)
    text = re.sub(r";?\s*please report this issue.*$", "", text, flags=re.IGNORECASE)
    return text[:300].strip() or type(exc).__name__


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything behind it: yt-dlp's ``exc_info``/``cause`` and Python's chain."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop(0)
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        exc_info = getattr(cur, "exc_info", None)
        nxt = [exc_info[1] if isinstance(exc_info, tuple) and len(exc_info) > 1 else None,
               getattr(cur, "cause", None), cur.__cause__, cur.__context__]
        todo.extend(e for e in nxt if isinstance(e, BaseException))


def _classify(exc: BaseException, video_id: str, what: str) -> CaptionsError:
    """Turn a yt-dlp / socket failure into our error; only :class:`NetworkError` is worth a retry."""
    from yt_dlp.networking.exceptions import HTTPError, TransportError

    msg = error_line(exc)
    for cur in _chain(exc):
        if isinstance(cur, HTTPError) and cur.redirect_loop:  # its status is only the loop's last 30x
            if what.startswith("captions"):
                return NoCaptionsError(video_id, f"{what} cannot be had: too many redirects")
            return VideoUnavailableError(video_id, f"video unavailable: too many redirects at {what}")
        if isinstance(cur, HTTPError):
            status = cur.status
            if status >= 500 or status in _RETRY_STATUS:
                return NetworkError(video_id, f"network failure fetching {what}: HTTP {status} {cur.reason or ''}".strip())
            if what.startswith("captions"):
                return NoCaptionsError(video_id, f"{what} cannot be had: HTTP {status} {cur.reason or ''}".strip())
            return VideoUnavailableError(video_id, f"video unavailable: HTTP {status} {cur.reason or ''} at {what}".strip())
    for cur in _chain(exc):
        if isinstance(cur, (TransportError, ConnectionError, TimeoutError)) or type(cur).__name__ == "gaierror":
            return NetworkError(video_id, f"network failure fetching {what}: {error_line(cur)}")
    if _UNAVAILABLE.search(str(exc)):
        return VideoUnavailableError(video_id, f"video unavailable: {msg}")
    return CaptionsError(video_id, f"yt-dlp failed on {what}: {msg}")


def download_failure(exc: BaseException) -> Literal["network", "unavailable", "other"]:
    """What a failed media download was, read as for captions: ``network`` (worth trying again
    later), ``unavailable`` (the video is gone, private or not found) or ``other``."""
    failure = _classify(exc, "", "the video")
    if isinstance(failure, NetworkError):
        return "network"
    return "unavailable" if isinstance(failure, VideoUnavailableError) else "other"


def offline_reason(exc: BaseException | None) -> str | None:
    """Why ``exc`` says this machine is offline (no name resolution, no route), or None.

    >>> offline_reason(OSError(101, "Network is unreachable"))
    'network is unreachable'
    >>> offline_reason(ConnectionRefusedError(111, "Connection refused")) is None
    True
    """
    if exc is None:
        return None
    for cur in _chain(exc):
        if isinstance(cur, socket.gaierror):
            return "host name does not resolve"
        if isinstance(cur, OSError) and cur.errno == errno.ENETUNREACH:
            return "network is unreachable"
    for cur in _chain(exc):
        m = _OFFLINE.search(str(cur))
        if m:
            return "network is unreachable" if "unreachable" in m[0].lower() else "host name does not resolve"
    return None


def _extract(ydl: Any, url: str, video_id: str) -> dict[str, Any]:
    from yt_dlp.utils import YoutubeDLError

    try:
        info = ydl.extract_info(url, download=False)
    except (YoutubeDLError, OSError) as exc:
        raise _classify(exc, video_id, url) from exc
    except Exception as exc:
        # yt-dlp's own bug on an odd page (a caption track without srclang raises TypeError) is this
        # note's failure, not the run's: one line for it, and the other notes go on.
        raise CaptionsError(video_id, f"yt-dlp failed on {url}: {type(exc).__name__}: {error_line(exc)}") from exc
    if not isinstance(info, dict):
        raise VideoUnavailableError(video_id, f"no video found at {url}")
    entries = info.get("entries")
    if entries is not None:  # a page with several videos: the first one is the one the id names
        first = next((e for e in entries if isinstance(e, dict)), None)
        if first is None:
            raise VideoUnavailableError(video_id, f"no video found at {url}")
        info = first
    return info


def _read_capped(resp: Any, max_bytes: int, video_id: str, what: str) -> bytes:
    """The body of ``resp``, refused (NoCaptionsError) once it is past ``max_bytes``: by its
    Content-Length before reading, else as it comes, so a giant answer is never held whole."""
    def too_big(seen: str) -> NoCaptionsError:
        return NoCaptionsError(video_id, f"{what} is over the {_size(max_bytes)} cap for a caption file ({seen}); "
                                         "nothing was cached")

    length = str(resp.headers.get("Content-Length") or "").strip()
    if length.isdigit() and int(length) > max_bytes:
        raise too_big(f"Content-Length {_size(int(length))}")
    data = bytearray()
    while chunk := resp.read(_READ_CHUNK):
        data += chunk
        if len(data) > max_bytes:
            raise too_big(f"stopped reading at {_size(len(data))}")
    return bytes(data)


def _download(ydl: Any, track: Track, video_id: str, *, max_bytes: int) -> bytes:
    """The track's bytes through yt-dlp's own HTTP stack (its headers, proxy, impersonation)."""
    from yt_dlp.networking import Request
    from yt_dlp.networking.exceptions import HTTPError, RequestError, TransportError
    from yt_dlp.networking.impersonate import ImpersonateTarget
    from yt_dlp.utils import YoutubeDLError

    what = f"captions {track.lang}.{track.ext} ({shown_url(track.url)})"
    headers = dict(track.headers)

    def get(extensions: dict[str, Any]) -> bytes:
        with ydl.urlopen(Request(track.url, headers=headers, extensions=extensions)) as resp:
            return _read_capped(resp, max_bytes, video_id, what)

    try:
        if not track.impersonate:
            return get({})
        try:
            return get({"impersonate": ImpersonateTarget()})
        except RequestError as exc:
            if isinstance(exc, (HTTPError, TransportError)):
                raise
            # No impersonation backend (curl_cffi) installed: yt-dlp's own subtitle downloader
            # warns and goes on without it, and so do we.
            log.warning("%s: no browser impersonation available for captions; trying without", video_id)
            return get({})
    except (YoutubeDLError, OSError) as exc:
        raise _classify(exc, video_id, what) from exc


def _fetch_once(ydl: Any, url: str, video_id: str, lang: str, *,
                max_bytes: int) -> tuple[dict[str, Any], Track, bytes]:
    info = _extract(ydl, url, video_id)
    track = choose_track(info, lang)
    if track is None:
        raise NoCaptionsError(video_id, f"no {lang} captions in any readable form (the video has: {_available(info)})")
    data = _download(ydl, track, video_id, max_bytes=max_bytes)
    try:
        # Parse before caching: a garbled or empty answer must never become a cache hit.
        text = data.decode("utf-8-sig")
        parsed = parse_captions(text, fmt=track.ext, source=track.url, language=lang, kind=track.kind)
    except (UnicodeDecodeError, InputError) as exc:
        raise NoCaptionsError(video_id, f"{lang} captions are unreadable ({track.ext}): {error_line(exc)}") from exc
    if not parsed.cues:  # nothing at all, or a header with no cue (a bare "WEBVTT")
        raise NoCaptionsError(video_id, f"{lang} captions came back empty")
    return info, track, data


def _fetch_retrying(url: str, video_id: str, lang: str, *, retries: int, retry_delay_s: float,
                    socket_timeout_s: float, max_bytes: int) -> tuple[dict[str, Any], Track, bytes]:
    import yt_dlp

    with yt_dlp.YoutubeDL(_ydl_params(lang, socket_timeout_s)) as ydl:
        return with_retries(lambda _last: _fetch_once(ydl, url, video_id, lang, max_bytes=max_bytes), NetworkError,
                            lambda err, note: NetworkError(video_id, f"{err.detail} ({note})"),
                            retries=retries, retry_delay_s=retry_delay_s)


_T = TypeVar("_T")
_E = TypeVar("_E", bound=CliptoolError)


def with_retries(attempt: Callable[[bool], _T], network_error: type[_E], reword: Callable[[_E, str], _E], *,
                 retries: int, retry_delay_s: float, stop: Callable[[], bool] = lambda: False) -> _T:
    """``attempt(last_try)``, tried again after ``network_error`` (the network's fault) up to
    ``retries`` times, waiting ``retry_delay_s`` doubled each time: captions' and media's one policy.

    An offline machine is not retried (waiting will not bring the network back within seconds), nor
    a run being stopped (``stop``); the error that ends it is ``reword`` of the last one with why.
    """
    tried = 0
    while True:
        try:
            return attempt(tried >= retries)
        except network_error as err:
            offline = offline_reason(err.__cause__)
            if offline:
                raise reword(err, f"{offline}: not retried") from err
            if stop():
                raise
            if tried >= retries:
                raise reword(err, f"gave up after {tried + 1} attempt{'s' if tried else ''}") from err
            delay = retry_delay_s * 2**tried
            log.info("%s; retrying in %.3g s", err, delay)
            time.sleep(delay)
            tried += 1


# --------------------------------------------------------------------------- public entry


def fetch_captions(
    video_id: str,
    *,
    lang: str = "en",
    cache_dir: Path,
    url_template: str = DEFAULT_URL_TEMPLATE,
    offline: bool = False,
    refresh: bool = False,
    retries: int = RETRIES,
    retry_delay_s: float = RETRY_DELAY_S,
    socket_timeout_s: float = 20.0,
    max_caption_bytes: int = MAX_CAPTION_BYTES,
) -> Transcript:
    """The video's captions in ``lang``: from the cache, else fetched with yt-dlp and cached.

    ``url_template`` names the page yt-dlp reads (``{id}`` is replaced). Network failures
    (refused, timed out, HTTP 5xx/408/429) are retried ``retries`` times, waiting ``retry_delay_s``
    doubled each time (1.5 s in all by default), then raise :class:`NetworkError`; an offline
    machine (host name does not resolve, network unreachable) raises it at once; a missing video raises :class:`VideoUnavailableError`, a video without
    usable captions (or a caption file over ``max_caption_bytes``) :class:`NoCaptionsError`,
    ``offline`` without a cached file :class:`NotCachedError`. A file where the video's cache
    folder or one of its parents should be is an :class:`InputError` before any network work, as
    is a cached caption file over ``max_caption_bytes``.
    """
    check_video_id(video_id)
    lang = check_lang(lang)
    cache_dir = Path(cache_dir)
    cached = None if refresh else _from_cache(video_id, lang, cache_dir, max_caption_bytes, kin=offline)
    if cached is not None:
        return cached
    folder = video_dir(video_id, cache_dir)
    if offline:
        raise NotCachedError(video_id, f"no cached {lang} captions under {folder} (offline)")
    url = page_url(video_id, url_template)
    reason = _not_a_folder(folder)
    if reason:  # found now, not after the fetch it would waste
        raise InputError(f"cannot create the captions cache: {reason}", path=str(folder))
    made = [p for p in (folder, *folder.parents) if not p.exists()]  # removed again if nothing is cached
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the captions cache: {exc.strerror or exc}", path=str(folder)) from exc
    lock = folder / FETCH_LOCK
    stored = False
    try:
        # Notes of one video spread over `verify --jobs` workers would each fetch it: the first
        # holds the lock while it fetches, the others then find its captions in the cache.
        with file_lock(lock):
            cached = None if refresh else _from_cache(video_id, lang, cache_dir, max_caption_bytes)
            if cached is not None:  # another run fetched it while this one waited for the lock
                return cached
            info, track, data = _fetch_retrying(
                url, video_id, lang, retries=max(0, retries), retry_delay_s=retry_delay_s,
                socket_timeout_s=socket_timeout_s, max_bytes=max_caption_bytes,
            )
            path = _store(video_id, lang, cache_dir, info, track, data, url)
            stored = True
    finally:
        if not stored:
            _drop_if_only_locks(folder, made)
    log.info("%s: cached %s captions (%s, %s) at %s", video_id, lang, track.kind, track.ext, path)
    return _load_cached(path, lang, read_info(video_id, cache_dir), max_bytes=max_caption_bytes)


def _from_cache(video_id: str, lang: str, cache_dir: Path, max_bytes: int, *, kin: bool = False) -> Transcript | None:
    """The cached captions for ``lang`` (see :func:`_cached_path`), or None when there are none."""
    info = read_info(video_id, cache_dir)
    path = _cached_path(video_id, lang, cache_dir, info, kin=kin)
    if path is None:
        return None
    log.debug("%s: cache hit %s", video_id, path)
    return _load_cached(path, lang, info, max_bytes=max_bytes)


def _drop_if_only_locks(folder: Path, made: Sequence[Path]) -> None:
    """Remove a video's cache folder that holds nothing but lock files, and the empty folders
    above it this fetch created: a failed first fetch (unavailable video, no network) leaves no
    trace. Best effort: a run that holds the lock meanwhile still works (on an unlinked file),
    and at worst fetches once more."""
    try:
        names = [p.name for p in folder.iterdir()]
        if all(n.startswith(".") and n.endswith(".lock") for n in names):
            for n in names:
                (folder / n).unlink(missing_ok=True)
        for path in made:  # deepest first; a folder something else was put in meanwhile stays
            path.rmdir()
    except OSError:
        pass
