"""safe_write: conflicts, backups, symlinks, file mode, and what a crash at each step leaves."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cliptool.errors import InputError, WriteConflictError
from cliptool.models import BACKUP_TAG
from cliptool.notes import find_notes
from cliptool.safe_write import (
    FAULT_ENV,
    FAULT_EXIT_CODE,
    FAULT_POINTS,
    TEMP_SUFFIX,
    BackupPlan,
    backup_dir_problem,
    backup_path,
    file_lock,
    sha256_hex,
    write_atomic,
)

OLD = b"---\r\nvideoId: abcdefghijk\r\n---\r\nold \xe2\x9a\xa0 text\r\n"
NEW = b"---\r\nvideoId: abcdefghijk\r\n---\r\nnew \xe2\x9a\xa0 text, longer\r\n"


@pytest.fixture
def note(tmp_path: Path) -> Path:
    vault = tmp_path / "vault" / "sub"
    vault.mkdir(parents=True)
    p = vault / "n.md"
    p.write_bytes(OLD)
    return p


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if TEMP_SUFFIX in p.name)


def test_writes_and_keeps_a_backup_beside(note: Path) -> None:
    bak = backup_path(note, root=note.parent)
    assert bak == note.with_name("n.md.bak")
    assert write_atomic(note, NEW, expected_sha256=sha256_hex(OLD), backup=bak) == note.resolve()
    assert note.read_bytes() == NEW
    assert bak.read_bytes() == OLD
    assert _leftovers(note.parent) == []


def test_backup_dir_mirrors_relative_paths(note: Path, tmp_path: Path) -> None:
    root = tmp_path / "vault"
    bak = backup_path(note, root=root, backup_dir=tmp_path / "backups")
    assert bak == tmp_path / "backups" / "sub" / "n.md"
    write_atomic(note, NEW, expected_sha256=sha256_hex(OLD), backup=bak, root=root)
    assert bak.read_bytes() == OLD
    assert note.read_bytes() == NEW


def test_a_backup_that_is_the_note_itself_is_refused(note: Path) -> None:
    # A backup folder that is the notes' own folder mirrors each note onto itself.
    bak = backup_path(note, root=note.parent, backup_dir=note.parent)
    assert bak == note
    with pytest.raises(InputError, match="the backup would replace the note itself; nothing written"):
        write_atomic(note, NEW, expected_sha256=sha256_hex(OLD), backup=bak, root=note.parent)
    assert note.read_bytes() == OLD


def test_a_backup_dir_is_refused_when_it_is_or_holds_a_folder_of_the_notes(note: Path, tmp_path: Path) -> None:
    vault, sub = tmp_path / "vault", note.parent
    for folder in (sub, vault, tmp_path):
        assert "would replace notes" in (backup_dir_problem(folder, [sub]) or "")
    assert backup_dir_problem(sub / "backups", [sub]) is None  # inside the notes: tagged, then skipped
    assert backup_dir_problem(tmp_path / "elsewhere", [sub, vault]) is None


def test_a_protected_bak_beside_the_note_is_not_replaced(note: Path, tmp_path: Path) -> None:
    # A read-only or linked <note>.bak is the user's, not an earlier run's copy to replace.
    plan = BackupPlan(None)
    bak = note.with_name(note.name + ".bak")
    bak.write_bytes(b"mine")
    assert plan.claim(note, note.parent) == bak  # a plain writable one is an earlier backup of the note
    bak.chmod(0o444)
    with pytest.raises(InputError, match="is read-only, so not cliptool's to replace; nothing written"):
        plan.claim(note, note.parent)
    bak.unlink()
    bak.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InputError, match="is a symbolic link"):
        plan.claim(note, note.parent)


def test_a_backup_dir_holding_some_of_the_notes_is_refused(note: Path) -> None:
    # Tagged as backups, the subfolder would drop its notes from every later run, unannounced.
    inner = note.parent / "sub" / "b.md"
    inner.parent.mkdir()
    inner.write_bytes(OLD)
    problem = backup_dir_problem(inner.parent, [note.parent], [note, inner]) or ""
    assert f"holds a note being fixed ({inner})" in problem
    assert backup_dir_problem(note.parent / "backups", [note.parent], [note, inner]) is None
    # the user's notes outside this run: tagged, they would vanish from every later run as well
    problem = backup_dir_problem(inner.parent, [note.parent], [note]) or ""
    assert f"holds notes ({inner})" in problem
    (inner.parent / BACKUP_TAG).write_text("cliptool backups\n", encoding="utf-8")  # a backup folder reused
    assert backup_dir_problem(inner.parent, [note.parent], [note]) is None


def test_a_backup_dir_holding_files_that_are_no_notes_is_accepted(note: Path, tmp_path: Path) -> None:
    # A README, the run's own `2> backups/log.txt`: named like notes, but no front matter names a video.
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "README.md").write_text("# my backups\n", encoding="utf-8")
    (folder / "log.txt").write_bytes(b"")
    assert backup_dir_problem(folder, [note.parent], [note]) is None


def test_no_backup_writes_nothing_else(note: Path) -> None:
    write_atomic(note, NEW, expected_sha256=sha256_hex(OLD), backup=None)
    assert sorted(p.name for p in note.parent.iterdir()) == ["n.md"]
    assert note.read_bytes() == NEW


def test_conflict_when_the_file_changed_since_it_was_read(note: Path) -> None:
    expected = sha256_hex(OLD)
    note.write_bytes(OLD + b"edited elsewhere\n")
    with pytest.raises(WriteConflictError) as err:
        write_atomic(note, NEW, expected_sha256=expected, backup=note.with_name("n.md.bak"))
    assert err.value.exit_code == 7
    assert note.read_bytes() == OLD + b"edited elsewhere\n"
    assert not note.with_name("n.md.bak").exists()
    assert _leftovers(note.parent) == []


def test_conflict_when_the_file_was_removed(note: Path) -> None:
    note.unlink()
    with pytest.raises(WriteConflictError, match="removed"):
        write_atomic(note, NEW, expected_sha256=sha256_hex(OLD), backup=None)
    assert not note.exists()


def test_file_mode_is_kept(note: Path) -> None:
    note.chmod(0o640)
    bak = note.with_name("n.md.bak")
    write_atomic(note, NEW, expected_sha256=sha256_hex(OLD), backup=bak)
    assert stat.S_IMODE(note.stat().st_mode) == 0o640
    assert stat.S_IMODE(bak.stat().st_mode) == 0o640


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root may give a file to another user")
def test_owner_is_kept_when_root_rewrites_a_users_note(note: Path) -> None:
    """Root fixing someone's note must not take it from them (nor its backup)."""
    os.chown(note, 65534, 65534)
    bak = note.with_name("n.md.bak")
    write_atomic(note, NEW, expected_sha256=sha256_hex(OLD), backup=bak)
    assert (note.stat().st_uid, note.stat().st_gid) == (65534, 65534)
    assert (bak.stat().st_uid, bak.stat().st_gid) == (65534, 65534)


