"""The main job end to end: yt-dlp fetches YouTube-layout auto captions from a local page, verify
judges a note, fix rewrites the wrong anchor, verify agrees, and a second run needs no network."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cliptool.cli import app
from cliptool.timecode import format_ts

pytestmark = pytest.mark.e2e

VIDEO_ID = "beeTalk0001"
# One sentence every 12 s; the claims below paraphrase some of them.
TALK = [
    "welcome to this short talk about honeybees and how they find flowers",
    "a scout bee performs a waggle dance to tell the hive where the nectar is",
    "the angle of the dance points toward the food relative to the sun",
    "now let us count slowly from one to ten while the camera pans",
    "queens can lay up to two thousand eggs in a single summer day",
    "drones exist mainly to mate and they cannot sting anyone",
    "winter clusters keep the colony warm by shivering their flight muscles",
    "honey is stored in wax cells and capped once its water content drops",
    "varroa mites are the biggest threat to managed hives today",
    "beekeepers smoke the entrance so the guards stay calm during inspections",
    "thanks for watching and see you next time",
]
STEP_S = 12.0


def _auto_vtt(sentences: list[str]) -> str:
    """Captions in YouTube's automatic layout: rolling two-line cues with inline word times,
    each followed by a 10 ms cue repeating the finished line."""
    out = ["WEBVTT", "Kind: captions", "Language: en", ""]
    previous = ""
    for n, sentence in enumerate(sentences):
        start, end = n * STEP_S, n * STEP_S + STEP_S - 1.0
        words = sentence.split()
        timed = words[0] + "".join(
            f"<{_vtt_ts(start + 0.4 * k)}><c> {w}</c>" for k, w in enumerate(words[1:], 1)
        )
        out += [f"{_vtt_ts(start)} --> {_vtt_ts(end)} align:start position:0%", previous or " ", timed, ""]
        out += [f"{_vtt_ts(end)} --> {_vtt_ts(end + 0.01)} align:start position:0%", sentence, " ", ""]
        previous = sentence
    return "\n".join(out)


def _vtt_ts(seconds: float) -> str:
    return f"{format_ts(int(seconds))}.{round(seconds % 1 * 1000):03d}"


def _anchor(t: float) -> str:
    ts = format_ts(t)
    return f'<a class="yt-timestamp" data-t="{ts}">[{ts}]</a>'


NOTE = f"""---
title: How bees find food
videoId: {VIDEO_ID}
---

- A scout performs a waggle dance to show the hive where nectar is {_anchor(12)}.
- Queens lay up to two thousand eggs on a summer day {_anchor(48 + 60)}.
- Varroa mites are the biggest threat to managed hives {_anchor(96)}.
- Wasps build their nests from chewed wood pulp {_anchor(120)}.
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    (root / f"{VIDEO_ID}.html").write_text(
        '<!doctype html><html><head><title>How bees find food</title></head><body>'
        '<video src="video.mp4"><track kind="captions" srclang="en" src="en.vtt"></video>'
        "</body></html>",
        encoding="utf-8",
    )
    (root / "en.vtt").write_text(_auto_vtt(TALK), encoding="utf-8")
    return root


