"""Verify's results in every output format: dicts/JSON, CSV, Markdown, HTML and rich tables.

Pure: functions take :class:`~cliptool.models.NoteReport` values and return strings or rich
renderables; ``cli.py`` owns the Console and the files. The JSON names are read by the benchmark
and ``../shared/corpus/score.py``: keep them.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import statistics
from collections.abc import Sequence
from typing import Any, get_args
from urllib.parse import quote

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from cliptool import DEFAULT_MIN_SCORE
from cliptool.fix import NoteFix, retime_target
from cliptool.models import REPORT_HEADING, Alignment, Claim, NoteReport, Status
from cliptool.timecode import format_like, format_ts

__all__ = [
    "CSV_COLUMNS",
    "NOTE_STATUSES",
    "STATUSES",
    "fix_to_json",
    "note_stats",
    "render_table",
    "report_dict",
    "shorten",
    "summary",
    "summary_line",
    "to_csv",
    "to_html",
    "to_json",
    "to_markdown",
    "video_url",
]

STATUSES: tuple[Status, ...] = get_args(Status)
NOTE_STATUSES: tuple[str, ...] = ("checked", "no-captions", "error")

_STYLE: dict[str, str] = {
    "ok": "green",
    "shifted": "yellow",
    "unsupported": "red",
    "ambiguous": "magenta",
    "out-of-range": "bright_red",
}
_COLOUR: dict[str, str] = {
    "ok": "#2e7d32",
    "shifted": "#e65100",
    "unsupported": "#c62828",
    "ambiguous": "#6a1b9a",
    "out-of-range": "#ad1457",
}
_GREY = "#757575"

# Below this score a located verdict was right only a third (ok) to a half (relocated) of the
# time over the corpus and its perturbed copies (bench/accuracy.py's table by score), against
# four in five from 0.1 to 0.2: the reports flag it with WEAK_MARK for the reader to check.
WEAK_SCORE = 0.1
WEAK_MARK = "?"
WEAK_LEGEND = f"{WEAK_MARK} weak evidence (score under {WEAK_SCORE:g}): check these yourself"


def is_weak(a: Alignment | None) -> bool:
    """A located verdict (not ``unsupported``, where a low score is strong evidence) on little evidence."""
    return a is not None and a.status != "unsupported" and a.start is not None and a.score < WEAK_SCORE

Pair = tuple[Claim, Alignment | None]


# --- shared helpers -----------------------------------------------------------------------------


def _pairs(r: NoteReport) -> list[Pair]:
    """Each claim with its alignment (None when the note was not checked, e.g. no captions).

    Matched by ``index`` rather than position so a short ``alignments`` cannot shift rows.
    """
    by_index = {a.index: a for a in r.alignments}
    known = {c.index for c in r.claims}
    stray = sorted(set(by_index) - known)
    if stray:
        raise ValueError(f"{r.path}: alignments for unknown claim indexes {stray}")
    return [(c, by_index.get(c.index)) for c in r.claims]


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _offset(claim: Claim, a: Alignment | None) -> float | None:
    return None if a is None else a.offset(claim.cited_s)


def _abs_offsets(r: NoteReport) -> list[float]:
    # A time past the video's end is no time in it: its "offset" would only swamp the median.
    return [abs(o) for c, a in _pairs(r)
            if a is not None and a.status != "out-of-range" and (o := _offset(c, a)) is not None]


def _accuracy(counts: dict[str, int]) -> float | None:
    judged = counts["ok"] + counts["shifted"]
    return counts["ok"] / judged if judged else None


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# Control characters a terminal would act on: a file named with a line break or an escape
# sequence must not split an error line in two or recolour the screen.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with each control character (but tab) written as its escape.

    >>> printable("bad\\nname\\x1b[31m.md")
    'bad\\\\nname\\\\x1b[31m.md'
    """
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def shorten(text: str, width: int) -> str:
    """One line, at most ``width`` characters, with an ellipsis when cut (so it never reads as the whole).

    >>> shorten("a  b\\n c", 10), shorten("abcdefghij", 5)
    ('a b c', 'abcd…')
    """
    flat = printable(" ".join(text.split()))
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def _ts(seconds: float | None) -> str:
    """Whole seconds, floored like the links and the times fix writes, so all three agree.

    >>> _ts(1189.6), _ts(None)
    ('00:19:49', '—')
    """
    return "—" if seconds is None else format_ts(float(int(max(0.0, seconds))))


