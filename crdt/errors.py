"""The crdt package's one exception hierarchy (same shape as protocol.errors).

Local errors are API misuse; remote errors are bad input from a peer or an
author, and carry a stable wire ``code`` that the spec lists.
"""

from __future__ import annotations


class CrdtError(Exception):
    """Root of every error the crdt package raises. Never raised itself."""

    code: str = "crdt_error"

    def __init__(self, message: str, *, field: str | None = None, offset: int | None = None):
        where = []
        if field is not None:
            where.append(f"field {field}")
        if offset is not None:
            where.append(f"byte offset {offset}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)
        self.reason = message
        self.field = field
        self.offset = offset


class LocalCrdtError(CrdtError):
    """The caller misused the API (our bug)."""

    code = "local_error"


class RemoteCrdtError(CrdtError):
    """A peer or an author sent something invalid."""

    code = "remote_error"
