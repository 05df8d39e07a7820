"""Replace a file's bytes so that a crash leaves the old or the new file, never a mix.

The recipe: check the file still hashes to what was read, keep a backup, write a temp file in the
same folder, fsync it, ``os.replace`` it over the original (atomic on POSIX and Windows), fsync the
folder. Written for ``fix`` but independent of notes, so any command that edits files can use it.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from cliptool.errors import InputError, WriteConflictError
from cliptool.models import BACKUP_TAG

__all__ = [
    "FAULT_ENV",
    "FAULT_EXIT_CODE",
    "FAULT_POINTS",
    "TEMP_SUFFIX",
    "BackupPlan",
    "backup_path",
    "backup_dir_problem",
    "backup_owner",
    "record_backup",
    "check_beside",
    "check_inside",
    "check_writable",
    "file_lock",
    "sha256_hex",
    "tag_backup_dir",
    "text_bytes",
    "write_atomic",
]

log = logging.getLogger(__name__)

TEMP_SUFFIX = ".cliptool-tmp"  # never .md/.txt, and dot-prefixed: no scan mistakes it for a note
FAULT_ENV = "CLIPTOOL_FAULT"
FAULT_POINTS = ("after-backup", "after-temp", "after-replace")
FAULT_EXIT_CODE = 86


def text_bytes(text: str) -> bytes:
    """UTF-8 for a report or record we write. A file name that is not UTF-8 reaches Python as
    lone surrogates; they are written as ``\\udcXX`` escapes, not as a crash or invalid UTF-8.

    >>> text_bytes("caf\\udce9.md")
    b'caf\\\\udce9.md'
    """
    return text.encode("utf-8", "backslashreplace")


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``; what a writer compares to detect a concurrent edit.

    >>> sha256_hex(b"")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(data).hexdigest()


def check_inside(path: Path, root: Path) -> Path:
    """``path`` with every symlink resolved, refused unless it stays inside ``root``.

    A vault may link notes from elsewhere; rewriting through such a link would edit a file the
    user never pointed the tool at.
    """
    resolved = path.resolve()
    root_resolved = root.resolve()
    if resolved != root_resolved and not resolved.is_relative_to(root_resolved):
        raise InputError(f"refusing to follow a symlink out of {root} (it points to {resolved})", path=str(path))
    return resolved


def check_writable(path: Path, root: Path) -> Path:
    """The real file ``path`` names, refused when writing it would leave ``root`` or defy its mode.

    A rename replaces a file whatever its permission bits say, so a note the user made read-only
    is refused here (by its bits too: for root every access check passes). A dry run calls this
    to say what ``--write`` would refuse.
    """
    target = check_inside(path, root)
    try:
        st = target.stat()
    except FileNotFoundError:
        return target
    if not stat.S_ISREG(st.st_mode):
        raise InputError("not a regular file; nothing written", path=str(path))
    if _read_only(target, st):
        raise InputError("the file is read-only; nothing written (make it writable to let it be rewritten)",
                         path=str(path))
    return target


def _read_only(path: Path, st: os.stat_result) -> bool:
    """Read-only by its bits too: for root every access check passes."""
    return not st.st_mode & stat.S_IWUSR or not os.access(path, os.W_OK)


def backup_path(path: Path, *, root: Path, backup_dir: Path | None = None) -> Path:
    """Where the original of ``path`` is kept: ``<note>.bak`` beside it, or mirrored under ``backup_dir``.

    >>> backup_path(Path("vault/a/n.md"), root=Path("vault")).as_posix()
    'vault/a/n.md.bak'
    >>> backup_path(Path("vault/a/n.md"), root=Path("vault"), backup_dir=Path("bk")).as_posix()
    'bk/a/n.md'
    """
    if backup_dir is None:
        return path.with_name(path.name + ".bak")
    for p, r in ((path.absolute(), root.absolute()), (path.resolve(), root.resolve())):
        if p.is_relative_to(r) and p != r:
            return backup_dir / p.relative_to(r)
    return backup_dir / path.name


def backup_dir_problem(backup_dir: Path, roots: Iterable[Path], notes: Iterable[Path] = ()) -> str | None:
    """Why ``backup_dir`` cannot keep the originals of ``notes``, found in ``roots``, else None.

    Backups mirror each note's path under the folder, so the notes' own folder, or one above
    it, would have them replace the notes themselves or other notes of the vault. A subfolder
    holding some of the notes would be tagged as backups, and later runs would skip those notes.
    """
    folder = backup_dir.resolve()
    for root in roots:
        if root.resolve().is_relative_to(folder):
            return (f"{backup_dir} is or holds the folder of the notes being fixed ({root}): backups there "
                    "would replace notes; choose a folder of their own")
    for note in notes:
        if note.resolve().is_relative_to(folder):
            return (f"{backup_dir} holds a note being fixed ({note}): marked as a backup folder, it would be "
                    "left out of later runs; choose a folder of their own")
    other = _a_note_in(folder)
    if other is not None:
        return (f"{backup_dir} holds notes ({other}): marked as a backup folder, they would be left out of "
                "later runs; choose a folder of their own")
    return None


_NOTES_LOOKED_AT = 200  # files read to tell whether a folder holds notes: a bound for a huge tree


def _a_note_in(folder: Path) -> Path | None:
    """A note in ``folder`` or below (a file that reads as one: front matter naming a video) when
    it is not (yet) a backup folder, else None. A README.md or the run's own log is no note."""
    from cliptool.errors import CliptoolError
    from cliptool.notes import find_notes, read_note  # they pull in YAML; only --backup-dir needs them

    if not folder.is_dir() or (folder / BACKUP_TAG).exists():
        return None
    found, _ = find_notes([folder])
    for path in found[:_NOTES_LOOKED_AT]:
        try:
            read_note(path)
        except (CliptoolError, OSError):
            continue
        return path
    return None