def _fmt_offset(offset: float | None) -> str:
    """Signed whole seconds for people.

    >>> _fmt_offset(12.4), _fmt_offset(-3.0), _fmt_offset(None)
    ('+12s', '-3s', '—')
    """
    if offset is None:
        return "—"
    if round(offset) == 0:
        return "0s"  # not "-0s": a sign on nothing reads as a direction
    return f"{offset:+.0f}s"


def _offset_cell(claim: Claim, a: Alignment | None) -> str:
    """The offset column of every report: a time past the video's end is no time in it."""
    return "past end" if a is not None and a.status == "out-of-range" else _shown_offset(claim, a)


def _shown_offset(claim: Claim, a: Alignment | None) -> str:
    """The offset as the cited and located columns show it: the difference of their whole seconds.

    Rounding the exact offset instead can contradict those columns (cited 00:00:03, located
    00:00:04, offset "-0s").

    >>> _shown_offset(Claim(0, 1, 1, 3.0, "00:00:03", "x"), Alignment(0, "ok", start=4.5, end=6.0))
    '-1s'
    """
    if a is None or a.start is None:
        return "—"
    return _fmt_offset(int(max(0.0, claim.cited_s)) - int(max(0.0, a.start)))


def _located(a: Alignment | None, *, every_place: bool = True) -> str:
    """The located time; an ambiguous claim's other places follow, or (in the terminal's narrow
    column) how many there are."""
    if a is None or a.start is None:
        return "—"
    text = _ts(a.start)
    others = [_ts(loc.start) for loc in a.alternatives if loc.start != a.start]
    if a.status == "ambiguous" and others:
        text += f" (also {', '.join(others)})" if every_place else f" (+{len(others)})"
    return text


def _corrected(claim: Claim, a: Alignment | None) -> str | None:
    if a is None or a.corrected_s is None:
        return None
    return format_like(a.corrected_s, claim.raw)


def _captions_text(r: NoteReport) -> str:
    """The caption track line, or why there is none."""
    if r.captions is not None:
        c = r.captions
        return f"captions: {c.language or 'unknown language'}, {c.kind}" + (
            f" ({c.source})" if c.source else ""
        )
    if r.status == "checked":
        return "captions: unknown"
    return f"{r.status}: {r.reason or 'no reason given'}"


def video_url(video_id: str, seconds: float | None = None) -> str:
    """Link that opens the video, at ``seconds`` (floored, so playback starts before the words).

    >>> video_url("abc", 61.9), video_url("abc")
    ('https://youtu.be/abc?t=61', 'https://youtu.be/abc')
    """
    url = f"https://youtu.be/{quote(video_id, safe='')}"
    return url if seconds is None else f"{url}?t={max(0, int(seconds))}"


# --- statistics ---------------------------------------------------------------------------------


def note_stats(r: NoteReport) -> dict[str, Any]:
    """Counts per status, accuracy = ok / (ok + shifted), median |offset| over located claims."""
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for a in r.alignments:
        counts[a.status] += 1
    return {
        "counts": counts,
        "accuracy": _accuracy(counts),
        "median_abs_offset": _median(_abs_offsets(r)),
    }


