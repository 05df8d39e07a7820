"""The verify pipeline: note -> captions -> sentences -> alignment, one NoteReport per note.

A note that cannot be read or whose captions cannot be had becomes a report with status
``error`` / ``no-captions``: a batch never stops for one bad note.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path

from cliptool.align import TranscriptIndex, align_note, build_index, shared_words
from cliptool.captions import segment
from cliptool.errors import (
    CaptionsError,
    CliptoolError,
    InputError,
    NoCaptionsError,
    NotCachedError,
    WorkerError,
)
from cliptool.models import Note, NoteReport, Transcript
from cliptool.notes import read_note
from cliptool.parallel import kill_workers, process_context, result_of

__all__ = ["DEFAULT_LANG", "VerifyOptions", "caption_lang", "verify_note", "verify_parsed", "verify_paths",
           "transcript_for"]

DEFAULT_LANG = "en"

_MAX_BATCH = 16  # notes a --jobs worker takes at a time
_UNKNOWN_END_SLACK_S = 30.0  # past the last caption, when the video's length is not known


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    """Where captions come from and how strict the verdict is; hashable, so it keys the cache."""

    cache_dir: Path
    lang: str | None = None  # None: each note's own ``lang`` (see caption_lang)
    offline: bool = False
    url_template: str | None = None
    tolerance_s: float = 5.0


def transcript_for(video_id: str, opts: VerifyOptions) -> Transcript:
    """The video's transcript, from the cache or fetched; read once per process and video.

    Raises :class:`CaptionsError` or :class:`InputError` (a corrupt cached file).
    """
    got = _indexed(video_id, opts)
    if isinstance(got, CliptoolError):
        raise got
    return got[0]


def _fetch(video_id: str, opts: VerifyOptions) -> Transcript:
    from cliptool.fetch import DEFAULT_URL_TEMPLATE, fetch_captions

    return fetch_captions(
        video_id, lang=opts.lang or DEFAULT_LANG, cache_dir=opts.cache_dir,
        url_template=opts.url_template or DEFAULT_URL_TEMPLATE, offline=opts.offline,
    )


_Indexed = tuple[Transcript, TranscriptIndex] | CaptionsError | InputError
_seen: dict[tuple[str, VerifyOptions], _Indexed] = {}


def _indexed(video_id: str, opts: VerifyOptions) -> _Indexed:
    """The video's transcript and index, or why there are none; remembered per process.

    Many notes cite the same video: it is segmented and indexed once, and a failure from the
    network is remembered too, so a vault of notes about one unavailable video asks once. What
    the user can mend on the spot (not cached yet, a corrupt cached file) is not remembered.
    """
    key = (video_id, opts)
    if key in _seen:
        return _seen[key]
    try:
        transcript = _fetch(video_id, opts)
    except (NotCachedError, InputError) as err:
        return err
    except CaptionsError as err:
        got: _Indexed = err
    else:
        # Without the video's length (no info.json) its end is the last caption's, and talks end
        # in music or thanks: a time a little past that is not "past the video's end".
        end_s = transcript.end_s if transcript.duration_s else transcript.end_s + _UNKNOWN_END_SLACK_S
        got = transcript, build_index(segment(transcript), end_s=end_s)
    if len(_seen) >= 8:  # a batch goes video by video; the oldest entry is the one done with
        del _seen[next(iter(_seen))]
    _seen[key] = got
    return got


def verify_note(path: str | Path, opts: VerifyOptions) -> NoteReport:
    """Check every claim of the note at ``path``; never raises for a bad note or missing captions."""
    try:
        note = read_note(path)
    except InputError as err:
        return NoteReport(path=str(path), video_id=None, status="error", reason=str(err), error_code=err.exit_code)
    return verify_parsed(note, opts)


def caption_lang(note: Note, opts: VerifyOptions) -> str:
    """The language of the captions to check ``note`` against: ``--lang`` when given, else the note's
    own ``lang`` (a note written in German is checked against German captions, or YouTube's
    translation into German), else English.

    >>> from pathlib import Path
    >>> note = Note(path="n.md", video_id="abcdefghijk", claims=(), language="de_DE")
    >>> caption_lang(note, VerifyOptions(Path("c"))), caption_lang(note, VerifyOptions(Path("c"), lang="fr"))
    ('de-DE', 'fr')
    """
    return opts.lang or note_language(note) or DEFAULT_LANG


def note_language(note: Note) -> str | None:
    """The note's ``lang`` as a language code (``ru_RU`` is ru-RU), or None when it names none
    (``lang: English``: the reader is warned, and the default stands)."""
    if not note.language:
        return None
    from cliptool.fetch import check_lang

    try:
        return check_lang(note.language)
    except InputError:
        return None


def _lang_warning(note: Note, opts: VerifyOptions) -> tuple[str, ...]:
    if opts.lang or not note.language or note_language(note):
        return ()
    return (f"lang {note.language[:40]!r} in the front matter is not a language code (e.g. de, pt-BR): "
            f"checked against {DEFAULT_LANG} captions; --lang chooses others",)


def verify_parsed(note: Note, opts: VerifyOptions) -> NoteReport:
    """Like :func:`verify_note` for a note already parsed."""
    report = NoteReport(path=note.path, video_id=note.video_id, status="checked", title=note.title,
                        claims=note.claims, warnings=note.warnings + _lang_warning(note, opts))
    opts = replace(opts, lang=caption_lang(note, opts))
    got = _indexed(note.video_id, opts)
    if isinstance(got, CaptionsError):
        return replace(report, status="no-captions", reason=f"{got.reason}: {got.detail}", error_code=got.exit_code)
    if isinstance(got, InputError):  # a corrupt cached caption file
        return replace(report, status="error", reason=str(got), error_code=got.exit_code)
    transcript, index = got
    if not any(_SPEECH.search(_SOUND_TAG.sub("", s.text)) for s in index.sentences):
        # Matched against silence every claim would be "unsupported": the video does not say
        # it. The truth is that these captions cannot tell.
        what = "are empty" if not index.sentences else "hold no speech, only sound tags such as [Music]"
        return replace(report, status="no-captions", error_code=NoCaptionsError.exit_code,
                       reason=f"{NoCaptionsError.reason}: the captions ({transcript.source}) {what}")
    alignments = align_note(note.claims, index, tolerance_s=opts.tolerance_s)
    warnings = report.warnings
    doubt: str | None = None
    # Only a note the captions mostly fail to support can be in another language or about another
    # video; checking just those keeps the word count off every other note's path.
    unsupported = sum(a.status == "unsupported" for a in alignments)
    if 2 * unsupported >= len(alignments) > 0:
        words, shared = shared_words([c.text for c in note.claims], index)
        if words >= _MIN_WORDS and shared < _MIN_SHARED:
            foreign = _foreign_captions(note, transcript, index, shared)
            if foreign is not None:
                return replace(report, status="no-captions", reason=foreign, error_code=CaptionsError.exit_code)
            doubt = (f"only {shared:.0%} of the note's words occur in the video's {transcript.language or ''} "
                     "captions: is the note about another video, or in another language?")
        elif words >= _MIN_WORDS and len(alignments) >= _MIN_CLAIMS_TO_DOUBT:
            # Another video of the same channel shares a third of the words, but says few claims:
            # on the corpus a note checked against its own video has at most 3 % unsupported.
            doubt = (f"{unsupported} of {len(alignments)} claims are said nowhere in these captions: "
                     f"is {note.video_id} the video the note is about?")
    if doubt is not None:
        warnings += (doubt,)
    return replace(report, captions=transcript.info, warnings=warnings, alignments=alignments,
                   duration_s=transcript.end_s, doubt=doubt)


_SOUND_TAG = re.compile(r"\[[^\]]*\]|\([^)]*\)|[♪♫]")  # [Music], (applause), ♪: not speech
_SPEECH = re.compile(r"\w")


# A note shares two thirds of its words with its video's captions and almost none with captions
# in another language (align.shared_words); 20 % of at least 10 words lies far from both.
_MIN_WORDS = 10
_MIN_SHARED = 0.2
_MIN_CLAIMS_TO_DOUBT = 4  # one or two unsupported claims of a short note say nothing about its videoId


def _foreign_captions(note: Note, transcript: Transcript, index: TranscriptIndex, shared: float) -> str | None:
    """Why captions sharing few of the note's words are in another language, else None.

    Matching an English note against Russian captions would call every claim unsupported, which
    says the video does not make them; the truth is that these captions cannot tell.
    """
    note_script = _script(" ".join(c.text for c in note.claims))
    caption_script = _script(" ".join(s.text for s in index.sentences[:200]))
    language = note_language(note)
    declared = language and transcript.language and _base(language) != _base(transcript.language)
    if note_script == caption_script and not declared:
        return None  # same alphabet: another video is as likely as another language
    what = (f"wrong language: the captions ({transcript.language or 'unknown language'}, {transcript.source}) "
            f"share {shared:.0%} of the note's words")
    if language and not declared:
        # The note says it is in the captions' language, but is written in another alphabet.
        return (f"{what}, though the note's lang says {language}: it is written in {_title(note_script)} "
                f"letters, the captions in {_title(caption_script)}; correct its lang, or ask for captions in its "
                "language (--lang), which YouTube can translate automatically")
    want = language or "the note's language"
    return f"{what}; ask for captions in {want} (--lang), which YouTube can translate automatically"


def _title(script: str | None) -> str:
    return script.title() if script else "unknown"


def _script(text: str) -> str | None:
    """The writing system most letters of ``text`` are in: LATIN, CYRILLIC, GREEK, CJK, ..."""
    counts = Counter(unicodedata.name(ch, "?").split(" ")[0] for ch in text if ch.isalpha())
    return counts.most_common(1)[0][0] if counts else None


def _base(language: str) -> str:
    return language.split("-")[0].lower()


class _Held(logging.Handler):
    """A worker's log records, held to be sent back with its batch: the main process prints
    them, once each, where every worker would have printed its own copy of a cache warning."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


