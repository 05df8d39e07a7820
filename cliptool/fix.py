"""Rewrite the timestamps verify found wrong, touching nothing but their text.

The core is pure: :func:`plan_fixes` turns a note's text, its parsed claims and verify's alignments
into a list of :class:`Change` (character spans with old and new text), and :func:`apply_changes`
splices them in. Every byte outside those spans is kept, so line endings, trailing whitespace,
front matter, callouts and wiki links survive untouched. Disk work sits at the edges:
:func:`read_note_file` reads a note once (text, hash, claims), :func:`plan_note_fix` plans its
fix from verify's alignments and :func:`write_note_fix` writes it through
:mod:`cliptool.safe_write`; :func:`fix_note` does the three for one note, as the CLI does for
each note of a batch.
"""

from __future__ import annotations

import html
import logging
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from cliptool import DEFAULT_MARKER, DEFAULT_MIN_SCORE
from cliptool.errors import CliptoolError, InputError, NoteError, UncheckedError
from cliptool.models import (
    BARE_URL_REST,
    EMPHASIS_CLOSER,
    LINE_BREAK,
    MARK_CLASS,
    Alignment,
    Claim,
    Note,
    NoteReport,
    Span,
    label_key,
)
from cliptool.safe_write import BackupPlan, check_writable, sha256_hex, write_atomic
from cliptool.timecode import (
    TimestampError,
    format_like,
    format_ts,
    mmss_reading,
    parse_t_param,
    parse_time,
    parse_ts,
)

__all__ = [
    "DEFAULT_MARKER",
    "DEFAULT_MIN_SCORE",
    "Change",
    "ChangeKind",
    "FixOutcome",
    "NoteFile",
    "NoteFix",
    "apply_changes",
    "below_min_score",
    "fix_note",
    "line_of",
    "plan_fixes",
    "plan_note_fix",
    "plan_note_fix_until_stable",
    "read_note_file",
    "is_renotation",
    "marker_problem",
    "retime_target",
    "in_shared_definitions",
    "left_as_written",
    "split_lines",
    "write_note_fix",
]

log = logging.getLogger(__name__)


ChangeKind = Literal["retime", "mark"]

# Statuses whose corrected time fix may write; unsupported/ambiguous never are (issue 4).
_RETIMABLE = frozenset({"shifted", "out-of-range"})


@dataclass(frozen=True, slots=True)
class Change:
    """One edit of the note's text: replace ``text[start:end]`` (== ``old``) by ``new``.

    A ``mark`` is an insertion (``start == end``, ``old == ""``) after an unsupported anchor.
    """

    claim_index: int
    line: int  # 1-based line of ``start``
    old: str
    new: str
    start: int
    end: int
    kind: ChangeKind = "retime"
    role: str = ""  # the span's role for a retime ("data-t", "visible", ...), "" for a mark


@dataclass(frozen=True, slots=True)
class NoteFile:
    """A note as read from disk for fixing: exact text, hash of its bytes, parsed claims."""

    path: str
    text: str
    sha256: str
    note: Note


@dataclass(frozen=True, slots=True)
class NoteFix:
    """A planned (and maybe written) fix of one note file."""

    path: str
    original: str  # decoded text as read
    fixed: str
    changes: tuple[Change, ...]
    sha256: str  # of the bytes read; the write refuses if the file no longer hashes to it
    written: bool = False
    backup: str | None = None

    @property
    def retimed_claims(self) -> tuple[int, ...]:
        """Indexes of the claims whose time this fix rewrites, in order."""
        return tuple(sorted({c.claim_index for c in self.changes if c.kind == "retime"}))

    @property
    def marked_claims(self) -> tuple[int, ...]:
        return tuple(sorted({c.claim_index for c in self.changes if c.kind == "mark"}))


