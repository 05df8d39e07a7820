"""Markdown notes -> claims: front matter, yt-timestamp anchors, YouTube ``t=`` links, claim text.

The parser is a handful of precompiled regular expressions over the exact text, not a Markdown
library: ``fix`` needs character offsets of every timestamp in the original string (CRLF, BOM and
all), and Markdown renderers throw those away. Disk access lives only in :func:`read_note_text`,
:func:`read_note` and :func:`find_notes`.
"""

from __future__ import annotations

import bisect
import html
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from cliptool.errors import InputError, NoteError
from cliptool.models import (
    BACKUP_TAG,
    BARE_URL_REST,
    EMPHASIS_CLOSER,
    LINE_BREAK,
    MARK_CLASS,
    REPORT_HEADING,
    Claim,
    Note,
    Span,
    label_key,
)
from cliptool.timecode import TimestampError, format_ts, parse_time, parse_ts

__all__ = [
    "NOTE_SUFFIXES",
    "VIDEO_ID_RE",
    "find_notes",
    "note_key",
    "no_notes_error",
    "is_video_id",
    "video_id_of",
    "parse_note",
    "read_note",
    "read_note_bytes",
    "read_note_text",
]

NOTE_SUFFIXES = (".md", ".markdown", ".txt")
VIDEO_ID_RE = re.compile(r"[A-Za-z0-9_-]{11}")

# libyaml when present: the verify benchmark parses 1,000 notes.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_SURROGATE = re.compile("[\ud800-\udfff]")
_FM_OPEN = re.compile(r"---[ \t]*")
_FM_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*")

# Block structure, matched at a line's start (pos) up to its end without the newline (endpos).
_BLANK = re.compile(r"[\s>]*\Z")
# A code fence, also indented under a list item (Obsidian indents with tabs) or inside a quote or
# callout; a backtick fence's info string has no backtick (```x``` on one line is inline code).
_FENCE = re.compile(r"((?:[ \t]*>)*)([ \t]*)(~{3,}|`{3,}(?=[^`]*$))", re.MULTILINE)  # groups never overlap
_QUOTES = re.compile(r"[ \t]*(?:>[ \t]?)*")
_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]|\Z)")
_CALLOUT_HEAD = re.compile(r"[ \t]*\[!\w")  # a callout's title line, within its quote
_TABLE = re.compile(r"[ \t]*\|")
# A table's delimiter row without outer pipes (`--- | :---:`): it makes the line above a table's header.
_BARE_DELIMITER_ROW = re.compile(r" {0,3}:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*\Z")
_CELL_BAR = re.compile(r"(?<!\\)\|")  # a cell border, not an escaped \|
_HR = re.compile(r" {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})\Z")
_LIST = re.compile(r"[ \t]*(?:[*+-]|\d{1,9}[.)])(?:[ \t]|\Z)")
# A link reference definition, `[label]: URL "title"`; `[^1]: ...` is a footnote's. The label has no
# brackets, as CommonMark's unescaped ones, and at most 999 characters. CommonMark lets the URL go on
# the next line (`[label]:` alone, then the URL) and the title too: the last three patterns.
_DEF_LABEL = r" {0,3}\[(?!\^)([^\[\]\n]{1,999})\]:"
_DEF_URL = r"[ \t]*(?:<(?P<angled>[^<>\n]*)>|(?P<bare>\S+))"
_DEF_TITLE = r"(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\))"
_DEFINITION = re.compile(_DEF_LABEL + _DEF_URL + r"(?:[ \t]+(?P<title>" + _DEF_TITLE + r"))?[ \t]*\Z")
_DEFINITION_LABEL = re.compile(_DEF_LABEL + r"[ \t]*\Z")
_DEFINITION_URL = re.compile(_DEF_URL + r"(?:[ \t]+(?P<title>" + _DEF_TITLE + r"))?[ \t]*\Z")
_DEFINITION_TITLE = re.compile(r"[ \t]*" + _DEF_TITLE + r"[ \t]*\Z")

# Text that is not rendered as prose: timestamps in it are not claims.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)([^\n]{1,1000}?)(?<!`)\1(?!`)")
# Stands in for a code span's text while _clean strips markup around it (private-use characters).
_CODE_HOLD = re.compile("\ue000(\\d+)\ue001")
# Hidden text: HTML comments and Obsidian's %% comments. An HTML comment left open runs to the
# end of the note only where it starts a line (CommonMark's HTML block); inside a line it is text.
_OBSIDIAN_COMMENT = re.compile(r"%%.*?%%", re.DOTALL)
_BLANK_LINE = re.compile(r"(?:\r\n?|\n)[ \t]*(?:\r\n?|\n)")
_CLOSED_COMMENT = re.compile(r"<!--.*?-->|%%.*?%%", re.DOTALL)  # within one claim's text

# Anchors. Attribute values may be quoted with either quote or bare. A tag stops at the next '<' and
# the inner text is capped, so unclosed tags cannot make the scan quadratic (same for the caps below).
_A_OPEN = re.compile(r"<a\b((?:[^<>\"']|\"[^\"<\n]*\"|'[^'<\n]*')*)>", re.IGNORECASE)
_A_CLOSE = re.compile(r"((?:[^<]|<(?!/?a\b)){0,300}?)</a\s*>", re.IGNORECASE)
_ATTR = re.compile(r"([^\s\"'>/=]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+)))?")
_TS_TOKEN = re.compile(r"(?<![\d:])\d{1,3}(?::\d{1,2}){1,2}(?:[.,]\d{1,3})?(?![\d:])")
_T_LABEL = re.compile(r"(?<![\w:.])((?:\d+h)?(?:\d+m)?(?:\d+s)?)(?![\w:])")  # 6m28s, 431s; not 431
_RANGE_END = re.compile(r"\s*(?:[-\u2013\u2014~]|to)\s*(\d{1,3}(?::\d{1,2}){1,2})(?![\d:])")
_LABEL_WORD = re.compile(r"[^\W_]+")
_LABEL_WORDS = frozenset({"at", "from", "watch", "see"})  # words a time label may carry
_TS_TEXT = re.compile(r"\s*\[?\s*(\d{1,3}(?::\d{1,2}){1,2}(?:[.,]\d{1,3})?)\s*\]?\s*")

# Links to YouTube. Parentheses in URLs are not supported: YouTube URLs have none.
_MD_LINK = re.compile(
    r"(!?)\[([^\[\]\n]*)\]\(\s*<?(https?://[^\s<>()]+)>?(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)",
    re.IGNORECASE,
)
# A reference-style link: `[text][label]`, `[label][]` or `[label]`; a link only when the label is defined.
_REF_LINK = re.compile(r"(!?)\[([^\[\]\n]*)\](?:\[([^\[\]\n]*)\])?")
_BARE_URL = re.compile(
    r"https?://(?:[\w-]+\.)*(?:youtube(?:-nocookie)?\.com|youtu\.be)/" + BARE_URL_REST.pattern, re.IGNORECASE
)
_YT_URL = re.compile(
    r"https?://(?:[\w-]+\.)*(?:youtube(?:-nocookie)?\.com/(?:watch/?\?(?:[^#\s]*?&(?:amp;)?)?v=|embed/|shorts/"
    r"|live/|v/)|youtu\.be/)([A-Za-z0-9_-]{11})(?![A-Za-z0-9_-])",
    re.IGNORECASE,
)
_T_PARAM = re.compile(r"(?:[?&#]|&amp;)(?:t|start)=([^&#\s]*)")  # start= on embed links; an href may write &amp;
# "36.5", "1e3", "36sec", "36_x": more of the value, not punctuation or "_" emphasis after it.
_T_MORE = re.compile(r"[.,:]\d|_*[^\W_]")
_T_VALUE = re.compile(r"\d+(?::\d{1,2}){1,2}(?![\d:])|\d+(?:[hms]\d*)*", re.IGNORECASE)  # t=22:47 too

