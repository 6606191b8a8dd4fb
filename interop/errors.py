"""The interop package's one exception hierarchy, under ``CaracolError``."""

from __future__ import annotations

from protocol.errors import CaracolError


class InteropError(CaracolError):
    """Root of every error the interop package (harness and runner) raises."""

    code = "interop_error"


class BadRequest(InteropError):
    """A harness request line names no known operation or lacks a field;
    answered as an error line, never a crash (spec/harness.md)."""

    code = "bad_request"


class HarnessBroken(InteropError):
    """The harness exited, or answered something that is not an answer:
    the run cannot go on with it."""

    code = "harness_broken"
