"""e2e fixtures: a real HTTP server on 127.0.0.1 that serves a folder, for yt-dlp and clip downloads.

Usage::

    def test_x(http_server, tmp_path):
        server = http_server(tmp_path)          # serves tmp_path at server.base_url
        server.fail("/page.html", 503, times=2)  # the next two GETs of that path answer 503
        ...
        assert server.count("/page.html") == 3
"""

from __future__ import annotations

import functools
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")

# Caption and media types the stdlib mimetypes table may not know.
_EXTRA_TYPES = {
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json3": "application/json",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".m4a": "audio/mp4",
}

_TYPES = {**SimpleHTTPRequestHandler.extensions_map, **_EXTRA_TYPES}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path) -> None:
        handler = functools.partial(_Handler, directory=str(root))
        super().__init__(("127.0.0.1", 0), handler)
        self.lock = threading.Lock()
        self.hits: list[str] = []
        self.faults: dict[str, list[int]] = {}
        self.cuts: dict[str, list[int]] = {}  # path -> bytes of the body sent before the connection drops
        self.stalls: dict[str, list[float]] = {}  # path -> seconds the answer waits


class _Handler(SimpleHTTPRequestHandler):
    """Static files plus single byte ranges (the stdlib handler ignores ``Range``) and injected faults."""

    server: _Server

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.extensions_map = _TYPES  # set first: the base __init__ serves the request at once
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def _take_fault(self) -> bool:
        """Record the hit; answer an injected fault instead of the file when one is queued."""
        path = unquote(urlsplit(self.path).path)
        with self.server.lock:
            self.server.hits.append(path)
            queue = self.server.faults.get(path)
            status = queue.pop(0) if queue else None
        if status is None:
            return False
        if status == 0:  # drop the connection without an answer, like a crashed server
            self.close_connection = True
            return True
        self.send_error(status)
        return True

    def do_HEAD(self) -> None:
        if not self._take_fault():
            super().do_HEAD()

    def _take(self, queues: dict[str, list[Any]]) -> Any:
        path = unquote(urlsplit(self.path).path)
        with self.server.lock:
            queue = queues.get(path)
            return queue.pop(0) if queue else None

    def do_GET(self) -> None:
        if self._take_fault():
            return
        stall = self._take(self.server.stalls)
        if stall:
            time.sleep(stall)
        header = self.headers.get("Range")
        target = Path(self.translate_path(self.path))
        if header and target.is_file():
            self._send_range(target, header.strip())
        else:
            super().do_GET()

    def _send_range(self, target: Path, header: str) -> None:
        size = target.stat().st_size
        m = _RANGE.fullmatch(header)
        if not m or not (m[1] or m[2]):  # multi-range or malformed: a full 200 is a valid answer
            super().do_GET()
            return
        if m[1]:
            start = int(m[1])
            end = min(int(m[2]), size - 1) if m[2] else size - 1
            bad = start >= size or (bool(m[2]) and int(m[2]) < start)
        else:  # suffix range: the last N bytes
            start, end = max(size - int(m[2]), 0), size - 1
            bad = int(m[2]) == 0 or size == 0
        if bad:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(target)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Last-Modified", self.date_time_string(int(target.stat().st_mtime)))
        self.end_headers()
        cut = self._take(self.server.cuts)
        with target.open("rb") as fh:
            fh.seek(start)
            remaining = end - start + 1 if cut is None else min(cut, end - start + 1)
            if cut is not None:
                self.close_connection = True  # the rest never comes, as from a crashed server
            while remaining > 0:
                chunk = fh.read(min(remaining, 64 * 1024))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)


@dataclass
class LocalServer:
    """A running server over ``root``; ``hits`` lists request paths in arrival order."""

    root: Path
    _httpd: _Server
    _thread: threading.Thread
    _closed: bool = field(default=False)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name.lstrip('/')}"

    @property
    def hits(self) -> list[str]:
        with self._httpd.lock:
            return list(self._httpd.hits)

    def count(self, path: str | None = None) -> int:
        """Requests so far, all or for one path (``/name``)."""
        hits = self.hits
        return len(hits) if path is None else sum(1 for h in hits if h == path)

    def reset(self) -> None:
        with self._httpd.lock:
            self._httpd.hits.clear()
            self._httpd.faults.clear()
            self._httpd.cuts.clear()
            self._httpd.stalls.clear()

    def fail(self, path: str, status: int, *, times: int = 1) -> None:
        """Answer the next ``times`` requests for ``path`` with ``status`` (0: drop the connection)."""
        with self._httpd.lock:
            self._httpd.faults.setdefault(path, []).extend([status] * times)

    def cut(self, path: str, after_bytes: int, *, times: int = 1) -> None:
        """Drop the connection of the next ``times`` ranged requests for ``path`` after ``after_bytes``."""
        with self._httpd.lock:
            self._httpd.cuts.setdefault(path, []).extend([after_bytes] * times)

    def stall(self, path: str, seconds: float, *, times: int = 1) -> None:
        """Hold the next ``times`` requests for ``path`` for ``seconds`` before answering."""
        with self._httpd.lock:
            self._httpd.stalls.setdefault(path, []).extend([seconds] * times)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)


@pytest.fixture(scope="session")
def http_server() -> Iterator[Callable[[Path], LocalServer]]:
    """Factory: ``http_server(folder)`` starts a server on 127.0.0.1 (free port); all stop at session end."""
    servers: list[LocalServer] = []

    def start(root: Path) -> LocalServer:
        httpd = _Server(Path(root))
        thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), name=f"http-{root.name}", daemon=True)
        thread.start()
        server = LocalServer(Path(root), httpd, thread)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def site_copy(tmp_path: Path) -> Callable[[Path], Path]:
    """Copy a test-data folder under tmp_path so a test may change what the server serves."""

    def copy(src: Path) -> Path:
        dest = tmp_path / "site" / src.name
        shutil.copytree(src, dest)
        return dest

    return copy


@pytest.fixture
def clip_one_claim(tmp_path: Path) -> Callable[[str, str], Any]:
    """Run ``cliptool clip --all`` on a one-claim note about ``video_id`` whose media comes from the
    page ``url_template`` names (cache and clips under tmp_path); the CliRunner result."""
    from typer.testing import CliRunner

    from cliptool.cli import app

    def run(video_id: str, url_template: str) -> Any:
        note = tmp_path / "talk.md"
        note.write_text(f'---\nvideoId: {video_id}\n---\n\nA claim <a class="yt-timestamp" data-t="00:00:12">'
                        "[00:00:12]</a>.\n", encoding="utf-8")
        return CliRunner().invoke(app, ["clip", str(note), "--all", "--url-template", url_template, "--cache",
                                        str(tmp_path / "cache"), "--out", str(tmp_path / "clips")])

    return run