def line_of(text: str, pos: int) -> int:
    """1-based line of offset ``pos``.

    >>> line_of("a\\r\\nb\\rc\\nd", 7)
    4
    """
    return len(LINE_BREAK.findall(text, 0, pos)) + 1


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` without their breaks, as :func:`line_of` numbers them."""
    return LINE_BREAK.split(text)


# Roles of the text that only shows an anchor's time; the time itself is read from data-t or t=.
_SHOWN = frozenset({"visible", "link-text", "range-end"})


def _seconds_in(old: str, span: Span) -> float | None:
    """The seconds a span's text says, or None when it says none (``[2:75]``, ``[99:99:99]``)."""
    try:
        if span.role == "t-param":
            return parse_time(old)  # t=22:47 is read as a clock too
        try:
            return parse_ts(old)
        except TimestampError:
            return parse_t_param(old)  # link text may be written like a t= value (8m36s)
    except TimestampError:
        return None


def _range_start(text: str, claim: Claim, end: Span) -> float:
    """The seconds a shown range starts at: the visible time before its end, else the cited one."""
    shown = [s for s in claim.spans if s.role in ("visible", "link-text") and s.end <= end.start]
    at = _seconds_in(text[shown[-1].start : shown[-1].end], shown[-1]) if shown else None
    return claim.cited_s if at is None else at


def retime_target(claim: Claim, alignment: Alignment, *, min_score: float = DEFAULT_MIN_SCORE) -> float | None:
    """The time to write for a claim, or None when fix must leave it alone: not located elsewhere,
    located too weakly, or its time is also others' (``claim.shared``, see :func:`in_shared_definitions`)."""
    return None if claim.shared else _located_target(claim, alignment, min_score)


def _located_target(claim: Claim, alignment: Alignment, min_score: float) -> float | None:
    """:func:`retime_target` for a claim that held its time alone."""
    if alignment.status not in _RETIMABLE or alignment.corrected_s is None or alignment.corrected_s < 0:
        return None
    if alignment.score < min_score and not is_renotation(claim, alignment):
        # Too weak to move the claim; but a time past the end is still the note's own second
        # written in the wrong slots, and left so it points at nothing.
        return alignment.reading_s
    return alignment.corrected_s


def is_renotation(claim: Claim, alignment: Alignment) -> bool:
    """``15:47:00`` in a 20-minute video corrected to its own MM:SS reading, 00:15:47: the note's
    time written right, not moved, so however little the passage there says of the claim."""
    return alignment.status == "out-of-range" and alignment.corrected_s == mmss_reading(claim.raw)


def below_min_score(claims: Sequence[Claim], alignments: Sequence[Alignment], min_score: float) -> int:
    """Claims fix would retime at any score but leaves alone at ``min_score``; a shared one is left
    whatever its score, so :func:`in_shared_definitions` counts it instead."""
    by_index = {c.index: c for c in claims}
    return sum(1 for a in alignments if a.index in by_index and not by_index[a.index].shared
               and _located_target(by_index[a.index], a, 0.0) is not None
               and _located_target(by_index[a.index], a, min_score) is None)


def in_shared_definitions(claims: Sequence[Claim], alignments: Sequence[Alignment]) -> int:
    """Claims fix would retime, at any score, but leaves alone: their time is also others' (several
    ``[..][label]`` links, or a link and an image, using one ``[label]: URL?t=..`` definition), so a new
    time for one would move them all."""
    by_index = {c.index: c for c in claims}
    return sum(1 for a in alignments if a.index in by_index and by_index[a.index].shared
               and _located_target(by_index[a.index], a, 0.0) is not None)


def left_as_written(claims: Sequence[Claim], alignments: Sequence[Alignment], retimed: Collection[int],
                    min_score: float) -> tuple[int, int]:
    """Claims verify located elsewhere that a fix leaves as written: (below ``min_score``, in shared
    definitions). ``alignments`` are the first round's; a claim a later round of
    :func:`plan_note_fix_until_stable` retimed after all (``retimed``) is in neither count."""
    left = [a for a in alignments if a.index not in retimed]
    return below_min_score(claims, left, min_score), in_shared_definitions(claims, left)


# A label in brackets: a reference link's or a definition's (`[12:31]`, `[x][12:31]`, `[12:31]: URL`),
# or text that a new definition would make a link.
_BRACKETED = re.compile(r"\[([^\[\]\n]*)\]")


def _new_key(text: str, claim: Claim, changes: Sequence[Change]) -> tuple[str, str, int] | None:
    """The old and new keys of a ``[12:31]`` (or ``[12:31][]``) link whose shown time also names its
    definition (``[12:31]: URL``, both retimed), and how many bracketed labels the rename rewrites;
    None when the claim has no such label or keeps it."""
    shown = [s for s in claim.spans if s.role == "link-text"]
    if len(shown) < 2:  # the parser gives the label's time twice: in the link and in the definition
        return None
    start = text.rfind("[", 0, shown[0].start) + 1
    end = text.find("]", shown[0].end)
    if start <= 0 or end < 0:
        return None
    old = label = text[start:end]
    for c in sorted((c for c in changes if start <= c.start and c.end <= end), key=lambda c: c.start, reverse=True):
        label = label[: c.start - start] + c.new + label[c.end - start :]
    return None if label == old else (label_key(old), label_key(label), len(shown))


def _settle_renames(text: str, renames: Sequence[tuple[list[Change], tuple[str, str, int]]],
                    warn: Callable[[str], None] | None = None) -> list[Change]:
    """The changes of claims whose link label is renamed with its definition, in note order, each once
    its new label is free: in use, the link would name another definition or make text a link. A label
    another rename gives up is free (`A [00:02]`, `B [00:01]` retimed to 1 s and 0 s: A waits for B),
    and renames that wait only on each other (a swap) are made together. One whose label stays in use
    keeps its label as written, and only t= moves; ``warn`` names its line, as the label now shows
    another time than the link opens."""
    if not renames:
        return []
    taken = Counter(label_key(m.group(1)) for m in _BRACKETED.finditer(text))  # bracketed labels, counted
    out: list[Change] = []
    waiting = list(renames)
    freed = True
    while freed:
        freed = False
        for w in list(waiting):  # one at a time: two renames may want the same label
            mine, (old, new, labels) = w
            if not taken[new]:
                taken[old] -= labels
                taken[new] += labels
                out.extend(mine)
                waiting.remove(w)
                freed = True
    # Left are renames waiting on labels still in use. Those whose new labels only other waiting
    # renames give up (A [00:01] -> 00:02, B [00:02] -> 00:01) can all be made at once, as long as
    # no two want the same label; drop the others until the rest frees what it needs.
    together = list(waiting)
    settled = False
    while not settled:
        given: Counter[str] = Counter()
        for _, (old, _, labels) in together:
            given[old] += labels
        wanted = Counter(new for _, (_, new, _) in together)
        free = [(mine, (old, new, labels)) for mine, (old, new, labels) in together
                if taken[new] == given[new] and wanted[new] == 1]
        settled = len(free) == len(together)
        together = free
    for rename in waiting:
        mine = rename[0]
        if rename in together:
            out.extend(mine)
            continue
        out.extend(c for c in mine if c.role == "t-param")
        shown = next((c for c in mine if c.role != "t-param"), None)
        if warn is not None and shown is not None:
            warn(f"line {shown.line}: the label [{shown.old}] stays as written: [{shown.new}] is already another "
                 f"link's label; the link's t= is retimed to {shown.new}, so its label no longer shows its time")
    return out


# An anchor's end, searched from its last span: the close of the <a> element, the close of a
# Markdown link's URL, or the end of a bare URL. Hand-written: these are the three shapes
# notes.py extracts spans from, and no Markdown parser reports character offsets of inline HTML.
_HTML_CLOSE = re.compile(r"(?:[^<]|<(?!/?a\b)){0,300}?</a\s*>", re.IGNORECASE)
# The rest of a Markdown link's destination, its title if any ("jump", 'jump' or (jump)), and ")".
_MD_URL_CLOSE = re.compile(r"""[^\s)]*(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*\)""")
# What may sit between two anchors that back the same claim: blanks, then the next anchor's
# opening up to its first span.
_ANCHOR_GAP = re.compile(r"[ \t,;]*(?:<a\b[^<>\n]*|\[[^\]\n]*\]\([^)\s]*|\[|https?://\S*)?", re.IGNORECASE)


# A reference-style link, `[text][label]`, `[label][]` or `[label]`: its time sits in its definition,
# elsewhere in the note, so the link itself is found from the claim's line and column.
# Only a shortcut followed by "(" is no reference (`[x](..)`); `[x][w](..)` is one, then text.
_REFERENCE = re.compile(r"\[[^\[\]\n]*\](?:\[[^\[\]\n]*\]|(?!\())")


def _anchor_bounds(text: str, claim: Claim, line_starts: Sequence[int]) -> tuple[int, int]:
    """Where a claim's anchor starts (its first span, or a reference link's ``[``) and ends."""
    first = min(s.start for s in claim.spans)
    if 0 < claim.line <= len(line_starts) and claim.column > 0:
        at = line_starts[claim.line - 1] + claim.column - 1
        ref = _REFERENCE.match(text, at)
        cited = [s for s in claim.spans if s.role == "t-param"]
        if ref and cited and not any(ref.start() <= s.start < ref.end() for s in cited):
            return at, ref.end()
    return first, _anchor_end(text, max(s.end for s in claim.spans))


def _anchor_end(text: str, pos: int) -> int:
    """Offset just past the anchor whose last timestamp span ends at ``pos``."""
    m = _HTML_CLOSE.match(text, pos)
    if m:
        return m.end()
    line_end = text.find("\n", pos)
    rest = text[pos : len(text) if line_end < 0 else line_end]
    m = _MD_URL_CLOSE.match(rest)
    if m:
        return pos + m.end()
    bare = BARE_URL_REST.match(rest)
    return pos + (bare.end() if bare else 0)


def _plan_marks(
    text: str, claims: Sequence[Claim], by_index: dict[int, Alignment], marker: str
) -> list[Change]:
    """One marker after each run of adjacent unsupported anchors, unless one is already there.

    The marker is a ``<span class="cliptool-unsupported">`` so that the parser can tell it from
    the note's prose, whatever its text, and a later run with another text does not add a second.
    """
    line_starts = [0, *(m.end() for m in LINE_BREAK.finditer(text))]
    bounds = {c.index: _anchor_bounds(text, c, line_starts) for c in claims if c.spans}
    placed = sorted((c for c in claims if c.spans), key=lambda c: bounds[c.index][0])
    there = re.compile(r'[ \t]*<span class="' + MARK_CLASS + '">')
    # One line of text whatever the user typed: a newline in the marker would split the
    # paragraph and hand the rest of the marker to the next claim.
    element = f'<span class="{MARK_CLASS}">{html.escape(" ".join(marker.split()), quote=False)}</span>'

    def unsupported(claim: Claim) -> bool:
        alignment = by_index.get(claim.index)
        return alignment is not None and alignment.status == "unsupported"

    changes: list[Change] = []
    for pos, claim in enumerate(placed):
        if not unsupported(claim):
            continue
        end = bounds[claim.index][1]
        nxt = placed[pos + 1] if pos + 1 < len(placed) else None
        if nxt is not None and unsupported(nxt) and _ANCHOR_GAP.fullmatch(text, end, bounds[nxt.index][0]):
            continue  # `claim <a>[1]</a>, <a>[2]</a>`: the marker goes after the run's last anchor
        closer = EMPHASIS_CLOSER.match(text, end)
        end = closer.end() if closer else end
        if there.match(text, end):
            continue  # marked by an earlier run of fix
        changes.append(Change(claim.index, line_of(text, end), "", " " + element, end, end, kind="mark"))
    return changes


def _unreadable(text: str, note: Note, span: Span, target: float, warn: Callable[[str], None] | None) -> None:
    """Deal with a span of a retimed claim whose text holds no time.

    Shown text (``[2:75]``, a label ``[99:99:99]``) has no time to move nor format to keep, so it
    stays as written while the anchor's data-t or t= (what the link opens and verify reads) is
    retimed: the link then opens where the claim is said, the note's other fixes are made, and
    ``warn`` names the line to correct by hand. Skipping the claim would keep a link known to be
    wrong. A data-t or t= holding no time means the claims do not match the text (the parser read a
    time there), so the note is refused whole.
    """
    old, line = text[span.start : span.end], line_of(text, span.start)
    if span.role not in _SHOWN:
        raise InputError(f"{span.role} {old!r} is not a timestamp, though the note's claims read one there; "
                         "nothing written", path=note.path, line=line)
    if warn is not None:
        warn(f"line {line}: {old!r} shows no time, so it stays as written while the rest of its anchor "
             f"is retimed to {format_ts(target)}; correct it by hand")


# A link to a YouTube video in a marker would be read as a citation (of the next claim, or a new one).
_VIDEO_LINK = re.compile(r"(?:youtube(?:-nocookie)?\.com|youtu\.be)/", re.IGNORECASE)


def marker_problem(marker: str) -> str | None:
    """Why ``marker`` cannot mark unsupported claims, or None.

    >>> marker_problem("⚠ unverified"), marker_problem(" "), marker_problem("see [0:10](https://youtu.be/ID?t=10)")
    (None, 'the marker must show something', 'the marker must not link to a YouTube video: the note would cite it')
    >>> marker_problem("%%").split(":")[0]
    'the marker must not hold %% or `'
    """
    if not marker.strip():
        return "the marker must show something"
    if _VIDEO_LINK.search(marker):
        return "the marker must not link to a YouTube video: the note would cite it"
    if "%%" in marker or "`" in marker:
        # An Obsidian comment or a code span opened by the marker closes at the next one: the
        # anchors in between would no longer be read. (< and & are written as entities.)
        return ("the marker must not hold %% or `: with one later on its line or in the note, it would hide "
                "the anchors between them")
    return None


def plan_fixes(
    text: str,
    note: Note,
    alignments: Sequence[Alignment],
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    mark_unsupported: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[Change]:
    """The edits that put verify's corrected times into ``text``, in text order.

    Only ``shifted`` claims (and ``out-of-range`` ones verify could locate) whose score reaches
    ``min_score`` are retimed; each of their spans keeps its own format. A claim whose time is also
    others' (:func:`in_shared_definitions`) is left as written. With
    ``mark_unsupported`` (the marker text), unsupported claims get that marker after their anchor.
    Shown text that is no time (``[2:75]``) stays as written while the rest of its anchor is
    retimed, and ``warn`` hears its line (see :func:`_unreadable`).

    >>> from cliptool.models import Span
    >>> text = 'x <a class="yt-timestamp" data-t="00:01:00">[00:01:00]</a>'
    >>> claim = Claim(0, 1, 3, 60.0, "00:01:00", "x", (Span(34, 42, "data-t"), Span(45, 53, "visible")))
    >>> note = Note("n.md", "vid", (claim,))
    >>> fixes = plan_fixes(text, note, [Alignment(0, "shifted", score=0.9, corrected_s=75)])
    >>> apply_changes(text, fixes)
    'x <a class="yt-timestamp" data-t="00:01:15">[00:01:15]</a>'
    """
    by_index = {a.index: a for a in alignments}
    changes: list[Change] = []
    renames: list[tuple[list[Change], tuple[str, str, int]]] = []  # claims whose label is its definition's key
    for claim in note.claims:
        alignment = by_index.get(claim.index)
        if alignment is None:
            continue
        target = retime_target(claim, alignment, min_score=min_score)
        if target is None:
            continue
        mine: list[Change] = []
        for span in claim.spans:
            old = text[span.start : span.end]
            written = _seconds_in(old, span)
            if written is None:
                _unreadable(text, note, span, target, warn)
                continue
            # A shown range moves whole: its end keeps its distance from the range's start.
            at = max(0.0, target + written - _range_start(text, claim, span)) \
                if span.role == "range-end" else target
            new = format_like(at, old)
            if new != old:
                mine.append(
                    Change(claim.index, line_of(text, span.start), old, new, span.start, span.end,
                           kind="retime", role=span.role)
                )
        rename = _new_key(text, claim, mine)
        if rename is not None:
            renames.append((mine, rename))
        else:
            changes.extend(mine)
    changes.extend(_settle_renames(text, renames, warn))
    if mark_unsupported:
        changes.extend(_plan_marks(text, note.claims, by_index, mark_unsupported))
    return sorted(changes, key=lambda c: (c.start, c.end))


def apply_changes(text: str, changes: Iterable[Change]) -> str:
    """``text`` with every change spliced in; refuses overlapping or stale changes.

    >>> apply_changes("at 1:00 and 2:00", [Change(0, 1, "1:00", "1:15", 3, 7)])
    'at 1:15 and 2:00'
    """
    parts: list[str] = []
    pos = 0
    for change in sorted(changes, key=lambda c: (c.start, c.end)):
        if change.start < pos:
            raise InputError(f"overlapping changes at offset {change.start}", line=change.line)
        if text[change.start : change.end] != change.old:
            raise InputError(
                f"expected {change.old!r} at offset {change.start}, found "
                f"{text[change.start:change.end]!r}",
                line=change.line,
            )
        parts.append(text[pos : change.start])
        parts.append(change.new)
        pos = change.end
    parts.append(text[pos:])
    return "".join(parts)


def read_note_file(path: Path) -> NoteFile:
    """Read a note once: its exact text (BOM and line endings kept), the hash guarding the write, its claims."""
    from cliptool.notes import parse_note, read_note_bytes  # the parser pulls in YAML; keep this import light

    data, text = read_note_bytes(path)
    return NoteFile(str(path), text, sha256_hex(data), parse_note(text, path=str(path)))


def plan_note_fix(
    note_file: NoteFile,
    alignments: Sequence[Alignment],
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    mark_unsupported: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> NoteFix:
    """Plan the fix of a note read by :func:`read_note_file` from verify's alignments of its claims."""
    changes = plan_fixes(
        note_file.text, note_file.note, alignments, min_score=min_score, mark_unsupported=mark_unsupported,
        warn=warn,
    )
    fixed = apply_changes(note_file.text, changes)
    return NoteFix(note_file.path, note_file.text, fixed, tuple(changes), note_file.sha256)


