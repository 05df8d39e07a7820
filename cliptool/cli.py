"""Command line: parses arguments, calls the library, prints. The only module that exits.

Heavy imports (yt-dlp, rapidfuzz, ffmpeg) happen inside commands so ``--help`` stays fast.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, Optional

import click
import typer
from typer.core import TyperGroup

from cliptool import __version__
from cliptool.errors import CliptoolError

log = logging.getLogger("cliptool")


class _Group(TyperGroup):
    """Turns every expected error into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CliptoolError as err:
            _err_console().print(f"[red]error:[/red] {_escape(str(err))}", highlight=False, soft_wrap=True)
            raise typer.Exit(err.exit_code) from None


app = typer.Typer(
    cls=_Group,
    pretty_exceptions_show_locals=False,
    no_args_is_help=True,
    add_completion=False,
    help="Check, fix and clip the timestamps of Markdown notes about YouTube videos.\n\n"
    "Exit codes: 0 ok, 1 verify accuracy below --min-accuracy, 2 usage, 3 bad input, "
    "4 captions unavailable, 5 network, 6 ffmpeg/media, 7 note changed on disk during fix.",
)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _err_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def _out_console() -> Any:
    from rich.console import Console

    return Console(soft_wrap=True)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"cliptool {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print the version and exit."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log details to stderr."),
) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def _cache_dir(cache: Optional[Path]) -> Path:
    if cache is not None:
        return cache
    return Path(os.environ.get("CLIPTOOL_CACHE") or "cache")


def _url_template(url_template: Optional[str]) -> str:
    from cliptool.fetch import DEFAULT_URL_TEMPLATE

    return url_template or os.environ.get("CLIPTOOL_URL_TEMPLATE") or DEFAULT_URL_TEMPLATE


CACHE_OPT = typer.Option(None, "--cache", help="Caption cache folder (env CLIPTOOL_CACHE, default ./cache).")
OFFLINE_OPT = typer.Option(False, "--offline", help="Never touch the network; use the cache only.")
LANG_OPT = typer.Option("en", "--lang", help="Language of the captions to use (the notes' language).")
URL_OPT = typer.Option(None, "--url-template", help="Video URL with {id} (env CLIPTOOL_URL_TEMPLATE).")


def main() -> None:
    """Console-script entry point."""
    app(prog_name="cliptool")


# --- claims ----------------------------------------------------------------------------------
# --- captions --------------------------------------------------------------------------------
# --- verify ----------------------------------------------------------------------------------
# --- fix (fix helper owns this block) --------------------------------------------------------
# Block-local imports: the module's import list is the lead's; both are light.
from typing import Annotated, Literal

from cliptool.fix import DEFAULT_MARKER


def _fix_error_code(report: Any) -> tuple[int, str]:
    """Exit code and message for a note verify could not check (it reports instead of raising)."""
    from cliptool.errors import CaptionsError, NetworkError

    if report.status == "no-captions":
        network = (report.reason or "").startswith(NetworkError.reason)
        return (NetworkError.exit_code if network else CaptionsError.exit_code), f"{report.path}: {report.reason}"
    return CliptoolError.exit_code, report.reason or f"{report.path}: cannot be checked"


def _fix_print_diff(console: Any, fix: Any) -> None:
    """A unified diff of one note (coloured when the console is a terminal)."""
    import difflib

    from rich.text import Text

    def lines(text: str) -> list[str]:  # split on LF only, as the file does; show CRLF lines without \r
        return [ln.removesuffix("\r") for ln in text.split("\n")]

    diff = difflib.unified_diff(lines(fix.original), lines(fix.fixed), f"a/{fix.path}", f"b/{fix.path}",
                                n=0, lineterm="")
    for line in diff:
        style = ("bold" if line.startswith(("---", "+++")) else "cyan" if line.startswith("@@")
                 else "green" if line.startswith("+") else "red" if line.startswith("-") else "")
        console.print(Text(line, style=style), highlight=False)