def test_refuses_a_symlink_out_of_the_tree(note: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_bytes(OLD)
    link = note.parent / "link.md"
    link.symlink_to(outside)
    with pytest.raises(InputError, match="symlink out of"):
        write_atomic(link, NEW, expected_sha256=sha256_hex(OLD), backup=None, root=tmp_path / "vault")
    # the default tree is the folder the path names
    with pytest.raises(InputError, match="symlink out of"):
        write_atomic(link, NEW, expected_sha256=sha256_hex(OLD), backup=None)
    assert outside.read_bytes() == OLD
    assert link.is_symlink()


def test_refuses_a_symlinked_folder_out_of_the_tree(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "n.md").write_bytes(OLD)
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "linked").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(InputError):
        write_atomic(vault / "linked" / "n.md", NEW, expected_sha256=sha256_hex(OLD), backup=None, root=vault)
    assert (elsewhere / "n.md").read_bytes() == OLD


def test_a_symlink_inside_the_tree_writes_its_target_and_stays_a_link(note: Path, tmp_path: Path) -> None:
    link = tmp_path / "vault" / "link.md"
    link.symlink_to(note)
    written = write_atomic(link, NEW, expected_sha256=sha256_hex(OLD), backup=None, root=tmp_path / "vault")
    assert written == note.resolve()
    assert link.is_symlink()
    assert note.read_bytes() == NEW


