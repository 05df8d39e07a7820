"""Shared fixtures: an isolated cache per test, and the ../shared corpus when it is there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


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
