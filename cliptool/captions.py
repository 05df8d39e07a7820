"""Caption files (WebVTT, SRT, YouTube json3) -> :class:`Transcript`, sentences, and back.

YouTube's automatic captions roll: each cue repeats the previous line and adds one new line
with inline word times, and 10 ms "snapshot" cues repeat text only. The loader keeps each
line of speech once, with its word times, so later stages never see duplicated text.
"""

from __future__ import annotations

import html
import io
import json
import logging
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from cliptool.errors import InputError
from cliptool.models import CaptionKind, Cue, Sentence, Transcript, Word
from cliptool.timecode import format_ts

__all__ = [
    "CaptionFormat",
    "load_captions",
    "parse_captions",
    "segment",
    "shift",
    "to_json",
    "to_srt",
    "to_text",
    "to_vtt",
]

log = logging.getLogger(__name__)

CaptionFormat = Literal["vtt", "srt", "json3"]

_EXTENSIONS: dict[str, CaptionFormat] = {
    ".vtt": "vtt",
    ".srt": "srt",
    ".json3": "json3",
    ".json": "json3",
}

# Inline word time of YouTube auto captions: ``word<00:00:04.660><c> is</c>``. Hours as
# webvtt-py reads them: more digits could pass int()'s 4300-digit limit.
_TIME_TAG = re.compile(r"<((?:\d{1,10}:)?\d{1,2}:\d{1,2}\.\d{1,3})>")
_TAG = re.compile(r"<[^>]*>")
# ASS override blocks such as ``{\an8}`` that some SRT files carry.
_ASS_TAG = re.compile(r"\{\\[^}]*\}")
_VTT_TS = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})\.(\d{1,3})"
_SRT_TS = r"(\d+):(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_VTT_TIMING = re.compile(rf"^\s*{_VTT_TS}\s*-->\s*{_VTT_TS}(?:\s|$)")
_SRT_TIMING = re.compile(rf"^\s*{_SRT_TS}\s*-->\s*{_SRT_TS}(?:\s|$)")
# webvtt-py reads hours up to 9999999999 and skips a cue timed later without a word.
_MAX_HOUR_DIGITS = 10
# Consecutive cues repeating the same text this close together are one display, not two.
_CONTIGUOUS_S = 0.05
_LANG_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


@dataclass(slots=True)
class _RawCue:
    start: float
    end: float
    lines: list[str]  # cue payload lines with their tags


@dataclass(slots=True)
class _Draft:
    start: float
    end: float
    text: str
    words: list[tuple[float, str]] = field(default_factory=list)  # (start, word)


# --------------------------------------------------------------------------- parsing


def parse_captions(
    text: str,
    *,
    fmt: CaptionFormat,
    source: str = "",
    language: str | None = None,
    kind: CaptionKind = "unknown",
) -> Transcript:
    """Parse caption text into a de-duplicated :class:`Transcript`.

    Raises :class:`InputError` (with ``path=source``) for malformed input.
    """
    text = text.removeprefix("\ufeff")
    if fmt == "json3":
        drafts = _parse_json3(text, source)
    elif fmt in ("vtt", "srt"):
        raw, header_language = _read_cues(text, fmt, source)
        drafts = _dedupe(raw)
        language = language or header_language
    else:
        raise InputError(f"unknown caption format {fmt!r}", path=source or None)
    cues = tuple(_finish(d) for d in drafts)
    return Transcript(cues=cues, language=language, kind=kind, source=source)


# An 11-hour talk's automatic captions are ~10 MB of vtt, some 30 MB of json3; parsing takes ~25x
# a file's size in memory, so a 300 MB file (a broken or hostile server's) would take 8 GB.
MAX_CAPTION_BYTES = 50_000_000