def plan_note_fix_until_stable(
    note_file: NoteFile,
    alignments: Sequence[Alignment],
    realign: Callable[[Note], Sequence[Alignment]],
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    mark_unsupported: str | None = None,
    rounds: int = 3,
    warn: Callable[[str], None] | None = None,
) -> NoteFix:
    """:func:`plan_note_fix`, then again on the fixed text (``realign`` is verify) until it asks for
    nothing more, at most ``rounds`` times: one plan from the note as read to where that ends.
    ``warn`` hears only the final plan, so each of its warnings is said once.

    The times a fix corrects are what verify trusts around them next time, so on a note with many
    wrong times a second run would move a few more. Doing those rounds here makes a second run
    find nothing to do (on perturbed corpus copies: located +1.8 points on one seed, -0.4 on one,
    the others unchanged; stable after two rounds).
    """
    from cliptool.notes import parse_note  # the parser pulls in YAML; keep this import light

    current, last = note_file, alignments
    for _ in range(rounds):
        step = plan_note_fix(current, last, min_score=min_score)
        if not step.changes:
            break
        current = replace(current, text=step.fixed, note=parse_note(step.fixed, path=note_file.path))
        last = tuple(realign(current.note))
    final = {c.index: c.cited_s for c in current.note.claims}
    moved = [Alignment(c.index, "shifted", score=1.0, corrected_s=final[c.index])
             for c in note_file.note.claims if final.get(c.index, c.cited_s) != c.cited_s]
    unsupported = [a for a in last if a.status == "unsupported"]
    return plan_note_fix(note_file, [*unsupported, *moved], min_score=0.0, mark_unsupported=mark_unsupported,
                         warn=warn)


