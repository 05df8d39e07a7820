"""Command line: parses arguments, calls the library, prints. The only module that exits.

Heavy imports (yt-dlp, rapidfuzz, ffmpeg) happen inside commands so ``--help`` stays fast.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import math
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from typer.core import TyperGroup

from cliptool import DEFAULT_MARKER, DEFAULT_MIN_SCORE, __version__
from cliptool.errors import CliptoolError

if TYPE_CHECKING:  # the models stay unimported for --help
    from cliptool.models import Note, NoteReport

log = logging.getLogger("cliptool")

# The aligner's matrix products are small (a note's claims by a video's passages): BLAS threads
# cost more to start and share than they save, and `verify --jobs N` would run N times as many.
# Set before numpy is first imported (by a command, and by the --jobs workers, which inherit it);
# a value the user set stands. Measured: 1,000 notes with --jobs 2 in 15.2 s instead of 18.0 s,
# and half the CPU time per claim.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def _reflow(help_text: str | None) -> str | None:
    """Docstring paragraphs as single lines, so the terminal (not the source) decides where lines break.

    Typer's rich help keeps a docstring's own line breaks after the first paragraph, which cut
    sentences in half at any width but the source's.

    >>> _reflow("Summary.\\n\\n    One sentence\\n    over two lines.")
    'Summary.\\n\\nOne sentence over two lines.'
    """
    if not help_text:
        return help_text
    paragraphs = inspect.cleandoc(help_text).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


class _Group(TyperGroup):
    """Turns every expected error into one line on stderr and its exit code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            command.help = _reflow(command.help)

    def invoke(self, ctx: Any) -> Any:  # typer vendors its own click; its Context type is private
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a reader gone away is found here, not by click after the command
            return result
        except CliptoolError as err:
            _error(str(err))
            raise typer.Exit(err.exit_code) from None
        except BrokenPipeError:
            # The reader went away (`verify notes | head`): stop quietly with the shell's code for
            # SIGPIPE, not click's 1, which is "accuracy below --min-accuracy". Nothing more can
            # be written to stdout, not even at exit.
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(EXIT_BROKEN_PIPE) from None


app = typer.Typer(
    cls=_Group,
    pretty_exceptions_show_locals=False,
    no_args_is_help=True,
    add_completion=False,
    help="Check, fix and clip the timestamps of Markdown notes about YouTube videos.\n\n"
    "Exit codes: 0 ok, 1 verify accuracy below --min-accuracy, 2 usage, 3 bad input, "
    "4 captions or video unavailable, 5 network, 6 ffmpeg/media, 7 note changed on disk during fix, "
    "8 a verify --jobs worker died, 130 interrupted (Ctrl-C), 141 output pipe closed, 143 terminated (SIGTERM).",
)


def _escape(text: str) -> str:
    """``text`` as rich prints it literally: no markup, and control characters (a line break or
    an escape sequence in a file's name) shown as escapes, so one message stays one line."""
    from rich.markup import escape

    from cliptool.report import printable

    return escape(printable(text))


_MIN_WIDTH = 40  # rich cannot lay out a table in a few columns (COLUMNS=5 raised inside rich)


def _err_console() -> Any:
    from rich.console import Console

    return _wide_enough(Console(stderr=True, soft_wrap=True))


def _out_console() -> Any:
    from rich.console import Console

    return _wide_enough(Console(soft_wrap=True))


def _wide_enough(console: Any) -> Any:
    """``console`` at least ``_MIN_WIDTH`` wide, and leaving a closed pipe to the command's handler
    (exit 141), where rich would exit 1, the code for "accuracy below --min-accuracy"."""
    if console.width < _MIN_WIDTH:
        console.width = _MIN_WIDTH
    console.on_broken_pipe = _broken_pipe
    return console


def _broken_pipe() -> None:
    raise BrokenPipeError


