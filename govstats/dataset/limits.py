"""Per-file settings: how large a file may be and how long it may take, so one file cannot cost a whole batch, and
when a PDF's fast reading is read again by the ruled-table readers (``cross_check``, see
:mod:`govstats.validate.readings`). One validated object, handed to every worker with its files (a process pool's
or a Dask cluster's on another host alike).

A file over the size limit is not read at all (an error row says so); a file whose parse runs past the time limit
is stopped (an error row says so) and the batch goes on. Both are user settings (``govstats build --max-file-mb
--file-timeout``). The size limit also bounds what a DOCX may unpack to, checked from its zip directory before any
member is read, so a zip bomb is refused before it is expanded.

The time limit is enforced with a POSIX interval timer where the parse runs on a process's main thread (a serial
build, ``--jobs N`` workers); on Dask's worker threads no timer can interrupt a parse, and only the size limit holds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import TooLarge, TooSlow, UsageError
from ..validate.readings import check_mode

MB = 1024 * 1024
DEFAULT_MAX_FILE_MB = 50.0  # the largest real reports (PDFs with scanned pages) are a few MB; text is far smaller
DEFAULT_TIMEOUT_SECONDS = 120.0  # a large real report parses in a few seconds


@dataclass(frozen=True)
class Limits:
    max_file_mb: float = DEFAULT_MAX_FILE_MB
    timeout_seconds: float | None = DEFAULT_TIMEOUT_SECONDS  # None or 0: no time limit
    cross_check: str = "auto"  # auto, always or never

    def __post_init__(self) -> None:
        if not self.max_file_mb > 0 or (self.timeout_seconds or 0) < 0:
            raise UsageError("--max-file-mb must be above 0 and --file-timeout at least 0")
        check_mode(self.cross_check)

    @property
    def max_bytes(self) -> int:
        return int(self.max_file_mb * MB)

    def check_size(self, name: str, size: int, what: str = "the file") -> None:
        if size > self.max_bytes:
            raise TooLarge(name, f"{what} is {_mb(size)}, over the limit of {self.max_file_mb:g} MB (--max-file-mb)")


DEFAULT_LIMITS = Limits()


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB" if size >= MB // 10 else f"{size} bytes"


def read_bounded(path, name: str, limits: Limits) -> bytes:
    """The file's bytes, never more than the limit in memory (a file that grows while read is caught too)."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        limits.check_size(name, size)
        data = handle.read(size + 1)  # not max_bytes + 1: read() sets aside all it is allowed to read
        if len(data) > size:  # it grew while being read (or stat could not tell: a pipe)
            data += handle.read(limits.max_bytes + 1 - len(data))
    limits.check_size(name, len(data))
    return data


@contextlib.contextmanager
def time_limit(name: str, seconds: float | None) -> Iterator[None]:
    """Stop the body with :class:`TooSlow` after ``seconds`` (where a timer can: the main thread of a process)."""
    usable = seconds and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Expired:
        raise TooSlow(name, f"parsing took longer than the limit of {seconds:g} s (--file-timeout)") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Expired(BaseException):
    """Raised by the timer: not an Exception, so no reader's ``except Exception`` can swallow it."""
