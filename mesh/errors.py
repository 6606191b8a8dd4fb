"""The mesh package's one exception hierarchy.

Radio input is untrusted and cannot be answered reliably, so a frame that
fails to parse is *dropped with a recorded reason*; these errors carry the
reason and a stable code. Local errors are API misuse.
"""

from __future__ import annotations

import anyio

from protocol.errors import CaracolError


class MeshError(CaracolError):
    """Root of every error the mesh package raises."""

    code = "mesh_error"


class LocalMeshError(MeshError):
    code = "local_error"


class RemoteMeshError(MeshError):
    """A frame from the air (or a TNC) is invalid: drop it, record why."""

    code = "remote_error"


class BadFrame(RemoteMeshError):
    code = "bad_frame"


class BadKiss(RemoteMeshError):
    code = "bad_kiss"


class Unexpandable(RemoteMeshError):
    """An abbreviated message names a roster index or parent prefix the
    receiver cannot expand (unknown or ambiguous): ask for the full form."""

    code = "unexpandable"


class LinkClosed(LocalMeshError, anyio.EndOfStream):
    """``receive`` on a link that has ended (closed here, closed by the peer,
    the device or TNC gone). It is also ``anyio.EndOfStream``, so a reader
    written for streams ends cleanly; the message says why the link ended."""

    code = "link_closed"


class OverBudget(LocalMeshError):
    """Sending now would exceed the duty-cycle budget."""

    code = "over_budget"