class _Bar:
    """The progress bar of a command, or nothing at all when nobody watches stderr."""

    def __init__(self, progress: Any = None, total: int = 0) -> None:
        self._progress = progress
        self._task = progress.add_task("", total=total) if progress is not None else None

    def advance(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Hide the bar while printing to stdout, which a live bar on the same terminal would garble."""
        if self._progress is None:
            yield
            return
        self._progress.stop()
        try:
            yield
        finally:
            self._progress.start()


_PROGRESS_MIN_ITEMS = 2  # one item needs no bar


@contextmanager
def _progress_bar(label: str, total: int, console: Any, *, min_items: int = _PROGRESS_MIN_ITEMS) -> Iterator[_Bar]:
    """A transient bar on ``console`` (stderr) while ``total`` items are done, only on a terminal.

    Piped or redirected output stays free of control codes; the bar vanishes when done.
    """
    if total < min_items or not console.is_terminal:
        yield _Bar()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=console, transient=True)
    with progress:
        yield _Bar(progress, total)


def _error(message: str) -> None:
    """One ``error:`` line on stderr: how every expected failure is told, fatal or not."""
    _err_console().print(f"[red]error:[/red] {_escape(message)}", highlight=False)


VERBOSE_OPT = typer.Option(False, "--verbose", "-v", help="Log details to stderr.")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"cliptool {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print the version and exit."),
    verbose: bool = VERBOSE_OPT,
) -> None:
    _logging(verbose)


def _logging(verbose: bool) -> None:
    """Debug logs on stderr with -v; every command takes -v too, as users type it after the command."""
    if verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s", force=True)
    else:  # a library warning reads like the tool's own
        logging.basicConfig(level=logging.WARNING, format="warning: %(message)s", force=True)


def _cache_dir(cache: Path | None) -> Path:
    """``--cache``, else CLIPTOOL_CACHE, else ./cache; also the option's callback, so a cache path
    through a file is one usage error while the options are parsed, not a failure after the fetch."""
    from cliptool.fetch import check_cache_dir

    path = cache if cache is not None else Path(os.environ.get("CLIPTOOL_CACHE") or "cache")
    try:
        return check_cache_dir(path)
    except CliptoolError as exc:
        raise typer.BadParameter(str(exc), param_hint=None if cache is not None else "CLIPTOOL_CACHE") from None


def _url_template(url_template: str | None) -> str:
    from cliptool.fetch import DEFAULT_URL_TEMPLATE

    return url_template or os.environ.get("CLIPTOOL_URL_TEMPLATE") or DEFAULT_URL_TEMPLATE


def _checked_lang(lang: str | None) -> str | None:
    """``--lang`` checked while the options are parsed: one usage error (exit 2), not one per note."""
    from cliptool.fetch import check_lang

    if lang is None:
        return None
    try:
        return check_lang(lang)
    except CliptoolError as exc:
        raise typer.BadParameter(str(exc)) from None


def _checked_url_template(url_template: str | None) -> str | None:
    """``--url-template`` (or CLIPTOOL_URL_TEMPLATE) checked while the options are parsed, as ``--lang``.

    Checked even when the cache will serve every video: a template without ``{id}`` is wrong either way.
    """
    from cliptool.fetch import page_url

    try:
        page_url("x" * 11, _url_template(url_template))  # any id: only the template is checked
    except CliptoolError as exc:
        raise typer.BadParameter(str(exc), param_hint=None if url_template else "CLIPTOOL_URL_TEMPLATE") from None
    return url_template


def _nonempty_path(value: str) -> Path:
    """A PATH argument; ``""`` (an unset shell variable) would be ``Path("")``, the working directory."""
    if not value:
        raise typer.BadParameter("an empty string is not a path")
    return Path(value)


CACHE_OPT = typer.Option(None, "--cache", file_okay=False, callback=_cache_dir,
                         help="Cache folder for captions, and clip's media sections (env CLIPTOOL_CACHE, default ./cache).")
OFFLINE_OPT = typer.Option(False, "--offline", help="Never touch the network; use the cache only.")
LANG_OPT = typer.Option(None, "--lang", callback=_checked_lang, metavar="LANG", show_default=False,
                        help="Language of the captions to use (default: each note's lang, else en).")
TOLERANCE_OPT = typer.Option(5.0, "--tolerance", metavar="S", min=0.0,
                             help="Seconds a cited time may precede its passage and still be ok.")
URL_OPT = typer.Option(None, "--url-template", callback=_checked_url_template,
                       help="Video URL with {id} (env CLIPTOOL_URL_TEMPLATE).")


def main() -> None:
    """Console-script entry point."""
    # The aligner's matrices are small: BLAS threads only contend with --jobs workers.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    # A note's file name that is not UTF-8 holds lone surrogates: print them as \udcXX escapes.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    app(prog_name="cliptool")


EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process the signal ended
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE


class _Terminated(BaseException):
    """SIGTERM: raised in the main thread so cleanup runs as it does for Ctrl-C."""


def _stop_ffmpeg() -> None:
    """Kill the ffmpeg children of clip; none ran when media.py was never imported (verify, fix)."""
    stop = getattr(sys.modules.get("cliptool.media"), "stop_ffmpeg", None)  # None while still importing
    if stop is not None:
        stop()


def _signals_handled(outcome: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """SIGTERM and Ctrl-C alike: stop every ffmpeg child first (a SIGTERM reaches none of them,
    and with --jobs the other threads' must not be reported as failed clips), unwind so temp
    files go, then exit 143 or 130 with one closing line that says what was left (``outcome``)."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> None:
            def on_term(signum: int, frame: Any) -> None:
                _stop_ffmpeg()
                raise _Terminated

            def on_int(signum: int, frame: Any) -> None:
                _stop_ffmpeg()
                raise KeyboardInterrupt

            try:
                previous = signal.signal(signal.SIGTERM, on_term), signal.signal(signal.SIGINT, on_int)
            except ValueError:  # not the main thread (an embedding app): leave signals to it
                return command(*args, **kwargs)
            try:
                return command(*args, **kwargs)
            except _Terminated:
                _error(f"terminated: {outcome}")
                raise typer.Exit(EXIT_TERMINATED) from None
            except KeyboardInterrupt:
                _error(f"interrupted: {outcome}")
                raise typer.Exit(EXIT_INTERRUPTED) from None
            finally:
                signal.signal(signal.SIGTERM, previous[0])
                signal.signal(signal.SIGINT, previous[1])

        return run

    return decorate


# --- claims ----------------------------------------------------------------------------------

_PATHS_ARG = typer.Argument(metavar="PATH", parser=_nonempty_path, help="Note files or folders (walked recursively).")


def _warn(message: str) -> None:
    _err_console().print(_escape(message), highlight=False)


def _note_warning(path: str | Path, message: str) -> str:
    """``warning: notes/a.md:14: …`` for a note's warning about ``line 14``, as errors name lines.

    >>> _note_warning("a.md", "line 14: odd"), _note_warning("a.md", "odd")
    ('warning: a.md:14: odd', 'warning: a.md: odd')
    """
    line = re.match(r"line (\d+): ", message)
    return f"warning: {path}:{line.group(1)}: {message[line.end():]}" if line else f"warning: {path}: {message}"


def _walk_notes(
    paths: list[Path], on_missing: Callable[[Path, CliptoolError], None] | None = None
) -> list[tuple[Path, Path]]:
    """(note, the folder it was found in) for each note under ``paths``; skipped files get a notice.

    A path that does not exist raises, unless ``on_missing`` is given: then it is told there and
    the other paths are still searched (a typo in one of many paths costs one note).
    """
    from cliptool.notes import find_notes, note_key

    found: list[tuple[Path, Path]] = []
    seen: set[Path] = set()
    for given in paths:
        try:
            got, notices = find_notes([given])
        except CliptoolError as err:
            if on_missing is None:
                raise
            on_missing(given, err)
            continue
        for notice in notices:
            _warn(notice)
        root = given if given.is_dir() else given.parent
        for path in got:
            key = note_key(path)
            if _is_our_output(path):
                _warn(f"skipped {path}: this run's own output (stdout or stderr is redirected to it)")
                continue
            if key not in seen:  # a note named twice (folder and file) is read once
                seen.add(key)
                found.append((path, root))
    return found


def _is_our_output(path: Path) -> bool:
    """Whether ``path`` is the file this process's stdout or stderr writes to: the shell made it
    (empty, or an old report) before the run, and it is no note (``verify notes > notes/r.txt``)."""
    try:
        st = path.stat()
        return any(os.path.samestat(st, os.fstat(fd)) for fd in (1, 2))
    except (OSError, ValueError):
        return False


def _note_files(paths: list[Path], missing: list[CliptoolError] | None = None) -> list[Path]:
    """Note files under ``paths`` (see :func:`_walk_notes`); none at all is an error.

    With ``missing``, the errors of paths that do not exist are collected there.
    """
    from cliptool.notes import no_notes_error

    found = _walk_notes(paths, None if missing is None else lambda _given, err: missing.append(err))
    if not found:
        if missing:
            for problem in missing[:-1]:
                _error(str(problem))
            raise missing[-1]
        raise no_notes_error(paths)
    return [path for path, _ in found]


def _claims_table(note: Any) -> Any:
    from rich.table import Table
    from rich.text import Text

    from cliptool.report import printable
    from cliptool.timecode import format_ts

    title = Text(printable(note.path), style="bold")
    title.append(f" · {note.video_id}" + (f" · {printable(note.title)}" if note.title else ""))
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("line:col", justify="right")
    table.add_column("cited", no_wrap=True)
    table.add_column("claim")
    for c in note.claims:
        cited = c.raw if ":" in c.raw else f"{c.raw} = {format_ts(c.cited_s)}"  # a t= value: 224, 5m49s
        if c.visible is not None:
            cited += f" (shown {c.visible})"
        table.add_row(str(c.index), f"{c.line}:{c.column}", cited, Text(printable(c.text)))
    return table


@app.command("claims")
def claims_cmd(
    paths: Annotated[list[Path], _PATHS_ARG],
    fmt: Annotated[Literal["table", "json"], typer.Option("--format", help="Output format.")] = "table",
    verbose: bool = VERBOSE_OPT,
) -> None:
    """List the timestamp claims of notes: where each anchor is, its cited time and its text.

    A note that cannot be read is one error line on stderr; the others are still listed (exit 3).
    """
    if verbose:
        _logging(True)
    import json

    from cliptool.errors import InputError
    from cliptool.notes import read_note
    from cliptool.report import plural

    notes = []
    missing: list[CliptoolError] = []
    files = _note_files(paths, missing)
    for err in missing:
        _error(str(err))
    failed = len(missing)
    for path in files:
        try:
            note = read_note(path)
        except InputError as err:
            failed += 1
            _error(str(err))
            continue
        for warning in note.warnings:
            _warn(_note_warning(note.path, warning))
        notes.append(note)
    if fmt == "json":
        rows = [
            {
                "path": n.path, "video_id": n.video_id, "index": c.index, "line": c.line, "column": c.column,
                "cited": c.raw, "cited_seconds": c.cited_s, "visible": c.visible, "text": c.text,
            }
            for n in notes for c in n.claims
        ]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        out = _out_console()
        for note in notes:
            out.print(_claims_table(note))
        out.print(f"{plural(sum(len(n.claims) for n in notes), 'claim')} in {plural(len(notes), 'note')}",
                  highlight=False)
    if failed:
        raise typer.Exit(InputError.exit_code)


# --- captions --------------------------------------------------------------------------------
def _video_of(source: str, lang: str | None, cache_dir: Path) -> tuple[str, str]:
    """(video id, captions language) a ``captions`` argument names: a note file's ``videoId`` and
    ``lang``, or the id itself or a link to it; ``lang`` (``--lang``) wins when given."""
    from cliptool.errors import InputError
    from cliptool.notes import read_note, video_id_of
    from cliptool.verify import DEFAULT_LANG, VerifyOptions, caption_lang

    path = Path(source)
    if path.is_file():
        note = read_note(path)
        return note.video_id, caption_lang(note, VerifyOptions(cache_dir, lang=lang))
    video_id = video_id_of(source)
    if video_id is None:
        raise InputError(f"{source!r} is neither a note file, a video id (11 characters of A-Z a-z 0-9 _ -) "
                         "nor a YouTube link")
    return video_id, lang or DEFAULT_LANG


@app.command("captions")
@_signals_handled("the cache holds only whole files")
def captions_cmd(
    source: Annotated[str, typer.Argument(metavar="VIDEO_ID|NOTE", help="A video id or YouTube link, or a note whose videoId to use.")],
    lang: str | None = LANG_OPT,
    fmt: Annotated[Literal["text", "srt", "vtt", "json"], typer.Option(
        "--format", help="text: one sentence per line with its time; srt/vtt: the cues; json: cues and word times.",
    )] = "text",
    refresh: Annotated[bool, typer.Option("--refresh", help="Fetch again even when the captions are cached.")] = False,
    offline: bool = OFFLINE_OPT,
    cache: Path | None = CACHE_OPT,
    url_template: str | None = URL_OPT,
    verbose: bool = VERBOSE_OPT,
) -> None:
    """Print a video's transcript, fetching and caching its captions when needed."""
    if verbose:
        _logging(True)
    from cliptool.captions import to_json, to_srt, to_text, to_vtt
    from cliptool.fetch import fetch_captions

    if refresh and offline:
        raise typer.BadParameter("--refresh needs the network; drop --offline", param_hint="--refresh")
    video_id, lang = _video_of(source, lang, _cache_dir(cache))
    transcript = fetch_captions(
        video_id, lang=lang, cache_dir=_cache_dir(cache), url_template=_url_template(url_template),
        offline=offline, refresh=refresh,
    )
    render = {"text": to_text, "srt": to_srt, "vtt": to_vtt, "json": to_json}[fmt]
    typer.echo(render(transcript), nl=False)


# --- verify ----------------------------------------------------------------------------------
_ReportFormat = Literal["table", "json", "csv", "markdown", "html"]
_VERIFY_BAR_MIN_NOTES = 4  # cached notes take milliseconds each: below this a bar only flickers


def _verify_all(files: list[Path], opts: Any, jobs: int) -> list[Any]:
    """Reports in file order, with a progress bar while they come."""
    from cliptool.verify import verify_paths

    reports = []
    with _progress_bar("verifying", len(files), _err_console(), min_items=_VERIFY_BAR_MIN_NOTES) as bar:
        for report in verify_paths(files, opts, jobs=jobs):
            reports.append(report)
            bar.advance()
    return reports


_FORMAT_OF_SUFFIX: dict[str, _ReportFormat] = {
    ".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
}


def _format_of(output: Path | None) -> _ReportFormat:
    """The report format ``-o report.html`` asks for without --format: a table in a .html file helps no one."""
    return _FORMAT_OF_SUFFIX.get(output.suffix.lower(), "table") if output is not None else "table"


def _warn_missing_cache(opts: Any) -> None:
    """Offline, a cache folder that does not exist is most likely a typo: say so once, not per note."""
    if opts.offline and not opts.cache_dir.is_dir():
        _warn(f"warning: cache folder {opts.cache_dir} does not exist (--offline reads captions only from it)")


def _render_report(reports: list[Any], fmt: _ReportFormat, *, to_file: bool) -> str:
    from cliptool import report as rp

    if fmt == "json":
        return rp.to_json(reports, version=__version__)
    if fmt == "csv":
        return rp.to_csv(reports)
    if fmt == "markdown":
        return rp.to_markdown(reports)
    if fmt == "html":
        return rp.to_html(reports, version=__version__)
    import io

    from rich.console import Console

    # A file gets plain text at a fixed width; stdout gets colour at the terminal's width and
    # nothing is returned.
    buf = io.StringIO()
    console = Console(file=buf, width=120, color_system=None) if to_file else _out_console()
    if to_file or not console.is_terminal:
        # The heading the note finder knows: a report saved among the notes (-o notes/r.txt, or
        # the shell's > notes/r.txt) is not read back as a note on the next run.
        from cliptool.models import REPORT_HEADING

        console.print(REPORT_HEADING + "\n", highlight=False, markup=False)
    for renderable in rp.render_table(reports):
        console.print(renderable)
    console.print(rp.summary_line(reports), highlight=False)
    return buf.getvalue()


def _check_output(path: Path, notes: list[Path]) -> None:
    """Refuse an --output that cannot or must not be written before any work is done, not after it."""
    from cliptool.errors import InputError
    from cliptool.notes import note_key

    target = note_key(path)
    if any(target == note_key(note) for note in notes):
        raise typer.BadParameter(f"{path} is one of the notes being verified; the report would replace it",
                                 param_hint="--output")
    folder = path.absolute().parent
    if not folder.is_dir():
        why = "is a file, not a folder" if folder.exists() else "does not exist"
        raise InputError(f"cannot write the report: its folder {folder} {why}", path=str(path))


# The shell links these to wherever it redirected the stream (`2> log.txt`), a file outside /dev
# that --output would otherwise refuse to follow or replace.
_STDOUT_NAMES = ("-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")
_STDERR_NAMES = ("/dev/stderr", "/dev/fd/2", "/proc/self/fd/2")


def _write_output(path: Path, text: str) -> None:
    """Temp file + ``os.replace``: a reader never sees half a report.

    A device or pipe (``-o /dev/stdout``, a FIFO) is written in place instead: renaming over it
    would put a plain file where the device was (as root, even over /dev/null).
    """
    import stat

    from cliptool.errors import InputError
    from cliptool.safe_write import text_bytes, write_atomic

    data = text_bytes(text)
    try:
        special = path.exists() and not stat.S_ISREG(path.stat().st_mode)
        if special:
            with open(path, "wb") as fh:
                fh.write(data)
        else:
            write_atomic(path, data, expected_sha256=None, backup=None)
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror or exc}", path=str(path)) from exc


@app.command("verify")
@_signals_handled("no report written")
def verify_cmd(
    paths: Annotated[list[Path], _PATHS_ARG],
    cache: Path | None = CACHE_OPT,
    offline: bool = OFFLINE_OPT,
    lang: str | None = LANG_OPT,
    url_template: str | None = URL_OPT,
    fmt: Annotated[_ReportFormat | None, typer.Option(
        "--format", help="Report format (default: from --output's extension, .json .csv .md .html, else table).",
        show_default=False,
    )] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", dir_okay=False,
        help="Write the report to this file (atomically) instead of stdout ('-' is stdout).",
    )] = None,
    min_accuracy: Annotated[float | None, typer.Option(
        "--min-accuracy", metavar="PCT", min=0.0, max=100.0,
        help="Exit 1 when the overall accuracy (ok / ok+shifted) is below PCT %.",
    )] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Notes verified in parallel processes.")] = 1,
    tolerance: float = TOLERANCE_OPT,
    verbose: bool = VERBOSE_OPT,
) -> None:
    """Check every claim's timestamp against the video's captions and report how accurate they are.

    Notes without captions and notes that cannot be read are reported, not fatal: exit 0 when the
    report was produced, 1 when --min-accuracy is given and not met.
    """
    if verbose:
        _logging(True)
    from cliptool import report as rp
    from cliptool.models import NoteReport
    from cliptool.verify import VerifyOptions

    to_stderr = output is not None and str(output) in _STDERR_NAMES
    if to_stderr or (output is not None and str(output) in _STDOUT_NAMES):
        output = None  # names of the standard streams: written to as streams, wherever they are redirected
    missing: list[CliptoolError] = []
    files = _note_files(paths, missing)
    if output is not None:
        _check_output(output, files)
    opts = VerifyOptions(cache_dir=_cache_dir(cache), lang=lang, offline=offline,
                         url_template=_url_template(url_template), tolerance_s=tolerance)
    _warn_missing_cache(opts)
    fmt = fmt or _format_of(output)
    reports = _verify_all(files, opts, jobs)
    # A path that does not exist is reported like a note that cannot be read: the run goes on.
    reports += [NoteReport(path=str(getattr(err, "path", "") or ""), video_id=None, status="error", reason=str(err))
                for err in missing]
    for r in reports:
        if r.status == "error":
            _error(r.reason or r.path)
    text = _render_report(reports, fmt, to_file=output is not None or to_stderr)
    if output is not None:
        _write_output(output, text)
        _warn(f"wrote {output}: {rp.summary_line(reports)}")
    elif text:
        typer.echo(text, nl=False, err=to_stderr)
    if min_accuracy is not None:
        accuracy = rp.summary(reports)["accuracy"]
        if (accuracy is None and min_accuracy > 0) or (accuracy is not None and accuracy * 100 < min_accuracy):
            if accuracy is None:
                _warn(f"no claim could be judged, so --min-accuracy {min_accuracy:g}% is not met")
            else:
                shown = f"{accuracy:.1%}" if round(accuracy * 100, 1) < min_accuracy else f"{accuracy:.3%}"
                _warn(f"accuracy {shown} is below --min-accuracy {min_accuracy:g}%")
            raise typer.Exit(1)