def check_beside(backup: Path, note: Path) -> None:
    """Refuse to replace a ``<note>.bak`` the user has protected: a symbolic link or a read-only
    file. A plain writable one is taken for a backup of the same note and replaced (a folder there
    fails the write itself, which names it)."""
    try:
        st = backup.lstat()
    except FileNotFoundError:
        return
    what = ("a symbolic link" if stat.S_ISLNK(st.st_mode)
            else "read-only" if stat.S_ISREG(st.st_mode) and _read_only(backup, st)
            else None)
    if what is not None:
        raise InputError(f"its backup {backup} is {what}, so not cliptool's to replace; nothing written "
                         "(move it, or use --backup-dir)", path=str(note))


class BackupPlan:
    """Where one fix run keeps the originals it replaces: ``<note>.bak`` beside each note, or
    mirrored under ``folder``, where a backup replaces only an earlier backup of the same note
    (never a file the user keeps there, nor another note's backup from this run or an earlier one).
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._made: dict[Path, Path] = {}  # backup -> the note it keeps, in this run

    def check(self, note: Path, root: Path) -> None:
        """Refuse now a ``<note>.bak`` the user protects (:func:`check_beside`), as :meth:`claim`
        would; a dry run says so without recording anything."""
        if self.folder is None:
            check_beside(backup_path(note, root=root), note)

    def claim(self, note: Path, root: Path) -> Path:
        """The backup for ``note`` (found under ``root``), recorded as its own; raises InputError
        when it would replace anything else."""
        backup = backup_path(note, root=root, backup_dir=self.folder)
        if self.folder is None:
            self.check(note, root)
            return backup
        mine = str(note.resolve())
        clash = self._made.get(backup.absolute())
        owner = backup_owner(self.folder, backup) if backup.exists() else mine
        if clash is not None or owner != mine:
            why = (f"the backup of {clash} made in this run" if clash is not None
                   else f"the backup of {owner}" if owner else "a file cliptool did not write")
            raise InputError(f"its backup {backup} would replace {why}; nothing written (use another --backup-dir)",
                             path=str(note))
        tag_backup_dir(self.folder)  # so later runs over the notes leave the copies alone
        record_backup(self.folder, backup, note)
        self._made[backup.absolute()] = note
        return backup


def _fault(point: str, fault: str | None) -> None:
    """Test hook: die on the spot at ``point`` so a test can check what a crash leaves behind.

    ``os._exit`` skips cleanup handlers on purpose; that is what a crash or a kill does.
    """
    if (fault or os.environ.get(FAULT_ENV)) == point:
        os._exit(FAULT_EXIT_CODE)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable; folders cannot be opened for fsync on every platform."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_TAG_HEAD = "Originals kept by `cliptool fix`. cliptool reads no notes in this folder.\n"


def tag_backup_dir(folder: Path) -> None:
    """Create ``folder`` and mark it as holding backups (:data:`~cliptool.models.BACKUP_TAG`), once."""
    folder.mkdir(parents=True, exist_ok=True)
    tag = folder / BACKUP_TAG
    if not tag.exists():
        _replace_with(tag, _TAG_HEAD.encode(), 0o644, fault=None)


def _backups_recorded(folder: Path) -> dict[str, str]:
    """Backup (relative to ``folder``) -> the note it keeps, as the tag file lists them."""
    try:
        lines = (folder / BACKUP_TAG).read_text(encoding="utf-8", errors="surrogateescape").splitlines()[1:]
    except OSError:
        return {}
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def backup_owner(folder: Path, backup: Path) -> str | None:
    """The note whose original ``backup`` (a file under ``folder``) holds, if cliptool wrote it.

    A backup may replace only an earlier backup of the same note: a file the user keeps there, or
    another note's backup mapped to the same name by an earlier run, is never overwritten.
    """
    return _backups_recorded(folder).get(backup.relative_to(folder).as_posix())


def record_backup(folder: Path, backup: Path, note: Path) -> None:
    """List ``backup`` as holding ``note``'s original in ``folder``'s tag file (see :func:`backup_owner`)."""
    tag = folder / BACKUP_TAG
    with file_lock(folder / f"{BACKUP_TAG}.lock"):
        recorded = _backups_recorded(folder)
        recorded[backup.relative_to(folder).as_posix()] = str(note.resolve())
        body = _TAG_HEAD + "".join(f"{k}\t{v}\n" for k, v in sorted(recorded.items()))
        _replace_with(tag, body.encode("utf-8", errors="surrogateescape"), 0o644, fault=None)


STALE_TEMP_S = 3600.0


def _sweep_stale_temps(target: Path) -> None:
    """Remove temp files a crashed write of ``target`` left behind.

    A writer holds its temp file for milliseconds; one an hour old belongs to a process that
    died (power cut, kill -9) and would otherwise sit beside the user's note forever.
    """
    cutoff = time.time() - STALE_TEMP_S
    for tmp in target.parent.glob(f".{glob.escape(target.name)}.*{TEMP_SUFFIX}"):
        try:
            if tmp.lstat().st_mtime < cutoff:
                tmp.unlink()
                log.debug("removed %s, left by a crashed write", tmp)
        except OSError:
            pass  # gone already, or not ours to remove: it harms nothing


def _replace_with(target: Path, data: bytes, mode: int, *, fault: str | None, before_replace: str | None = None,
                  expected_sha256: str | None = None, shown: Path | None = None,
                  owner: tuple[int, int] | None = None) -> None:
    """Temp file beside ``target`` -> fsync -> chown -> chmod -> (re-check) -> os.replace -> fsync folder.

    ``owner`` (uid, gid) is given back as far as the process may: root rewriting a user's note
    must not leave it root's; a user who may not give it away leaves the file theirs.

    An OSError names ``shown`` (else ``target``), not the temp file: the user knows only the former
    (``<note>.bak`` being a folder fails the rename, whose error names the temp file first).
    """
    _sweep_stale_temps(target)
    try:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise _naming(exc, shown or target) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if owner is not None and hasattr(os, "chown"):
            with suppress(PermissionError):
                os.chown(tmp, *owner)
        os.chmod(tmp, mode)
        if before_replace:
            _fault(before_replace, fault)
        if expected_sha256 is not None:
            # Second look right before the rename narrows the window for a concurrent editor.
            _check_unchanged(target, expected_sha256, shown)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _naming(exc, shown or target) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _naming(exc: OSError, path: Path) -> OSError:
    """``exc`` naming ``path`` alone (the same subclass, errno and message), or as is without an errno."""
    if exc.errno is None:
        return exc
    return OSError(exc.errno, exc.strerror, str(path))


def _check_unchanged(target: Path, expected_sha256: str, shown: Path | None = None) -> bytes:
    """``target``'s bytes, refused when they no longer hash to what was read; messages name ``shown``
    (the path as the user gave it) rather than the resolved file."""
    name = shown if shown is not None else target
    try:
        current = target.read_bytes()
    except FileNotFoundError:
        raise WriteConflictError(f"{name}: the file was removed since it was read; nothing written") from None
    if sha256_hex(current) != expected_sha256:
        raise WriteConflictError(f"{name}: the file changed on disk since it was read; nothing written")
    return current


def write_atomic(
    path: Path,
    data: bytes,
    *,
    expected_sha256: str | None,
    backup: Path | None,
    root: Path | None = None,
    fault: str | None = None,
) -> Path:
    """Replace ``path``'s bytes with ``data``; returns the real file written.

    Refuses with :class:`WriteConflictError` when ``expected_sha256`` is given and the file no
    longer hashes to it, and with :class:`InputError` when ``path`` resolves outside ``root``
    (default: the folder ``path`` names) or is read-only (:func:`check_writable`). ``backup`` receives the current bytes first, itself
    written atomically. The file mode is kept, and so is its owner where the process may. ``fault`` (or env ``CLIPTOOL_FAULT``) names a
    step of :data:`FAULT_POINTS` at which the process dies, for crash tests.
    """
    target = check_writable(path, root if root is not None else path.absolute().parent)
    current: bytes | None = None  # read only to compare or to back up: a cache file is never read back
    if expected_sha256 is not None:
        current = _check_unchanged(target, expected_sha256, path)
    elif backup is not None and target.exists():
        current = target.read_bytes()
    owner: tuple[int, int] | None = None
    if target.exists():
        st = target.stat()
        mode, owner = stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    if backup is not None and current is not None:
        if backup.resolve() == target:
            raise InputError("the backup would replace the note itself; nothing written", path=str(path))
        backup.parent.mkdir(parents=True, exist_ok=True)
        _replace_with(backup, current, mode, fault=fault, owner=owner)
        log.debug("backed up %s to %s", target, backup)
        _fault("after-backup", fault)
    _replace_with(target, data, mode, fault=fault, before_replace="after-temp", expected_sha256=expected_sha256,
                  shown=path, owner=owner)
    log.debug("wrote %s", target)
    _fault("after-replace", fault)
    return target


_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold ``path`` (created if missing) exclusively for the block: a thread lock, then ``flock``.

    Serialises read-merge-write of shared files (index.json, info.json, a media folder) between
    the threads of ``clip --jobs`` and between processes. The thread lock is taken here, not by
    each caller, because flock does not exist on Windows; there only threads are kept apart, and
    the writes' atomic renames still keep every file whole (a concurrent merge may lose an entry).
    """
    with _thread_locks_guard:
        lock = _thread_locks.setdefault(os.path.abspath(path), threading.Lock())
    with lock:
        try:
            import fcntl
        except ImportError:
            yield
            return
        with open(path, "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
