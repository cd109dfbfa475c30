"""The sandbox in processes of its own: a runaway template costs a killed child, not the server.

Each child (`python -m recura.notifications.sandbox_process`) limits its own address space
and then renders one request at a time, read from its stdin as length-prefixed JSON. The
parent keeps a few children warm (starting one costs about a Python start-up), gives each
request a wall-clock deadline and kills the child that misses it; a child that dies (out of
memory, a crash) is replaced on the next request. Frames: the child says `ready` once, then
per request names each part as it starts it and ends with `parts` or `refused`.
"""

from __future__ import annotations

import json
import logging
import os
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import IO, Any

from recura.notifications.sandbox import MEMORY_MB, Budget, Refused, render

log = logging.getLogger(__name__)

# Wall-clock time one render may take before its process is killed. The meter's processor
# budget stops a busy template well before; this is for what it cannot see.
DEADLINE = 10.0
# A child's start-up (a Python interpreter and Jinja2) on a busy machine.
STARTUP = 60.0
_HEADER = struct.Struct(">I")


class Unavailable(RuntimeError):
    """No renderer process could be started: not the template's fault."""


class _Gone(Exception):
    pass


class _Child:
    def __init__(self, python: str, memory_mb: int) -> None:
        try:
            self.process = subprocess.Popen(  # noqa: S603 (our own module, a fixed command line)
                [python, "-m", "recura.notifications.sandbox_process", str(memory_mb)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,
                close_fds=True,
            )
        except OSError as error:
            raise Unavailable(f"the template renderer did not start: {error}") from None
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None
        assert stdout is not None
        self.to_child: IO[bytes] = stdin
        self.from_child = stdout.fileno()
        self._ready = select.poll()
        self._ready.register(self.from_child, select.POLLIN)
        try:
            first = self.read(time.monotonic() + STARTUP)
        except _Gone:
            self.kill()
            raise Unavailable("the template renderer did not start") from None
        if first != {"ready": True}:
            self.kill()
            said = f"said {first!r}" if first else f"was not ready within {STARTUP:g} s"
            raise Unavailable(f"the template renderer {said} on start")

    def ask(self, request: Mapping[str, Any], deadline: float) -> dict[str, Any]:
        """The final frame of the answer; raises Refused when the deadline passes."""
        payload = json.dumps(request).encode()
        try:
            self.to_child.write(_HEADER.pack(len(payload)) + payload)
        except OSError:
            raise _Gone from None
        until = time.monotonic() + deadline
        part: str | None = None
        while True:
            frame = self.read(until)
            if frame is None:
                self.kill()
                reason = f"exceeds the rendering budget: took longer than {deadline:g} s"
                raise Refused(part, reason, over_budget=True)
            if "part" in frame:
                part = frame["part"]
                continue
            frame.setdefault("last_part", part)
            return frame

    def read(self, until: float) -> dict[str, Any] | None:
        """One frame, None when `until` passes first; raises _Gone when the child has ended."""
        header = self._exactly(_HEADER.size, until)
        if header is None:
            return None
        body = self._exactly(_HEADER.unpack(header)[0], until)
        if body is None:
            return None
        frame: dict[str, Any] = json.loads(body)
        return frame

    def _exactly(self, size: int, until: float) -> bytes | None:
        chunks: list[bytes] = []
        while size:
            left = until - time.monotonic()
            if left <= 0:
                return None
            # poll, not select: a busy server's descriptors go past select's 1024. In slices:
            # a process forked meanwhile may hold the pipe open after the child has died.
            if not self._ready.poll(min(left, 0.25) * 1000):
                if self.process.poll() is not None:
                    raise _Gone
                continue
            chunk = os.read(self.from_child, min(size, 1 << 20))
            if not chunk:
                raise _Gone
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.to_child.close()
        if self.process.stdout is not None:
            self.process.stdout.close()


class Pool:
    """Up to `size` renderer processes, shared by the threads of this process."""

    def __init__(
        self, size: int = 2, memory_mb: int = MEMORY_MB, python: str = sys.executable
    ) -> None:
        self.memory_mb = memory_mb
        self.python = python
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[_Child] = []
        self._lock = threading.Lock()

    def render(
        self,
        sources: Mapping[str, str],
        values: Mapping[str, Any],
        budget: Budget | None = None,
        deadline: float = DEADLINE,
    ) -> dict[str, str]:
        """`sandbox.render` in a child process; raises Refused, or Unavailable when no
        child could be started."""
        budget = budget or Budget(memory_mb=self.memory_mb)
        request = {"sources": dict(sources), "values": values, "budget": asdict(budget)}
        with self._slots:
            child = self._take()
            try:
                answer = child.ask(request, deadline)
            except _Gone:
                # Ended mid-render: the address-space limit, or a crash the template caused.
                child.kill()
                reason = "exceeds the rendering budget: the renderer ran out of memory or crashed"
                raise Refused(None, reason, over_budget=True) from None
            except BaseException:  # the deadline, or the parent interrupted: state unknown
                child.kill()
                raise
            with self._lock:
                self._idle.append(child)
        if "refused" in answer:
            refused = answer["refused"]
            raise Refused(refused["part"], refused["reason"], refused["over_budget"])
        parts: dict[str, str] = answer["parts"]
        return parts

    def _take(self) -> _Child:
        with self._lock:
            while self._idle:
                child = self._idle.pop()
                if child.process.poll() is None:
                    return child
                child.kill()  # died idle: its pipes closed
        return _Child(self.python, self.memory_mb)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for child in idle:
            child.kill()


# --- the child ---------------------------------------------------------------------------


def _limit_memory(memory_mb: int) -> None:
    import resource

    try:
        with open("/proc/self/statm") as statm:
            now = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the deadline still holds
        return
    limit = now + memory_mb * 2**20
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _write(out: IO[bytes], frame: Mapping[str, Any]) -> None:
    payload = json.dumps(frame).encode()
    out.write(_HEADER.pack(len(payload)) + payload)
    out.flush()


def _read_request(source: IO[bytes]) -> dict[str, Any] | None:
    header = source.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None  # the parent has gone
    request: dict[str, Any] = json.loads(source.read(_HEADER.unpack(header)[0]))
    return request


def serve(memory_mb: int) -> None:
    # The frames get a descriptor of their own; anything else printed goes to stderr.
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    source = sys.stdin.buffer
    _limit_memory(memory_mb)
    _write(out, {"ready": True})
    while (request := _read_request(source)) is not None:
        budget = Budget(**request["budget"])
        try:
            parts = render(
                request["sources"],
                request["values"],
                budget,
                starting=lambda part: _write(out, {"part": part}),
            )
            answer: dict[str, Any] = {"parts": parts}
        except Refused as refused:
            answer = {"refused": {"part": refused.part, "reason": refused.reason}}
            answer["refused"]["over_budget"] = refused.over_budget
        _write(out, answer)
        del answer


if __name__ == "__main__":
    serve(int(sys.argv[1]))
