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
# --- end fix ---------------------------------------------------------------------------------
# --- clip (clip helper owns this block) ------------------------------------------------------
# --- end clip --------------------------------------------------------------------------------