# --- fix -------------------------------------------------------------------------------------



def _fix_spans_by_line(fix: Any) -> tuple[dict[int, list[tuple[int, int]]], dict[int, list[tuple[int, int]]]]:
    """Columns of each change on its line, before and after, to emphasise them inside long lines."""
    before: dict[int, list[tuple[int, int]]] = {}
    after: dict[int, list[tuple[int, int]]] = {}
    from cliptool.fix import line_of

    def column(text: str, pos: int) -> int:  # 0-based, after LF, CRLF or a lone CR
        return pos - (max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1)

    delta = 0
    for c in fix.changes:  # in text order
        col = column(fix.original, c.start)
        before.setdefault(c.line, []).append((col, col + len(c.old)))
        start = c.start + delta
        col = column(fix.fixed, start)
        after.setdefault(line_of(fix.fixed, start), []).append((col, col + len(c.new)))
        delta += len(c.new) - len(c.old)
    return before, after


def _fix_print_done(console: Any, planned: Any, *, write: bool) -> None:
    """What fix did to one note (written), or the diff of what it would do (dry run)."""
    if not write:
        _fix_print_diff(console, planned)
        return
    from cliptool.report import plural

    kept = f"; original in {planned.backup}" if planned.backup else ""
    what = plural(len(planned.retimed_claims), "anchor") + " retimed"
    if planned.marked_claims:
        what += f", {len(planned.marked_claims)} marked"
    console.print(f"fixed {_escape(planned.path)}: {what}{_escape(kept)}", highlight=False)


