"""`cliptool fix` on real corpus notes whose timestamps a test first moves by known amounts."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cliptool.cli import app
from cliptool.fix import DEFAULT_MARKER, apply_changes, plan_fixes, read_note_file, retime_target
from cliptool.models import Alignment
from cliptool.verify import VerifyOptions, verify_parsed

VIDEO = "eMlx5fFNoYc"
NOTE = "44476352500"
# anchor index -> seconds moved; each lands far from where the video says the claim
SHIFTS = {5: 120, 12: -90, 22: 120, 60: -300}


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["fix", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _offline(corpus: Path) -> list[str]:
    return ["--cache", str(corpus / "cache"), "--offline"]


def _perturb(src: Path, dest: Path, shifts: dict[int, int]) -> Path:
    """Copy ``src`` to ``dest`` with the given anchors moved (both data-t and visible text)."""
    nf = read_note_file(src)
    moves = [Alignment(i, "shifted", score=1.0, corrected_s=nf.note.claims[i].cited_s + d) for i, d in shifts.items()]
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(apply_changes(nf.text, plan_fixes(nf.text, nf.note, moves)).encode("utf-8"))
    return dest


def _gold_passages(corpus: Path) -> dict[int, list[tuple[float, float]]]:
    """anchor index -> (start, end) of every passage the gold says backs it."""
    sentences = json.loads((corpus / "sentences" / f"{VIDEO}.json").read_text())
    out: dict[int, list[tuple[float, float]]] = {}
    for row in (corpus / "gold" / VIDEO / f"{NOTE}.tsv").read_text().splitlines():
        cells = row.split("\t")
        if not cells[0].isdigit() or len(cells) < 4 or not cells[3]:
            continue
        spans = []
        for part in cells[3].split(";"):
            first, _, last = part.partition("-")
            a, b = int(first[1:]), int((last or first)[1:])
            spans.append((float(sentences[a][1]), float(sentences[b][2])))
        out[int(cells[0])] = spans
    return out


def _near_gold(t: float, passages: list[tuple[float, float]]) -> bool:
    # the corpus's own tolerance (score.py): inside the passage, from 3 s before to 1 s after
    return any(start - 3 <= t <= end + 1 for start, end in passages)


@pytest.fixture
def vault(corpus: Path, tmp_path: Path) -> Iterator[Path]:
    src = corpus / "notes" / VIDEO / f"{NOTE}.md"
    _perturb(src, tmp_path / "vault" / "talks" / f"{NOTE}.md", SHIFTS)
    yield tmp_path / "vault"


def test_dry_run_prints_a_diff_and_changes_nothing(vault: Path, corpus: Path) -> None:
    note = vault / "talks" / f"{NOTE}.md"
    before = note.read_bytes()
    code, out, err = _run(str(vault), *_offline(corpus))
    assert code == 0, err
    assert note.read_bytes() == before
    assert not note.with_name(note.name + ".bak").exists()
    assert out.startswith(f"--- {note}\n+++ {note}\n@@ ")
    assert '-More broadly, the attention block enables' not in out  # untouched lines stay out
    assert 'data-t="00:02:51">[00:02:51]</a>' in out and 'data-t="00:00:51">[00:00:51]</a>' in out
    assert out.rstrip().splitlines()[-1].startswith("dry run: would retime ")
    assert out.rstrip().endswith("in 1 of 1 note (run again with --write to apply)")


def test_write_returns_moved_anchors_to_the_gold_and_verify_agrees(vault: Path, corpus: Path) -> None:
    note = vault / "talks" / f"{NOTE}.md"
    perturbed = note.read_bytes()
    code, out, err = _run(str(vault), "--write", "--format", "json", *_offline(corpus))
    assert code == 0, err
    doc = json.loads(out)
    changed = {c["claim_index"] for c in doc["changes"]}
    assert set(SHIFTS) <= changed
    assert doc["summary"]["notes_changed"] == 1 and doc["notes"][0]["written"] is True
    assert note.with_name(note.name + ".bak").read_bytes() == perturbed

    fixed = read_note_file(note)
    gold = _gold_passages(corpus)
    for i in SHIFTS:
        assert _near_gold(fixed.note.claims[i].cited_s, gold[i]), (i, fixed.note.claims[i].raw)
    # the visible text moved with data-t
    assert all(c.visible is None for c in fixed.note.claims if c.index in SHIFTS)

    report = verify_parsed(fixed.note, VerifyOptions(cache_dir=corpus / "cache", offline=True))
    assert {a.index: a.status for a in report.alignments if a.index in changed} == {i: "ok" for i in changed}

    # idempotent: a second run has nothing to do and writes nothing
    written = note.read_bytes()
    code, out, err = _run(str(vault), "--write", *_offline(corpus))
    assert (code, out.strip()) == (0, "retimed 0 anchors in 0 of 1 note"), err
    assert note.read_bytes() == written


def test_json_lists_each_change(vault: Path, corpus: Path) -> None:
    code, out, err = _run(str(vault), "--format", "json", *_offline(corpus))
    assert code == 0, err
    doc = json.loads(out)
    first = next(c for c in doc["changes"] if c["claim_index"] == 5 and c["role"] == "data-t")
    assert first == {"path": str(vault / "talks" / f"{NOTE}.md"), "line": 14, "old": "00:02:51", "new": "00:00:51",
                     "claim_index": 5, "kind": "retime", "role": "data-t"}
    assert doc["summary"]["mode"] == "dry-run" and doc["summary"]["anchors_retimed"] >= len(SHIFTS)
    assert doc["errors"] == []


def test_backup_dir_and_no_backup(vault: Path, corpus: Path, tmp_path: Path) -> None:
    note = vault / "talks" / f"{NOTE}.md"
    perturbed = note.read_bytes()
    code, out, err = _run(str(vault), "--write", "--backup-dir", str(tmp_path / "bk"), *_offline(corpus))
    assert code == 0, err
    assert (tmp_path / "bk" / "talks" / f"{NOTE}.md").read_bytes() == perturbed
    assert not note.with_name(note.name + ".bak").exists()
    assert f"original in {tmp_path / 'bk' / 'talks' / NOTE}.md" in out

    _perturb(corpus / "notes" / VIDEO / f"{NOTE}.md", note, SHIFTS)
    code, _, err = _run(str(note), "--write", "--no-backup", *_offline(corpus))
    assert code == 0, err
    assert sorted(p.name for p in note.parent.iterdir()) == [note.name]

    code, _, err = _run(str(vault), "--write", "--no-backup", "--backup-dir", str(tmp_path / "bk"))
    assert code == 2 and "not both" in err


@pytest.mark.parametrize("where", ["the notes' folder", "a folder above it"])
def test_a_backup_dir_that_holds_the_notes_is_refused_before_anything_is_written(
        where: str, vault: Path, corpus: Path) -> None:
    note = vault / "talks" / f"{NOTE}.md"
    other = vault / f"{NOTE}.md"  # another note of the vault, where a mirrored backup of talks/ would land
    other.write_bytes(b"my own note, not cliptool's\n")
    before = note.read_bytes()
    backups = note.parent if where == "the notes' folder" else vault
    code, _, err = _run(str(note.parent), "--write", "--backup-dir", str(backups), *_offline(corpus))
    assert code == 2, err
    assert "backups there would replace notes" in " ".join(err.split())
    assert note.read_bytes() == before and other.read_bytes() == b"my own note, not cliptool's\n"
    assert not (backups / ".cliptool-backups").exists()
    # the dry run says so too, rather than promise a write --write would refuse
    code, _, err = _run(str(note.parent), "--backup-dir", str(backups), *_offline(corpus))
    assert code == 2 and "backups there would replace notes" in " ".join(err.split())


def test_a_backup_never_replaces_a_file_cliptool_did_not_write(vault: Path, corpus: Path, tmp_path: Path) -> None:
    note = vault / "talks" / f"{NOTE}.md"
    before = note.read_bytes()
    mine = tmp_path / "elsewhere" / "talks" / f"{NOTE}.md"  # a folder of the user's that happens to match
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"precious\n")
    code, _, err = _run(str(vault), "--write", "--backup-dir", str(tmp_path / "elsewhere"), *_offline(corpus))
    assert code == 3
    assert "would replace a file cliptool did not write; nothing written" in " ".join(err.split())
    assert mine.read_bytes() == b"precious\n" and note.read_bytes() == before
    # a real note there, not yet a backup folder: marked as one, it would vanish from later runs
    mine.write_bytes(note.read_bytes())
    code, _, err = _run(str(vault), "--write", "--backup-dir", str(tmp_path / "elsewhere"), *_offline(corpus))
    assert code == 2 and "they would be left out of later runs" in " ".join(err.replace("│", " ").split())
    assert note.read_bytes() == before


def test_two_notes_whose_backups_would_share_a_name_keep_both_originals(corpus: Path, tmp_path: Path) -> None:
    # Two folders given, each with talks/NOTE.md: mirrored under one --backup-dir, the second
    # backup would replace the first note's original.
    src = corpus / "notes" / VIDEO / f"{NOTE}.md"
    a = _perturb(src, tmp_path / "a" / "talks" / f"{NOTE}.md", SHIFTS)
    b = _perturb(src, tmp_path / "b" / "talks" / f"{NOTE}.md", {5: 200})
    original_a, original_b = a.read_bytes(), b.read_bytes()
    bk = tmp_path / "bk"
    code, _, err = _run(str(tmp_path / "a"), str(tmp_path / "b"), "--write", "--backup-dir", str(bk),
                        *_offline(corpus))
    assert code == 3
    assert f"would replace the backup of {a} made in this run" in " ".join(err.split())
    assert (bk / "talks" / f"{NOTE}.md").read_bytes() == original_a
    assert a.read_bytes() != original_a and b.read_bytes() == original_b


def test_a_bad_note_is_one_error_line_and_the_others_go_on(vault: Path, corpus: Path, seed_note: Path) -> None:
    (vault / "broken.md").write_text("no front matter here\n")
    (vault / "seed.txt").write_bytes(seed_note.read_bytes())  # its captions are not in the offline cache
    code, out, err = _run(str(vault), "--write", *_offline(corpus))
    assert code == 4  # captions unavailable (4) outranks bad input (3)
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 2
    assert any("broken.md" in ln and "front matter" in ln for ln in errors)
    assert any("seed.txt" in ln for ln in errors)
    assert out.strip().splitlines()[-1].endswith("in 1 of 3 notes; 2 notes failed")
    assert read_note_file(vault / "talks" / f"{NOTE}.md").note.claims[5].raw == "00:00:51"

    code, _, err = _run(str(vault / "missing.md"), *_offline(corpus))
    assert code == 3 and "no such file" in err


def test_a_note_checked_against_another_videos_captions_is_not_fixed(corpus: Path, tmp_path: Path) -> None:
    """Another video of the channel still "says" a few of the note's claims somewhere: retiming them
    there would turn right times into wrong ones, so the note is left as written and named."""
    src = (corpus / "notes" / "eMlx5fFNoYc" / "44602289471.md").read_text(encoding="utf-8")
    wrong = tmp_path / "wrong.md"
    wrong.write_text(src.replace("videoId: eMlx5fFNoYc", "videoId: p_di4Zn4wz4"), encoding="utf-8")
    before = wrong.read_bytes()
    for extra in ([], ["--write"], ["--write", "--mark-unsupported"]):
        code, out, err = _run(str(wrong), *extra, *_offline(corpus))
        assert code == 3, err
        assert f"error: {wrong}: not fixed: " in err and "is p_di4Zn4wz4 the video the note is about?" in err
        assert err.count("is p_di4Zn4wz4 the video") == 1  # said once, as the error, not also as a warning
        assert "+" not in [ln[:1] for ln in out.splitlines()]  # no diff
        assert wrong.read_bytes() == before and not (tmp_path / "wrong.md.bak").exists()


def test_an_anchor_showing_no_time_is_retimed_by_its_link_and_named_by_line(vault: Path, corpus: Path) -> None:
    """QA: `[2:75]` shown for data-t 00:02:51 no longer fails the note with character offsets."""
    note = vault / "talks" / f"{NOTE}.md"
    note.write_text(note.read_text(encoding="utf-8").replace(
        'data-t="00:02:51">[00:02:51]', 'data-t="00:02:51">[2:75]', 1), encoding="utf-8")
    code, _, err = _run(str(note), "--write", *_offline(corpus))
    assert code == 0, err
    assert f"warning: {note}:14: '2:75' shows no time" in err and "error:" not in err
    fixed = read_note_file(note).note.claims
    assert fixed[5].raw == "00:00:51" and fixed[5].visible == "2:75"
    assert all(fixed[i].raw != read_note_file(note.with_name(note.name + ".bak")).note.claims[i].raw
               for i in SHIFTS)  # the note's other wrong times are fixed too


@pytest.mark.parametrize(
    ("written", "fixed"),
    [
        ('data-t="00:02:51,000">[00:02:51,000]', 'data-t="00:00:51,000">[00:00:51,000]'),
        ('data-t="100:00:00">[100:00:00]', 'data-t="00:00:51">[00:00:51]'),
        ('data-t="002:51">[002:51]', 'data-t="000:51">[000:51]'),
    ],
)
def test_unusual_time_formats_keep_their_form(written: str, fixed: str, vault: Path, corpus: Path) -> None:
    note = vault / "talks" / f"{NOTE}.md"
    note.write_text(note.read_text(encoding="utf-8").replace('data-t="00:02:51">[00:02:51]', written, 1),
                    encoding="utf-8")
    code, out, err = _run(str(note), *_offline(corpus))
    assert code == 0, err
    assert any(written in ln for ln in out.splitlines() if ln.startswith("-"))
    assert any(fixed in ln for ln in out.splitlines() if ln.startswith("+"))


def test_a_backup_path_that_is_a_folder_is_named_not_the_temp_file(vault: Path, corpus: Path) -> None:
    note = vault / "talks" / f"{NOTE}.md"
    before = note.read_bytes()
    note.with_name(note.name + ".bak").mkdir()
    code, _, err = _run(str(note), "--write", *_offline(corpus))
    assert code == 3
    assert f"(its backup {note}.bak)" in err and "cliptool-tmp" not in err
    assert note.read_bytes() == before


def test_a_read_only_bak_of_the_users_is_kept_and_the_dry_run_says_write_would_refuse(vault: Path,
                                                                                       corpus: Path) -> None:
    note = vault / "talks" / f"{NOTE}.md"
    before = note.read_bytes()
    bak = note.with_name(note.name + ".bak")
    bak.write_bytes(b"the user's own copy")
    bak.chmod(0o444)
    code, out, err = _run(str(note), *_offline(corpus))
    assert code == 3 and "--write would refuse 1 of them" in out + err
    code, _, err = _run(str(note), "--write", *_offline(corpus))
    assert code == 3 and f"its backup {bak} is read-only" in err
    assert note.read_bytes() == before and bak.read_bytes() == b"the user's own copy"


def test_refuses_a_symlink_out_of_the_tree(corpus: Path, tmp_path: Path) -> None:
    outside = _perturb(corpus / "notes" / VIDEO / f"{NOTE}.md", tmp_path / "elsewhere" / "n.md", SHIFTS)
    before = outside.read_bytes()
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "linked.md").symlink_to(outside)
    code, _, err = _run(str(vault), "--write", *_offline(corpus))
    assert code == 3 and "symlink out of" in err
    assert outside.read_bytes() == before
    assert not (vault / "linked.md.bak").exists() and not outside.with_name("n.md.bak").exists()


def test_mark_unsupported_adds_the_marker_once(corpus: Path, tmp_path: Path) -> None:
    src = (corpus / "notes" / VIDEO / f"{NOTE}.md").read_text()
    invented = ("\nThe speaker recommends feeding sourdough starter twice a day with rye flour "
                '<a class="yt-timestamp" data-t="00:04:10">[00:04:10]</a>.\n')
    note = tmp_path / "n.md"
    note.write_text(src + invented)
    last = len(read_note_file(note).note.claims) - 1
    code, out, err = _run(str(note), "--write", "--mark-unsupported", "--format", "json", *_offline(corpus))
    assert code == 0, err
    marks = [c for c in json.loads(out)["changes"] if c["kind"] == "mark"]
    assert {c["claim_index"] for c in marks} >= {last}
    text = note.read_text()
    assert text.endswith(f'data-t="00:04:10">[00:04:10]</a> <span class="cliptool-unsupported">{DEFAULT_MARKER}</span>.\n')
    count = text.count(DEFAULT_MARKER)
    code, out, err = _run(str(note), "--write", "--mark-unsupported", *_offline(corpus))
    assert code == 0 and "retimed 0 anchors in 0 of 1 note" in out, err
    assert note.read_text().count(DEFAULT_MARKER) == count

    # a marked note is not marked again under another marker text either
    code, out, _ = _run(str(note), "--mark-unsupported", "--marker", "(not said)", *_offline(corpus))
    assert code == 0 and "(not said)" not in out and "would retime 0 anchors in 0 of 1 note" in out


@pytest.mark.parametrize(("marker", "want"), [
    ("  ", "the marker must show something"),
    ("unverified, see [0:10](https://youtu.be/abcdefghijk?t=10)", "must not link to a YouTube video"),
    ("%%", "must not hold %% or `"),  # an Obsidian comment to the next marker: anchors between unread
    ("`unverified", "must not hold %% or `"),  # a code span to a later backtick on the line
])  # fmt: skip
def test_a_marker_that_shows_nothing_or_would_be_a_citation_or_hide_anchors_is_a_usage_error(tmp_path: Path, marker: str,
                                                                             want: str) -> None:
    note = tmp_path / "n.md"
    note.write_text('---\nvideoId: abcdefghijk\n---\n\nA claim <a class="yt-timestamp" data-t="00:00:10">[0:10]</a>.\n')
    before = note.read_bytes()
    code, _, err = _run(str(note), "--write", "--mark-unsupported", "--marker", marker, "--offline")
    assert code == 2 and want in err
    assert note.read_bytes() == before
    # the option is checked even without --mark-unsupported, where it would do nothing yet
    code, _, err = _run(str(note), "--marker", marker, "--offline")
    assert code == 2 and want in err


@pytest.mark.parametrize("point", ["after-backup", "after-temp", "after-replace"])
def test_a_killed_fix_leaves_the_old_or_the_new_note(point: str, vault: Path, corpus: Path) -> None:
    """The real command in a subprocess, made to die between steps (CLIPTOOL_FAULT)."""
    import os
    import subprocess
    import sys

    from cliptool.notes import find_notes
    from cliptool.safe_write import FAULT_ENV, FAULT_EXIT_CODE

    note = vault / "talks" / f"{NOTE}.md"
    perturbed = note.read_bytes()
    root = Path(__file__).resolve().parents[2]
    cmd = [sys.executable, "-m", "cliptool", "fix", str(vault), "--write", *_offline(corpus)]
    proc = subprocess.run(cmd, check=False, env={**os.environ, FAULT_ENV: point}, cwd=root, capture_output=True, timeout=120)
    assert proc.returncode == FAULT_EXIT_CODE, proc.stderr.decode()
    after_crash = note.read_bytes()
    assert find_notes([vault])[0] == [note]  # a leftover temp file is not a note
    assert note.with_name(note.name + ".bak").read_bytes() == perturbed
    if point == "after-replace":
        assert after_crash != perturbed
        assert read_note_file(note).note.claims[5].raw == "00:00:51"
    else:
        assert after_crash == perturbed

    # a plain rerun finishes the job from whatever the crash left
    proc = subprocess.run(cmd, check=False, cwd=root, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert read_note_file(note).note.claims[5].raw == "00:00:51"


def test_progress_bar_on_a_terminal_leaves_the_diff_alone(corpus: Path, tmp_path: Path) -> None:
    """A terminal on stderr gets a bar over the notes; the dry run's diff on stdout is the same."""
    import os
    import subprocess
    import sys

    src = corpus / "notes" / VIDEO / f"{NOTE}.md"
    for name in ("a", "b"):
        _perturb(src, tmp_path / f"{name}.md", SHIFTS)
    args = [sys.executable, "-m", "cliptool", "fix", str(tmp_path), *_offline(corpus)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TTY_", "FORCE_", "NO_COLOR"))}
    plain = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    watched = subprocess.run(args, capture_output=True, text=True, env={**env, "TTY_COMPATIBLE": "1", "NO_COLOR": "1"},
                             timeout=120)
    assert plain.returncode == watched.returncode == 0, watched.stderr
    assert "fixing" not in plain.stderr and "fixing" in watched.stderr
    assert watched.stdout.count("@@") == plain.stdout.count("@@") > 0


def test_backups_in_a_backup_dir_inside_the_notes_are_never_taken_for_notes(vault: Path, corpus: Path) -> None:
    note = vault / "talks" / f"{NOTE}.md"
    perturbed = note.read_bytes()
    backups = vault / "backups"
    code, _, err = _run(str(vault), "--write", "--backup-dir", str(backups), *_offline(corpus))
    assert code == 0, err
    kept = backups / "talks" / f"{NOTE}.md"
    assert kept.read_bytes() == perturbed
    # the next run over the same folder finds one note, not the backup too, and has nothing to do
    code, out, err = _run(str(vault), "--write", "--backup-dir", str(backups), *_offline(corpus))
    assert (code, out.strip()) == (0, "retimed 0 anchors in 0 of 1 note"), err
    assert kept.read_bytes() == perturbed
    verified = CliRunner().invoke(app, ["verify", str(vault), "--format", "json", *_offline(corpus)])
    assert verified.exit_code == 0 and [n["path"] for n in json.loads(verified.stdout)["notes"]] == [str(note)]


def test_anchors_below_min_score_are_counted_not_silently_left(vault: Path, corpus: Path) -> None:
    code, out, err = _run(str(vault), "--min-score", "1", "--format", "json", *_offline(corpus))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["summary"]["anchors_retimed"] == 0 and doc["summary"]["anchors_below_min_score"] >= len(SHIFTS)
    code, out, err = _run(str(vault), "--min-score", "1", *_offline(corpus))
    n = doc["summary"]["anchors_below_min_score"]
    assert f"{n} anchors verify located elsewhere scored below --min-score 1 and stayed as written" in err


def _shared_definition_note(corpus: Path, tmp_path: Path) -> Path:
    """The corpus note with claim 5 citing its own definition and claims 12 and 22 one they share."""
    anchor = '<a class="yt-timestamp" data-t="{0}">[{0}]</a>'
    text = (corpus / "notes" / VIDEO / f"{NOTE}.md").read_text(encoding="utf-8")
    text = (text.replace(anchor.format("00:00:51"), "[02:51][emb]", 1)
            .replace(anchor.format("00:03:04"), "[01:34][both]", 1)
            .replace(anchor.format("00:08:07"), "[01:34][Both]", 1)
            + f"\n\n[emb]: https://youtu.be/{VIDEO}?t=171\n[both]: https://youtu.be/{VIDEO}?t=94 \"two links\"\n")
    note = tmp_path / "vault" / "refs.md"
    note.parent.mkdir()
    note.write_text(text, encoding="utf-8")
    return note


def test_a_definition_several_links_use_is_left_and_said_so(corpus: Path, tmp_path: Path) -> None:
    """Claim 5 cites its own definition, claims 12 and 22 one they share: only claim 5 moves."""
    note = _shared_definition_note(corpus, tmp_path)
    code, out, err = _run(str(note.parent), "--format", "json", *_offline(corpus))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["summary"]["anchors_in_shared_definitions"] == 2
    assert [(c["claim_index"], c["role"], c["old"], c["new"]) for c in doc["changes"] if c["claim_index"] in (5, 12, 22)
            ] == [(5, "link-text", "02:51", "00:51"), (5, "t-param", "171", "51")]
    code, out, err = _run(str(note.parent), "--write", *_offline(corpus))
    assert code == 0, err
    assert ("2 anchors verify located elsewhere stayed as written: their time is in a reference definition "
            "other links or images use too") in " ".join(err.split())
    fixed = note.read_text(encoding="utf-8")
    assert "embedding [00:51][emb]." in fixed and f"[emb]: https://youtu.be/{VIDEO}?t=51\n" in fixed
    assert f'[both]: https://youtu.be/{VIDEO}?t=94 "two links"\n' in fixed and fixed.count("[01:34][") == 2


def test_a_shared_definition_below_min_score_is_counted_as_shared(corpus: Path, tmp_path: Path) -> None:
    """A shared definition stays as written whatever its score, so it is counted there, not below
    --min-score: each anchor verify located elsewhere is in exactly one count."""
    note = _shared_definition_note(corpus, tmp_path)
    parsed = read_note_file(note).note
    alignments = verify_parsed(parsed, VerifyOptions(cache_dir=corpus / "cache", offline=True)).alignments
    by_index = {c.index: c for c in parsed.claims}
    located = sum(1 for a in alignments if retime_target(replace(by_index[a.index], shared=False), a, min_score=0) is not None)
    code, out, err = _run(str(note.parent), "--min-score", "1", "--format", "json", *_offline(corpus))
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert summary["anchors_in_shared_definitions"] == 2
    assert summary["anchors_retimed"] + summary["anchors_below_min_score"] + 2 == located


def test_fix_repeats_the_notes_warnings(corpus: Path, tmp_path: Path) -> None:
    src = (corpus / "notes" / VIDEO / f"{NOTE}.md").read_text(encoding="utf-8")
    note = tmp_path / "typo.md"
    note.write_text(src.replace('class="yt-timestamp"', 'class="yt_timestamp"', 1), encoding="utf-8")
    code, _, err = _run(str(note), *_offline(corpus))
    assert code == 0 and f"warning: {note}:" in err and "yt_timestamp" in err


def test_a_missing_cache_folder_offline_is_warned_about_once(vault: Path, tmp_path: Path) -> None:
    code, _, err = _run(str(vault), "--cache", str(tmp_path / "typo"), "--offline")
    assert code == 4
    assert err.count(f"warning: cache folder {tmp_path / 'typo'} does not exist") == 1


def test_ctrl_c_leaves_every_note_whole_and_says_so(corpus: Path, tmp_path: Path) -> None:
    """Interrupted mid-batch, each note is either untouched or fully fixed with its backup."""
    vault = tmp_path / "vault"
    original = _perturb(corpus / "notes" / VIDEO / f"{NOTE}.md", vault / "n000.md", SHIFTS).read_bytes()
    for n in range(1, 400):
        (vault / f"n{n:03d}.md").write_bytes(original)
    one = tmp_path / "one" / "n.md"
    one.parent.mkdir()
    one.write_bytes(original)
    assert _run(str(one), "--write", "--no-backup", *_offline(corpus))[0] == 0
    fixed = one.read_bytes()
    assert fixed != original

    proc = subprocess.Popen([sys.executable, "-m", "cliptool", "fix", str(vault), "--write", *_offline(corpus)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any(b.with_suffix("").read_bytes() == fixed for b in vault.glob("*.bak")):  # one note is done
        assert proc.poll() is None and time.monotonic() < deadline, "no note was rewritten"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == (
        "error: interrupted: notes rewritten so far keep their backups; no note is half-written")
    assert "Traceback" not in err
    notes = sorted(vault.glob("*.md"))
    assert len(notes) == 400
    done = [p for p in notes if p.read_bytes() == fixed]
    assert done and len(done) < 400  # stopped part way
    assert all(p.read_bytes() in (original, fixed) for p in notes)
    assert all(p.with_name(p.name + ".bak").read_bytes() == original for p in done)
    assert sorted(p.name for p in vault.iterdir() if not p.name.endswith((".md", ".bak"))) == []  # no temp file


def test_a_second_fix_of_notes_written_in_mmss_slips_changes_nothing(corpus: Path, tmp_path: Path) -> None:
    """aircAruvnKk's notes write MM:SS into the HH:MM slots. The first fix rewrites the slips it
    can confirm and leaves the rest; the second must not read those leftovers literally (past the
    video's end) and move them elsewhere."""
    notes = tmp_path / "notes"
    notes.mkdir()
    for src in sorted((corpus / "notes" / "aircAruvnKk").glob("*.md")):
        (notes / src.name).write_bytes(src.read_bytes())
    code, out, err = _run(str(notes), "--write", *_offline(corpus))
    assert code == 0 and not out.startswith("retimed 0 "), (out, err)
    first = {p.name: p.read_bytes() for p in notes.glob("*.md")}
    code, out, err = _run(str(notes), "--write", *_offline(corpus))
    assert (code, out.splitlines()[0]) == (0, f"retimed 0 anchors in 0 of {len(first)} notes"), (out, err)
    assert {p.name: p.read_bytes() for p in notes.glob("*.md")} == first


def test_fix_keeps_a_confirmed_mmss_reading_through_its_re_check_rounds(corpus: Path, tmp_path: Path) -> None:
    """03:36:00 in a 19-minute video is 03:36 (the gold's S24). Rewritten so, the claim is cited
    outside its neighbours' stretch, and a vaguer sentence between them says a little more of it:
    a re-check round used to move it there, to 01:40."""
    note = tmp_path / "n.md"
    note.write_bytes((corpus / "notes" / "aircAruvnKk" / "44352286783.md").read_bytes())
    code, _, err = _run(str(note), "--write", *_offline(corpus))
    assert code == 0, err
    assert read_note_file(note).note.claims[1].raw == "00:03:36"


def test_old_mac_line_endings_number_changes_by_their_own_lines(vault: Path, corpus: Path) -> None:
    """A note with lone CR line breaks: the parser counts them, so fix's lines and diff must too."""
    note = vault / "talks" / f"{NOTE}.md"
    note.write_bytes(note.read_bytes().replace(b"\n", b"\r"))
    expected = {c.index: c.line for c in read_note_file(note).note.claims}
    code, out, err = _run(str(vault), "--format", "json", *_offline(corpus))
    assert code == 0, err
    changes = json.loads(out)["changes"]
    assert changes and {c["claim_index"]: c["line"] for c in changes} == {c["claim_index"]: expected[c["claim_index"]]
                                                                        for c in changes}
    code, out, err = _run(str(vault), *_offline(corpus))
    removed = [ln for ln in out.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    assert code == 0 and len(removed) == len({c["line"] for c in changes}), out


def test_a_later_run_never_replaces_a_users_file_or_another_notes_backup_in_a_backup_dir(
        corpus: Path, tmp_path: Path) -> None:
    src = corpus / "notes" / VIDEO / f"{NOTE}.md"
    bk = tmp_path / "bk"
    # run 1 tags bk with one note's backup; then the user puts a file of their own there
    first = _perturb(src, tmp_path / "n1" / "x" / "a.md", SHIFTS)
    original_first = first.read_bytes()
    assert _run(str(tmp_path / "n1"), "--write", "--backup-dir", str(bk), *_offline(corpus))[0] == 0
    assert (bk / "x" / "a.md").read_bytes() == original_first
    mine = bk / "y" / "a.md"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"the user's own document\n")
    # run 2: a note whose backup maps onto the user's file, and one onto run 1's backup of another note
    onto_mine = _perturb(src, tmp_path / "n2" / "y" / "a.md", SHIFTS)
    onto_first = _perturb(src, tmp_path / "n2" / "x" / "a.md", {5: 200})
    before_mine, before_first = onto_mine.read_bytes(), onto_first.read_bytes()
    code, _, err = _run(str(tmp_path / "n2"), "--write", "--backup-dir", str(bk), *_offline(corpus))
    flat = " ".join(err.split())
    assert code == 3
    assert "would replace a file cliptool did not write; nothing written" in flat
    assert f"would replace the backup of {first.resolve()}" in flat
    assert mine.read_bytes() == b"the user's own document\n" and (bk / "x" / "a.md").read_bytes() == original_first
    assert onto_mine.read_bytes() == before_mine and onto_first.read_bytes() == before_first
    # the same note fixed again keeps its newest original in its own backup
    _perturb(src, first, {12: 150})
    again = first.read_bytes()
    assert _run(str(tmp_path / "n1"), "--write", "--backup-dir", str(bk), *_offline(corpus))[0] == 0
    assert (bk / "x" / "a.md").read_bytes() == again


def test_one_fix_run_is_enough_even_on_a_note_with_many_wrong_times(corpus: Path, tmp_path: Path) -> None:
    """perturb.py's seed 7 moves a third of the times: the ones fix corrects change what verify
    trusts around them, so fix re-checks its own result until it is stable; a second run has nothing to do."""
    import subprocess
    import sys

    subprocess.run([sys.executable, str(corpus / "perturb.py"), str(tmp_path / "p"), "--seed", "7"],
                   check=True, capture_output=True)
    notes = tmp_path / "p" / "notes"
    code, out, err = _run(str(notes), "--write", "--no-backup", *_offline(corpus))
    assert code == 0, err
    assert out.rstrip().splitlines()[-1].startswith("retimed ")
    code, out, err = _run(str(notes), *_offline(corpus))
    assert code == 0, err
    assert out.rstrip().splitlines()[-1] == "dry run: would retime 0 anchors in 0 of 6 notes"