def write_note_fix(fix: NoteFix, *, root: Path | None = None, backup: Path | None = None) -> NoteFix:
    """Write a planned fix atomically (see :func:`cliptool.safe_write.write_atomic`).

    Nothing is written, and no backup made, when the plan has no changes.
    """
    if not fix.changes:
        return fix
    try:
        write_atomic(Path(fix.path), fix.fixed.encode("utf-8"), expected_sha256=fix.sha256, backup=backup, root=root)
    except OSError as exc:
        # The backup folder blocked by a file, no space, no permission: write_atomic replaces the
        # note last and removes its temp file on failure, so the note is as it was.
        # safe_write names the file as the user knows it (the backup, the note), never its temp file
        what = "its backup " if backup is not None and exc.filename == str(backup) else ""
        where = f" ({what}{exc.filename})" if exc.filename else ""
        raise NoteError(f"cannot write the fixed note: {exc.strerror or exc}{where}; the note is unchanged",
                        path=fix.path) from exc
    return replace(fix, written=True, backup=str(backup) if backup is not None else None)


@dataclass(frozen=True, slots=True)
class FixOutcome:
    """One note through fix: its plan (written or not) and the located anchors it left as written."""

    fix: NoteFix
    below_min_score: int = 0
    in_shared_definitions: int = 0
    refused: CliptoolError | None = None  # dry run: why --write would refuse to write the note


