"""Shared fixtures: an isolated cache per test, and the ../shared corpus when it is there."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/files from the current output (review the diff)")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never read or write the project's ./cache from a test."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("CLIPTOOL_CACHE", str(cache))
    monkeypatch.delenv("CLIPTOOL_URL_TEMPLATE", raising=False)
    return cache


@pytest.fixture
def corpus() -> Path:
    """../shared/corpus, or skip when this checkout has none beside it."""
    if not (CORPUS / "notes").is_dir():
        pytest.skip("../shared/corpus is not beside the project")
    return CORPUS


@pytest.fixture
def seed_note() -> Path:
    return ROOT / "seeds" / "000_b5c60a2c41949aee.txt"


TINY_VIDEO_ID = "tinyvideo01"


@pytest.fixture
def tiny_cache(tmp_path: Path) -> Path:
    """A caption cache holding tests/data/verify_captions.srt as tinyvideo01's English captions
    (the video of tests/data/verify_note.md)."""
    folder = tmp_path / "captions-cache"
    (folder / TINY_VIDEO_ID).mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "data" / "verify_captions.srt", folder / TINY_VIDEO_ID / "en.srt")
    return folder


@pytest.fixture(scope="session")
def make_media(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Factory for short test videos (lavfi testsrc2 + a sine tone, H.264/AAC), one file per shape."""
    made: dict[tuple[str, int], Path] = {}

    def make(size: str = "320x180", seconds: int = 40) -> Path:
        from cliptool.media import ffmpeg_exe

        if (size, seconds) not in made:
            path = tmp_path_factory.mktemp("media") / f"talk-{size}-{seconds}s.mp4"
            subprocess.run(
                [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error",
                 "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}",
                 "-f", "lavfi", "-i", f"sine=duration={seconds}",
                 "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                 str(path)],
                check=True,
            )
            made[(size, seconds)] = path
        return made[(size, seconds)]

    return make
