"""The node package's one exception hierarchy, under ``CaracolError``."""

from __future__ import annotations

from protocol.errors import CaracolError


class NodeError(CaracolError):
    """Root of every error the node package raises."""

    code = "node_error"


class StoreError(NodeError):
    """The database cannot be opened or used (damaged, newer schema, disk)."""

    code = "store"


class StoreLocked(StoreError):
    """Another process (a running node, an import) writes the database."""

    code = "store_locked"


class ConfigError(NodeError):
    """The configuration file is invalid; the message names the bad key."""

    code = "config"

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(f"{key}: {message}" if key else message)
        self.reason = message
        self.field = self.key = key


class RateLimited(NodeError):
    """A batch refused by the rate limits; ``seconds`` until it would fit."""

    code = "rate_limited"

    def __init__(self, seconds: int) -> None:
        super().__init__(f"rate limited for {seconds} s")
        self.seconds = seconds


class Superseded(NodeError):
    """A message that runs a decision, refused under a superseded constitution
    until a member signs the adoption."""

    code = "superseded_constitution"


class PeerLinkClosed(NodeError):
    """A gossip link ended; ``code`` says why (``malformed``, ``limit``,
    ``reconcile``, ``misbehaving``, ``peer_closed``) and is sent to the peer."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
