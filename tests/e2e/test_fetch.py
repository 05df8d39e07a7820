"""Fetching captions: real yt-dlp against pages served on 127.0.0.1, the cache, and track choice.

The e2e tests run yt-dlp's generic extractor for real: it turns ``<video><track kind="captions">``
into ``subtitles`` (yt_dlp/extractor/common.py ``_parse_html5_media_entries``). ``choose_track``
is pure and is tested on hand-made info dicts shaped like YouTube's.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from cliptool import __version__
from cliptool.errors import (
    CaptionsError,
    InputError,
    NetworkError,
    NoCaptionsError,
    NotCachedError,
    VideoUnavailableError,
)
from cliptool.fetch import (
    FETCH_LOCK,
    Track,
    cached_files,
    choose_track,
    fetch_captions,
    offline_reason,
    read_info,
    ytdlp_version,
)
from cliptool.models import Transcript

# tests/e2e/conftest.py's LocalServer; tests/ is no package, so it cannot be imported by name.
LocalServer = Any

SITE = Path(__file__).resolve().parent.parent / "data" / "fetch_site"
ROOT = Path(__file__).resolve().parents[2]

DELAY = 0.001  # seconds of back-off: retries are real but tests must not sleep


def _template(server: LocalServer) -> str:
    return server.base_url + "/{id}.html"


@pytest.fixture
def site(http_server: Callable[[Path], LocalServer]) -> LocalServer:
    """The shared read-only test site; hits and faults are cleared for each test."""
    server = http_server(SITE)
    server.reset()
    return server


@pytest.fixture
def own_site(http_server: Callable[[Path], LocalServer], site_copy: Callable[[Path], Path]) -> LocalServer:
    """A private copy of the test site, for tests that change what is served."""
    return http_server(site_copy(SITE))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _leftovers(folder: Path) -> list[str]:
    """Temp files of an unfinished write (the lock files are expected)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name not in (".info.lock", FETCH_LOCK))


# --------------------------------------------------------------------------- e2e: fetch and cache