def _fix_print_diff(console: Any, fix: Any) -> None:
    """A unified diff of one note, changed timestamps emphasised (colours only on a terminal).

    Piped, it is written as is, a patch ``patch`` applies: a CRLF note's lines keep their ``\r``
    (rich would drop it) and a last line without a line break is marked as diff marks it.
    """
    import difflib
    import re

    from rich.text import Text

    from cliptool.report import printable

    before, after = _fix_spans_by_line(fix)
    hunk = re.compile(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
    old_lines, new_lines = _diff_lines(fix.original), _diff_lines(fix.fixed)
    old_no = new_no = 0
    diff = difflib.unified_diff(old_lines, new_lines, fix.path, fix.path, n=0, lineterm="")
    for i, line in enumerate(diff):
        no_break = ""
        text = Text(line)
        if i < 2:
            # A terminal gets the file name's control characters as escapes; a patch gets it whole,
            # a name with blanks ended by a tab (as diff ends it) so that patch reads it to its end.
            text = Text(printable(line), style="bold")
            line += "\t" if any(ch.isspace() for ch in fix.path) else ""
        elif line.startswith("@@"):
            text.stylize("cyan")
            m = hunk.match(line)
            if m:
                old_no, new_no = int(m.group(1)), int(m.group(2))
        elif line.startswith("-"):
            text.stylize("red")
            for s, e in before.get(old_no, []):
                text.stylize("bold reverse", 1 + s, 1 + e)
            no_break = _NO_BREAK if old_no == len(old_lines) and not _ends_in_break(fix.original) else ""
            old_no += 1
        elif line.startswith("+"):
            text.stylize("green")
            for s, e in after.get(new_no, []):
                text.stylize("bold reverse", 1 + s, 1 + e)
            no_break = _NO_BREAK if new_no == len(new_lines) and not _ends_in_break(fix.fixed) else ""
            new_no += 1
        if console.is_terminal:
            console.print(text, highlight=False)
        else:
            console.file.write(line + "\n" + no_break)
    if not console.is_terminal:
        console.file.flush()


_NO_BREAK = "\\ No newline at end of file\n"


def _diff_lines(text: str) -> list[str]:
    """The lines of ``text`` as :func:`~cliptool.fix.split_lines` numbers them, a CRLF line with its
    ``\r`` (the diff adds the ``\n``); the empty piece after a final break is no line of its own."""
    from cliptool.fix import split_lines
    from cliptool.models import LINE_BREAK

    breaks = [*LINE_BREAK.findall(text), ""]  # the last piece has none
    out = [line + ("\r" if brk == "\r\n" else "") for line, brk in zip(split_lines(text), breaks, strict=True)]
    return out[:-1] if _ends_in_break(text) else out


def _ends_in_break(text: str) -> bool:
    return text.endswith(("\n", "\r"))


@app.command()
@_signals_handled("notes rewritten so far keep their backups; no note is half-written")
def fix(
    paths: Annotated[list[Path], typer.Argument(
        metavar="PATH", parser=_nonempty_path, help="Note files or folders of notes (searched recursively).")],
    write: Annotated[bool, typer.Option("--write", help="Apply the changes. Default: a dry run that prints a diff.")]
    = False,
    min_score: Annotated[float, typer.Option(
        "--min-score", min=0.0, max=1.0,
        help="Retime only claims verify located with at least this confidence (0-1). Below the default, "
        "rewrites on the corpus were less reliable.",
    )] = DEFAULT_MIN_SCORE,
    backup_dir: Annotated[Path | None, typer.Option(
        "--backup-dir", file_okay=False,
        help="Keep originals here, mirroring the notes' relative paths (default: <note>.bak beside each note).",
    )] = None,
    no_backup: Annotated[bool, typer.Option("--no-backup", help="Keep no copy of the originals.")] = False,
    mark_unsupported: Annotated[bool, typer.Option(
        "--mark-unsupported", help="Append a visible marker after anchors the captions do not support.",
    )] = False,
    marker: Annotated[str, typer.Option("--marker", help="The marker text for --mark-unsupported.")] = DEFAULT_MARKER,
    fmt: Annotated[Literal["text", "json"], typer.Option("--format", help="text (a diff) or json (for scripts).")]
    = "text",
    cache: Path | None = CACHE_OPT,
    offline: bool = OFFLINE_OPT,
    lang: str | None = LANG_OPT,
    url_template: str | None = URL_OPT,
    tolerance: float = TOLERANCE_OPT,
    verbose: bool = VERBOSE_OPT,
) -> None:
    """Rewrite the timestamps verify found shifted or past the video's end; a dry run unless --write.

    Only the anchor's time changes (data-t, the visible [..] text, a link's t=), in the note's
    own format; every other byte is kept. Unsupported and ambiguous claims are never rewritten.
    Writes go through a temp file and a rename, after a backup, and are refused (exit 7) when a
    note changed on disk since it was read. With several failing notes the exit code is the
    highest of their codes.
    """
    if verbose:
        _logging(True)

    from cliptool.fix import NoteFix, fix_note, marker_problem
    from cliptool.notes import no_notes_error
    from cliptool.report import fix_to_json, plural
    from cliptool.safe_write import BackupPlan, backup_dir_problem
    from cliptool.verify import VerifyOptions, verify_parsed

    if backup_dir is not None and no_backup:
        raise typer.BadParameter("use --backup-dir or --no-backup, not both", param_hint="--backup-dir")
    if marker_problem(marker):  # given without --mark-unsupported too: a typo now, not on the next run
        raise typer.BadParameter(marker_problem(marker) or "", param_hint="--marker")
    out, err = _out_console(), _err_console()
    opts = VerifyOptions(cache_dir=_cache_dir(cache), lang=lang, offline=offline,
                         url_template=_url_template(url_template), tolerance_s=tolerance)
    _warn_missing_cache(opts)
    failed: list[dict[str, Any]] = []  # notes and paths that failed, for --format json's errors[]
    refused: list[Any] = []  # dry run: fixes shown that --write could not write (read-only notes)
    below_min_score = 0  # located elsewhere, but too weakly to rewrite
    in_shared_definitions = 0  # located elsewhere, but their time is in a definition other links or images use too

    def fail(path: object, code: int, message: str) -> None:
        # printed through the progress bar's console, so a live bar is redrawn below the line
        err.print(f"[red]error:[/red] {_escape(message)}", highlight=False)
        failed.append({"path": str(path), "error": message, "exit_code": code})

    # each note with the tree it was found in: writes never leave it
    todo = _walk_notes(paths, lambda given, exc: fail(given, exc.exit_code, str(exc)))
    if not todo and not failed:  # as claims and verify: nothing to fix is a bad path, not success
        fail(", ".join(str(p) for p in paths), CliptoolError.exit_code, str(no_notes_error(paths)))

    if backup_dir is not None and not no_backup:  # a dry run must not promise what --write would refuse
        problem = backup_dir_problem(backup_dir, {root for _, root in todo}, [path for path, _ in todo])
        if problem:
            raise typer.BadParameter(problem, param_hint="--backup-dir")
    backups = None if no_backup else BackupPlan(backup_dir)

    def check(note: Note) -> NoteReport:
        return verify_parsed(note, opts)

    def warning_about(path: Path) -> Callable[[str], None]:
        return lambda message: err.print(_escape(_note_warning(path, message)), highlight=False)

    fixes: list[NoteFix] = []
    with _progress_bar("fixing", len(todo), err) as bar:
        for path, root in todo:
            try:
                outcome = fix_note(path, root, check, write=write, backups=backups, min_score=min_score,
                                   mark_unsupported=marker if mark_unsupported else None, warn=warning_about(path))
                below_min_score += outcome.below_min_score
                in_shared_definitions += outcome.in_shared_definitions
                if outcome.refused is not None:
                    # a dry run shows what would change even in a note --write would refuse (read-only)
                    refused.append(outcome.fix)
                    if fmt == "text":
                        with bar.paused():
                            _fix_print_diff(out, outcome.fix)
                    raise outcome.refused
                fixes.append(outcome.fix)
                if fmt == "text" and outcome.fix.changes:
                    with bar.paused():
                        _fix_print_done(out, outcome.fix, write=write)
            except CliptoolError as exc:
                fail(path, exc.exit_code, str(exc))
            finally:
                bar.advance()

    changed = [f for f in fixes if f.changes]
    retimed = sum(len(f.retimed_claims) for f in changed)
    marked = sum(len(f.marked_claims) for f in changed)
    summary = {
        "mode": "write" if write else "dry-run",
        "notes": len(todo),
        "notes_changed": len(changed),
        "anchors_retimed": retimed,
        "markers_added": marked,
        "anchors_below_min_score": below_min_score,
        "anchors_in_shared_definitions": in_shared_definitions,
        "notes_failed": len(failed),
    }
    if fmt == "json":
        typer.echo(fix_to_json(changed, refused, failed, summary))
    elif todo:  # with no note found, the error line has said it all
        # A dry run also counts the diffs it showed for notes --write would refuse (none when
        # writing), and says so, rather than "0 anchors" under a diff.
        shown = changed + refused
        n, m = sum(len(f.retimed_claims) for f in shown), sum(len(f.marked_claims) for f in shown)
        where = f"in {len(shown)} of {plural(len(todo), 'note')}"
        others = len(failed) - len(refused)
        failed_part = (f"; --write would refuse {len(refused)} of them" if refused else "") + (
            f"; {plural(others, 'note')} failed" if others else "")
        if write:
            done = f"retimed {plural(n, 'anchor')}" + (f" and marked {m}" if m else "")
            out.print(f"{done} {where}{failed_part}", highlight=False)
        else:
            what = f"retime {plural(n, 'anchor')}" + (f" and mark {m}" if m else "")
            hint = " (run again with --write to apply)" if changed else ""
            out.print(f"dry run: would {what} {where}{failed_part}{hint}", highlight=False)
        if below_min_score:
            err.print(f"{plural(below_min_score, 'anchor')} verify located elsewhere scored below --min-score "
                      f"{min_score:g} and stayed as written (verify lists them)", highlight=False)
        if in_shared_definitions:
            err.print(f"{plural(in_shared_definitions, 'anchor')} verify located elsewhere stayed as written: "
                      "their time is in a reference definition other links or images use too (give each link its own)",
                      highlight=False)
    if failed:
        raise typer.Exit(max(f["exit_code"] for f in failed))


# --- clip ------------------------------------------------------------------------------------
class _SubsMode(str, Enum):
    sidecar = "sidecar"
    burn = "burn"
    none = "none"


@app.command("clip")
@_signals_handled("ffmpeg stopped, unfinished clips removed")
def clip_cmd(
    note: Annotated[Path | None, typer.Argument(
        metavar="NOTE", parser=_nonempty_path, help="A note, or a folder of notes (with --all or --status).")] = None,
    claim: Annotated[str | None, typer.Option(
        "--claim", metavar="HH:MM:SS", help="Clip the claim(s) cited at this time.")] = None,
    anchor: Annotated[int | None, typer.Option(
        "--anchor", metavar="N", min=0, help="Clip anchor N (0-based, as `claims` and `verify` number them).")] = None,
    every: Annotated[bool, typer.Option("--all", help="Clip every claim.")] = False,
    status: Annotated[str | None, typer.Option(
        "--status", metavar="LIST", help="Clip the claims verify rates so, e.g. shifted,unsupported.")] = None,
    video_id: Annotated[str | None, typer.Option(
        "--video-id", metavar="ID", help="Only notes about this video (an id or a YouTube link); without NOTE, the video to cut from.")] = None,
    media: Annotated[Path | None, typer.Option(
        "--media", metavar="FILE", dir_okay=False, help="Cut from this local file instead of downloading.")] = None,
    # No min=0.0: typer would refuse nan as a usage error (exit 2) and pass inf; both are bad values (exit 3).
    before: Annotated[float, typer.Option("--before", metavar="S", help="Seconds before the moment (>= 0).")] = 2.0,
    after: Annotated[float, typer.Option("--after", metavar="S", help="Seconds after the moment (>= 0).")] = 8.0,
    snap: Annotated[bool | None, typer.Option(
        "--snap/--no-snap", show_default=False,
        help="Span the passage verify located, or cut around the cited time. "
        "Default: --snap when the captions are cached.")] = None,
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Folder for clips and index.json.")] = Path("clips"),
    subs: Annotated[_SubsMode, typer.Option(
        "--subs", help="Captions: .srt/.vtt files beside the clip, burned into the picture, or none.",
    )] = _SubsMode.sidecar,
    fast: Annotated[bool, typer.Option("--fast", help="Stream copy: quick, but cut at keyframes.")] = False,
    audio_only: Annotated[bool, typer.Option("--audio-only", help="Audio only (.m4a).")] = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Clips cut in parallel.")] = 1,
    fmt: Annotated[str | None, typer.Option(
        "--format", metavar="FMT", help="yt-dlp format when downloading. Default: H.264/AAC, at most 720p.")] = None,
    cache: Path | None = CACHE_OPT,
    offline: bool = OFFLINE_OPT,
    lang: str | None = LANG_OPT,
    url_template: str | None = URL_OPT,
    verbose: bool = VERBOSE_OPT,
) -> None:
    """Cut short source clips around cited moments, with captions and a provenance manifest.

    Without --media, yt-dlp downloads only the needed sections of the video into the cache. Each
    clip gets <clip>.json (source URL, claim, evidence, times, tool versions, sha256) and a row
    in <out>/index.json. A failing clip is reported and the others go on; the exit code is the
    highest of the failures.
    """
    if verbose:
        _logging(True)
    from cliptool.clip import (
        check_padding,
        clip_jobs,
        label_of,
        make_clips,
        parse_selection,
        read_clip_notes,
        served_claims,
        shown_time,
    )
    from cliptool.errors import CliptoolError
    from cliptool.media import DEFAULT_FORMAT, stopping
    from cliptool.report import plural, shorten
    from cliptool.verify import VerifyOptions

    for value, name in ((before, "--before"), (after, "--after")):
        if math.isfinite(value) and value < 0:  # out of the option's range, as typer's min= said: a usage error
            raise typer.BadParameter("must be seconds >= 0", param_hint=name)
    check_padding(before, after)  # nan and inf are no number of seconds (exit 3): said once, not once per note
    if subs == _SubsMode.burn and (fast or audio_only):
        raise typer.BadParameter("burned captions need re-encoded video: drop --fast and --audio-only, "
                                 "or use --subs sidecar", param_hint="--subs burn")
    if fmt is not None:
        from cliptool.media import check_format

        try:
            check_format(fmt)
        except CliptoolError as exc:
            raise typer.BadParameter(str(exc), param_hint="--format") from None
    select = parse_selection(claim=claim, anchor=anchor, every=every, status=status)
    notes, failures = read_clip_notes(note, video_id, select, warn=_warn)
    if media is not None and len({n.video_id for n in notes}) > 1:
        raise typer.BadParameter("one --media file cannot serve notes about several videos; add --video-id",
                                 param_hint="--media")
    opts = VerifyOptions(cache_dir=_cache_dir(cache), lang=lang, offline=offline,
                         url_template=_url_template(url_template))
    work, unplanned = clip_jobs(notes, select, opts, before_s=before, after_s=after, snap=snap, subs=subs.value,
                                media=media, fmt=fmt or DEFAULT_FORMAT, warn=_warn)
    failures += unplanned
    out_console, err_console = _out_console(), _err_console()
    shown_notes: set[str] = set()

    def report(job: Any, got: Any) -> None:
        label = label_of(job)
        if isinstance(got, CliptoolError):
            if stopping():
                return  # SIGTERM or Ctrl-C stopped this cut; the closing line says so once
            failures.append((label, got))
            err_console.print(f"[red]failed:[/red] {_escape(label)}: {_escape(str(got))}", highlight=False)
            return
        span = f"{shown_time(got.start_s)}-{shown_time(got.end_s)}"  # the file name's seconds hold this span
        claim_text = shorten(job.spec.claim, 80)
        about = f"{label}: {claim_text}" if claim_text else label
        out_console.print(f"{_escape(str(got.path))}  {span} ({got.duration_s:.2f} s, {got.mode})  "
                          f"{_escape(about)}", highlight=False)
        for line in got.notes:
            if line not in shown_notes:  # a caveat such as --fast's applies to every clip: say it once
                shown_notes.add(line)
                err_console.print(f"note: {_escape(line)}", highlight=False)

    for label, problem in failures:
        # a note's own errors already start with its path: say it once
        where = f"{_escape(label)}: " if label and not str(problem).startswith(label) else ""
        err_console.print(f"[red]failed:[/red] {where}{_escape(str(problem))}", highlight=False)
    with _progress_bar("clipping", len(work), err_console) as bar:

        def done(job: Any, got: Any) -> None:
            report(job, got)
            bar.advance()

        results = make_clips(work, out, on_done=done, workers=jobs, fast=fast, audio_only=audio_only,
                             subs=subs.value)
    made = sum(1 for r in results if not isinstance(r, CliptoolError))
    served = sum(len(served_claims(j)) for j, r in zip(work, results, strict=True) if not isinstance(r, CliptoolError))
    failed = len(failures)
    err_console.print(f"{plural(made, 'clip')} made" + (f" for {plural(served, 'claim')}" if served > made else "")
                      + f" in {_escape(str(out))}"
                      + (f", {failed} failed" if failed else ""), highlight=False)
    if failed:
        raise typer.Exit(max(problem.exit_code for _, problem in failures))  # as claims and fix: the highest


