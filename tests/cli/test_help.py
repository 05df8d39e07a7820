"""Help, version, `python -m cliptool`, cheap start-up, and a README that documents every command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from cliptool import __version__
from cliptool.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent.parent
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]
HEAVY = ["yt_dlp", "numpy", "rapidfuzz", "ffmpeg", "imageio_ffmpeg", "webvtt"]


def test_root_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("claims", "captions", "verify"):
        assert name in COMMANDS
        assert name in result.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name: str) -> None:
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"cliptool {__version__}"


def test_no_arguments_shows_help() -> None:
    result = runner.invoke(app, [])
    assert result.exit_code in (0, 2)  # click's no_args_is_help exit code differs between versions
    assert "Usage" in result.stdout + result.stderr


def test_import_cli_loads_no_heavy_module() -> None:
    code = "import json, sys, cliptool.cli; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         stdin=subprocess.DEVNULL)
    modules = set(json.loads(out.stdout))
    loaded = {m.split(".")[0] for m in modules}
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    # nor the stages: each is loaded by the command that needs it
    stages = {"cliptool.models", "cliptool.fix", "cliptool.align", "cliptool.verify", "cliptool.clip", "cliptool.fetch"}
    assert modules.isdisjoint(stages), sorted(modules & stages)


def test_python_dash_m() -> None:
    out = subprocess.run([sys.executable, "-m", "cliptool", "--help"], check=False, capture_output=True, text=True,
                         stdin=subprocess.DEVNULL)
    assert out.returncode == 0
    assert "verify" in out.stdout


def test_readme_documents_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in COMMANDS if f"cliptool {name}" not in readme]
    assert not missing, f"README.md does not mention: {missing}"


def test_every_exit_code_is_documented() -> None:
    """The codes the error tree and the signal handlers use are the README's table and --help's list."""
    from cliptool import errors
    from cliptool.cli import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_TERMINATED

    codes = {cls.exit_code for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, errors.CliptoolError)}
    codes |= {errors.EXIT_OK, errors.EXIT_BELOW_ACCURACY, errors.EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED,
              EXIT_BROKEN_PIPE}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert {int(c) for c in re.findall(r"^\| (\d+) \|", readme, re.MULTILINE)} == codes
    text = " ".join(runner.invoke(app, ["--help"]).stdout.split())
    listed = text.split("Exit codes:", 1)[1]
    assert {int(c) for c in re.findall(r"\b(\d+) [a-z]", listed)} == codes


def test_the_readmes_library_example_runs_as_written(corpus: Path, tmp_path: Path) -> None:
    """Its own script, as a reader would save it: `verify_paths(jobs=2)` starts worker processes."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Library use"):]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    (tmp_path / "example.py").write_text(code.group(1), encoding="utf-8")
    notes = tmp_path / "notes" / "eMlx5fFNoYc"
    notes.mkdir(parents=True)
    for note in sorted((corpus / "notes" / "eMlx5fFNoYc").glob("*.md"))[:3]:
        (notes / note.name).write_bytes(note.read_bytes())
    (tmp_path / "cache").symlink_to(corpus / "cache")
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert 0.9 < float(done.stdout) <= 1.0
    assert len(json.loads((tmp_path / "report.json").read_text())["notes"]) == 3