@pytest.mark.e2e
def test_fetch_writes_cache_then_offline_reread_makes_no_request(site: LocalServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    got = fetch_captions("withcaption", lang="en", cache_dir=cache, url_template=_template(site))

    assert [c.text for c in got.cues] == [
        "The months ahead of you hold a lot of hard work.",
        "Some neat examples, and some not so neat ones.",
        "Beautiful connections to physics.",
    ]
    assert [(c.start, c.end) for c in got.cues] == [(1.0, 4.0), (4.5, 7.25), (8.0, 11.0)]
    assert (got.language, got.kind) == ("en", "manual")
    assert got.source == str(cache / "withcaption" / "en.vtt")
    assert site.hits == ["/withcaption.html", "/en.vtt"]

    folder = cache / "withcaption"
    assert (folder / "en.vtt").read_bytes() == (SITE / "en.vtt").read_bytes()
    assert cached_files("withcaption", cache) == [folder / "en.vtt"]
    assert _leftovers(folder) == []
    info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
    assert info == read_info("withcaption", cache)
    assert info["video_id"] == "withcaption"
    assert info["title"].startswith("Local caption test")
    assert info["duration_s"] is None  # a bare <video> page states no duration
    assert info["original_language"] is None
    assert info["webpage_url"] == site.url("withcaption.html")
    assert info["yt_dlp_version"] == ytdlp_version() is not None
    assert info["cliptool_version"] == __version__
    retrieved = datetime.fromisoformat(info["retrieved_at"].replace("Z", "+00:00"))
    assert retrieved.tzinfo is not None and abs((datetime.now(timezone.utc) - retrieved).total_seconds()) < 120
    assert info["tracks"]["en"] == {
        "file": "en.vtt",
        "track": "en",
        "ext": "vtt",
        "kind": "manual",
        "language": "en",
        "original_language": "en",
        "url": site.url("en.vtt"),
        "retrieved_at": info["retrieved_at"],
    }

    site.reset()
    again = fetch_captions("withcaption", lang="en", cache_dir=cache, url_template=_template(site), offline=True)
    assert again == got
    online_hit = fetch_captions("withcaption", lang="en", cache_dir=cache, url_template=_template(site))
    assert online_hit == got
    assert site.hits == []


@pytest.mark.e2e
def test_a_language_in_capitals_is_the_same_language_and_cache_file(site: LocalServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    got = fetch_captions("withcaption", lang="EN", cache_dir=cache, url_template=_template(site))
    assert got.language == "en"
    assert cached_files("withcaption", cache) == [cache / "withcaption" / "en.vtt"]
    site.reset()
    assert fetch_captions("withcaption", lang="en", cache_dir=cache, url_template=_template(site)) == got
    assert site.hits == []


@pytest.mark.e2e
def test_a_regional_language_the_video_lacks_reports_the_track_used(site: LocalServer, tmp_path: Path) -> None:
    """Asked for en-US, a video with only "en" captions is checked against those, and says so."""
    cache = tmp_path / "cache"
    got = fetch_captions("withcaption", lang="en-us", cache_dir=cache, url_template=_template(site))
    assert (got.language, got.kind) == ("en", "manual")
    assert read_info("withcaption", cache)["tracks"]["en-US"]["track"] == "en"
    assert fetch_captions("withcaption", lang="en-US", cache_dir=cache, offline=True) == got


@pytest.mark.e2e
def test_a_regional_language_the_cache_lacks_reads_the_base_languages_file_offline(site: LocalServer,
                                                                                    tmp_path: Path) -> None:
    """en-US after en was fetched: offline the cached en captions, as a fetch would choose them;
    online the page is asked, as it may have the very track (pt-PT is not pt-BR)."""
    cache = tmp_path / "cache"
    got = fetch_captions("withcaption", lang="en", cache_dir=cache, url_template=_template(site))
    offline = fetch_captions("withcaption", lang="en-US", cache_dir=cache, offline=True)
    assert offline == got and (offline.language, offline.kind) == ("en", "manual")
    assert fetch_captions("withcaption", lang="en-GB", cache_dir=cache, offline=True) == got
    site.reset()
    online = fetch_captions("withcaption", lang="en-GB", cache_dir=cache, url_template=_template(site))
    assert site.hits == ["/withcaption.html", "/en.vtt"]
    assert (online.language, [c.text for c in online.cues]) == ("en", [c.text for c in got.cues])


@pytest.mark.e2e
def test_cache_hit_does_not_import_ytdlp(site: LocalServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fetch_captions("withcaption", cache_dir=cache, url_template=_template(site))
    site.reset()
    # A fresh interpreter: this test process has imported yt_dlp long ago.
    code = (
        "import sys; from pathlib import Path; from cliptool.fetch import fetch_captions\n"
        f"t = fetch_captions('withcaption', cache_dir=Path({str(cache)!r}), url_template={_template(site)!r})\n"
        "print(len(t.cues), t.kind, 'yt_dlp' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["3", "manual", "False"]
    assert site.hits == []


@pytest.mark.e2e
def test_refresh_fetches_again(own_site: LocalServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = fetch_captions("withcaption", cache_dir=cache, url_template=_template(own_site))
    vtt = own_site.root / "en.vtt"
    vtt.write_text(vtt.read_text(encoding="utf-8").replace("physics", "chemistry"), encoding="utf-8")

    own_site.reset()
    assert fetch_captions("withcaption", cache_dir=cache, url_template=_template(own_site)) == first
    assert own_site.hits == []

    fresh = fetch_captions("withcaption", cache_dir=cache, url_template=_template(own_site), refresh=True)
    assert fresh.cues[-1].text == "Beautiful connections to chemistry."
    assert own_site.hits == ["/withcaption.html", "/en.vtt"]
    assert "chemistry" in (cache / "withcaption" / "en.vtt").read_text(encoding="utf-8")


@pytest.mark.e2e
def test_prefers_json3_with_word_times(site: LocalServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    got = fetch_captions("json3andvtt", cache_dir=cache, url_template=_template(site))
    assert Path(got.source).name == "en.json3"
    assert [w.text for w in got.cues[0].words] == ["the", "months", "ahead"]
    assert [w.start for w in got.cues[0].words] == [1.0, 1.4, 1.9]
    assert "/en.vtt" not in site.hits
    assert read_info("json3andvtt", cache)["tracks"]["en"]["ext"] == "json3"  # type: ignore[index]


@pytest.mark.e2e
def test_parallel_runs_fetch_a_video_once(site: LocalServer, tmp_path: Path) -> None:
    """Notes of one video spread over `verify --jobs` workers: one fetch, the others read the cache."""
    cache = tmp_path / "cache"
    with ThreadPoolExecutor(max_workers=3) as pool:
        got = list(pool.map(lambda _: fetch_captions("withcaption", cache_dir=cache, url_template=_template(site)),
                            range(3)))
    assert got[0] == got[1] == got[2]
    assert site.hits == ["/withcaption.html", "/en.vtt"]
    assert _leftovers(cache / "withcaption") == []


@pytest.mark.e2e
def test_two_languages_share_one_info_json(site: LocalServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"

    def run(lang: str) -> Transcript:
        return fetch_captions("twolanguage", lang=lang, cache_dir=cache, url_template=_template(site))

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(("en", "ru"), pool.map(run, ("en", "ru")), strict=True))
    assert results["ru"].cues[0].text == "Впереди много тяжёлой работы."
    assert results["en"].cues[0].text.startswith("The months ahead")
    info = read_info("twolanguage", cache)
    assert info is not None and sorted(info["tracks"]) == ["en", "ru"]
    assert [p.name for p in cached_files("twolanguage", cache)] == ["en.vtt", "ru.vtt"]
    assert _leftovers(cache / "twolanguage") == []


# --------------------------------------------------------------------------- e2e: failures


@pytest.mark.e2e
@pytest.mark.parametrize(("video_id", "reason"), [("missingpage", "HTTP 404"), ("emptyvideos", "Unsupported URL")])
def test_missing_video_is_unavailable_without_retry(site: LocalServer, tmp_path: Path, video_id: str,
                                                    reason: str) -> None:
    with pytest.raises(VideoUnavailableError, match=reason) as err:
        fetch_captions(video_id, cache_dir=tmp_path / "c", url_template=_template(site), retries=3, retry_delay_s=DELAY)
    assert err.value.exit_code == 4 and "\n" not in str(err.value)
    assert err.value.__cause__ is not None  # yt-dlp's exception is kept
    assert site.hits == [f"/{video_id}.html"]
    assert not (tmp_path / "c").exists()  # a failed first fetch leaves no folder behind


@pytest.mark.e2e
def test_page_without_tracks_has_no_captions(site: LocalServer, tmp_path: Path) -> None:
    with pytest.raises(NoCaptionsError, match=r"no en captions .*has: none"):
        fetch_captions("no_captions", cache_dir=tmp_path / "c", url_template=_template(site), retry_delay_s=DELAY)
    assert site.hits == ["/no_captions.html"]


@pytest.mark.e2e
def test_a_page_yt_dlp_itself_fails_on_is_one_captions_error(site: LocalServer, tmp_path: Path) -> None:
    """A track without srclang (valid HTML) makes yt-dlp raise TypeError: that note's failure, not a crash."""
    with pytest.raises(CaptionsError, match=r"yt-dlp failed on .*nosrclang01\.html: TypeError") as err:
        fetch_captions("nosrclang01", cache_dir=tmp_path / "c", url_template=_template(site), retry_delay_s=DELAY)
    assert err.value.exit_code == 4 and "\n" not in str(err.value)
    assert cached_files("nosrclang01", tmp_path / "c") == []


@pytest.mark.e2e
def test_only_another_language_has_no_captions(site: LocalServer, tmp_path: Path) -> None:
    # A generic page has no automatic translation, so Russian cannot stand in for English.
    with pytest.raises(NoCaptionsError, match=r"has: manual ru"):
        fetch_captions("russianonly", lang="en", cache_dir=tmp_path / "c", url_template=_template(site))
    assert "/ru.vtt" not in site.hits


@pytest.mark.e2e
@pytest.mark.parametrize(("video_id", "reason"), [
    ("missingsubs", r"captions en\.vtt \(http://127\.0\.0\.1:\d+/gone\.vtt\) cannot be had: HTTP 404"),
    ("badcaptions", "unreadable"),
    ("headeronly1", "came back empty"),
])
def test_unusable_caption_file_is_never_cached(site: LocalServer, tmp_path: Path, video_id: str, reason: str) -> None:
    cache = tmp_path / "c"
    with pytest.raises(NoCaptionsError, match=reason):
        fetch_captions(video_id, cache_dir=cache, url_template=_template(site), retry_delay_s=DELAY)
    assert cached_files(video_id, cache) == []
    assert read_info(video_id, cache) is None


@pytest.mark.e2e
def test_server_down_is_network_error_after_retries(tmp_path: Path) -> None:
    template = f"http://127.0.0.1:{_closed_port()}/{{id}}.html"
    with pytest.raises(NetworkError, match=r"gave up after 3 attempts") as err:
        fetch_captions("withcaption", cache_dir=tmp_path / "c", url_template=template, retries=2, retry_delay_s=DELAY)
    assert err.value.exit_code == 5 and "\n" not in str(err.value)


@pytest.mark.e2e
def test_server_errors_are_retried_then_reported(site: LocalServer, tmp_path: Path) -> None:
    site.fail("/withcaption.html", 503, times=10)
    with pytest.raises(NetworkError, match=r"HTTP 503.*gave up after 3 attempts"):
        fetch_captions("withcaption", cache_dir=tmp_path / "c", url_template=_template(site), retries=2, retry_delay_s=DELAY)
    assert site.hits == ["/withcaption.html"] * 3


@pytest.mark.e2e
def test_transient_failures_recover(site: LocalServer, tmp_path: Path) -> None:
    site.fail("/withcaption.html", 502)
    site.fail("/en.vtt", 0)  # the caption request dies with the connection
    got = fetch_captions("withcaption", cache_dir=tmp_path / "c", url_template=_template(site), retries=3, retry_delay_s=DELAY)
    assert len(got.cues) == 3
    assert site.hits == ["/withcaption.html", "/withcaption.html", "/en.vtt", "/withcaption.html", "/en.vtt"]


def _ytdlp_said(caplog: pytest.LogCaptureFixture, text: str) -> int:
    """How many of yt-dlp's own messages contain ``text``: one "Downloading webpage" per attempt."""
    return sum(text in r.getMessage() for r in caplog.records if r.name == "cliptool.fetch.yt_dlp")


@pytest.mark.e2e
def test_unresolvable_host_fails_at_once_and_quietly(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # .invalid never resolves (RFC 6761): the same failure an offline machine gives for youtube.com.
    caplog.set_level(logging.DEBUG)
    template = "http://nonexistent.invalid/{id}.html"
    with pytest.raises(NetworkError, match=r"Failed to resolve .*\(host name does not resolve: not retried\)$") as err:
        fetch_captions("withcaption", cache_dir=tmp_path / "c", url_template=template, retries=3, retry_delay_s=DELAY)
    assert err.value.exit_code == 5 and "\n" not in str(err.value)
    assert _ytdlp_said(caplog, "Downloading webpage") == 1
    assert _ytdlp_said(caplog, "Unable to download webpage") == 1  # heard, at DEBUG (cliptool -v)
    assert [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert not any("retrying" in r.getMessage() for r in caplog.records)


@pytest.mark.e2e
def test_refused_connection_default_policy_is_quiet_and_brief(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    template = f"http://127.0.0.1:{_closed_port()}/{{id}}.html"
    started = time.monotonic()
    with pytest.raises(NetworkError, match=r"[Cc]onnection refused.*\(gave up after 3 attempts\)$"):
        fetch_captions("withcaption", cache_dir=tmp_path / "c", url_template=template)
    assert time.monotonic() - started < 3.0  # default back-off: 0.5 s + 1 s
    assert _ytdlp_said(caplog, "Downloading webpage") == 3
    assert [(r.name, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert sum("retrying" in r.getMessage() for r in caplog.records if r.name == "cliptool.fetch") == 2


def _transport_error(cause: BaseException) -> BaseException:
    from yt_dlp.networking.exceptions import TransportError
    from yt_dlp.utils import DownloadError, ExtractorError

    inner = ExtractorError("Unable to download webpage", cause=TransportError(cause=cause))
    return DownloadError(f"ERROR: {inner}", exc_info=(type(inner), inner, None))


@pytest.mark.parametrize(
    ("exc", "want"),
    [
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "host name does not resolve"),
        (_transport_error(socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")),
         "host name does not resolve"),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), "network is unreachable"),
        (_transport_error(OSError(errno.ENETUNREACH, "Network is unreachable")), "network is unreachable"),
        # macOS words it so; only the text may survive a wrapper that drops the cause
        (RuntimeError("[Errno 8] nodename nor servname provided, or not known"), "host name does not resolve"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), None),
        (_transport_error(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")), None),
        (TimeoutError("timed out"), None),
        (None, None),
    ],
)
def test_offline_failures_are_told_from_retryable_ones(exc: BaseException | None, want: str | None) -> None:
    assert offline_reason(exc) == want


@pytest.mark.e2e
def test_failed_write_keeps_old_cache_and_leaves_no_temp(
    own_site: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    fetch_captions("withcaption", cache_dir=cache, url_template=_template(own_site))
    folder = cache / "withcaption"
    old_vtt, old_info = (folder / "en.vtt").read_bytes(), (folder / "info.json").read_bytes()
    (own_site.root / "en.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nnew text\n", encoding="utf-8")

    real_replace = os.replace

    def disk_full(src: Any, dst: Any) -> None:
        if Path(dst).parent == folder:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(InputError, match="No space left"):
        fetch_captions("withcaption", cache_dir=cache, url_template=_template(own_site), refresh=True)
    monkeypatch.undo()

    assert (folder / "en.vtt").read_bytes() == old_vtt
    assert (folder / "info.json").read_bytes() == old_info
    assert _leftovers(folder) == []
    assert fetch_captions("withcaption", cache_dir=cache, offline=True).cues[0].text.startswith("The months")


class _OddHandler(SimpleHTTPRequestHandler):
    """The test site, plus answers the shared server cannot give: redirects to themselves, a
    Content-Length of 300 MB, a body with no length that goes on and on."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path in ("/loop.vtt", "/pageloop01x.html"):
            self.send_response(302)
            self.send_header("Location", path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/huge.vtt":  # what the QA server sent: 300 MB announced, a header, then it hangs up
            self.send_response(200)
            self.send_header("Content-Type", "text/vtt")
            self.send_header("Content-Length", str(300_000_000))
            self.end_headers()
            self.wfile.write(b"WEBVTT\n\n")
            self.close_connection = True
        elif path == "/endless.vtt":  # no Content-Length: the body ends when the connection does
            self.send_response(200)
            self.send_header("Content-Type", "text/vtt")
            self.end_headers()
            self.close_connection = True
            cues = b"".join(b"00:00:%02d.000 --> 00:00:%02d.500\nand on and on\n\n" % (s, s) for s in range(60))
            with contextlib.suppress(OSError):  # the client stops reading: it should
                self.wfile.write(b"WEBVTT\n\n")
                for _ in range(2_000_000 // len(cues)):
                    self.wfile.write(cues)
        else:
            super().do_GET()


@pytest.fixture
def odd_site() -> Iterator[str]:
    """The URL template of a server on 127.0.0.1 that answers as :class:`_OddHandler`."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_OddHandler, directory=str(SITE)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/{{id}}.html"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.mark.e2e
def test_a_caption_file_announced_past_the_cap_is_refused_unread(odd_site: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(NoCaptionsError) as err:
        fetch_captions("hugecaption", cache_dir=tmp_path / "c", url_template=odd_site, retry_delay_s=DELAY)
    assert time.monotonic() - started < 10
    assert err.value.exit_code == 4
    assert re.search(r"captions en\.vtt \(http://127\.0\.0\.1:\d+/huge\.vtt\) is over the 50 MB cap for a caption "
                     r"file \(Content-Length 300 MB\); nothing was cached$", str(err.value)), str(err.value)
    assert cached_files("hugecaption", tmp_path / "c") == []
    assert read_info("hugecaption", tmp_path / "c") is None


@pytest.mark.e2e
def test_a_caption_file_without_length_is_read_only_up_to_the_cap(odd_site: str, tmp_path: Path) -> None:
    with pytest.raises(NoCaptionsError, match=r"endless\.vtt\) is over the 100000 bytes cap for a caption file "
                                              r"\(stopped reading at \d+ bytes\); nothing was cached$") as err:
        fetch_captions("endlesscap1", cache_dir=tmp_path / "c", url_template=odd_site, retry_delay_s=DELAY,
                       max_caption_bytes=100_000)
    assert err.value.exit_code == 4
    assert not (tmp_path / "c").exists()


@pytest.mark.e2e
@pytest.mark.parametrize(("video_id", "want"), [
    pytest.param("redirloop01", r"captions en\.vtt \(http://127\.0\.0\.1:\d+/loop\.vtt\) cannot be had: "
                 r"too many redirects$", id="caption-track"),
    pytest.param("pageloop01x", r"video unavailable: too many redirects at http://127\.0\.0\.1:\d+/pageloop01x\.html$",
                 id="page"),
])
def test_a_redirect_loop_says_so(odd_site: str, tmp_path: Path, video_id: str, want: str) -> None:
    with pytest.raises(CaptionsError) as err:
        fetch_captions(video_id, cache_dir=tmp_path / "c", url_template=odd_site, retry_delay_s=DELAY)
    assert re.search(want, str(err.value)), str(err.value)
    assert err.value.exit_code == 4 and "302" not in str(err.value)


@pytest.mark.e2e
def test_a_file_where_a_cache_folder_should_be_fails_before_the_network(
    site: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    cache = tmp_path / "c"
    cache.mkdir()
    (cache / "withcaption").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"/c/withcaption: cannot create the captions cache: it is a file, not a folder$"):
        fetch_captions("withcaption", cache_dir=cache, url_template=_template(site))
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"cannot create the captions cache: \S+/file is a file, not a folder$"):
        fetch_captions("withcaption", cache_dir=tmp_path / "file" / "sub", url_template=_template(site))
    assert site.hits == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []  # no "unreadable info.json"


# --------------------------------------------------------------------------- cache only (no network)


def _write_cache(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "en.srt").write_text("1\n00:00:01,000 --> 00:00:02,500\nManual line.\n", encoding="utf-8")
    (folder / "en.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nauto<00:00:01.500><c> line</c>\n", encoding="utf-8"
    )


def test_cache_without_info_prefers_srt_and_kind_is_unknown(tmp_path: Path) -> None:
    _write_cache(tmp_path / "c" / "AAAAAAAAAAA")
    got = fetch_captions("AAAAAAAAAAA", cache_dir=tmp_path / "c", offline=True)
    assert Path(got.source).name == "en.srt"
    assert (got.kind, got.language, got.duration_s) == ("unknown", "en", None)
    assert got.cues[0].text == "Manual line."


def test_cache_info_names_the_file_kind_and_duration(tmp_path: Path) -> None:
    folder = tmp_path / "c" / "AAAAAAAAAAA"
    _write_cache(folder)
    info = {"duration_s": 754.5, "tracks": {"en": {"file": "en.vtt", "kind": "auto", "ext": "vtt"}}}
    (folder / "info.json").write_text(json.dumps(info), encoding="utf-8")
    got = fetch_captions("AAAAAAAAAAA", cache_dir=tmp_path / "c", offline=True)
    assert Path(got.source).name == "en.vtt"
    assert (got.kind, got.duration_s, got.end_s) == ("auto", 754.5, 754.5)
    assert [w.text for w in got.cues[0].words] == ["auto", "line"]
    # info.json naming a file that is gone: fall back to the preferred file, kind unknown.
    (folder / "en.vtt").unlink()
    got = fetch_captions("AAAAAAAAAAA", cache_dir=tmp_path / "c", offline=True)
    assert (Path(got.source).name, got.kind) == ("en.srt", "unknown")


def test_a_cached_caption_file_over_the_cap_is_refused_unread(tmp_path: Path) -> None:
    _write_cache(tmp_path / "c" / "AAAAAAAAAAA")
    with pytest.raises(InputError, match=r"en\.srt: cached caption file is \d+ bytes, over the 40 bytes cap for "
                                         r"captions; delete it$") as err:
        fetch_captions("AAAAAAAAAAA", cache_dir=tmp_path / "c", offline=True, max_caption_bytes=40)
    assert err.value.exit_code == 3


def test_corpus_cache_reads_offline(corpus: Path) -> None:
    cache = corpus / "cache"
    video_id = min(p.name for p in cache.iterdir() if p.is_dir())
    en = fetch_captions(video_id, lang="en", cache_dir=cache, offline=True)
    ru = fetch_captions(video_id, lang="ru", cache_dir=cache, offline=True)
    assert Path(en.source).name == "en.srt" and Path(ru.source).name == "ru.srt"
    assert en.cues and ru.cues and en.kind == "unknown"
    assert [p.name for p in cached_files(video_id, cache)] == ["en.srt", "en.vtt", "ru.srt"]


def test_offline_without_cache_is_not_cached_error(tmp_path: Path) -> None:
    with pytest.raises(NotCachedError, match="offline") as err:
        fetch_captions("AAAAAAAAAAA", lang="de", cache_dir=tmp_path / "c", offline=True)
    assert err.value.exit_code == 4
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("video_id", ["../../etc/pa", "short", "withcaption\n", "withcaption1", "a/b.c_d-e.f", ""])
def test_bad_video_id_is_refused_before_any_path(tmp_path: Path, video_id: str) -> None:
    with pytest.raises(InputError, match="invalid video id"):
        fetch_captions(video_id, cache_dir=tmp_path / "c", offline=True)
    with pytest.raises(InputError):
        cached_files(video_id, tmp_path / "c")
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("lang", ["../x", "en/../..", "", "e"])
def test_bad_language_is_refused(tmp_path: Path, lang: str) -> None:
    with pytest.raises(InputError, match="invalid language"):
        fetch_captions("AAAAAAAAAAA", lang=lang, cache_dir=tmp_path / "c", offline=True)


def test_url_template_needs_id(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no \{id\}"):
        fetch_captions("AAAAAAAAAAA", cache_dir=tmp_path / "c", url_template="http://127.0.0.1/page")


@pytest.mark.parametrize("template", ["not a url {id}", "ftp://127.0.0.1/{id}", "http:///{id}", "/{id}.html",
                                      "http://[::1/{id}"])
def test_url_template_must_be_http(tmp_path: Path, template: str) -> None:
    with pytest.raises(InputError, match=r"is not an http\(s\) URL"):
        fetch_captions("AAAAAAAAAAA", cache_dir=tmp_path / "c", url_template=template)
    assert not (tmp_path / "c").exists()


# --------------------------------------------------------------------------- choose_track (pure)

_YT_FORMATS = ("json3", "srv1", "srv2", "srv3", "ttml", "srt", "vtt")
_TIMEDTEXT = "https://www.youtube.com/api/timedtext?v=yqizMvX5YsA&ei=x&caps=asr&xoaf=5&hl=en&ip=0.0.0.0&key=yt8"


def _yt_track(lang: str, *, asr: bool = False, tlang: str | None = None, exts: tuple[str, ...] = _YT_FORMATS,
              name: str = "") -> list[dict[str, Any]]:
    """One language entry as yt-dlp's YouTube extractor lists it: one dict per format."""
    url = _TIMEDTEXT + ("&kind=asr" if asr else "") + f"&lang={lang}" + (f"&tlang={tlang}" if tlang else "")
    return [{"ext": e, "url": f"{url}&fmt={e}", "name": name, "impersonate": True} for e in exts]


def _russian_talk(**extra: Any) -> dict[str, Any]:
    """The seed video's shape: Russian speech, auto captions, translations into every language."""
    autos = {
        "ru-orig": _yt_track("ru", asr=True, name="Russian (Original)"),
        "ru": _yt_track("ru", asr=True, name="Russian"),
        "en": _yt_track("ru", asr=True, tlang="en", name="English"),
        "de": _yt_track("ru", asr=True, tlang="de", name="German"),
    }
    return {"id": "yqizMvX5YsA", "subtitles": {}, "automatic_captions": autos, **extra}


def test_choose_auto_translation_records_original_language() -> None:
    track = choose_track(_russian_talk(), "en")
    assert track is not None
    assert (track.lang, track.ext, track.kind, track.original_language) == ("en", "json3", "auto-translated", "ru")
    assert "tlang=en" in track.url and track.url.endswith("fmt=json3")
    assert track.impersonate


def test_choose_auto_in_spoken_language() -> None:
    track = choose_track(_russian_talk(), "ru")
    assert track is not None
    assert (track.lang, track.kind, track.original_language, track.ext) == ("ru", "auto", "ru", "json3")
    assert "tlang" not in track.url


def test_choose_manual_beats_auto_and_variants_count() -> None:
    info = _russian_talk(subtitles={"en-GB": _yt_track("en-GB", exts=("vtt", "srt", "ttml"))})
    track = choose_track(info, "en")
    assert track is not None
    assert (track.lang, track.kind, track.ext, track.original_language) == ("en-GB", "manual", "vtt", "en-GB")


def test_choose_exact_language_before_variants() -> None:
    info = {"subtitles": {"en-US": _yt_track("en-US"), "en": _yt_track("en")}}
    assert choose_track(info, "en") == choose_track({"subtitles": {"en": _yt_track("en")}}, "en")
    us = choose_track(info, "en-US")
    assert us is not None and us.lang == "en-US"


def test_choose_english_video_auto_track() -> None:
    info = {"automatic_captions": {"en-orig": _yt_track("en", asr=True), "en": _yt_track("en", asr=True),
                                   "fr": _yt_track("en", asr=True, tlang="fr")}}
    track = choose_track(info, "en")
    assert track is not None and (track.lang, track.kind) == ("en", "auto")
    fr = choose_track(info, "fr")
    assert fr is not None and (fr.kind, fr.original_language) == ("auto-translated", "en")


def test_choose_translation_of_the_original_track_first() -> None:
    # YouTube also lists translations of manual tracks under "<lang>-<source>".
    info = _russian_talk(subtitles={"uk": _yt_track("uk")})
    info["automatic_captions"]["en-uk"] = _yt_track("uk", tlang="en")
    track = choose_track(info, "en")
    assert track is not None and (track.lang, track.original_language) == ("en", "ru")
    del info["automatic_captions"]["en"]
    track = choose_track(info, "en")
    assert track is not None and (track.lang, track.kind, track.original_language) == ("en-uk", "auto-translated", "uk")


@pytest.mark.parametrize(
    ("exts", "want"),
    [
        (_YT_FORMATS, "json3"),
        (("srv3", "ttml", "srt", "vtt"), "vtt"),
        (("srv1", "srt", "ttml"), "srt"),
        (("srv3", "ttml"), None),  # nothing here reads them: not a usable track
    ],
)
def test_choose_format_preference(exts: tuple[str, ...], want: str | None) -> None:
    track = choose_track({"subtitles": {"en": _yt_track("en", exts=exts)}}, "en")
    assert (track.ext if track else None) == want


def test_choose_ext_from_url_when_missing_and_headers_kept() -> None:
    info = {"subtitles": {"en": [{"url": "http://h/x/en.vtt?sig=1"}]}, "http_headers": {"Referer": "http://h/"}}
    assert choose_track(info, "en") == Track(
        lang="en", ext="vtt", url="http://h/x/en.vtt?sig=1", kind="manual", original_language="en",
        headers=(("Referer", "http://h/"),),
    )


@pytest.mark.parametrize(
    "info",
    [
        {},
        {"subtitles": None, "automatic_captions": None},
        {"subtitles": {"ru": _yt_track("ru")}, "automatic_captions": {"ru": _yt_track("ru", asr=True)}},
        {"subtitles": {"en": [{"ext": "vtt"}]}},  # no url
        {"subtitles": {"english": _yt_track("en")}},  # not a variant of en
    ],
)
def test_choose_nothing_usable(info: dict[str, Any]) -> None:
    assert choose_track(info, "en") is None


# --------------------------------------------------------------------------- the http_server fixture itself


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("range_header", "status", "body_slice", "content_range"),
    [
        (None, 200, slice(None), None),
        ("bytes=0-5", 206, slice(0, 6), "bytes 0-5/{size}"),
        ("bytes=7-", 206, slice(7, None), "bytes 7-{last}/{size}"),
        ("bytes=-4", 206, slice(-4, None), "bytes {tail}-{last}/{size}"),
        ("bytes=3-100000", 206, slice(3, None), "bytes 3-{last}/{size}"),
        ("bytes=0-1,4-5", 200, slice(None), None),  # several ranges: the whole file is a valid answer
    ],
)
def test_local_server_serves_byte_ranges(
    site: LocalServer, range_header: str | None, status: int, body_slice: slice, content_range: str | None
) -> None:
    data = (SITE / "en.vtt").read_bytes()
    size, last = len(data), len(data) - 1
    req = urllib.request.Request(site.url("en.vtt"), headers={"Range": range_header} if range_header else {})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == status
        assert resp.read() == data[body_slice]
        assert resp.headers["Accept-Ranges"] == "bytes"
        assert resp.headers["Content-Type"] == "text/vtt"
        want = content_range.format(size=size, last=last, tail=size - 4) if content_range else None
        assert resp.headers["Content-Range"] == want
    assert site.hits == ["/en.vtt"]


@pytest.mark.e2e
def test_local_server_refuses_unsatisfiable_range(site: LocalServer) -> None:
    req = urllib.request.Request(site.url("en.vtt"), headers={"Range": "bytes=99999-"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req)
    assert err.value.code == 416
    assert err.value.headers["Content-Range"] == f"bytes */{(SITE / 'en.vtt').stat().st_size}"
    err.value.close()