def summary(reports: Sequence[NoteReport]) -> dict[str, Any]:
    """Totals over all notes; the median pools every located claim rather than per-note medians."""
    by_status = dict.fromkeys(NOTE_STATUSES, 0)
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    offsets: list[float] = []
    claims = 0
    for r in reports:
        by_status[r.status] = by_status.get(r.status, 0) + 1
        claims += len(r.claims)
        for status, n in note_stats(r)["counts"].items():
            counts[status] += n
        offsets.extend(_abs_offsets(r))
    return {
        "notes": len(reports),
        "notes_by_status": by_status,
        "claims": claims,
        "counts": counts,
        "accuracy": _accuracy(counts),
        "median_abs_offset": _median(offsets),
    }


# --- JSON -----------------------------------------------------------------------------------------


def _claim_dict(claim: Claim, a: Alignment | None) -> dict[str, Any]:
    return {
        "index": claim.index,
        "line": claim.line,
        "cited": claim.raw,
        "visible": claim.visible,  # the anchor's shown [..] time when it differs from the cited one
        "cited_seconds": _r(claim.cited_s),
        "text": claim.text,
        "status": None if a is None else a.status,
        "start": None if a is None else _r(a.start),
        "end": None if a is None else _r(a.end),
        "offset": _r(_offset(claim, a)),
        "score": None if a is None else _r(a.score, 3),
        "evidence": "" if a is None else a.evidence,
        "alternatives": []
        if a is None
        else [
            {"start": _r(loc.start), "end": _r(loc.end), "score": _r(loc.score, 3)} for loc in a.alternatives
        ],
        "corrected": _corrected(claim, a),
    }


def _stats_dict(stats: dict[str, Any]) -> dict[str, Any]:
    # accuracy is a ratio: four places like score.py's rates, so 98.5 % does not print as 0.98
    return {
        **stats,
        "accuracy": _r(stats["accuracy"], 4),
        "median_abs_offset": _r(stats["median_abs_offset"]),
    }


def report_dict(reports: Sequence[NoteReport], *, version: str) -> dict[str, Any]:
    """The ``--format json`` structure (names fixed by the verify issue and score.py)."""
    notes = []
    for r in reports:
        notes.append(
            {
                "path": r.path,
                "video_id": r.video_id,
                "title": r.title,
                "status": r.status,
                "reason": r.reason,
                "captions": None
                if r.captions is None
                else {"language": r.captions.language, "kind": r.captions.kind, "source": r.captions.source},
                "claims": [_claim_dict(c, a) for c, a in _pairs(r)],
                **_stats_dict(note_stats(r)),
                "warnings": list(r.warnings),
            }
        )
    return {
        "tool": {"name": "cliptool", "version": version},
        "notes": notes,
        "summary": _stats_dict(summary(reports)),
    }


def to_json(reports: Sequence[NoteReport], *, version: str) -> str:
    """``report_dict`` as indented UTF-8 JSON text ending in a newline."""
    return json.dumps(report_dict(reports, version=version), indent=2, ensure_ascii=False) + "\n"


# --- CSV ------------------------------------------------------------------------------------------