# Claim text clean-up.
_QUOTE_PREFIX = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)
_CALLOUT = re.compile(r"^[ \t]*\[!\w[\w-]*(?:\|([^\]\n]*))?\][+-]?", re.MULTILINE)
_BLOCK_MARKER = re.compile(
    r"^[ \t]*(?:#{1,6}(?=[ \t]|$)|(?:[*+-]|(\d{1,9})[.)])(?=[ \t])(?:[ \t]+\[[ xX]\])?)", re.MULTILINE
)
_ATX_CLOSE = re.compile(r"[ \t]+#+[ \t]*\Z")
_ORDERED = re.compile(r"[ \t]*\d{1,9}[.)][ \t]")
_MID_LINE = "\ue002"  # held before a segment that starts mid-line, where no line-start markup can be
_WIKI_LINK = re.compile(r"!?\[\[([^\[\]|\n]*)(?:\|([^\[\]\n]*))?\]\]")
_FOOTNOTE = re.compile(r"\[\^[^\]\s]+\]:?")  # a footnote's mark [^1], or its definition's start
# A link's text and destination as CommonMark reads them: brackets in the text and parentheses in the
# URL may nest when balanced (`[Foo](https://en.wikipedia.org/wiki/Foo_(bar))`), `<...>` may hold spaces.
_MD_LINK_TEXT = re.compile(
    r"!?\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(\s*(?:<[^<>\n]*>|(?:[^\s()]|\((?:[^\s()]|\([^\s()]*\))*\))*)"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"
)
_REF_LINK_TEXT = re.compile(r"(?<!\\)!?\[([^\[\]\n]*)\](?:\[([^\[\]\n]*)\])?")  # [text][label], [label][], [label]
_FIX_MARK = re.compile(r'<span class="' + MARK_CLASS + r'">.*?</span>', re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s(?:[^<>\"']|\"[^\"<]*\"|'[^'<]*')*)?/?>")
_STRONG = re.compile(r"(\*\*|~~|==)(?=\S)(.{1,300}?)(?<=\S)\1")
_STRONG_UNDER = re.compile(r"(?<![\w\\])__(?=\S)(.{1,300}?)(?<=\S)__(?!\w)")  # not inside words: my__private__name
_EM_STAR = re.compile(r"(?<![\w*\\])\*(?=[^\s*])(.{1,300}?)(?<=[^\s*\\])\*(?![\w*])")
_EM_UNDER = re.compile(r"(?<![\w\\])_(?=[^\s_])(.{1,300}?)(?<=[^\s_\\])_(?!\w)")
_LONE_EMPHASIS = re.compile(r"\A(?:\*{1,3}|_{1,3}|~~|==)(?=[^\s*_~=])|(?<=[^\s*_~=\\])(?:\*{1,3}|_{1,3}|~~|==)\Z")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~=])")
_SPACES = re.compile(r"\s+")
# Control characters print as terminal commands (ESC [31m), never as text: no claim or title holds one.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LEAD_PUNCT = re.compile(r"^(?:[-=]+>|[\s,.;:!?)\]}|/\\\u2013\u2014\u2192\u21d2]|-(?!\d))+")  # not the sign of "-5 is ..."; arrows
_TRAIL_PUNCT = re.compile(r"[\s,;:(\[{|/\\\u2013\u2014-]+$")


@dataclass(frozen=True, slots=True)
class _Hit:
    """A timestamp found in the body, before its claim text is known."""

    start: int
    end: int
    cited_s: float
    raw: str
    spans: tuple[Span, ...]
    visible: str | None
    prose: str = ""  # link text that is itself the claim (``[the claim](url?t=5)``)
    shared: bool = False  # its time is in a reference definition that other links or images use too


@dataclass(frozen=True, slots=True)
class _Definition:
    """A link reference definition, ``[label]: URL``: what a reference-style link points to."""

    start: int  # its lines, without the last line break
    end: int
    label_start: int
    label_end: int
    url_start: int
    url_end: int


def is_video_id(value: str) -> bool:
    """True for exactly 11 characters of ``[A-Za-z0-9_-]``, the only ids allowed near a path.

    >>> is_video_id("yqizMvX5YsA"), is_video_id("../etc/pass")
    (True, False)
    """
    return VIDEO_ID_RE.fullmatch(value) is not None


def video_id_of(value: str) -> str | None:
    """The video ``value`` names: an id as it is, or the id in a YouTube link; else None.

    >>> video_id_of("https://youtu.be/yqizMvX5YsA?t=36"), video_id_of(" yqizMvX5YsA "), video_id_of("x")
    ('yqizMvX5YsA', 'yqizMvX5YsA', None)
    """
    value = value.strip()
    if is_video_id(value):
        return value
    url = _YT_URL.match(value)
    return url.group(1) if url else None


def read_note_bytes(path: str | Path) -> tuple[bytes, str]:
    """The file's bytes and its exact text: strict UTF-8, BOM kept, newlines untouched.

    ``fix`` hashes the bytes to notice a note changed on disk before it writes.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise NoteError(f"cannot read note: {exc.strerror or exc}", path=str(p)) from exc
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _count_lines(data[: exc.start].decode("utf-8", errors="replace"))
        raise NoteError(
            f"not UTF-8: undecodable byte 0x{data[exc.start]:02x} at byte offset {exc.start}",
            path=str(p),
            line=line,
        ) from exc


def read_note_text(path: str | Path) -> str:
    """The file's exact text: strict UTF-8, BOM kept, newlines untouched (``newline=''``)."""
    return read_note_bytes(path)[1]


def read_note(path: str | Path) -> Note:
    """Read and parse one note file."""
    return parse_note(read_note_text(path), path=str(path))


def no_notes_error(paths: Sequence[str | Path]) -> InputError:
    """The error for ``paths`` that hold no note at all: every command that reads notes says it alike."""
    return InputError(f"no notes ({', '.join(NOTE_SUFFIXES)}) found in " + ", ".join(str(p) for p in paths))