def _verify(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["verify", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_fetch_verify_fix_and_verify_again(
    site: Path, tmp_path: Path, http_server: Callable[[Path], Any]
) -> None:
    server = http_server(site)
    notes = tmp_path / "notes"
    notes.mkdir()
    note = notes / "bees.md"
    note.write_text(NOTE, encoding="utf-8")
    cache = tmp_path / "cache"
    online = ["--cache", str(cache), "--url-template", server.url("{id}.html")]

    first = _verify(str(note), *online)
    (checked,) = first["notes"]
    assert checked["status"] == "checked" and checked["captions"]["language"] == "en"
    statuses = [c["status"] for c in checked["claims"]]
    assert statuses == ["ok", "shifted", "ok", "unsupported"]
    moved = checked["claims"][1]
    assert moved["start"] == pytest.approx(48.0, abs=1.0) and moved["offset"] == pytest.approx(60.0, abs=1.0)
    assert "two thousand eggs" in moved["evidence"]
    assert (cache / VIDEO_ID / "info.json").is_file()

    # The cache answers now: offline, and the server sees no request.
    hits = server.count()
    assert _verify(str(note), "--cache", str(cache), "--offline") == first
    assert server.count() == hits

    fixed = CliRunner().invoke(app, ["fix", str(note), "--write", "--cache", str(cache), "--offline"])
    assert fixed.exit_code == 0, fixed.output
    assert 'data-t="00:00:48">[00:00:48]</a>' in note.read_text(encoding="utf-8")
    assert (notes / "bees.md.bak").read_text(encoding="utf-8") == NOTE

    again = _verify(str(note), "--cache", str(cache), "--offline")
    assert [c["status"] for c in again["notes"][0]["claims"]] == ["ok", "ok", "ok", "unsupported"]


@contextlib.contextmanager
def _verify_hanging_on_the_network(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], list[int], list[int], Path]]:
    """``cliptool verify --jobs 2`` on notes whose captions a server never sends: yields the run
    once both workers wait for an answer, with the workers' pids, every process the run started
    (workers, and a fork server and resource tracker where there are) and the report path."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept_and_say_nothing() -> None:
        with contextlib.suppress(OSError):
            while True:
                accepted.append(listener.accept()[0])

    threading.Thread(target=accept_and_say_nothing, daemon=True).start()
    notes = tmp_path / "notes"
    notes.mkdir()
    for n in range(6):  # one video per note: every note needs a fetch
        (notes / f"talk{n}.md").write_text(NOTE.replace(VIDEO_ID, f"hangingVid{n}"), encoding="utf-8")
    out = tmp_path / "report.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cliptool", "verify", str(notes), "--jobs", "2", "--cache", str(tmp_path / "cache"),
         "--url-template", f"http://127.0.0.1:{listener.getsockname()[1]}/{{id}}.html", "--output", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    family: list[int] = []
    try:
        deadline = time.monotonic() + 30
        while len(accepted) < 2:  # both workers are waiting for an answer
            assert proc.poll() is None and time.monotonic() < deadline, "the fetches never started"
            time.sleep(0.05)
        family += _descendants(proc.pid)
        # A worker has no child; the fork server (the workers' parent) has, the resource tracker
        # is named by its command line.
        workers = [pid for pid in family if not _descendants(pid) and b"resource_tracker" not in _cmdline(pid)]
        assert len(workers) == 2, family
        yield proc, workers, family, out
    finally:
        if proc.poll() is None:
            family += [pid for pid in _descendants(proc.pid) if pid not in family]
            proc.kill()
        for pid in family:  # on failure, leave no process waiting on the network (or holding its pipes)
            if _state(pid) not in ("Z", "gone"):
                os.kill(pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        listener.close()
        for conn in accepted:
            conn.close()


needs_proc = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc to see child processes")


@needs_proc
@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_a_signal_ends_a_parallel_verify_hanging_on_the_network(tmp_path: Path, sig: signal.Signals, code: int,
                                                                word: str) -> None:
    """Workers stuck in a fetch the server never answers are ended, not waited for: the run
    stops at once with one closing line and leaves no process behind."""
    with _verify_hanging_on_the_network(tmp_path) as (proc, _workers, family, out):
        sent = time.monotonic()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - sent
    assert proc.returncode == code, err
    assert err.strip().splitlines()[-1] == f"error: {word}: no report written" and "Traceback" not in err
    assert took < 10  # the fetches' own 20 s timeout did not have to run out
    assert not out.exists()
    assert _left(family) == []


@needs_proc
def test_a_worker_that_dies_ends_the_run_with_one_line(tmp_path: Path) -> None:
    with _verify_hanging_on_the_network(tmp_path) as (proc, workers, family, out):
        os.kill(workers[0], signal.SIGKILL)  # as the out-of-memory killer would
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 8, err
    assert err.strip().splitlines()[-1] == "error: a --jobs worker process died (killed, or out of memory)"
    assert "Traceback" not in err and not out.exists()
    assert _left(family) == []


def _descendants(pid: int) -> list[int]:
    """Pids of the processes below ``pid``: children, their children, ... (Linux /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    found, todo = [], [pid]
    while todo:
        here = todo.pop()
        below = [child for child, parent in parents.items() if parent == here]
        found += below
        todo += below
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def _left(pids: list[int], wait_s: float = 5.0) -> list[int]:
    """Those of ``pids`` still running after up to ``wait_s``: helpers such as a fork server end
    when they see the run's end, a moment after it."""
    deadline = time.monotonic() + wait_s
    while (alive := [pid for pid in pids if _state(pid) not in ("Z", "gone")]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def _state(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"