def load_captions(
    path: str | Path, *, language: str | None = None, kind: CaptionKind = "unknown",
    max_bytes: int = MAX_CAPTION_BYTES,
) -> Transcript:
    """Read a caption file chosen by its extension; language defaults from the name (``en.srt``).
    A file over ``max_bytes`` is refused before it is read."""
    p = Path(path)
    fmt = _EXTENSIONS.get(p.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(_EXTENSIONS))
        raise InputError(f"unknown caption file type {p.suffix!r} (expected {known})", path=str(p))
    try:
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # a FIFO or /dev/zero has no size to check first
        if len(data) > max_bytes:
            raise InputError(f"caption file is over the {max_bytes / 1e6:.4g} MB cap for captions", path=str(p))
    except FileNotFoundError:
        raise InputError("no such caption file", path=str(p)) from None
    except OSError as exc:
        raise InputError(f"cannot read caption file: {exc.strerror or exc}", path=str(p)) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"caption file is not UTF-8 (bad byte at offset {exc.start})", path=str(p)) from exc
    if language is None:
        language = _language_from_name(p)
    return parse_captions(text, fmt=fmt, source=str(p), language=language, kind=kind)


def _language_from_name(path: Path) -> str | None:
    """``en.srt`` -> en, ``en-orig.vtt`` -> en, ``talk.de.vtt`` -> de, ``notes.vtt`` -> None."""
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    tag = stem.rsplit(".", 1)[-1].removesuffix("-orig")
    return tag if _LANG_TAG.match(tag) else None


def _seconds(groups: tuple[str | None, ...]) -> float:
    h, m, s, frac = groups
    return int(h or 0) * 3600 + int(m or 0) * 60 + int(s or 0) + int((frac or "0").ljust(3, "0")) / 1000


def _is_timing_line(lines: list[str], i: int, fmt: CaptionFormat) -> bool:
    """Whether the reader takes line ``i`` as a cue timing.

    Any WebVTT line with ``-->`` is one (cue text cannot hold it). webvtt-py's SRT reader only
    looks for a timing opening a block or after a cue number, so SRT cue text may quote ``-->``.
    """
    if "-->" not in lines[i]:
        return False
    if fmt == "vtt" or i == 0:
        return True
    prev = lines[i - 1].strip()
    return not prev or prev.isdigit()


_TIMING_START = re.compile(r"[\d:,.\s>-]*\d:\d[\d:,.\s>-]*$")  # a timing's characters only, cut short or garbled


def _is_cue_number(lines: list[str], i: int) -> bool:
    """Whether SRT line ``i`` opens a block with a cue number (after a blank line, or first)."""
    return lines[i].strip().isdigit() and (i == 0 or not lines[i - 1].strip())


def _check_timings(lines: list[str], fmt: CaptionFormat, source: str) -> None:
    """Fail on a timing line webvtt-py would silently skip, naming its line number."""
    pattern = _VTT_TIMING if fmt == "vtt" else _SRT_TIMING
    for number, line in enumerate(lines, start=1):
        following = lines[number] if number < len(lines) else ""
        if fmt == "srt" and _is_cue_number(lines, number - 1) and _TIMING_START.match(following) \
                and "-->" not in following:
            # A cue number whose timing is garbled or cut off ("2" then "00:00"): webvtt-py would
            # read the block as text of the cue before it, at that cue's time. (A number alone
            # after a blank line may also be a cue's text, "42": only a timing's start says which.)
            raise InputError(f"malformed cue timing {following.strip()!r} after cue number {line.strip()}",
                             path=source or None, line=number + 1)
        if not _is_timing_line(lines, number - 1, fmt):
            continue
        m = pattern.match(line)
        if m is None:
            raise InputError(f"malformed cue timing {line.strip()!r}", path=source or None, line=number)
        groups = m.groups()
        if any(int(g) > 59 for g in (groups[1], groups[2], groups[5], groups[6])):
            raise InputError(f"impossible cue time {line.strip()!r}", path=source or None, line=number)
        # webvtt-py counts WebVTT hour digits but reads SRT hours as a number.
        hours = [g or "" for g in (groups[0], groups[4])]
        if any(len(h if fmt == "vtt" else h.lstrip("0")) > _MAX_HOUR_DIGITS for h in hours):
            raise InputError(f"cue time too large {line.strip()!r}", path=source or None, line=number)


