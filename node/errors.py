"""The node package's one exception hierarchy."""

from __future__ import annotations


class NodeError(Exception):
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
        self.key = key