def note_key(path: Path) -> Path:
    """What tells two paths to one note apart: the file they lead to, or, for a symlink loop that
    leads nowhere, the path itself (reading it reports the note as unreadable)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a loop raises RuntimeError before Python 3.13
        return path.absolute()


def find_notes(paths: Sequence[str | Path]) -> tuple[list[Path], list[str]]:
    """Note files under ``paths`` in a stable order, plus one-line notices for skipped files.

    Directories are walked recursively in sorted order; hidden entries, ``*.bak`` files and
    folders tagged as fix's backups (:data:`~cliptool.models.BACKUP_TAG`) are left out silently,
    other non-note files get a notice, and so do FIFOs, sockets and devices even when named like
    notes (only a regular file is ever read). A missing path is an :class:`InputError`.
    """
    found: list[Path] = []
    notices: list[str] = []
    seen: set[Path] = set()

    def take(p: Path) -> None:
        key = note_key(p)
        if key not in seen:
            seen.add(key)
            found.append(p)

    for given in paths:
        p = Path(given)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                # Hidden folders, and backup folders fix tagged: their copies are not the notes.
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (Path(root) / d / BACKUP_TAG).exists())
                for name in sorted(files):
                    if name.startswith(".") or name.endswith(".bak"):
                        continue
                    child = Path(root) / name
                    if not _is_note_name(child):
                        notices.append(f"skipped {child}: not a {'/'.join(NOTE_SUFFIXES)} file")
                    elif _is_special(child):
                        notices.append(f"skipped {child}: not a regular file")
                    elif _is_report(child):
                        notices.append(f"skipped {child}: a cliptool verify report, not a note")
                    else:
                        take(child)
        elif p.is_file():
            if _is_note_name(p):
                take(p)
            else:
                notices.append(f"skipped {p}: not a {'/'.join(NOTE_SUFFIXES)} file")
        elif p.is_symlink() and _is_note_name(p):
            take(p)  # dangling, or a loop: reading it reports the note as unreadable, like a missing one
        elif p.exists() or p.is_symlink():
            notices.append(f"skipped {p}: not a regular file or directory")
        else:
            raise InputError("no such file or directory", path=str(p))
    return found, notices


def parse_note(text: str, *, path: str = "<string>") -> Note:
    """Parse a note's text into its video id, title, language and claims in file order.

    Offsets in the claims' spans index ``text`` exactly as given (BOM and CRLF included).
    """
    bad = _SURROGATE.search(text)
    if bad:
        raise NoteError("not UTF-8: undecodable bytes", path=path, line=_count_lines(text[: bad.start()]))
    lines = _lines(text)
    starts = [s for s, _ in lines]
    video_id, title, language, body_line = _front_matter(text, lines, path)
    body_start = lines[body_line][0] if body_line < len(lines) else len(text)

    block_starts, block_ends, code, definitions, table_rows = _blocks(text, lines, body_line)
    code = _merge(code + ([(m.start(), m.end()) for m in _CODE_SPAN.finditer(text, body_start)] if "`" in text else []))
    excluded = _merge(code + (_comments(text, body_start, code) if "<!--" in text or "%%" in text else []))

    def where(pos: int) -> tuple[int, int]:
        line = bisect.bisect_right(starts, pos)
        return line, pos - starts[line - 1] + 1

    def seconds(value: str, pos: int, what: str) -> float:
        try:
            return parse_time(value)
        except TimestampError:
            raise NoteError(
                f"impossible timestamp {value!r} ({what})", path=path, line=where(pos)[0]
            ) from None

    hits: list[_Hit] = []
    consumed: list[tuple[int, int]] = []
    warnings: list[str] = []

    for m in _A_OPEN.finditer(text, body_start):
        if _inside(excluded, m.start()):
            continue
        close = _A_CLOSE.match(text, m.end())
        inner_s, inner_e = (m.end(), close.end(1)) if close else (m.end(), m.end())
        end = close.end() if close else m.end()
        consumed.append((m.start(), end))
        attrs = _attrs(m)
        classes = attrs["class"][0].lower().split() if "class" in attrs else []
        href = attrs.get("href")
        t_link = _t_of_url(href[0], video_id) if href else None
        t_span: tuple[Span, ...] = ()
        if href and t_link:
            t_s, t_e = href[1] + t_link[0], href[1] + t_link[1]
            t_span = (Span(t_s, t_e, "t-param"),)

        if "yt-timestamp" not in classes and "yt_timestamp" not in classes:
            if t_link:  # a plain HTML link to this video with t=: a claim like a Markdown link
                hits.append(_link_hit(text, t_s, t_e, m.start(), end, inner_s, inner_e, seconds))
            continue
        if "yt-timestamp" not in classes:
            warnings.append(
                f"line {where(m.start())[0]}: anchor class 'yt_timestamp' is misspelled; read as yt-timestamp"
            )

        vis = _TS_TOKEN.search(text, inner_s, inner_e)
        data_t = attrs.get("data-t")
        spans: list[Span] = []
        if data_t and data_t[0].strip():
            value, v_start = data_t
            lead = len(value) - len(value.lstrip())
            raw = value.strip()
            spans.append(Span(v_start + lead, v_start + lead + len(raw), "data-t"))
            cited = seconds(raw, m.start(), "data-t")
        elif vis:
            raw = vis.group()
            cited = seconds(raw, vis.start(), "visible text")
            warnings.append(
                f"line {where(m.start())[0]}: timestamp anchor has no data-t; read its text {raw!r}"
            )
        else:
            raise NoteError("timestamp anchor has no data-t", path=path, line=where(m.start())[0])
        visible = None
        if vis:
            spans.append(Span(vis.start(), vis.end(), "visible"))
            spans.extend(_range_end(text, vis.end(), inner_e))
            visible = _differs(vis.group(), cited)
        hits.append(_Hit(m.start(), end, cited, raw, tuple(spans) + t_span, visible))

    # The substring checks skip whole-text scans that most notes (anchors only) do not need.
    in_anchor = _merge(consumed)
    for m in _MD_LINK.finditer(text, body_start) if "](" in text else ():
        consumed.append((m.start(), m.end()))
        if m.group(1) or _inside(excluded, m.start()) or _inside(in_anchor, m.start()):
            continue
        t_link = _t_of_url(m.group(3), video_id)
        if t_link:
            url_s = m.start(3)
            hits.append(
                _link_hit(
                    text,
                    url_s + t_link[0],
                    url_s + t_link[1],
                    m.start(),
                    m.end(),
                    m.start(2),
                    m.end(2),
                    seconds,
                )
            )

    # Definition lines are never claims: a reference-style link using one is, and its time is the
    # definition's t=, where fix rewrites it.
    definitions = [d for d in definitions if not _inside(excluded, d.start)]
    consumed.extend((d.start, d.end) for d in definitions)
    labels: dict[str, _Definition] = {}
    if definitions:
        for d in definitions:
            labels.setdefault(label_key(text[d.label_start : d.label_end]), d)  # the first one counts
        found, links = _reference_hits(text, body_start, labels, _merge(consumed + excluded), video_id, seconds)
        hits.extend(found)
        consumed.extend(links)

    consumed_merged = _merge(consumed)
    for m in _BARE_URL.finditer(text, body_start) if "://" in text else ():
        if _inside(consumed_merged, m.start()) or _inside(excluded, m.start()):
            continue
        # `<https://youtu.be/ID?t=5>` is an autolink, its brackets the link's own markup
        auto = text.startswith("<", m.start() - 1) and text.startswith(">", m.end())
        if not auto and _in_tag(text, m.start()):
            continue  # <iframe src="…embed/ID?start=4">: a player in the note, not a citation
        t_link = _t_of_url(m.group(), video_id)
        if t_link:
            t_s, t_e = m.start() + t_link[0], m.start() + t_link[1]
            raw = text[t_s:t_e]
            cited = seconds(raw, t_s, "t=")
            edge = 1 if auto else 0
            hits.append(_Hit(m.start() - edge, m.end() + edge, cited, raw, (Span(t_s, t_e, "t-param"),), None))

    hits.sort(key=lambda h: h.start)
    claims = _claims(text, hits, block_starts, block_ends, where, frozenset(labels), table_rows)
    # A time with no words around it (a bare `[00:42](url)` line) backs no claim: verify can only
    # call it unsupported, which reads as "the video does not say it".
    warnings += [f"line {c.line}: the time {format_ts(c.cited_s)} has no claim text around it; nothing to check there"
                 for c in claims if not _has_word(c.text)]
    if not claims:  # times in plain text ("at 1:31") cite nothing a tool can follow
        warnings.append(f"no timestamps to check: cliptool reads yt-timestamp anchors and links to {video_id} "
                        "with t= (plain-text times are not read)")
    return Note(
        path=path,
        video_id=video_id,
        claims=claims,
        title=title,
        language=language,
        warnings=tuple(warnings),
    )


def _link_hit(
    text: str,
    t_s: int,
    t_e: int,
    start: int,
    end: int,
    label_s: int,
    label_e: int,
    seconds: Callable[[str, int, str], float],
) -> _Hit:
    """A claim for a link to the note's video whose ``t=`` value sits at ``text[t_s:t_e]``."""
    raw = text[t_s:t_e]
    cited = seconds(raw, t_s, "t=")
    spans = [Span(t_s, t_e, "t-param")]
    visible = None
    prose = ""
    whole = _TS_TEXT.fullmatch(text, label_s, label_e)
    label = (whole.start(1), whole.end(1)) if whole else _label_time(text, label_s, label_e)
    if label:
        # The label's time is the visible one, retimed with t= ("▶ 05:36", "**05:51**", "6m28s");
        # words around it ("from 05:36") are still prose of the claim.
        spans.append(Span(*label, "link-text"))
        ends = _range_end(text, label[1], label_e)
        spans.extend(ends)
        visible = _differs(text[label[0] : label[1]], cited)
        after = ends[0].end if ends else label[1]
        rest = text[label_s : label[0]] + " " + text[after:label_e]
        prose = rest if _has_word(rest) else ""
    else:
        prose = text[label_s:label_e]
    return _Hit(start, end, cited, raw, tuple(spans), visible, prose)


