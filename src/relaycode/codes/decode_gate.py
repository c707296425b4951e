"""Bound what concurrent decodes may take: a few at a time, and a shared memory pool.

Decoding is CPU-bound and memory-hungry, and ``/api/v1/decode`` needs no sign-in: without a
bound, N uploads cost N threads and N bitmaps. The gate has ``slots`` places (taken on the
event loop before a worker thread starts, never queued) and a pool of ``memory`` bytes that
each decode reserves from, in its thread, for the size its image header announces. When
either is exhausted the caller gets a 503 ``decode_busy`` with ``Retry-After`` at once:
waiting in a queue would hold the upload's bytes and the client's connection for nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from relaycode.errors import AppError


class DecodeBusy(AppError):
    status = 503
    code = "decode_busy"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, details={"retry_after": max(1, math.ceil(retry_after))})


def default_slots() -> int:
    """One decode per CPU this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter numbers
_M_TRIM_THRESHOLD = -1


def give_back_big_blocks(threshold: int = 1 << 20) -> bool:
    """Make glibc map every block of ``threshold`` bytes or more on its own, so that a
    decoded bitmap goes back to the system when freed. By default glibc raises that
    threshold up to 32 MB as big blocks are freed, and then keeps them in the heap of the
    thread that freed them: a few large uploads left a server at 1.9 GB. (Not glibc: no-op.)
    """
    name = ctypes.util.find_library("c")
    if not name or "musl" in name:
        return False
    try:
        libc = ctypes.CDLL(name)
        ok = libc.mallopt(_M_MMAP_THRESHOLD, threshold) == 1
        return bool(ok and libc.mallopt(_M_TRIM_THRESHOLD, 2 * threshold) == 1)
    except (OSError, AttributeError):
        return False


class DecodeGate:
    def __init__(self, slots: int, memory: int, retry_after: float) -> None:
        self.slots = max(1, slots)
        self.memory = max(1, memory)
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._busy = 0
        self._held = 0

    def _refuse(self, what: str) -> DecodeBusy:
        return DecodeBusy(f"{what}; try again shortly", self.retry_after)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """A place for one decode, or ``DecodeBusy`` now."""
        with self._lock:
            if self._busy >= self.slots:
                raise self._refuse(f"all {self.slots} decoders are busy")
            self._busy += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1

    @contextmanager
    def hold(self, nbytes: int) -> Iterator[None]:
        """Reserve ``nbytes`` of the pool for one image (its size is checked by the caller)."""
        nbytes = min(max(0, nbytes), self.memory)
        with self._lock:
            if self._held + nbytes > self.memory:
                raise self._refuse("the decoders' memory is in use")
            self._held += nbytes
        try:
            yield
        finally:
            with self._lock:
                self._held -= nbytes

    @property
    def in_use(self) -> tuple[int, int]:
        """(decodes running, bytes reserved): for tests and metrics."""
        with self._lock:
            return self._busy, self._held
