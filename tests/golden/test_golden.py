"""Whole outputs pinned in files: verify's reports and fix's diff and rewritten note.

Other tests assert pieces; these catch any change to what a user sees. When a change is meant,
`pytest tests/golden --update-golden` rewrites the files; review their diff before committing.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cliptool.cli import app

FILES = Path(__file__).parent / "files"
NOTE = Path(__file__).parent.parent / "data" / "verify_note.md"

Golden = Callable[[str, str], None]


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """``check(name, text)``: ``text`` must equal ``files/name`` (or rewrites it with --update-golden)."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        path = FILES / name
        if update:
            path.write_bytes(text.encode("utf-8"))
            return
        assert path.is_file(), f"no golden file {path}: run pytest --update-golden and review it"
        assert text == path.read_bytes().decode("utf-8")

    return check


def _cli(*args: str, columns: int = 100) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": str(columns), "NO_COLOR": "1"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("fmt", "columns", "name"), [
    ("table", 80, "verify_table_80.txt"),
    ("table", 120, "verify_table_120.txt"),
    ("markdown", 100, "verify.md"),
    ("csv", 100, "verify.csv"),
])
def test_verify_report(fmt: str, columns: int, name: str, tiny_cache: Path, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch, golden: Golden) -> None:
    note = tmp_path / "honeybees.md"
    shutil.copy(NOTE, note)
    monkeypatch.chdir(tmp_path)  # paths in the report are relative, as a user types them
    shutil.copytree(tiny_cache, tmp_path / "cache")
    code, out, err = _cli("verify", "honeybees.md", "--cache", "cache", "--offline", "--format", fmt,
                          columns=columns)
    assert code == 0, err
    golden(name, out)


def test_fix_dry_run_and_write(tiny_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               golden: Golden) -> None:
    note = tmp_path / "bees.md"
    shutil.copy(FILES / "fix_before.md", note)
    monkeypatch.chdir(tmp_path)
    shutil.copytree(tiny_cache, tmp_path / "cache")
    args = ["fix", "bees.md", "--cache", "cache", "--offline", "--mark-unsupported"]
    code, diff, err = _cli(*args)
    assert code == 0, err
    golden("fix_diff.txt", diff)
    code, out, err = _cli(*args, "--write", "--no-backup")
    assert code == 0, err
    golden("fix_after.md", note.read_text(encoding="utf-8"))
    code, out, err = _cli(*args)  # fixed once: nothing left to do
    assert code == 0 and "would retime 0 anchors in 0 of 1 note" in out, out + err