_HELD = _Held()


def _worker_init(level: int) -> None:
    # The main process alone answers Ctrl-C and SIGTERM (a terminal sends Ctrl-C to every
    # process): it ends the workers and says how the run ended, with no traceback per worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    root = logging.getLogger()
    root.handlers[:] = [_HELD]
    root.setLevel(level)


def _verify_batch(paths: Sequence[str], opts: VerifyOptions) -> tuple[list[NoteReport], list[tuple[str, int, str]]]:
    reports = [verify_note(p, opts) for p in paths]
    records, _HELD.records = _HELD.records, []
    return reports, records


def _log_once(records: Sequence[tuple[str, int, str]], seen: set[tuple[str, int, str]]) -> None:
    """Re-log a worker's records in this process, through its handlers and format; a warning
    another worker already gave is dropped (debug lines are kept: -v shows every step)."""
    for record in records:
        name, level, message = record
        if level >= logging.WARNING:
            if record in seen:
                continue
            seen.add(record)
        logging.getLogger(name).log(level, "%s", message)


def verify_paths(paths: Sequence[Path], opts: VerifyOptions, *, jobs: int = 1) -> Iterator[NoteReport]:
    """Reports in the order of ``paths``; ``jobs`` > 1 spreads notes over processes.

    Raises :class:`WorkerError` when a worker process dies (killed, out of memory).
    """
    if jobs <= 1 or len(paths) < 2:
        for p in paths:
            yield verify_note(p, opts)
        return
    jobs = min(jobs, os.cpu_count() or 1, len(paths))
    # Contiguous batches: a vault keeps a video's notes side by side, so a worker mostly indexes
    # each video once. Small enough that the reports come in steadily.
    size = max(1, min(len(paths) // (jobs * 4), _MAX_BATCH))
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init,
                               initargs=(logging.getLogger().getEffectiveLevel(),),
                               mp_context=process_context([__name__]))
    seen: set[tuple[str, int, str]] = set()
    try:
        futures = [pool.submit(_verify_batch, [str(p) for p in paths[i : i + size]], opts)
                   for i in range(0, len(paths), size)]
        for fut in futures:
            reports, records = result_of(fut)
            _log_once(records, seen)
            yield from reports
    except BaseException as exc:
        # Ctrl-C, SIGTERM, a dead worker, or the caller stopped reading: end the workers now
        # rather than wait for their batches (a fetch can hang on the network for its timeout).
        kill_workers(pool)
        if isinstance(exc, BrokenProcessPool):
            raise WorkerError("a --jobs worker process died (killed, or out of memory)") from exc
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)