def _read_cues(text: str, fmt: CaptionFormat, source: str) -> tuple[list[_RawCue], str | None]:
    """Cues as webvtt-py reads them and a WebVTT ``Language:`` header, errors as InputError."""
    lines = text.splitlines()
    if fmt == "srt":
        # webvtt-py wants the cue number on the very first line, and takes "1 " (a trailing
        # blank, which carries nothing in SRT) for no cue number at all.
        lines = [line.rstrip() for line in lines]
        while lines and not lines[0]:
            lines.pop(0)
        if not lines:
            return [], None
    _check_timings(lines, fmt, source)
    try:
        if fmt == "vtt":
            doc = webvtt.WebVTT.from_string("\n".join(lines))
        else:
            doc = webvtt.WebVTT.from_buffer(io.StringIO("\n".join(lines)), format="srt")
    except MalformedFileError:
        what = (
            "not a WebVTT file (it must start with 'WEBVTT')"
            if fmt == "vtt"
            else "not an SRT file (it must start with a cue number and a timing line)"
        )
        raise InputError(what, path=source or None) from None
    except (MalformedCaptionError, ValueError) as exc:
        raise InputError(f"malformed {fmt.upper()} captions: {exc}", path=source or None) from None
    cues = []
    for cap in doc.captions:
        start = cap.start_time.in_milliseconds() / 1000
        end = max(cap.end_time.in_milliseconds() / 1000, start)
        cues.append(_RawCue(start, end, list(cap.lines)))
    header = dict(line.partition(":")[::2] for line in getattr(doc, "metadata", []))
    language = header.get("Language", "").strip() or None
    return cues, language


def _clean(line: str) -> str:
    """Text of a cue line: tags and ASS overrides removed, entities decoded, spaces collapsed."""
    stripped = _ASS_TAG.sub("", _TAG.sub("", line)) if "<" in line or "{" in line else line
    return " ".join(html.unescape(stripped).split())


def _repeat_len(prev: list[str], lines: list[str], timed: list[bool]) -> int:
    """How many leading lines repeat the previous cue's last lines (rolling captions)."""
    for k in range(min(len(prev), len(lines)), 0, -1):
        if not any(timed[:k]) and lines[:k] == prev[-k:]:
            return k
    return 0


def _dedupe(raw: list[_RawCue]) -> list[_Draft]:
    """Keep only the new lines of each cue; fold pure repeats into the cue they repeat."""
    drafts: list[_Draft] = []
    prev: list[str] = []
    for cue in raw:
        pairs = [(_clean(line), line) for line in cue.lines]
        pairs = [(c, r) for c, r in pairs if c]
        if not pairs:
            continue
        cleaned = [c for c, _ in pairs]
        timed = [_TIME_TAG.search(r) is not None for _, r in pairs]
        k = _repeat_len(prev, cleaned, timed)
        prev = cleaned
        if k == len(pairs):
            if drafts and cue.start - drafts[-1].end <= _CONTIGUOUS_S:
                drafts[-1].end = max(drafts[-1].end, cue.end)
                continue
            k = 0  # the same words said again after a gap
        new = pairs[k:]
        text = " ".join(c for c, _ in new)
        words = _inline_words(cue, [r for _, r in new]) if any(timed[k:]) else []
        drafts.append(_Draft(cue.start, cue.end, text, words))
    return drafts


def _inline_words(cue: _RawCue, lines: list[str]) -> list[tuple[float, str]]:
    """Word starts from inline ``<hh:mm:ss.mmm>`` tags; untimed text starts at the cue start."""
    segments: list[tuple[float, str]] = []
    at = cue.start
    for line in lines:
        parts = _TIME_TAG.split(line)
        segments.append((at, parts[0]))
        for i in range(1, len(parts), 2):
            m = re.fullmatch(_VTT_TS, parts[i])
            assert m is not None  # _TIME_TAG only captures such text
            # Kept even past the cue end (YouTube writes such times); _finish clamps them
            # to the end after snapshot cues have extended it.
            at = max(_seconds(m.groups()), at)
            segments.append((at, parts[i + 1]))
    return _spread(segments, cue.end)


