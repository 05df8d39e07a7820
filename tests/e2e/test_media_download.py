"""Media downloads the network or the server gets in the way of: retried, named, cleaned up.

Real yt-dlp and ffmpeg against a local server whose faults are queued per path ("the next N
requests for /talk.mp4 answer 503"), so every case is deterministic. Retry delays are passed in
small: the policy is tested, not the waiting.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cliptool import media as media_mod
from cliptool.errors import MediaError, MediaNetworkError
from cliptool.media import fetch_sections, ffmpeg_exe, probe

pytestmark = pytest.mark.e2e

VID = "abcdefghijk"
FAST = {"retry_delay_s": 0.01}  # the back-off's shape, without its seconds


def _page(root: Path, media: Path) -> None:
    """A page with a <video> for yt-dlp's generic extractor, beside a copy of ``media``."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(media, root / "talk.mp4")
    (root / f"{VID}.html").write_text(
        "<!doctype html><html><head><title>A generated talk</title></head>"
        '<body><video controls src="talk.mp4"></video></body></html>', encoding="utf-8")


@pytest.fixture
def site(make_media: Callable[..., Path], tmp_path: Path, http_server: Callable[[Path], Any]) -> tuple[Any, str]:
    """(server, url template) over a 40 s talk whose index (moov) is at the end of the file."""
    _page(tmp_path / "site", make_media())
    server = http_server(tmp_path / "site")
    return server, server.base_url + "/{id}.html"


def _left(cache: Path) -> list[str]:
    """What a failed download left in the media folder, but its lock."""
    media = cache / VID / "media"
    return sorted(p.name for p in media.iterdir() if p.name != ".lock") if media.is_dir() else []


# ------------------------------------------------------------------------------- retries


@pytest.mark.parametrize("status", [503, 0], ids=["503", "dropped-connection"])
def test_a_passing_media_fault_is_tried_again(tmp_path: Path, site: tuple[Any, str], status: int) -> None:
    server, template = site
    server.fail("/talk.mp4", status)  # once: the next request goes through
    (sec,) = fetch_sections(VID, [(10.0, 15.0)], cache_dir=tmp_path / "cache", url_template=template, **FAST)
    assert sec.offset_s <= 10.0 and sec.offset_s + probe(sec.path).duration_s >= 15.0
    assert server.count(f"/{VID}.html") == 2  # a second attempt, from the page on


@pytest.mark.parametrize(("status", "said"), [
    (500, "HTTP 500 Internal Server Error"),
    (503, "HTTP 503 Service Unavailable"),
    (429, "HTTP 429 Too Many Requests"),
    (0, "connection closed"),
], ids=["500", "503", "429", "dropped-connection"])
def test_a_media_fault_that_lasts_is_a_network_failure_naming_it(
    tmp_path: Path, site: tuple[Any, str], status: int, said: str
) -> None:
    server, template = site
    server.fail("/talk.mp4", status, times=100)
    cache = tmp_path / "cache"
    with pytest.raises(MediaNetworkError) as err:
        fetch_sections(VID, [(10.0, 15.0)], cache_dir=cache, url_template=template, **FAST)
    assert str(err.value) == (f"{VID}: cannot download the video from {server.url(f'{VID}.html')}: "
                              f"media {server.url('talk.mp4')}: {said} (gave up after 3 attempts)")
    assert err.value.exit_code == 5
    assert server.count(f"/{VID}.html") == 3  # retries=2, as for captions
    assert _left(cache) == []


def test_media_that_answers_404_is_not_tried_again(tmp_path: Path, site: tuple[Any, str]) -> None:
    server, template = site
    server.fail("/talk.mp4", 404, times=100)
    with pytest.raises(MediaError) as err:
        fetch_sections(VID, [(10.0, 15.0)], cache_dir=tmp_path / "cache", url_template=template, **FAST)
    assert str(err.value).endswith(f"media {server.url('talk.mp4')}: HTTP 404 Not Found")
    assert err.value.exit_code == 6  # the server will not give the file: waiting does not change that
    assert server.count(f"/{VID}.html") == 1