def fix_note(
    path: Path,
    root: Path,
    verify: Callable[[Note], NoteReport],
    *,
    write: bool = False,
    backups: BackupPlan | None = None,
    min_score: float = DEFAULT_MIN_SCORE,
    mark_unsupported: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> FixOutcome:
    """Read, verify, plan and (with ``write``) rewrite one note found under ``root``.

    ``verify`` is :func:`cliptool.verify.verify_parsed` with the run's options; ``backups`` keeps
    the originals (none when ``None``); ``warn`` hears verify's warnings about the note, also
    when it cannot be checked, and the plan's (shown text that is no time, left as written). A dry
    run still checks that ``--write`` could write the note, and says why not in
    :attr:`FixOutcome.refused` rather than raising, so the caller can show the diff of a read-only
    note. Raises :class:`CliptoolError` for a note that cannot be read, checked or written, and
    for one whose captions verify doubts are its video's (most claims said nowhere in them).
    """
    note_file = read_note_file(path)
    report = verify(note_file.note)
    for warning in report.warnings:
        if warn is not None and warning != report.doubt:
            warn(warning)
    if report.status != "checked":
        if report.status == "error" and report.reason:
            message = report.reason  # it names the note (and line) already; a no-captions reason does not
        else:
            message = f"{report.path}: {report.reason or 'cannot be checked'}"
        raise UncheckedError(message, report.error_code or CliptoolError.exit_code)
    if report.doubt is not None:
        # Captions of another video still "say" a few claims somewhere: retiming (or marking) by them
        # would turn right times into wrong ones. The note's videoId is what to check.
        raise UncheckedError(f"{report.path}: not fixed: {report.doubt}", CliptoolError.exit_code)
    planned = plan_note_fix_until_stable(
        note_file, report.alignments, lambda note: verify(note).alignments,
        min_score=min_score, mark_unsupported=mark_unsupported, warn=warn)
    weak, shared = left_as_written(report.claims, report.alignments, planned.retimed_claims, min_score)
    refused = None
    if planned.changes and write:
        planned = write_note_fix(planned, root=root, backup=None if backups is None else backups.claim(path, root))
    elif planned.changes:
        try:
            check_writable(path, root)
            if backups is not None:
                backups.check(path, root)
        except CliptoolError as exc:
            refused = exc
    return FixOutcome(planned, weak, shared, refused)