def _spread(segments: list[tuple[float, str]], end: float) -> list[tuple[float, str]]:
    """Words of timed text segments; several words in one segment share its span evenly."""
    words: list[tuple[float, str]] = []
    for i, (at, raw) in enumerate(segments):
        tokens = _clean(raw).split()
        if not tokens:
            continue
        nxt = next((t for t, r in segments[i + 1 :] if _clean(r)), end)
        step = max(nxt - at, 0.0) / len(tokens)
        words.extend((at + j * step, tok) for j, tok in enumerate(tokens))
    return words


def _parse_json3(text: str, source: str) -> list[_Draft]:
    """Cues from YouTube json3 ``events``; ``tOffsetMs`` of each seg gives word times."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid json3 captions: {exc.msg}", path=source or None, line=exc.lineno) from None
    except (ValueError, RecursionError) as exc:
        # json.loads' other failures: arrays nested past the recursion limit, an integer past
        # int()'s 4300-digit limit.
        what = "nested too deeply" if isinstance(exc, RecursionError) else "number too long"
        raise InputError(f"invalid json3 captions: {what}", path=source or None) from None
    events = doc.get("events") if isinstance(doc, dict) else None
    if not isinstance(events, list):
        raise InputError("invalid json3 captions: no 'events' list", path=source or None)
    drafts: list[_Draft] = []
    timed_flags: list[bool] = []
    for number, event in enumerate(events):
        if not isinstance(event, dict) or not event.get("segs") or event.get("aAppend"):
            continue
        try:
            start = _ms(event.get("tStartMs", 0))
            end = start + _ms(event.get("dDurationMs", 0))
            segs = [(start + _ms(s.get("tOffsetMs", 0)), _seg_text(s.get("utf8"))) for s in event["segs"]]
        except (TypeError, ValueError, AttributeError):
            raise InputError(f"invalid json3 captions: bad event #{number}", path=source or None) from None
        words = _spread(segs, end)
        if not words:
            continue  # "\n"-only events
        timed = len(segs) > 1
        drafts.append(_Draft(start, end, " ".join(w for _, w in words), words if timed else []))
        timed_flags.append(timed)
    # Auto-caption events stay on screen while the next line types in; cut each at the next.
    for i in range(len(drafts) - 1):
        nxt = drafts[i + 1].start
        if timed_flags[i] and drafts[i].start < nxt < drafts[i].end:
            drafts[i].end = nxt
    return drafts


def _seg_text(value: Any) -> str:
    """A seg's ``utf8``: null is no text; anything else but a string makes the event malformed."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _ms(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(value)
    ms = float(value)
    if not math.isfinite(ms) or ms < 0:
        raise ValueError(value)
    return round(ms) / 1000


def _finish(d: _Draft) -> Cue:
    """Freeze a draft; each word ends where the next starts, the last at the cue end."""
    starts = []
    at = d.start
    for t, _ in d.words:  # source offsets can run backwards or past the cue; keep them inside
        at = min(max(t, at), d.end)
        starts.append(at)
    ends = [*starts[1:], d.end][: len(starts)]
    words = tuple(Word(start=a, end=b, text=w) for a, b, (_, w) in zip(starts, ends, d.words, strict=True))
    return Cue(start=d.start, end=d.end, text=d.text, words=words)


# --------------------------------------------------------------------------- sentences