def _reference_hits(
    text: str,
    start: int,
    labels: dict[str, _Definition],
    skip: list[tuple[int, int]],
    video_id: str,
    seconds: Callable[[str, int, str], float],
) -> tuple[list[_Hit], list[tuple[int, int]]]:
    """Claims of reference-style links to the note's video with ``t=``, and where every reference
    link is (images too), from ``start`` on, leaving out the ``skip`` ranges.

    The forms are CommonMark's: ``[text][label]``, ``[label][]`` and ``[label]``, each a link only
    when its label is defined (case and spacing aside). Written as a scan, not a regex alternation:
    after ``[a][b]`` with ``b`` undefined, ``[b]`` may still start a link (``[a][b][c]``). A claim
    whose definition anything else uses, another link or an image, is ``shared``.
    """
    hits: list[tuple[_Hit, int]] = []  # each claim with its definition (by its start)
    links: list[tuple[int, int]] = []
    uses: dict[int, int] = {}  # definition -> the links and images using it
    pos = start
    while (m := _REF_LINK.search(text, pos)) is not None:
        pos = m.end()
        full = m.group(3) is not None and m.group(3).strip() != ""
        before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
        if _inside(skip, m.start()) or before in ("\\", "[") or after == "]":
            continue  # escaped, taken already, or a wiki link's [[inner]] brackets
        if m.group(3) is None and after == "(":
            continue  # inline link syntax `[x](not-a-url)`: never a shortcut reference
        key = label_key(m.group(3) if full else m.group(2))
        d = labels.get(key) if key else None
        if d is None:
            if full:
                pos = m.start(3) - 1  # `[a][b]` with `b` undefined: `[b]` may start a link
            continue
        links.append((m.start(), m.end()))
        uses[d.start] = uses.get(d.start, 0) + 1
        if m.group(1):
            continue  # an image, not a citation (as with inline links)
        url = text[d.url_start : d.url_end]
        t_link = _t_of_url(url, video_id)
        if not t_link:
            continue
        hit = _link_hit(text, d.url_start + t_link[0], d.url_start + t_link[1], m.start(), m.end(),
                        m.start(2), m.end(2), seconds)
        if not full:
            hit = _keyed_label(text, hit, m.start(2), m.end(2), d)
        hits.append((hit, d.start))
    return [replace(hit, shared=uses[d] > 1) for hit, d in hits], links


def _keyed_label(text: str, hit: _Hit, label_s: int, label_e: int, d: _Definition) -> _Hit:
    """``[12:31]`` or ``[12:31][]``: the label shown is also the key to its definition, so its time is
    retimed in both places, or, when the two are not written alike, in neither (the link must not break)."""
    shown = [s for s in hit.spans if label_s <= s.start < label_e]
    if not shown:
        return hit
    rest = tuple(s for s in hit.spans if s not in shown)
    if text[label_s:label_e] != text[d.label_start : d.label_end]:
        return replace(hit, spans=rest)
    moved = tuple(Span(s.start - label_s + d.label_start, s.end - label_s + d.label_start, s.role) for s in shown)
    return replace(hit, spans=rest + tuple(shown) + moved)


def _in_tag(text: str, pos: int) -> bool:
    """Whether ``pos`` lies inside an HTML tag (``<iframe src="…">``), as an attribute's value."""
    lo = max(0, pos - 2000)  # a tag is not longer than that
    i = max(text.rfind("<", lo, pos), text.rfind(">", lo, pos))
    # a blank line ends it, however the note breaks lines and whatever blanks the line holds
    return (i >= 0 and text[i] == "<" and text[i + 1 : i + 2].isalpha()
            and _BLANK_LINE.search(text, i, pos) is None)


def _range_end(text: str, start: int, end: int) -> list[Span]:
    """The second time of a range shown from ``start`` (``-00:05:50`` after ``00:05:36``), if any."""
    m = _RANGE_END.match(text, start, end)
    if m is None:
        return []
    try:
        parse_ts(m.group(1))
    except TimestampError:
        return []  # "22:47-22:75" is no range fix could move: the label stays as it is
    return [Span(m.start(1), m.end(1), "range-end")]