CSV_COLUMNS: tuple[str, ...] = (
    "path", "video_id", "index", "line", "cited", "cited_seconds", "status", "start", "end",
    "offset", "score", "text", "evidence", "corrected", "reason",
)  # fmt: skip


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A CSV cell. Text a spreadsheet would run as a formula (a claim quoting ``=SUM(...)`` or
    ``@user``) gets a leading ``'``, as OWASP advises against CSV injection; numbers stay numbers.

    >>> [_cell(v) for v in (None, -3.5, "=1+1", "@x", "plain")]
    ['', -3.5, "'=1+1", "'@x", 'plain']
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(reports: Sequence[NoteReport]) -> str:
    """One row per claim; a note that was not checked gets its status and reason instead.

    Rows end in ``\\n`` (not csv's default ``\\r\\n``) so the text can be written in text mode.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in reports:
        pairs = _pairs(r)
        if not pairs:
            writer.writerow(
                [_cell(r.path), _cell(r.video_id)] + [""] * 4 + [r.status] + [""] * 7 + [_cell(r.reason)]
            )
            continue
        for claim, a in pairs:
            d = _claim_dict(claim, a)
            if a is None:  # claims of a note without captions: the note's status stands in
                d["status"] = r.status
            row = [r.path, r.video_id] + [d[k] for k in CSV_COLUMNS[2:-1]] + [r.reason if a is None else None]
            writer.writerow([_cell(v) for v in row])
    return buf.getvalue()


# --- Markdown -------------------------------------------------------------------------------------


# Inline Markdown (emphasis, code, links, GFM strikethrough and tables, GitHub math) and the
# closing #s of a heading; the rest only counts at a line start, where no text of ours goes.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]~|#$])")


def _md(text: str) -> str:
    r"""Text that renders as written, in a table cell too.

    One line, Markdown punctuation backslash-escaped, ``<``/``&`` as entities so no HTML renders.

    >>> print(_md("a | b <i>\nc"))
    a \| b &lt;i> c
    >>> print(_md("[x](javascript:alert(1)) *y* `z` a_b \\"))
    \[x\](javascript:alert(1)) \*y\* \`z\` a\_b \\
    """
    flat = " ".join(text.split())
    return _MD_SPECIAL.sub(r"\\\1", flat.replace("&", "&amp;").replace("<", "&lt;"))


def _md_code(text: str) -> str:
    """A code span's text: no backtick (it would end the span), no line break (it would end the item)."""
    return " ".join(text.replace("`", "").splitlines())


def _md_link(label: str, video_id: str | None, seconds: float | None) -> str:
    if video_id is None or seconds is None:
        return label
    return f"[{label}]({video_url(video_id, seconds)})"


def to_markdown(reports: Sequence[NoteReport]) -> str:
    """Per note a heading, its caption track (or why none) and a claims table; the summary last."""
    out: list[str] = [REPORT_HEADING, ""]
    for r in reports:
        out.append(f"## {_md(r.title or r.path)}")
        out.append("")
        out.append(f"- path: `{_md_code(r.path)}`")
        if r.video_id:
            out.append(f"- video: [{_md(r.video_id)}]({video_url(r.video_id)})")
        out.append(f"- {_md(_captions_text(r))}")
        for w in r.warnings:
            out.append(f"- warning: {_md(w)}")
        stats = note_stats(r)
        if r.alignments:
            out.append(f"- {_stats_text(stats)}")
        out.append("")
        pairs = _pairs(r)
        if pairs:
            out.append("| # | cited | status | located | offset | claim | evidence |")
            out.append("|---:|---|---|---|---:|---|---|")
            for claim, a in pairs:
                located = _md_link(_located(a), r.video_id, None if a is None else a.start)
                cells = [
                    str(claim.index),
                    _md_link(_ts(claim.cited_s), r.video_id, claim.cited_s),
                    ("—" if a is None else a.status) + (f" {WEAK_MARK}" if is_weak(a) else ""),
                    located,
                    _offset_cell(claim, a),
                    _md(claim.text),
                    "" if a is None else _md(a.evidence),
                ]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
            if any(is_weak(a) for _, a in pairs):
                out.append(_md(WEAK_LEGEND))
                out.append("")
    out.append("## Summary")
    out.append("")
    out.append(_md(summary_line(reports)))
    out.append("")
    return "\n".join(out)


# --- rich -------------------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _stats_text(stats: dict[str, Any], *, not_checked: int = 0) -> str:
    parts = [f"{n} {s}" for s, n in stats["counts"].items() if n]
    if not_checked:
        parts.append(f"{not_checked} not checked")
    median = stats["median_abs_offset"]
    median_text = "n/a" if median is None else f"{median:.0f}s"
    return f"{', '.join(parts) or 'no claims'}; accuracy {_pct(stats['accuracy'])}; median |offset| {median_text}"


def summary_line(reports: Sequence[NoteReport]) -> str:
    """One line over all notes, e.g. ``3 notes (2 checked, 1 no-captions); 9 claims: 7 ok, ...``."""
    s = summary(reports)
    notes = ", ".join(f"{n} {st}" for st, n in s["notes_by_status"].items() if n)
    head = plural(s["notes"], "note") + (f" ({notes})" if notes else "")
    # claims of notes without captions have no status; counting them keeps the parts summing to the total
    not_checked = s["claims"] - sum(s["counts"].values())
    return f"{head}; {plural(s['claims'], 'claim')}: {_stats_text(s, not_checked=not_checked)}"


