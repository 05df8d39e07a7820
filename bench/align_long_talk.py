#!/usr/bin/env python3
"""Time ``align_note`` on a long talk: every corpus transcript end to end (about 3.7 hours).

The cost per claim must stay flat as a video grows; this prints it for the corpus's longest
note against the joined transcripts. Skips with a message when ../shared/corpus is absent.

    python bench/align_long_talk.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))

from cliptool.align import align_note, build_index  # the path is set just above
from cliptool.models import Sentence
from cliptool.notes import read_note


def main() -> int:
    if not (CORPUS / "sentences").is_dir():
        print("skipped: ../shared/corpus is not beside the project")
        return 0
    sentences: list[Sentence] = []
    t = 0.0
    for path in sorted((CORPUS / "sentences").glob("*.json")):
        for text, start, end in json.loads(path.read_text(encoding="utf-8")):
            sentences.append(Sentence(len(sentences), t, t + (end - start), text))
            t += end - start + 0.5
    started = time.perf_counter()
    index = build_index(sentences)
    build_s = time.perf_counter() - started
    notes = [read_note(p) for p in sorted((CORPUS / "notes").glob("*/*.md"))]
    note = max(notes, key=lambda n: len(n.claims))
    rounds = 10
    started = time.process_time()
    for _ in range(rounds):
        align_note(note.claims, index)
    per_note = (time.process_time() - started) / rounds
    print(f"transcript: {len(sentences)} sentences, {t / 3600:.1f} h; index built in {build_s * 1000:.0f} ms")
    print(f"note: {len(note.claims)} claims; {per_note * 1000:.1f} ms per note, "
          f"{per_note * 1000 / len(note.claims):.2f} ms per claim (CPU, one core)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