_CHILD = """
import sys
from pathlib import Path
from cliptool.safe_write import write_atomic, sha256_hex
note, bak = Path(sys.argv[1]), Path(sys.argv[2])
write_atomic(note, {new!r}, expected_sha256=sha256_hex({old!r}), backup=bak)
"""


@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_crash_between_steps_leaves_the_old_or_the_new_note(point: str, note: Path) -> None:
    """Kill the writer at each step in a real subprocess; the note is never a mix."""
    bak = note.with_name("n.md.bak")
    env = {**os.environ, FAULT_ENV: point}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD.format(new=NEW, old=OLD), str(note), str(bak)],
        env=env, cwd=Path(__file__).resolve().parents[2], capture_output=True, timeout=60, check=False,
    )
    assert proc.returncode == FAULT_EXIT_CODE, proc.stderr.decode()
    assert note.read_bytes() == (NEW if point == "after-replace" else OLD)
    assert bak.read_bytes() == OLD
    # a temp file left by the crash is never taken for a note
    notes, _ = find_notes([note.parent.parent])
    assert notes == [note]
    if point == "after-temp":
        (left,) = _leftovers(note.parent)
        assert left.startswith(".n.md.") and (note.parent / left).read_bytes() == NEW
    # and a later run succeeds over whatever the crash left
    write_atomic(note, NEW + b"again", expected_sha256=sha256_hex(note.read_bytes()), backup=bak)
    assert note.read_bytes() == NEW + b"again"


def test_fault_keyword_without_env(note: Path) -> None:
    """The keyword form of the hook, checked in a child so the test process survives."""
    code = (
        "from pathlib import Path; from cliptool.safe_write import write_atomic\n"
        f"write_atomic(Path({str(note)!r}), b'x', expected_sha256=None, backup=None, fault='after-temp')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], check=False, cwd=Path(__file__).resolve().parents[2], timeout=60)
    assert proc.returncode == FAULT_EXIT_CODE
    assert note.read_bytes() == OLD


def test_creates_a_new_file_when_nothing_was_read(tmp_path: Path) -> None:
    target = tmp_path / "new.md"
    write_atomic(target, NEW, expected_sha256=None, backup=tmp_path / "new.md.bak")
    assert target.read_bytes() == NEW
    assert not (tmp_path / "new.md.bak").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_file_lock_keeps_other_processes_out_until_released(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    probe = (
        "import fcntl, sys\n"
        "fh = open(sys.argv[1], 'a+b')\n"
        "try:\n    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n    sys.exit(9)\n"
    )
    with file_lock(lock):
        held = subprocess.run([sys.executable, "-c", probe, str(lock)], check=False)
    free = subprocess.run([sys.executable, "-c", probe, str(lock)], check=False)
    assert (held.returncode, free.returncode) == (9, 0)


def test_temp_files_an_earlier_crash_left_are_swept_when_stale(note: Path) -> None:
    stale = note.parent / f".n.md.abc123{TEMP_SUFFIX}"
    fresh = note.parent / f".n.md.def456{TEMP_SUFFIX}"  # maybe another process writing right now
    other = note.parent / f".other.md.abc123{TEMP_SUFFIX}"  # another file's: not this write's business
    for p in (stale, fresh, other):
        p.write_bytes(b"half a note")
    two_hours_ago = os.stat(note).st_mtime - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    os.utime(other, (two_hours_ago, two_hours_ago))
    write_atomic(note, NEW, expected_sha256=sha256_hex(OLD), backup=None)
    assert note.read_bytes() == NEW
    assert _leftovers(note.parent) == sorted([fresh.name, other.name])


def test_a_conflict_names_the_note_as_given_not_its_resolved_path(note: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(note.parent.parent)
    given = Path("sub") / "n.md"
    note.write_bytes(OLD + b"edited elsewhere\n")
    with pytest.raises(WriteConflictError) as err:
        write_atomic(given, NEW, expected_sha256=sha256_hex(OLD), backup=None)
    assert str(err.value).startswith("sub/n.md: the file changed on disk")
