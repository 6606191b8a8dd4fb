"""Two pseudo-terminals joined back to back (a null-modem cable, as socat
makes one): what is written to one slave is read from the other. Lets the
serial code paths (pyserial opening a device by name) run for real."""

from __future__ import annotations

import contextlib
import os
import select
import threading
import tty
from dataclasses import dataclass, field


@dataclass
class NullModem:
    _fds: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> tuple[str, str]:
        """Open the pair; returns the two device paths."""
        m1, s1 = os.openpty()
        m2, s2 = os.openpty()
        for fd in (s1, s2):
            tty.setraw(fd)
        self._fds = [m1, s1, m2, s2]
        self._thread = threading.Thread(target=self._relay, args=(m1, m2), daemon=True)
        self._thread.start()
        return os.ttyname(s1), os.ttyname(s2)

    def _relay(self, m1: int, m2: int) -> None:
        other = {m1: m2, m2: m1}
        while not self._stop.is_set():
            ready, _, _ = select.select([m1, m2], [], [], 0.1)
            for fd in ready:
                try:
                    os.write(other[fd], os.read(fd, 4096))
                except OSError:
                    continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