def plural(n: int, word: str) -> str:
    """``1 note``, ``2 notes``: counts as the reports and the CLI print them."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _title(r: NoteReport) -> Text:
    title = Text(printable(r.path), style="bold")
    if r.video_id:
        title.append(f" · {r.video_id}")
    if r.title:
        title.append(f" · {printable(r.title)}")
    style = "" if r.status == "checked" else ("red" if r.status == "error" else "yellow")
    title.append(f"\n{printable(_captions_text(r))}", style=style)
    return title


def render_table(reports: Sequence[NoteReport]) -> list[RenderableType]:
    """One rich Table per note: title line with path, video and captions (or the reason for none)."""
    tables: list[RenderableType] = []
    for r in reports:
        caption = "\n".join(f"warning: {printable(w)}" for w in r.warnings) or None
        pairs = _pairs(r)
        title = _title(r)
        # rich wraps a title to the table's width; a table without claims is narrow
        widest = max(len(line) for line in title.plain.splitlines())
        if r.status != "checked" or not pairs:
            # Nothing was aligned: one line says why, not a table of empty rows.
            line = title.copy()
            n = len(r.claims)
            if n or r.status != "error":  # a note that could not be read may well have claims: say nothing
                line.append("\n" + (f"{plural(n, 'claim')} not checked" if n else "no claims"), style="dim")
            if caption:
                line.append("\n" + caption)
            tables.append(line)
            continue
        tables.append(_NoteTable(title, caption, widest, pairs))
    return tables


# Below this many columns the evidence goes: at 80 columns a claim would keep nine characters.
_EVIDENCE_MIN_WIDTH = 110


class _NoteTable:
    """One note's claims as a rich Table, laid out for the width it is printed at.

    Built when printed because only then is the width known (a terminal's, or 80 when piped);
    a narrow one drops the evidence column so the claims stay readable.
    """

    def __init__(self, title: Text, caption: str | None, min_width: int,
                 pairs: Sequence[tuple[Claim, Alignment | None]]) -> None:
        if any(is_weak(a) for _, a in pairs):
            caption = f"{caption}\n{WEAK_LEGEND}" if caption else WEAK_LEGEND
        self.title, self.caption, self.min_width, self.pairs = title, caption, min_width, pairs

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        evidence = options.max_width >= _EVIDENCE_MIN_WIDTH
        table = Table(title=self.title, title_justify="left", caption=self.caption, caption_justify="left",
                      min_width=self.min_width)
        table.add_column("#", justify="right")
        table.add_column("cited", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("located", no_wrap=True)
        table.add_column("offset", justify="right", no_wrap=True)
        table.add_column("claim", ratio=3)
        if evidence:
            table.add_column("evidence", ratio=2)
        for claim, a in self.pairs:
            status = "—" if a is None else a.status
            shown = Text(status, style=_STYLE.get(status, ""))
            if is_weak(a):
                shown.append(f" {WEAK_MARK}", style="bold")
            cells: list[RenderableType] = [
                str(claim.index),
                _ts(claim.cited_s),
                shown,
                _located(a, every_place=False),
                _offset_cell(claim, a),
                # One line per claim keeps a long note scannable; JSON/HTML carry the full texts.
                Text(shorten(claim.text, 80), no_wrap=True, overflow="ellipsis"),
            ]
            if evidence:
                cells.append(Text(shorten(a.evidence if a else "", 60), style="dim", no_wrap=True,
                                  overflow="ellipsis"))
            table.add_row(*cells)
        yield table


# --- HTML ---------------------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#212121}
h1{margin-bottom:.2rem}.tool{color:#757575;margin-top:0}
section.note{border-top:2px solid #e0e0e0;margin-top:2rem;padding-top:.5rem}
.path{font-family:monospace;color:#616161}.why{color:#c62828;font-weight:600}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #eee;padding:.35rem .5rem;
vertical-align:top;text-align:left}th{background:#fafafa}
.badge{display:inline-block;border-radius:.6rem;padding:0 .5rem;color:#fff;font-size:.85em;white-space:nowrap}
blockquote{margin:.3rem 0 0;padding:.2rem .6rem;border-left:3px solid #bdbdbd;color:#424242;background:#fafafa}
.timeline{width:100%;height:auto;margin:.5rem 0}.legend span{margin-right:1rem;font-size:.9em}
.warn{color:#e65100}.alts{margin:.2rem 0 0;font-size:.9em}td.num{text-align:right;white-space:nowrap}
table.summary{width:auto;min-width:20rem}.weak{font-weight:700;color:#e65100;cursor:help}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _a(video_id: str | None, seconds: float | None, label: str) -> str:
    if video_id is None or seconds is None:
        return _e(label)
    return f'<a href="{_e(video_url(video_id, seconds))}">{_e(label)}</a>'


def _badge(status: str) -> str:
    return f'<span class="badge" style="background:{_COLOUR.get(status, _GREY)}">{_e(status)}</span>'


def _tick_step(length_s: float) -> float:
    """A round tick spacing giving at most about ten ticks over ``length_s``.

    >>> _tick_step(600), _tick_step(5400)
    (60.0, 600.0)
    """
    for step in (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200):
        if length_s / step <= 10:
            return float(step)
    return float(14400)


def _timeline(r: NoteReport, pairs: list[Pair]) -> str:
    """Inline SVG: cited times on the upper row, located times on the lower, joined when shifted.

    Hand-drawn SVG because the report must open offline without a plotting library's scripts.
    """
    located_ends = [x for _, a in pairs if a for x in (a.end, a.start) if x is not None]
    located_ends += [loc.end for _, a in pairs if a for loc in a.alternatives]
    in_range = [c.cited_s for c, a in pairs if a is None or a.status != "out-of-range"]
    length = r.duration_s or max(located_ends + in_range + [1.0])
    width, left, right = 1000.0, 60.0, 30.0
    y_cited, y_located, y_axis = 28.0, 78.0, 100.0
    span = width - left - right

    def x(t: float) -> float:
        return round(left + span * min(max(t, 0.0), length) / length, 1)

    hours = length >= 3600
    parts = [
        (
            f'<svg class="timeline" viewBox="0 0 {width:.0f} 125" role="img" '
            'xmlns="http://www.w3.org/2000/svg" aria-label="cited and located times over the video">'
        ),
        f'<text x="4" y="{y_cited + 4}" font-size="12" fill="#616161">cited</text>',
        f'<text x="4" y="{y_located + 4}" font-size="12" fill="#616161">located</text>',
        f'<line x1="{left}" y1="{y_axis}" x2="{width - right}" y2="{y_axis}" stroke="#9e9e9e"/>',
    ]
    step = _tick_step(length)
    t = 0.0
    while t <= length + 1e-6:
        parts.append(f'<line x1="{x(t)}" y1="{y_axis}" x2="{x(t)}" y2="{y_axis + 5}" stroke="#9e9e9e"/>')
        parts.append(
            f'<text x="{x(t)}" y="{y_axis + 18}" font-size="11" text-anchor="middle" fill="#616161">'
            f"{format_ts(t, hours=hours)}</text>"
        )
        t += step
    for claim, a in pairs:
        status = "—" if a is None else a.status
        colour = _COLOUR.get(status, _GREY)
        tip = f"#{claim.index} {status}: cited {_ts(claim.cited_s)}, located {_located(a)} — {shorten(claim.text, 100)}"
        cx = x(claim.cited_s)
        parts.append(
            f'<g class="mark" data-index="{claim.index}" data-status="{_e(status)}"><title>{_e(tip)}</title>'
        )
        if a is not None and a.start is not None and status in ("shifted", "out-of-range", "ambiguous"):
            dash = ' stroke-dasharray="4 3"' if status != "shifted" else ""
            parts.append(
                f'<line class="shift" x1="{cx}" y1="{y_cited}" x2="{x(a.start)}" y2="{y_located}" '
                f'stroke="{colour}" stroke-width="1.5"{dash}/>'
            )
        if claim.cited_s > length:  # past the end: an arrow at the edge instead of a dot
            parts.append(
                f'<path d="M{cx - 8},{y_cited - 6} L{cx},{y_cited} L{cx - 8},{y_cited + 6} Z" fill="{colour}"/>'
            )
        else:
            parts.append(f'<circle cx="{cx}" cy="{y_cited}" r="4" fill="{colour}"/>')
        if a is not None:
            for loc in a.alternatives:
                if loc.start != a.start:
                    parts.append(
                        f'<circle cx="{x(loc.start)}" cy="{y_located}" r="4" fill="none" stroke="{colour}"/>'
                    )
            if a.start is not None:
                w = max(2.0, x(a.end if a.end is not None else a.start) - x(a.start))
                parts.append(
                    f'<rect x="{x(a.start)}" y="{y_located - 5}" width="{w:.1f}" height="10" rx="2" fill="{colour}"/>'
                )
        parts.append("</g>")
    parts.append("</svg>")
    legend = "".join(f'<span style="color:{c}">● {s}</span>' for s, c in _COLOUR.items())
    return "\n".join(parts) + f'\n<p class="legend">{legend}</p>'


def _claim_row(anchor: str, r: NoteReport, claim: Claim, a: Alignment | None) -> str:
    status = "—" if a is None else a.status
    vid = r.video_id
    located = "—" if a is None or a.start is None else _a(vid, a.start, _ts(a.start))
    body = [f'<div class="text">{_e(claim.text)}</div>']
    if a is not None and a.evidence:
        body.append(f'<blockquote class="evidence">{_e(a.evidence)}</blockquote>')
    if a is not None and len(a.alternatives) > 1:
        alts = ", ".join(_a(vid, loc.start, f"{_ts(loc.start)} ({loc.score:.2f})") for loc in a.alternatives)
        body.append(f'<p class="alts">said at: {alts}</p>')
    corrected = _corrected(claim, a)
    if corrected is not None and claim.shared:  # whatever the score: --min-score cannot change it
        body.append(f'<p class="fix">fix leaves <code>{_e(claim.raw)}</code>: its time is in a reference '
                    f'definition that other links or images use too (give this link its own to write '
                    f'<code>{_e(corrected)}</code>)</p>')
    elif corrected is not None and a is not None and retime_target(claim, a) is None:
        body.append(f'<p class="fix">fix leaves <code>{_e(claim.raw)}</code>: the score is below its '
                    f'--min-score {DEFAULT_MIN_SCORE} (lower it to write <code>{_e(corrected)}</code>)</p>')
    elif corrected is not None:
        body.append(
            f'<p class="fix">fix writes <code>{_e(corrected)}</code> for <code>{_e(claim.raw)}</code></p>'
        )
    score = "" if a is None else f"{a.score:.2f}"
    weak = f' <span class="weak" title="{_e(WEAK_LEGEND)}">{WEAK_MARK}</span>' if is_weak(a) else ""
    return (
        f'<tr class="claim" id="{anchor}-c{claim.index}" data-index="{claim.index}" '
        f'data-status="{_e(status)}">'
        f'<td class="num">{claim.index}</td>'
        f'<td class="num">line {claim.line}</td>'
        f'<td class="cited">{_a(vid, claim.cited_s, _ts(claim.cited_s))}</td>'
        f"<td>{_badge(status)}{weak}</td>"
        f'<td class="located">{located}</td>'
        f'<td class="num">{_e(_offset_cell(claim, a))}</td>'
        f'<td class="num">{score}</td>'
        f"<td>{''.join(body)}</td></tr>"
    )


def _note_section(number: int, r: NoteReport) -> str:
    pairs = _pairs(r)
    anchor = f"note{number}"  # by position: two paths must never share an id
    parts = [f'<section class="note" id="{anchor}" data-status="{_e(r.status)}">']
    parts.append(f"<h2>{_e(r.title or r.path)}</h2>")
    parts.append(f'<p class="path">{_e(r.path)}</p>')
    if r.video_id:
        parts.append(f'<p class="video">video <a href="{_e(video_url(r.video_id))}">{_e(r.video_id)}</a></p>')
    cls = "captions" if r.captions is not None or r.status == "checked" else "why"
    parts.append(f'<p class="{cls}">{_e(_captions_text(r))}</p>')
    for w in r.warnings:
        parts.append(f'<p class="warn">warning: {_e(w)}</p>')
    if r.alignments:
        parts.append(f'<p class="stats">{_e(_stats_text(note_stats(r)))}</p>')
    if pairs:
        parts.append(_timeline(r, pairs))
        parts.append(
            '<table class="claims"><thead><tr><th>#</th><th>line</th><th>cited</th><th>status</th>'
            "<th>located</th><th>offset</th><th>score</th><th>claim and evidence</th></tr></thead><tbody>"
        )
        parts.extend(_claim_row(anchor, r, c, a) for c, a in pairs)
        parts.append("</tbody></table>")
    parts.append("</section>")
    return "\n".join(parts)


def _summary_html(reports: Sequence[NoteReport]) -> str:
    s = summary(reports)
    rows = [f"<tr><th>notes</th><td>{s['notes']}</td></tr>"]
    rows += [f"<tr><th>{_e(st)}</th><td>{n}</td></tr>" for st, n in s["notes_by_status"].items()]
    rows.append(f"<tr><th>claims</th><td>{s['claims']}</td></tr>")
    rows += [f"<tr><th>{_badge(st)}</th><td>{n}</td></tr>" for st, n in s["counts"].items()]
    rows.append(f"<tr><th>accuracy (ok / ok + shifted)</th><td>{_pct(s['accuracy'])}</td></tr>")
    median = s["median_abs_offset"]
    rows.append(f"<tr><th>median |offset|</th><td>{'n/a' if median is None else f'{median:.0f} s'}</td></tr>")
    return (
        '<section class="summary"><h2>Summary</h2><table class="summary">'
        + "".join(rows)
        + "</table></section>"
    )


def to_html(reports: Sequence[NoteReport], *, version: str) -> str:
    """One self-contained page (inline CSS and SVG, no scripts) a fact-checker can open offline."""
    body = "\n".join(_note_section(i, r) for i, r in enumerate(reports, 1))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>cliptool verify report</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<h1>cliptool verify report</h1>\n<p class="tool">cliptool {_e(version)} · {_e(summary_line(reports))}</p>\n'
        f"{_summary_html(reports)}\n{body}\n</body>\n</html>\n"
    )


def fix_to_json(changed: Sequence[NoteFix], refused: Sequence[NoteFix], errors: Sequence[dict[str, Any]],
                summary: dict[str, Any]) -> str:
    """``fix --format json``: every change, every note changed, the errors and the counts.

    A dry run lists what it would change in notes ``--write`` would refuse too, as its diff
    shows them; ``writable`` tells them apart (their refusal is also in ``errors``).
    """
    listed = [(f, True) for f in changed] + [(f, False) for f in refused]
    doc = {
        "changes": [
            {"path": f.path, "line": c.line, "old": c.old, "new": c.new, "claim_index": c.claim_index,
             "kind": c.kind, "role": c.role}
            for f, _ in listed for c in f.changes
        ],
        "notes": [
            {"path": f.path, "retimed_claims": list(f.retimed_claims), "marked_claims": list(f.marked_claims),
             "written": f.written, "backup": f.backup, "writable": writable}
            for f, writable in listed
        ],
        "errors": list(errors),
        "summary": summary,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)