def _label_time(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Where the time a link label shows is, when the label is little more than that time.

    ``▶ 05:36``, ``**6m28s**``, ``from 05:36`` or ``05:51-06:05``: the label is the link's visible
    time. ``not 100m``, ``John 3:16`` or ``12:30 PM livestream`` are prose that happens to hold a
    number, and stay as they are.
    """
    found = [m for m in _TS_TOKEN.finditer(text, start, end)]
    if len(found) == 2 and _range_end(text, found[0].end(), end):
        found = found[:1]  # "05:51-06:05": a range, shown from its first time
    if not found:
        found = [m for m in _T_LABEL.finditer(text, start, end) if m.group(1)]
    if len(found) != 1:
        return None
    ends = _range_end(text, found[0].end(), end)
    rest = text[start : found[0].start()] + " " + text[ends[0].end if ends else found[0].end() : end]
    if any(w.lower() not in _LABEL_WORDS for w in _LABEL_WORD.findall(rest)):
        return None
    return found[0].start(), found[0].end()


def _claims(
    text: str,
    hits: list[_Hit],
    block_starts: list[int],
    block_ends: list[int],
    where: Callable[[int], tuple[int, int]],
    keys: frozenset[str] = frozenset(),
    table_rows: frozenset[int] = frozenset(),
) -> tuple[Claim, ...]:
    """Attach to each hit the prose it backs: back to the previous hit or its block's start.

    ``keys`` are the note's defined link labels: a reference link in the prose reads as its text;
    ``table_rows`` starts table rows that need not start with a pipe.
    """
    claims: list[Claim] = []
    prev_block = -1
    hit_starts = [h.start for h in hits]
    for i, hit in enumerate(hits):
        k = bisect.bisect_right(block_starts, hit.start) - 1
        if k < 0 or hit.start > block_ends[k]:  # not in a prose block (cannot normally happen)
            b_start, b_end = hit.start, hit.end
        else:
            b_start, b_end = block_starts[k], block_ends[k]
        same_block = i > 0 and k == prev_block and hits[i - 1].end > b_start
        seg_start = hits[i - 1].end if same_block else b_start
        body = text[seg_start : hit.start]
        lead = EMPHASIS_CLOSER.match(text, seg_start) if same_block else None
        if lead:
            body = body[lead.end() - seg_start :]  # it closed emphasis around the previous anchor
        close = EMPHASIS_CLOSER.match(text, hit.end)
        if close:
            # Emphasis around the anchor is markup, not claim text: its opener is right before the
            # anchor, or opened the claim's text (`**claim [12:31](url)**`), where the closer pairs it.
            run = close.group()
            if body.endswith(run):
                body = body[: -len(run)]
            elif run in body:
                body = body.rstrip() + run
        if hit.prose:
            body += " " + hit.prose
        claim_text = _clean(body, keys, block_start=not same_block)
        if b_start in table_rows or _TABLE.match(text, b_start, b_end):
            # A table row says its claim in its other cells, before or after the time's cell.
            row = hits[bisect.bisect_left(hit_starts, b_start) : bisect.bisect_left(hit_starts, b_end)]
            claim_text = _row_text(text, b_start, b_end, row, row.index(hit), keys)
        elif not _has_word(claim_text):
            if same_block:
                # `... sentence <a>[1]</a>, <a>[2]</a>.`: the second anchor backs the same sentence
                claim_text = claims[-1].text
            else:
                # `> <a>[14:43]</a> "quote"`: nothing before the anchor, so it backs what follows
                after = _after(text, hits, i, b_end, close, keys)
                claim_text = after if _has_word(after) else claim_text
        elif (not same_block and len(claim_text.split()) <= _LEAD_IN_WORDS
              and not (i + 1 < len(hits) and hits[i + 1].start <= b_end)
              and not _ENDS_SENTENCE.match(text, close.end() if close else hit.end)):
            # `See [05:50](url) for the right hand rule.`: a word before the block's only
            # anchor, mid-sentence, leads into the sentence; its rest, to the sentence's end,
            # says the claim. (`Attention [05:50](url). Queries…`: the anchor ends the sentence.)
            rest = _SENTENCE_END.split(_after(text, hits, i, b_end, close, keys), maxsplit=1)[0]
            if _has_word(rest):
                claim_text = f"{claim_text} {rest}"
        line, column = where(hit.start)
        claims.append(
            Claim(
                index=i,
                line=line,
                column=column,
                cited_s=hit.cited_s,
                raw=hit.raw,
                text=claim_text,
                spans=hit.spans,
                visible=hit.visible,
                shared=hit.shared,
            )
        )
        prev_block = k
    return tuple(claims)


_LEAD_IN_WORDS = 1  # "See [05:50](url) for ...": a word before a mid-sentence anchor only leads into it
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^a-z])")  # not inside "e.g. the value"
_ENDS_SENTENCE = re.compile(r"[ \t]*[.!?](?:\s|$)")


def _after(text: str, hits: Sequence[_Hit], i: int, b_end: int, close: re.Match[str] | None,
           keys: frozenset[str]) -> str:
    """The cleaned text after ``hits[i]`` up to the next anchor or its block's end."""
    nxt = hits[i + 1].start if i + 1 < len(hits) and hits[i + 1].start <= b_end else b_end
    after_start = close.end() if close else hits[i].end
    return _clean(text[after_start : max(after_start, nxt)], keys)


def _row_text(text: str, start: int, end: int, hits: list[_Hit], i: int, keys: frozenset[str]) -> str:
    """The claim of ``hits[i]`` in a table row of ``hits``: the worded cells since the previous time's
    cell, else those up to the next one (``| 1 | time | claim |``); row numbers are left out."""
    hit = hits[i]
    before = _cells(text[hits[i - 1].end if i else start : hit.start], keys)
    after = _cells(text[hit.end : hits[i + 1].start if i + 1 < len(hits) else end], keys)
    if not (before or after) and i + 1 < len(hits) and not _CELL_BAR.search(text, hit.end, hits[i + 1].start):
        return _row_text(text, start, end, hits, i + 1, keys)  # `| 3 | [0:15], [0:20] | claim |`
    return " ".join([*(before or after), _clean(hit.prose, keys)]).strip()


def _cells(row: str, keys: frozenset[str]) -> list[str]:
    if "[[" in row:  # a wiki link's | is no cell border
        row = _WIKI_LINK.sub(_wiki_label, row)
    cells = (_clean(cell, keys) for cell in _CELL_BAR.split(row))
    return [cell for cell in cells if any(ch.isalpha() for ch in cell)]


def _front_matter(
    text: str, lines: list[tuple[int, int]], path: str
) -> tuple[str, str | None, str | None, int]:
    """Video id, title, language and the index of the first body line."""
    first_s, first_e = lines[0]
    if text.startswith("\ufeff"):
        first_s += 1
    if not _FM_OPEN.fullmatch(text, first_s, first_e):
        raise NoteError("missing front matter: a note must start with a '---' line", path=path, line=1)
    close = next((i for i in range(1, len(lines)) if _FM_CLOSE.fullmatch(text, *lines[i])), None)
    if close is None:
        raise NoteError("front matter opened on line 1 is never closed with '---'", path=path, line=1)
    source = text[lines[1][0] : lines[close][0]]
    try:
        # compose, not safe_load: the same safe parser, but scalars keep their raw text (an id like
        # `0x1234567ab` must not turn into an int) and their line, and an odd value in a field we
        # do not use (`date: 2024-13-45`) cannot fail the note.
        node = yaml.compose(source, Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        # An unclosed [ or quote (or a key without its colon) is found out lines later, at the next
        # key or the closing ---: the line that opened it is the one to mend. A block mapping's
        # context is where the front matter starts, so there the problem's own line is.
        opened = any(what in str(exc.context or "") for what in ("flow", "quoted", "simple key"))
        mark = (exc.context_mark if opened else None) or exc.problem_mark or exc.context_mark
        line = 2 + (mark.line if mark else 0)
        problem = " ".join(" ".join(str(part) for part in (exc.problem, exc.context) if part).split()) or "invalid YAML"
        raise NoteError(f"invalid front matter: {problem}", path=path, line=line) from None
    except yaml.reader.ReaderError as exc:
        line = 1 + _count_lines(source[: exc.position])
        raise NoteError(f"invalid front matter: {exc.reason}", path=path, line=line) from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        msg = " ".join(str(exc).split())[:120]
        raise NoteError(f"invalid front matter: {msg}", path=path, line=2) from None
    if node is None:
        raise NoteError("front matter has no videoId", path=path, line=1)
    if not isinstance(node, yaml.MappingNode):
        raise NoteError("invalid front matter: expected 'key: value' lines", path=path, line=2)
    fields: dict[str, yaml.Node] = {}
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode):
            if key.value == "videoId" and "videoId" in fields:
                # YAML parsers keep the last; which video the note is about must not be a guess
                raise NoteError(f"videoId given twice (first on line {2 + fields['videoId'].start_mark.line})",
                                path=path, line=2 + key.start_mark.line)
            fields[key.value] = value
    vid = fields.get("videoId")
    if vid is None:
        return _video_of_link(fields, path), _scalar(fields.get("title")), _language(fields), close + 1
    vid_line = 2 + vid.start_mark.line
    if not isinstance(vid, yaml.ScalarNode):
        raise NoteError("videoId is a list or mapping, not 11 characters of [A-Za-z0-9_-]", path=path, line=vid_line)
    video_id = video_id_of(vid.value)  # `videoId: https://youtu.be/ID` names it too
    if video_id is None:
        shown = repr(vid.value)[:40]
        raise NoteError(f"videoId {shown} is not 11 characters of [A-Za-z0-9_-]", path=path, line=vid_line)
    return video_id, _scalar(fields.get("title")), _language(fields), close + 1


# Front matter fields that name the note's source when it has no videoId (`url: https://youtu.be/ID`).
_LINK_FIELDS = ("url", "source", "link", "video", "youtube")


def _video_of_link(fields: dict[str, yaml.Node], path: str) -> str:
    """The video a note without videoId is about: the one YouTube video its link fields name."""
    found = {m.group(1) for key in _LINK_FIELDS
             if (value := _scalar(fields.get(key))) and (m := _YT_URL.match(value))}
    if len(found) == 1:
        return found.pop()
    more = f" (its {', '.join(_LINK_FIELDS)} fields name {len(found)} videos)" if found else ""
    raise NoteError(f"front matter has no videoId{more}", path=path, line=1)


def _language(fields: dict[str, yaml.Node]) -> str | None:
    return _scalar(fields.get("lang")) or _scalar(fields.get("language"))


def _scalar(node: yaml.Node | None) -> str | None:
    """A front matter value's text, or None when absent, null, empty or not a scalar."""
    if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null"):
        return None
    return _CONTROL.sub("", node.value).strip() or None


def _blocks(
    text: str, lines: list[tuple[int, int]], first: int
) -> tuple[list[int], list[int], list[tuple[int, int]], list[_Definition], frozenset[int]]:
    """Starts and ends of prose blocks (paragraph, list item, heading, quote paragraph), code ranges,
    link reference definitions and the starts of table rows written without a leading pipe (GFM:
    a header row with a delimiter row under it, then rows up to a blank line or another block).

    A quote's lines join into paragraphs as plain ones do, at the same quote depth, and a line with
    fewer ``>`` that starts no block of its own goes on with the quote's paragraph (CommonMark's lazy
    line); heading, table, rule and callout title lines are blocks of one line each. Indented code
    is four spaces right of the open list item's text (``items``), or of the margin outside lists,
    where no paragraph is open (after a heading or a rule none is): a lazy paragraph line may be
    indented too.
    """
    starts: list[int] = []
    ends: list[int] = []
    code: list[tuple[int, int]] = []
    definitions: list[_Definition] = []
    fence: tuple[str, int, int, int] | None = None  # char, length, quote depth, indent of the open fence
    fence_start = prev_end = 0
    indented: tuple[int, int] | None = None  # the open indented code block, up to its last non-blank line
    open_block = False
    prev_single = False
    prev_depth = 0  # quote depth of the open block's last line
    prev_closed = False  # the last line was a heading or a rule: a block of one line, no paragraph
    items: list[int] = []  # content columns of the open list items, outermost first
    bare_rows: set[int] = set()
    bare_table = False  # in a table whose rows need not start with a pipe
    resume = first  # the line after the last one a definition took
    for i, (s, e) in enumerate(lines[first:], first):
        if i < resume:
            continue
        m = _FENCE.match(text, s, e)
        if fence is not None:
            quotes = _QUOTES.match(text, s, e)
            depth = text[s : quotes.end()].count(">") if quotes else 0
            if depth < fence[2]:
                code.append((fence_start, prev_end))  # the quote holding the fence has ended
                fence = None
            else:
                if m and _closes(m, fence) and not text[m.end() : e].strip():
                    code.append((fence_start, e))
                    fence = None
                prev_end = e
                continue
        line = text[s:e]
        if indented is not None:
            if not line.strip():
                continue  # blank lines inside indented code belong to it when more code follows
            if _indent(line) >= 4:
                indented = (indented[0], e)
                continue
            code.append(indented)
            indented = None
        if m and (m.group(1).count(">") or _fence_indent(m) < 4 or items):  # an indented fence is an item's
            fence, fence_start = (m.group(3)[0], len(m.group(3)), m.group(1).count(">"), _fence_indent(m)), s
            open_block, prev_end = False, e
            # a fence left of an item's text ends the item like any block there: four spaces after it are code
            _close_items(items, _indent(line))
            continue
        prev_end = e
        if _BLANK.match(text, s, e):
            open_block = bare_table = False
            continue
        width = _indent(line)
        if not open_block or prev_closed:
            _close_items(items, width)
            if width >= (items[-1] if items else 0) + 4:
                # indented code cannot interrupt a paragraph, so only after a blank line, a heading or a rule
                indented = (s, e)
                continue
        paragraph = open_block and not prev_single
        # an item left of the open item's text is its sibling, not a new list cutting into a paragraph
        item = _item(text, s, e, interrupting=paragraph and (not items or width >= items[-1]))
        if item:
            _close_items(items, width)
            items.append(_item_column(line))
        elif not (paragraph and _lazy(text, s, e)):
            # a line left of an item's text ends the item, unless it goes on with the item's paragraph
            _close_items(items, width)
        quotes = _QUOTES.match(text, s, e)
        depth = text[s : quotes.end()].count(">") if quotes else 0
        content = quotes.end() if quotes and depth else s  # where the line's own text starts, inside its quotes
        if depth:
            item = _item(text, content, e, interrupting=paragraph and depth == prev_depth)
        if item or not open_block or prev_single:  # a definition cannot interrupt a paragraph, but may open an item
            # In a list, one indented as an item's text is the item's (and four spaces make no code there).
            lead = len(line) - len(line.lstrip(" \t")) if items and not depth else 0
            found = _definition(text, lines, i, item.end() if item else content + lead, depth)
            if found:
                definitions.append(found[0])
                resume = found[1] + 1
                open_block = prev_single = False
                continue
        if item:  # "- > quote": the quote is the item's, and its next lines continue it
            after = _QUOTES.match(text, item.end(), e)
            depth += text[item.end() : after.end()].count(">") if after else 0
        closed = bool(_HEADING.match(text, content, e) or _HR.match(text, content, e))
        if not bare_table and not (depth or item or closed or _TABLE.match(text, s, e)) and i + 1 < len(lines):
            bare_table = bool(_CELL_BAR.search(text, s, e) and _BARE_DELIMITER_ROW.match(text, *lines[i + 1]))
        elif bare_table and (depth or item or closed):
            bare_table = False
        if bare_table:
            bare_rows.add(s)
        single = closed or bare_table or bool(_TABLE.match(text, content, e) or (depth and _CALLOUT_HEAD.match(text, content, e)))
        if open_block and not (prev_single or single or item) and depth < prev_depth:
            ends[-1] = e  # "> a" then "b": a lazy line, CommonMark's; the quote's paragraph goes on
            continue
        if single or prev_single or not open_block or item or depth != prev_depth:
            starts.append(s)
            ends.append(e)
        else:
            ends[-1] = e
        open_block, prev_single, prev_closed, prev_depth = True, single, closed, depth
    if fence is not None:  # an unclosed fence runs to the end of the note, as in CommonMark
        code.append((fence_start, len(text)))
    if indented is not None:
        code.append(indented)
    return starts, ends, code, definitions, frozenset(bare_rows)


def _item(text: str, at: int, e: int, *, interrupting: bool) -> re.Match[str] | None:
    """The list item marker at ``at``, if one starts a list item there.

    One cutting into a paragraph must have text, and an ordered one must count from 1 (CommonMark):
    "published in" wrapped before "2017. It ..." is one paragraph.
    """
    m = _LIST.match(text, at, e)
    if m and interrupting:
        marker = text[at : m.end()].strip()
        if not text[m.end() : e].strip() or (marker[0].isdigit() and int(marker[:-1]) != 1):
            return None
    return m


def _item_column(line: str) -> int:
    """Column where a list item's text starts (CommonMark: after the marker and one to four spaces).

    >>> _item_column("- a"), _item_column("  10.  b"), _item_column("-      code"), _item_column("1.")
    (2, 7, 2, 3)
    """
    body = line.lstrip(" \t")
    marker = len(body) - len(body.lstrip("0123456789")) + 1
    after = _width(body[marker:][: len(body[marker:]) - len(body[marker:].lstrip(" \t"))])
    return _indent(line) + marker + (after if 1 <= after <= 4 and body[marker:].strip() else 1)


def _close_items(items: list[int], indent: int) -> None:
    """End the open list items whose text starts right of ``indent``: a line there is not theirs."""
    while items and indent < items[-1]:
        items.pop()


def _lazy(text: str, s: int, e: int) -> bool:
    """Whether the line can go on with an open paragraph (CommonMark's lazy continuation line): it
    starts no quote, heading or rule of its own."""
    return not (text[s:e].lstrip(" \t").startswith(">") or _HEADING.match(text, s, e) or _HR.match(text, s, e))


def _definition(
    text: str, lines: list[tuple[int, int]], i: int, at: int, depth: int
) -> tuple[_Definition, int] | None:
    """The link reference definition whose label starts at ``at`` on line ``i`` (in ``depth`` quotes), and
    the index of its last line: CommonMark lets its URL, and then its title, go on the next line."""
    s, e = lines[i]
    label = url = _DEFINITION.match(text, at, e)
    last = i
    if label is None:
        label = _DEFINITION_LABEL.match(text, at, e)
        nxt = _continuation(text, lines, i + 1, depth) if label else None
        url = _DEFINITION_URL.match(text, nxt, lines[i + 1][1]) if nxt is not None else None
        last = i + 1
    if label is None or url is None:
        return None
    if url.group("title") is None:
        nxt = _continuation(text, lines, last + 1, depth)
        if nxt is not None and _DEFINITION_TITLE.match(text, nxt, lines[last + 1][1]):
            last += 1
    at_url = "angled" if url.group("angled") is not None else "bare"
    return _Definition(s, lines[last][1], label.start(1), label.end(1), url.start(at_url), url.end(at_url)), last


def _continuation(text: str, lines: list[tuple[int, int]], i: int, depth: int) -> int | None:
    """Where line ``i``'s text starts when it goes on with a paragraph in ``depth`` quotes (its own
    quotes or a lazy line), else None: past the end, blank, deeper quoted, or a block of its own."""
    if i >= len(lines):
        return None
    s, e = lines[i]
    quotes = _QUOTES.match(text, s, e)
    inner = text[s : quotes.end()].count(">") if quotes else 0
    at = quotes.end() if quotes and inner else s
    if inner > depth or _BLANK.match(text, s, e) or _FENCE.match(text, s, e):
        return None
    return None if _HEADING.match(text, at, e) or _HR.match(text, at, e) or _LIST.match(text, at, e) else at


def _indent(line: str) -> int:
    """Columns of a line's leading whitespace (see :func:`_width`)."""
    return _width(line[: len(line) - len(line.lstrip(" \t"))])


def _width(space: str) -> int:
    """Columns of leading whitespace, a tab counting four."""
    return sum(4 if ch == "\t" else 1 for ch in space if ch in " \t")


def _fence_indent(m: re.Match[str]) -> int:
    """Indent of a fence inside its quote (after the last '>' and the space that belongs to it)."""
    inside = m.group(2)
    if m.group(1) and inside.startswith(" "):
        inside = inside[1:]
    return _width(inside)


def _closes(m: re.Match[str], fence: tuple[str, int, int, int]) -> bool:
    """Whether fence line ``m`` closes ``fence``: same character, as long, in the same quote, and
    not indented deeper than the opening allows (an indented ``` inside is the code's own text)."""
    char, length, depth, indent = fence
    return (m.group(3)[0] == char and len(m.group(3)) >= length and m.group(1).count(">") == depth
            and _fence_indent(m) <= indent + 3)


def _clean(segment: str, keys: frozenset[str] = frozenset(), *, block_start: bool = False) -> str:
    """Prose with Markdown/HTML markup removed and whitespace collapsed; a reference link or image
    whose label is one of ``keys`` (defined) reads as its text. Only a segment at ``block_start`` can
    open with a block's marker (``- ``, ``2. ``, ``# ``); one after an anchor goes on mid-line.

    >>> _clean("> **Bold** [[a_b | label]] and [[c]] <br/> `x`[^1], ", block_start=True)
    'Bold label and c x'
    >>> _clean("See [the talk][t], ![a plot][p] and W[i][j]", frozenset({"t", "p"}))
    'See the talk, a plot and W[i][j]'
    """
    s = segment if block_start else _MID_LINE + segment
    if "\r" in s:  # the line-start patterns below (a quote's '>', a list marker) know lines ended by LF only
        s = LINE_BREAK.sub("\n", s)
    if "\\\n" in s:
        s = s.replace("\\\n", "\n")  # a backslash ending a line is a hard line break
    s = _CONTROL.sub("", s)
    spans: list[str] = []
    if "`" in s:
        # A code span shows its text as written (`a_b`, `[x](y)`, `&amp;`): hold it out of the markup
        # removal below and put it back at the end.
        s = _CODE_SPAN.sub(lambda m: _hold(m, spans), s)
    if ("<!--" in s and "-->" in s) or "%%" in s:  # without a "-->" the regex would retry at every "<!--"
        s = _CLOSED_COMMENT.sub(" ", s)
    if ">" in s:
        s = _QUOTE_PREFIX.sub("", s)
    if "[!" in s:
        s = _CALLOUT.sub(lambda m: f"{m.group(1) or ''} ", s)
    heading = block_start and _HEADING.match(s) is not None
    s = _BLOCK_MARKER.sub(_unmarked, s)
    if heading:
        s = _ATX_CLOSE.sub("", s)  # "## Heading ##": the closing run is markup too
    if ">" in s:
        s = _QUOTE_PREFIX.sub("", s)  # "- > quote": a list item holding a quote
    if not block_start:
        s = s.replace(_MID_LINE, "", 1)
    s = _SPACES.sub(" ", s)
    if "[[" in s:
        s = _WIKI_LINK.sub(_wiki_label, s)
    if "[^" in s:
        s = _FOOTNOTE.sub("", s)
    if "](" in s:
        s = _MD_LINK_TEXT.sub(r"\1", s)
    if keys and "]" in s:
        s = _REF_LINK_TEXT.sub(lambda m: m.group(1) if label_key(m.group(2) or m.group(1)) in keys else m.group(), s)
    if "<" in s:
        # `fix --mark-unsupported` writes its marker after an anchor, where the next claim's text
        # starts; it is fix's word to the reader, not part of that claim.
        s = _FIX_MARK.sub(" ", s)
        s = _HTML_TAG.sub(" ", s)
    if "*" in s or "_" in s or "~" in s or "=" in s:
        s = _STRONG.sub(r"\2", s)
        s = _STRONG_UNDER.sub(r"\1", s)
        s = _EM_STAR.sub(r"\1", s)
        s = _EM_UNDER.sub(r"\1", s)
    s = s.replace("`", "")
    if "\\" in s:
        s = _ESCAPE.sub(r"\1", s)
    if "&" in s:
        s = html.unescape(s)
    s = _SPACES.sub(" ", s)
    s = _LEAD_PUNCT.sub("", s)
    s = _TRAIL_PUNCT.sub("", s)
    if "*" in s or "_" in s or "~" in s or "=" in s:
        s = _LONE_EMPHASIS.sub("", s)  # `**one [1:00] and two** [2:00]`: each claim holds half the pair
    return _CODE_HOLD.sub(lambda m: _held(m, spans), s) if spans else s


def _hold(m: re.Match[str], spans: list[str]) -> str:
    """A placeholder for code span ``m``, whose text (CommonMark's: one space stripped from each side
    when both have one, spaces collapsed) goes to ``spans``."""
    code = m.group(2)
    if code[0] == code[-1] == " " and code.strip():
        code = code[1:-1]
    spans.append(_SPACES.sub(" ", code))
    return f"\ue000{len(spans) - 1}\ue001"


def _held(m: re.Match[str], spans: list[str]) -> str:
    k = int(m.group(1))
    return spans[k] if k < len(spans) else m.group()  # a note may hold these characters itself


def _unmarked(m: re.Match[str]) -> str:
    """Drop a block marker, but not a number opening a wrapped line ("published in\\n2017. It"):
    past a block's first line, an ordered list marker other than 1 only goes on an ordered list."""
    number, at, s = m.group(1), m.start(), m.string
    if number is None or at == 0 or int(number) == 1:
        return ""
    prev = s[s.rfind("\n", 0, at - 1) + 1 : at - 1]
    return "" if _ORDERED.match(prev) else m.group()


def _wiki_label(m: re.Match[str]) -> str:
    """What a wiki link shows: ``[[target | label]]`` its label, ``[[target]]`` its target."""
    return (m.group(2) or "").strip() or m.group(1).strip()


def _has_word(s: str) -> bool:
    return any(ch.isalnum() for ch in s)


def _differs(visible: str, cited_s: float) -> str | None:
    """The visible timestamp when it names another time than the cited one (or no time at all)."""
    try:
        shown = parse_time(visible)
    except TimestampError:
        return visible
    # whole seconds shown for a fractional data-t (00:05:30 or 00:05:31 for 00:05:30.5) name the same moment
    return None if abs(shown - cited_s) < 1 else visible


def _attrs(m: re.Match[str]) -> dict[str, tuple[str, int]]:
    """Attributes of an open tag: lower-cased name -> (value, offset of the value in the text)."""
    out: dict[str, tuple[str, int]] = {}
    for a in _ATTR.finditer(m.string, m.start(1), m.end(1)):
        name = a.group(1).lower()
        if name in out:
            continue
        for g in (2, 3, 4):
            if a.group(g) is not None:
                out[name] = (a.group(g), a.start(g))
                break
        else:
            out[name] = ("", a.end())
    return out


def _t_of_url(url: str, video_id: str) -> tuple[int, int] | None:
    """Offsets within ``url`` of its ``t=`` value when it links to ``video_id``, else None."""
    m = _YT_URL.match(url.strip()) if url else None
    if not m or m.group(1) != video_id:
        return None
    t = _T_PARAM.search(url)
    if not t:
        return None
    # The value ends where a t= value's characters do: a bare URL runs on into the punctuation,
    # emphasis or table bar around it ("**https://youtu.be/ID?t=36**", "...?t=36.").
    # A value with no time at its start ("t=soon") stays whole, to be reported as impossible.
    value = _T_VALUE.match(t.group(1))
    if value and _T_MORE.match(t.group(1), value.end()):
        value = None  # "t=36.5", "t=1e3": not a value fix could rewrite, so reported whole as impossible
    end = value.end() if value else len(t.group(1).rstrip(".,;:!?"))
    return (t.start(1), t.start(1) + end) if end else None


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, end before its line break (CRLF, LF or lone CR)."""
    out: list[tuple[int, int]] = []
    prev = 0
    for m in LINE_BREAK.finditer(text):
        out.append((prev, m.start()))
        prev = m.end()
    out.append((prev, len(text)))
    return out


def _count_lines(prefix: str) -> int:
    """1-based line number of the position just after ``prefix``."""
    return 1 + len(LINE_BREAK.findall(prefix))


def _comments(text: str, start: int, code: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Ranges of hidden comments from ``start`` on; ``<!--`` or ``%%`` written in code opens none.

    ``<!--`` opening a line hides up to ``-->`` or the end of the note (CommonMark's HTML block);
    inside a line it needs its ``-->`` before the paragraph ends, else it is text. Written as a
    scan, not one regex: a regex retried at every unclosed ``<!--`` of a long line is quadratic.
    """
    out: list[tuple[int, int]] = []
    close = blank = -1  # the next "-->" and the next blank line at or after the current opening
    pos = start
    while (i := text.find("<!--", pos)) >= 0:
        pos = i + 4
        if _inside(code, i):
            continue
        if close < pos:
            close = text.find("-->", pos)
            if close < 0:
                close = len(text) + 1  # none left: no later search either
        line_start = max(text.rfind("\n", 0, i), text.rfind("\r", 0, i)) + 1
        if not text[line_start:i].strip(" \t") and _width(text[line_start:i]) <= 3:
            pos = min(close + 3, len(text))
        else:
            if blank < i:
                found = _BLANK_LINE.search(text, i)
                blank = found.start() if found else len(text) + 1
            if not (close <= len(text) and close < blank):
                continue  # text: no "-->" before the paragraph ends
            pos = close + 3
        out.append((i, pos))
    if "%%" in text:
        for m in _OBSIDIAN_COMMENT.finditer(text, start):
            if not _inside(code, m.start()):
                out.append((m.start(), m.end()))
    return out


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(ranges):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _inside(ranges: list[tuple[int, int]], pos: int) -> bool:
    """Whether ``pos`` falls in one of the sorted, disjoint ``ranges``."""
    i = bisect.bisect_right(ranges, pos, key=lambda r: r[0]) - 1
    return i >= 0 and ranges[i][0] <= pos < ranges[i][1]


def _is_note_name(p: Path) -> bool:
    return p.suffix.lower() in NOTE_SUFFIXES


def _is_report(p: Path) -> bool:
    """A report verify wrote, Markdown or a table in a file (its first line is :data:`REPORT_HEADING`)."""
    head = REPORT_HEADING.encode()
    try:
        with p.open("rb") as f:
            start = f.read(_REPORT_LOOK).removeprefix(b"\xef\xbb\xbf")
    except OSError:
        return False  # reading it as a note says why
    # Its first line; or, in a file that is no note (no front matter), a later one: `2> log`
    # puts the run's notices before a report written to stderr.
    at = 0 if start.startswith(head) else -1 if start.startswith(b"---") else start.find(b"\n" + head) + 1
    return at >= 0 and start.startswith(head, at) and start[at + len(head):at + len(head) + 1] in (b"", b"\n", b"\r")


# How far into a file without front matter the report heading is looked for: a `2>` log holds one
# notice per skipped file before it (a folder of 1,200 images: 120 kB).
_REPORT_LOOK = 1 << 22


def _is_special(p: Path) -> bool:
    """A FIFO, socket or device, also behind a symlink: opening a FIFO waits for a writer forever.

    A dangling symlink is not special: reading it reports the note as missing.
    """
    try:
        return not stat.S_ISREG(p.stat().st_mode)
    except OSError:
        return False
