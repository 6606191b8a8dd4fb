"""Running real Reticulum processes from tests: one RNS instance per process
(RNS allows no more), TCP on 127.0.0.1, every wait bounded, every process
killed and reaped at the end."""

from __future__ import annotations

import contextlib
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    """A child process whose stdout lines are read by a thread, so waiting
    for a line is bounded even when the child hangs."""

    def __init__(self, args: list[str]) -> None:
        self.args = args
        self.popen = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.out: list[str] = []
        self.err: list[str] = []
        threading.Thread(target=self._pump_out, daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()

    def _pump_out(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.out.append(line.rstrip("\n"))
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _pump_err(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            self.err.append(line)

    def diagnostics(self) -> str:
        return f"{' '.join(self.args)}\nstdout: {self.out}\nstderr: {''.join(self.err)[-3000:]}"

    def expect(self, prefix: str, timeout: float) -> str:
        """The next stdout line starting with ``prefix`` (others are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(0.0, left))
            except queue.Empty:
                raise AssertionError(
                    f"no {prefix!r} line within {timeout:g} s\n{self.diagnostics()}"
                ) from None
            if line is None:
                time.sleep(0.1)  # let the stderr pump finish
                raise AssertionError(
                    f"process ended before printing {prefix!r}\n{self.diagnostics()}"
                )
            if line.startswith(prefix):
                return line

    def line(self, prefix: str, timeout: float) -> str:
        """The first stdout line starting with ``prefix``, printed already or
        within ``timeout`` (in any order with ``expect`` and other ``line``s)."""
        deadline = time.monotonic() + timeout
        while True:
            found = next((line for line in list(self.out) if line.startswith(prefix)), None)
            if found is not None:
                return found
            if self.popen.poll() is not None:
                time.sleep(0.1)  # let the pumps finish
                found = next((line for line in list(self.out) if line.startswith(prefix)), None)
                if found is not None:
                    return found
                raise AssertionError(
                    f"process ended before printing {prefix!r}\n{self.diagnostics()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no {prefix!r} line within {timeout:g} s\n{self.diagnostics()}"
                )
            time.sleep(0.05)

    def wait(self, timeout: float) -> int:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"process did not end within {timeout:g} s\n{self.diagnostics()}"
            ) from None

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


@contextlib.contextmanager
def processes() -> Iterator[list[Proc]]:
    """Collects the processes a test starts; stops and reaps them all at the end."""
    procs: list[Proc] = []
    try:
        yield procs
    finally:
        for p in procs:
            p.stop()