def test_a_media_server_silent_every_time_is_a_network_failure(
    tmp_path: Path, site: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, template = site
    monkeypatch.setattr(media_mod, "RW_TIMEOUT_S", 0.5)
    server.stall("/talk.mp4", 30.0, times=100)
    t0 = time.monotonic()
    with pytest.raises(MediaNetworkError) as err:
        fetch_sections(VID, [(10.0, 15.0)], cache_dir=tmp_path / "cache", url_template=template, retries=1, **FAST)
    assert time.monotonic() - t0 < 25  # not the 30 s stall, let alone forever
    assert str(err.value).endswith(f"media {server.url('talk.mp4')}: timed out (gave up after 2 attempts)")
    assert err.value.exit_code == 5  # the network's failure


def test_cli_clip_exits_5_when_the_media_server_keeps_failing(site: tuple[Any, str], clip_one_claim: Any) -> None:
    server, template = site
    server.fail("/talk.mp4", 503, times=100)
    run = clip_one_claim(VID, template)
    assert run.exit_code == 5, run.output
    assert f"media {server.url('talk.mp4')}: HTTP 503 Service Unavailable (gave up after 3 attempts)" in run.stderr
    assert "0 clips made" in run.stderr


# ------------------------------------------------------------------ a server without ranges


class _WholeFileHandler(SimpleHTTPRequestHandler):
    """The stdlib handler as it is: ``Range`` ignored, every GET answered 200 with the whole file."""

    def log_message(self, format: str, *args: object) -> None:
        pass


class _WholeFileServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that stops reading the whole file is expected here, not an error


@pytest.fixture
def no_range_site(make_media: Callable[..., Path], tmp_path: Path) -> Iterator[Callable[[Path], str]]:
    """``serve(media)``: a page and ``media`` behind a server that ignores byte ranges; its url template."""
    servers: list[ThreadingHTTPServer] = []

    def serve(media: Path) -> str:
        root = tmp_path / f"site{len(servers)}"
        _page(root, media)
        httpd = _WholeFileServer(("127.0.0.1", 0), functools.partial(_WholeFileHandler, directory=str(root)))
        threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/{{id}}.html"

    yield serve
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def test_a_server_without_ranges_and_the_index_at_the_end_is_said_so(
    make_media: Callable[..., Path], tmp_path: Path, no_range_site: Callable[[Path], str]
) -> None:
    template = no_range_site(make_media())
    cache = tmp_path / "cache"
    with pytest.raises(MediaError) as err:
        fetch_sections(VID, [(10.0, 15.0)], cache_dir=cache, url_template=template, **FAST)
    media_url = template.replace("{id}.html", "talk.mp4")
    assert str(err.value) == (
        f"{VID}: cannot download a section of media {media_url}: its server does not serve byte ranges (it "
        "answers a ranged request with the whole file) and the file's index is at its end, so no part of it "
        "can be read alone; download the whole file and pass it with --media FILE")
    assert err.value.exit_code == 6 and ".download." not in str(err.value)
    assert _left(cache) == []


def test_a_server_without_ranges_serves_a_file_whose_index_comes_first(
    make_media: Callable[..., Path], tmp_path: Path, no_range_site: Callable[[Path], str]
) -> None:
    # ffmpeg reads such a file from its start without seeking: the section downloads as usual.
    faststart = tmp_path / "faststart.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(make_media()), "-c", "copy", "-movflags", "+faststart",
                    str(faststart)], check=True)
    (sec,) = fetch_sections(VID, [(10.0, 15.0)], cache_dir=tmp_path / "cache",
                            url_template=no_range_site(faststart), **FAST)
    assert sec.offset_s <= 10.0 and sec.offset_s + probe(sec.path).duration_s >= 15.0


# ---------------------------------------------------------------- temp folders of killed runs


def _aged(path: Path, age_s: float) -> Path:
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def test_download_folders_a_killed_run_left_are_swept_on_the_next_use(tmp_path: Path) -> None:
    media = tmp_path / "cache" / VID / "media"
    stale = media / ".download.killed1"
    stale.mkdir(parents=True)
    (stale / "27.mp4.part").write_bytes(b"half a section")
    _aged(stale / "27.mp4.part", 3600)
    _aged(stale, 3600)
    # A folder made long ago but written into just now: a download still under way (on a system
    # without flock, where the media lock does not keep another process out).
    live = media / ".download.running"
    live.mkdir()
    (live / "9.mp4.part").write_bytes(b"growing")
    _aged(live, 3600)
    young = media / ".download.justnow"
    young.mkdir()
    kept = media / ".downloads-of-mine"  # not a temp folder of ours
    kept.mkdir()
    _aged(kept, 3600)

    (missing,) = fetch_sections(VID, [(1.0, 3.0)], cache_dir=tmp_path / "cache", url_template="http://127.0.0.1:9/{id}",
                                offline=True)  # cached sections only: no network, and still swept
    assert isinstance(missing, MediaError)
    assert sorted(p.name for p in media.iterdir()) == [".download.justnow", ".download.running", ".downloads-of-mine"]
