"""The runner's end of a harness (spec/harness.md): a subprocess spoken to
in JSON lines, one request and one answer at a time."""

from __future__ import annotations

import contextlib
import json
import queue
import shlex
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

from .errors import HarnessBroken

JS_HARNESS = Path(__file__).resolve().parent / "js" / "harness.mjs"


def js_harness_command(*, noble: bool = False) -> list[str]:
    """The command that starts the JS core's harness under Node.js."""
    node = shutil.which("node") or "/usr/bin/node"
    return [node, str(JS_HARNESS), *(["--noble"] if noble else [])]


class Harness:
    """A running harness subprocess; ``ask`` sends one request, reads one answer.

    Answers are read by a thread, so a harness that stops answering breaks
    the run after ``timeout`` seconds instead of hanging it."""

    def __init__(self, command: str | list[str], *, timeout: float = 120.0) -> None:
        argv = shlex.split(command) if isinstance(command, str) else command
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.timeout = timeout
        self._next = 0
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put("")  # end of output

    def ask_raw(self, line: str) -> Any:
        """Send one line as it is (even one that is not a request) and read
        one answer line, parsed as JSON."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise HarnessBroken("the harness closed its input") from None
        try:
            out = self._lines.get(timeout=self.timeout)
        except queue.Empty:
            raise HarnessBroken(f"the harness gave no answer within {self.timeout:g} s") from None
        if not out:
            self._lines.put("")  # stays ended
            raise HarnessBroken("the harness closed its output")
        try:
            return json.loads(out)
        except ValueError:
            raise HarnessBroken(f"the harness answered a line that is not JSON: {out!r}") from None

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        self._next += 1
        answer = self.ask_raw(json.dumps({**request, "id": self._next}))
        if not isinstance(answer, dict):
            raise HarnessBroken(f"the harness answered {answer!r}, not a JSON object")
        if answer.get("id") != self._next:
            raise HarnessBroken(
                f"answer id {answer.get('id')!r} does not match request {self._next}"
            )
        return answer

    def close(self) -> None:
        if self.proc.stdin:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)
        if self.proc.stdout and not self._reader.is_alive():
            self.proc.stdout.close()

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