@app.command()
def fix(
    paths: Annotated[list[Path], typer.Argument(help="Note files or folders of notes (searched recursively).")],
    write: Annotated[bool, typer.Option("--write", help="Apply the changes. Default: a dry run that prints a diff.")]
    = False,
    min_score: Annotated[float, typer.Option(
        "--min-score", min=0.0, max=1.0, help="Retime only claims verify located with at least this confidence (0-1).",
    )] = 0.0,
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
    lang: str = LANG_OPT,
    url_template: str | None = URL_OPT,
) -> None:
    """Rewrite the timestamps verify found shifted; a dry run unless --write.

    Only the anchor's time changes (data-t, the visible [..] text, a link's t=), in the note's
    own format; every other byte is kept. Unsupported and ambiguous claims are never rewritten.
    Writes go through a temp file and a rename, after a backup, and are refused (exit 7) when a
    note changed on disk since it was read. With several failing notes the exit code is the
    highest of their codes.
    """
    import json

    from cliptool.errors import CliptoolError as _Err
    from cliptool.fix import NoteFix, plan_note_fix, read_note_file, write_note_fix
    from cliptool.notes import find_notes
    from cliptool.safe_write import backup_path
    from cliptool.verify import VerifyOptions, verify_parsed

    if backup_dir is not None and no_backup:
        raise typer.BadParameter("use --backup-dir or --no-backup, not both", param_hint="--backup-dir")
    if mark_unsupported and not marker.strip():
        raise typer.BadParameter("the marker must show something", param_hint="--marker")
    out, err = _out_console(), _err_console()
    opts = VerifyOptions(cache_dir=_cache_dir(cache), lang=lang, offline=offline,
                         url_template=_url_template(url_template))
    codes: list[int] = []

    def fail(code: int, message: str) -> None:
        codes.append(code)
        err.print(f"[red]error:[/red] {_escape(message)}", highlight=False)

    todo: list[tuple[Path, Path]] = []  # (note, the tree it was found in: writes never leave it)
    for given in paths:
        try:
            found, notices = find_notes([given])
        except _Err as exc:
            fail(exc.exit_code, str(exc))
            continue
        for notice in notices:
            err.print(_escape(notice), highlight=False)
        root = given if given.is_dir() else given.parent
        todo += [(p, root) for p in found]

    fixes: list[NoteFix] = []
    failed: list[dict[str, Any]] = []
    progress = None
    if err.is_terminal and len(todo) > 1:
        from rich.progress import Progress

        progress = Progress(console=err, transient=True)
        progress.start()
    task = progress.add_task("fixing", total=len(todo)) if progress else None
    try:
        for path, root in todo:
            try:
                note_file = read_note_file(path)
                report = verify_parsed(note_file.note, opts)
                if report.status != "checked":
                    code, message = _fix_error_code(report)
                    fail(code, message)
                    failed.append({"path": str(path), "error": message, "exit_code": code})
                    continue
                planned = plan_note_fix(note_file, report.alignments, min_score=min_score,
                                        mark_unsupported=marker if mark_unsupported else None)
                if write and planned.changes:
                    backup = None if no_backup else backup_path(path, root=root, backup_dir=backup_dir)
                    planned = write_note_fix(planned, root=root, backup=backup)
                fixes.append(planned)
                if fmt == "text" and planned.changes:
                    if progress is not None:
                        progress.stop()  # keep the diff and the bar from interleaving on a terminal
                    if write:
                        kept = f" (original kept in {planned.backup})" if planned.backup else ""
                        out.print(f"fixed {_escape(planned.path)}: {len(planned.retimed_claims)} anchor(s) retimed, "
                                  f"{len(planned.marked_claims)} marked{_escape(kept)}", highlight=False)
                    else:
                        _fix_print_diff(out, planned)
                    if progress is not None:
                        progress.start()
            except _Err as exc:
                fail(exc.exit_code, str(exc))
                failed.append({"path": str(path), "error": str(exc), "exit_code": exc.exit_code})
            finally:
                if progress is not None and task is not None:
                    progress.advance(task)
    finally:
        if progress is not None:
            progress.stop()

    changed = [f for f in fixes if f.changes]
    retimed = sum(len(f.retimed_claims) for f in changed)
    marked = sum(len(f.marked_claims) for f in changed)
    summary = {
        "mode": "write" if write else "dry-run",
        "notes": len(todo),
        "notes_changed": len(changed),
        "anchors_retimed": retimed,
        "markers_added": marked,
        "notes_failed": len(failed),
    }
    if fmt == "json":
        doc = {
            "changes": [
                {"path": f.path, "line": c.line, "old": c.old, "new": c.new, "claim_index": c.claim_index,
                 "kind": c.kind, "role": c.role}
                for f in changed for c in f.changes
            ],
            "notes": [{"path": f.path, "changes": len(f.changes), "written": f.written, "backup": f.backup}
                      for f in changed],
            "errors": failed,
            "summary": summary,
        }
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        verb = "fixed" if write else "dry run:"
        would = "" if write else " to change"
        tail = "" if write or not changed else "; run again with --write to apply"
        failed_part = f", {len(failed)} note(s) failed" if failed else ""
        out.print(f"{verb} {retimed} anchor(s) retimed and {marked} marked{would} in {len(changed)} of "
                  f"{len(todo)} note(s){failed_part}{tail}", highlight=False)
    if codes:
        raise typer.Exit(max(codes))


# --- end fix ---------------------------------------------------------------------------------
# --- clip (clip helper owns this block) ------------------------------------------------------
# --- end clip --------------------------------------------------------------------------------