_END_PUNCT = ".?!…"
_CLOSERS = "\"'”’»)]"
_OPENERS = "\"'“‘«(["
_CLAUSE_PUNCT = ",;:—–"
# Lower-cased tokens whose final period is not a sentence end.
_ABBREVIATIONS = frozenset(
    {
        *("e.g.", "i.e.", "etc.", "vs.", "mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "jr.", "sr."),
        *("fig.", "eq.", "approx.", "cf.", "al.", "resp.", "ca.", "incl.", "dept.", "mt."),
        *("jan.", "feb.", "aug.", "sept.", "oct.", "nov.", "dec."),
        *("т.е.", "т.д.", "т.п.", "др.", "см.", "напр.", "г.", "гг.", "им."),
    }
)
_MAX_WORDS = 40  # with ~2.5 words/s, about max_s worth of speech


@dataclass(frozen=True, slots=True)
class _Token:
    start: float
    end: float
    text: str


def _tokens(transcript: Transcript) -> list[_Token]:
    """Every word in order, timed by the source or by its character position in the cue."""
    out: list[_Token] = []
    for cue in transcript.cues:
        if cue.words:
            # A word before a silence "lasts" until the next cue in auto captions; end it
            # at twice its expected length so sentences end when the speech does.
            out.extend(
                _Token(w.start, min(w.end, w.start + 2 * _expected_s(t)), t)
                for w in cue.words
                for t in w.text.split()
            )
            continue
        text = cue.text
        span = cue.end - cue.start
        length = max(len(text), 1)
        for m in re.finditer(r"\S+", text):
            out.append(
                _Token(cue.start + span * m.start() / length, cue.start + span * m.end() / length, m.group())
            )
    return out


def _ends_sentence(token: str, following: str | None) -> bool:
    """True when ``token`` closes a sentence (``following`` is the next token, if any)."""
    core = token.rstrip(_CLOSERS)
    if not core or core[-1] not in _END_PUNCT:
        return False
    if core[-1] == "." and not core.endswith(".."):
        low = core.lower().lstrip(_OPENERS)
        # Single letters are not taken as initials: "solve for x." ends sentences in talks.
        if low in _ABBREVIATIONS:
            return False
    if following is None:
        return True
    head = following.lstrip(_OPENERS + "-")
    # A lower-case continuation means "e.g. this" or "3.5 ... so." mid-sentence, not an end.
    return not head or not head[0].islower()


def _pause(tokens: list[_Token], i: int) -> float:
    """Silence after token ``i``, judged from word starts when ends are not real.

    Auto-caption word ends are only the next word's start, so a pause shows up as a word
    lasting longer than its length explains.
    """
    a, b = tokens[i], tokens[i + 1]
    return max(b.start - a.end, b.start - a.start - _expected_s(a.text))


def _expected_s(word: str) -> float:
    """Rough spoken length of a word: 200 ms plus 40 ms a character (fit on the corpus)."""
    return 0.2 + 0.04 * len(word)


def segment(transcript: Transcript, *, max_s: float = 12.0, pause_s: float = 0.8) -> tuple[Sentence, ...]:
    """Split a transcript into ordered sentence-like units for alignment and reports.

    Punctuated text splits at sentence ends; unpunctuated (auto) text at pauses, capped at
    about ``max_s`` seconds.
    """
    tokens = _tokens(transcript)
    n = len(tokens)
    if not n:
        return ()
    ends = [_ends_sentence(tokens[i].text, tokens[i + 1].text if i + 1 < n else None) for i in range(n)]
    punctuated = sum(ends) >= max(1, n // 80)
    pauses = [_pause(tokens, i) for i in range(n - 1)]
    if punctuated:
        bounds = [i + 1 for i in range(n - 1) if ends[i]]
        cap = 2 * max_s  # only run-on sentences get cut, preferably at a clause mark
        # where to cut a run-on: clause punctuation counts as an extra second of pause
        scores = [p + (1.0 if tokens[i].text[-1:] in _CLAUSE_PUNCT else 0.0) for i, p in enumerate(pauses)]
    else:
        bounds = [i + 1 for i in range(n - 1) if pauses[i] >= pause_s]
        cap = max_s
        scores = pauses
    limit = _MAX_WORDS * 2 if punctuated else _MAX_WORDS
    pieces: list[tuple[int, int]] = []
    for a, b in zip([0, *bounds], [*bounds, n], strict=True):
        _cap(tokens, scores, a, b, cap, limit, pieces)
    sentences = []
    prev_end = 0.0
    for index, (a, b) in enumerate(pieces):
        start = max(tokens[a].start, prev_end)
        end = max(tokens[b - 1].end, start)
        text = " ".join(t.text for t in tokens[a:b])
        sentences.append(Sentence(index=index, start=start, end=end, text=text,
                                  word_starts=tuple(t.start for t in tokens[a:b])))
        prev_end = end
    return tuple(sentences)


def _cap(
    tokens: list[_Token],
    scores: list[float],
    a: int,
    b: int,
    cap: float,
    limit: int,
    out: list[tuple[int, int]],
) -> None:
    """Append [a, b) to ``out``, split while it runs past ``cap`` s or ``limit`` words.

    Splits top-down where ``scores`` (the pause after each token) is highest, so the cuts
    land on the clearest breaks rather than at the limit.
    """
    stack = [(a, b)]
    while stack:
        a, b = stack.pop()
        if b - a < 2 or (tokens[b - 1].end - tokens[a].start <= cap and b - a <= limit):
            out.append((a, b))
            continue
        # No one-word fragments, and each cut keeps an eighth of a long run on either side
        # so a run with no clear breaks splits in O(n log n), not O(n^2).
        margin = max(min(3, (b - a) // 4), (b - a) // 8)
        # cut after the token with the best score, away from the edges
        best = (
            max(range(a + margin, b - margin - 1), key=scores.__getitem__, default=a + (b - a) // 2 - 1) + 1
        )
        stack.append((best, b))
        stack.append((a, best))


# --------------------------------------------------------------------------- rendering


def _srt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def _vtt_time(seconds: float) -> str:
    return _srt_time(seconds).replace(",", ".")


def _srt_escape(text: str) -> str:
    """Escape only what a reader would take as a tag, an entity or a timing; SRT has no escapes.

    >>> _srt_escape("a --> b &amp; <i>")
    'a --&gt; b &amp;amp; &lt;i>'
    """
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
    return text.replace("<", "&lt;").replace("{\\", "{&#92;").replace("-->", "--&gt;")


def _vtt_escape(text: str) -> str:
    r"""WebVTT's escapes, and ``{\`` as for SRT: the reader drops ``{\..}`` as an ASS override.

    >>> _vtt_escape("a < b & {\\an8}")
    'a &lt; b &amp; {&#92;an8}'
    """
    return html.escape(text, quote=False).replace("{\\", "{&#92;")


def to_text(t: Transcript) -> str:
    """One sentence per line, ``[HH:MM:SS] text``."""
    return "".join(f"[{format_ts(s.start)}] {s.text}\n" for s in segment(t))


def to_srt(t: Transcript) -> str:
    """The cues as SubRip."""
    blocks = [
        f"{i}\n{_srt_time(c.start)} --> {_srt_time(c.end)}\n{_srt_escape(c.text)}\n"
        for i, c in enumerate(t.cues, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(t: Transcript) -> str:
    """The cues as WebVTT, one plain cue per line of speech (no rolling, no word tags)."""
    head = "WEBVTT\n"
    if t.language:
        head += f"Language: {t.language}\n"
    blocks = [
        f"{_vtt_time(c.start)} --> {_vtt_time(c.end)}\n{_vtt_escape(c.text)}\n" for c in t.cues
    ]
    return "\n".join([head, *blocks])


def to_json(t: Transcript) -> str:
    """The transcript as JSON: language, kind, source and cues with their words."""
    doc = {
        "language": t.language,
        "kind": t.kind,
        "source": t.source,
        "duration_s": t.duration_s,
        "cues": [
            {
                "start": round(c.start, 3),
                "end": round(c.end, 3),
                "text": c.text,
                "words": [
                    {"start": round(w.start, 3), "end": round(w.end, 3), "text": w.text} for w in c.words
                ],
            }
            for c in t.cues
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def shift(t: Transcript, start_s: float, end_s: float) -> Transcript:
    """The cues overlapping [start_s, end_s], clipped to it and re-timed to start at 0."""
    if not end_s > start_s:
        raise InputError(f"empty time range {start_s:g}-{end_s:g} s")
    cues = []
    for c in t.cues:
        if c.end <= start_s or c.start >= end_s:
            continue
        words = tuple(
            Word(max(w.start, start_s) - start_s, min(w.end, end_s) - start_s, w.text)
            for w in c.words
            if w.end > start_s and w.start < end_s
        )
        if c.words and not words:
            continue  # only the cue's idle tail overlaps
        text = " ".join(w.text for w in words) if len(words) != len(c.words) else c.text
        cues.append(Cue(max(c.start, start_s) - start_s, min(c.end, end_s) - start_s, text, words))
    return replace(t, cues=tuple(cues), duration_s=end_s - start_s)
