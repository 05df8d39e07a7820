"""One error tree; ``cli.py`` is the only place these become exit codes.

Exit codes: 0 ok, 1 verify accuracy below ``--min-accuracy``, 2 usage (click, or options that
do not go together), 3 bad input (note, path, argument values), 4 captions unavailable (video
removed/private, no captions, not cached with ``--offline``) or, for clip, the video itself, 5
network failure (captions or media), 6 ffmpeg / media failure,
7 a note changed on disk while fix was working on it, 8 a ``verify --jobs`` worker process
died; 130 and 143 after Ctrl-C and SIGTERM, 141 when the reader of stdout went away. ``claims``, ``fix`` and ``clip`` exit with the
highest code any of their notes produced; ``verify`` reports such notes in its report and exits
0 once the report is produced (1 below ``--min-accuracy``).
"""

from __future__ import annotations

__all__ = [
    "CliptoolError",
    "InputError",
    "UsageError",
    "NoteError",
    "CaptionsError",
    "VideoUnavailableError",
    "NoCaptionsError",
    "NotCachedError",
    "NetworkError",
    "MediaError",
    "FfmpegError",
    "MediaNetworkError",
    "MediaUnavailableError",
    "WriteConflictError",
    "WorkerError",
    "UncheckedError",
    "EXIT_OK",
    "EXIT_BELOW_ACCURACY",
    "EXIT_USAGE",
]

EXIT_OK = 0
EXIT_BELOW_ACCURACY = 1
EXIT_USAGE = 2


class CliptoolError(Exception):
    """Base of every error the tool expects; carries its exit code."""

    exit_code = 3


class InputError(CliptoolError):
    """Bad input: a path, an argument value, a caption file."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = path or ""
        if path and line:
            where = f"{path}:{line}"
        super().__init__(f"{where}: {message}" if where else message)
        self.detail = message


class UsageError(InputError):
    """Options or arguments that do not go together (``--claim`` with ``--anchor``): exit 2, as
    click says of a bad option, while a bad value (a malformed time) stays an :class:`InputError`.
    An InputError still, so callers that catch bad input catch this too."""

    exit_code = EXIT_USAGE


class NoteError(InputError):
    """A note cannot be read: front matter, videoId, timestamp, encoding."""


class CaptionsError(CliptoolError):
    """Captions for a video cannot be had; ``reason`` is the short form verify reports."""

    exit_code = 4
    reason = "unavailable"

    def __init__(self, video_id: str, message: str) -> None:
        self.video_id = video_id
        super().__init__(f"{video_id}: {message}")
        self.detail = message


class VideoUnavailableError(CaptionsError):
    reason = "video unavailable"


class NoCaptionsError(CaptionsError):
    reason = "no captions"


class NotCachedError(CaptionsError):
    reason = "not cached (offline)"


class NetworkError(CaptionsError):
    exit_code = 5
    reason = "network"


class MediaError(CliptoolError):
    """Media cannot be had or cut (missing file, range past the end, no disk space)."""

    exit_code = 6


class MediaNetworkError(MediaError):
    """The media download failed for the network (refused, unreachable, timed out, a 5xx): exit
    code 5, as any network failure, so a script can tell it from a video that cannot be cut."""

    exit_code = 5


class MediaUnavailableError(MediaError):
    """The video to cut from is gone, private or not found: exit code 4, as when its captions
    cannot be had for that reason."""

    exit_code = 4


class FfmpegError(MediaError):
    def __init__(self, message: str, stderr: str = "") -> None:
        tail = next((ln for ln in reversed(stderr.strip().splitlines()) if ln.strip()), "")
        self.stderr = stderr
        super().__init__(f"{message}: {tail}" if tail else message)


class WriteConflictError(CliptoolError):
    """The file changed on disk between read and write; nothing was written."""

    exit_code = 7


class UncheckedError(CliptoolError):
    """A note verify reported but could not check (no captions, a bad note), as an error for the
    commands that stop at it; it keeps the exit code of the error behind the report."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class WorkerError(CliptoolError):
    """A ``--jobs`` worker process died (killed, out of memory): its notes have no report."""

    exit_code = 8
