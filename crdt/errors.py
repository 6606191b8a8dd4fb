"""The crdt package's one exception hierarchy (same shape as protocol.errors).

Local errors are API misuse; remote errors are bad input from a peer or an
author, and carry a stable wire ``code`` that the spec lists.
"""

from __future__ import annotations

from protocol.errors import CaracolError


class CrdtError(CaracolError):
    """Root of every error the crdt package raises. Never raised itself."""

    code = "crdt_error"


class LocalCrdtError(CrdtError):
    """The caller misused the API (our bug)."""

    code = "local_error"


class RemoteCrdtError(CrdtError):
    """A peer or an author sent something invalid."""

    code = "remote_error"


class TextOriginOutsidePast(RemoteCrdtError):
    """A text op names a character whose message is not in the causal past of
    the message carrying the op (spec/text.md, "Origins and causality")."""

    code = "text_origin_outside_past"


class TextOriginsNotAdjacent(RemoteCrdtError):
    """An insert whose origins were not neighbours in its author's view: some
    character of the causal past lies between them, or the right origin is
    not after the left one (spec/text.md, "Origins and causality")."""

    code = "text_origins_not_adjacent"
