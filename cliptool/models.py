"""Frozen values passed between the stages: notes -> captions -> alignment -> report / fix / clip.

Seconds are floats everywhere inside; text forms go through :mod:`cliptool.timecode`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Span",
    "Claim",
    "Note",
    "Word",
    "Cue",
    "Transcript",
    "Sentence",
    "Location",
    "Alignment",
    "CaptionInfo",
    "NoteReport",
    "Status",
    "CaptionKind",
    "MARK_CLASS",
    "LINE_BREAK",
    "BARE_URL_REST",
    "EMPHASIS_CLOSER",
    "label_key",
]

Status = Literal["ok", "shifted", "unsupported", "ambiguous", "out-of-range"]
CaptionKind = Literal["manual", "auto", "auto-translated", "unknown"]

# The class of the `<span>` that `fix --mark-unsupported` writes into a note: the parser drops the
# element whatever its text, so a marker never becomes part of the next claim.
MARK_CLASS = "cliptool-unsupported"


# Line breaks as notes count lines: LF, CRLF and a lone CR (old Mac files). The parser and fix
# share it, so fix's line numbers are verify's.
LINE_BREAK = re.compile(r"\r\n?|\n")

# The rest of a bare URL, as GFM reads an autolink: it stops at blanks, tags, quotes, brackets and a
# table's bar, and punctuation or emphasis right after it is prose (`…?t=36.`, `**…?t=36**`). The
# parser and fix share it, so a marker goes where the parser says the URL ends. (Not `_`: video IDs
# may end in one.)
BARE_URL_REST = re.compile(r"[^\s<>\"'()\[\]|]*(?<![.,;:!?*~])")

# Emphasis closed right after an anchor (`**[12:31](url)**`, `**claim <a ..>[..]</a>**`): the parser
# keeps it out of the claim's text, and fix puts a marker after it, not inside the emphasis. Followed
# by a word it opens emphasis instead (`[12:31](url)**next**`).
EMPHASIS_CLOSER = re.compile(r"(?:\*{1,3}|_{1,3}|~~|==)(?![\w*~=])")


def label_key(label: str) -> str:
    """A link label as CommonMark matches it: case-folded, with its runs of whitespace made one space.

    The parser finds a reference's definition by it, and fix checks by it that a renamed label is free.

    >>> label_key("  Weights\tand BIASES "), label_key(" 12:31 ")
    ('weights and biases', '12:31')
    """
    return " ".join(label.split()).casefold()


# The file `fix --backup-dir` leaves in its folder: the note finder does not enter a folder holding
# it, so a later run does not take the backups for notes and rewrite the only clean originals.
BACKUP_TAG = ".cliptool-backups"

# The first line of verify's Markdown report: the note finder skips such a file in a folder it
# walks, so a report written beside the notes is not read back as a broken note on the next run.
REPORT_HEADING = "# cliptool verify report"


@dataclass(frozen=True, slots=True)
class Span:
    """Where a timestamp's text sits in the note (character offsets into the decoded text).

    ``role`` says how ``fix`` must re-render it: ``data-t`` / ``visible`` of a yt-timestamp
    anchor, ``t-param`` / ``link-text`` of a YouTube link (``t=516``, ``t=8m36s``), or
    ``range-end``, the second time of a shown range (``[05:36-05:50]``, or with an en dash), which moves with the first.
    """

    start: int
    end: int
    role: Literal["data-t", "visible", "t-param", "link-text", "range-end"]


@dataclass(frozen=True, slots=True)
class Claim:
    """One timestamp anchor in a note and the prose it backs."""

    index: int  # 0-based order of anchors in the file
    line: int  # 1-based line of the anchor
    column: int  # 1-based column of the anchor
    cited_s: float  # the cited time (data-t for anchors, t= for links)
    raw: str  # the cited timestamp exactly as written (data-t value or t= value)
    text: str  # clean claim text (wiki links reduced, HTML/emphasis removed)
    spans: tuple[Span, ...] = ()  # every piece of text fix must rewrite for this anchor
    visible: str | None = None  # the visible [..] text when it differs from ``raw``
    # Its time is in a reference definition (``[w]: URL?t=..``) that other links or images use
    # too: a new time for it would move theirs, so fix leaves it as written.
    shared: bool = False


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed note: its front matter facts and its claims, in anchor order."""

    path: str
    video_id: str
    claims: tuple[Claim, ...]
    title: str | None = None
    language: str | None = None  # front matter `lang`/`language`, if any
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Word:
    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Cue:
    """One caption cue; ``words`` carries per-word times when the source has them."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True, slots=True)
class Transcript:
    cues: tuple[Cue, ...]
    language: str | None = None
    kind: CaptionKind = "unknown"
    source: str = ""  # file path or URL the cues came from
    duration_s: float | None = None  # the video's duration when known (info.json), else None

    @property
    def end_s(self) -> float:
        """Best known end of the video: its duration, else the last cue's end."""
        if self.duration_s:
            return self.duration_s
        return self.cues[-1].end if self.cues else 0.0

    @property
    def info(self) -> CaptionInfo:
        """Which track this is, as reports name it."""
        return CaptionInfo(language=self.language, kind=self.kind, source=self.source)


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence-like unit of the transcript, the grain of alignment."""

    index: int
    start: float
    end: float
    text: str
    word_starts: tuple[float, ...] = ()  # start of each whitespace-separated word of ``text``, when known


@dataclass(frozen=True, slots=True)
class Location:
    start: float
    end: float
    score: float


@dataclass(frozen=True, slots=True)
class Alignment:
    """Where a claim is said and whether its cited time is right."""

    index: int  # the claim's index
    status: Status
    start: float | None = None
    end: float | None = None
    score: float = 0.0  # 0-1 confidence
    evidence: str = ""
    alternatives: tuple[Location, ...] = ()
    corrected_s: float | None = None  # whole-second time fix should write, for shifted/out-of-range
    # A time past the end read as MM:SS in the HH:MM slots (07:35:00 as 00:07:35): that reading,
    # which fix writes even when the passage located near it is too weak to move the claim to.
    reading_s: float | None = None

    def offset(self, cited_s: float) -> float | None:
        """Cited minus located start (positive: the note cites too late)."""
        return None if self.start is None else round(cited_s - self.start, 3)


@dataclass(frozen=True, slots=True)
class CaptionInfo:
    language: str | None
    kind: CaptionKind
    source: str


@dataclass(frozen=True, slots=True)
class NoteReport:
    """Verify's result for one note."""

    path: str
    video_id: str | None
    status: Literal["checked", "no-captions", "error"]
    title: str | None = None
    reason: str | None = None
    captions: CaptionInfo | None = None
    claims: tuple[Claim, ...] = ()
    alignments: tuple[Alignment, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    duration_s: float | None = None  # the video's length (Transcript.end_s) for the HTML timeline
    error_code: int | None = None  # exit code of the error that kept the note from being checked
    doubt: str | None = None  # why these captions may not be the note's video (also one of the warnings)
