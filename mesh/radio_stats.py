"""What a radio link counts, as typed fields rather than string keys.

``Counters`` is the link's own tally: one ``int`` field per event, so a
misspelt counter is an ``AttributeError`` (and a mypy error) instead of a
``Counter`` lookup that silently reads 0. ``FrameTraffic`` counts frames and
bytes by frame type in one direction, keyed by the wire's ``FrameType``
names (``INVALID`` for bytes that name none). ``RadioLinkStatistics`` is the
frozen snapshot ``RadioLink.statistics()`` returns (``caracol mesh bridge``
and ``/metrics`` show it; its field names are public API).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import frames
from .dutycycle import QueueReport

INVALID = "INVALID"  # the type name of bytes that are no frame of this version


def type_name(frame: bytes) -> str:
    """The frame type a datagram claims (from its first byte), for counting."""
    if not frame or frame[0] >> 4 != frames.VERSION:
        return INVALID
    try:
        return frames.FrameType(frame[0] & 0x0F).name
    except ValueError:
        return INVALID


@dataclass(slots=True)
class FrameTraffic:
    """Frames and bytes of one direction, by frame type."""

    frame_count: Counter[str] = field(default_factory=Counter)
    byte_count: Counter[str] = field(default_factory=Counter)

    def count(self, data: bytes) -> None:
        name = type_name(data)
        self.frame_count[name] += 1
        self.byte_count[name] += len(data)

    def mean_size(self, ftype: frames.FrameType) -> float | None:
        """The mean length of the frames of ``ftype`` counted (None: none yet)."""
        n = self.frame_count[ftype.name]
        return self.byte_count[ftype.name] / n if n else None


@dataclass(slots=True)
class Counters:
    """Events the link counts (see ``RadioLinkStatistics`` for each)."""

    dropped: int = 0
    messages_delivered: int = 0
    expand_requests_sent: int = 0
    expand_requests_answered: int = 0
    expand_requests_ignored: int = 0
    fragment_requests_sent: int = 0
    sync_started: int = 0
    sync_completed: int = 0
    sync_failed: int = 0
    sync_ignored: int = 0
    sync_turns_resent: int = 0
    sync_nacks_sent: int = 0
    sync_duplicates: int = 0
    sync_superseded: int = 0
    wants_sent: int = 0
    wants_answered: int = 0
    wants_ignored: int = 0
    want_prefixes_unknown: int = 0
    messages_resent_for_wants: int = 0
    offers_sent: int = 0
    offers_ignored: int = 0


@dataclass(frozen=True, slots=True)
class RadioLinkStatistics:
    """What the link did since it started (``caracol mesh bridge`` shows it)."""

    station: str
    frames_in: Mapping[str, int]  # by frame type: MSG, FRAG, FRAG_REQ, SYNC, ...
    frames_out: Mapping[str, int]
    bytes_in: Mapping[str, int]
    bytes_out: Mapping[str, int]
    dropped: int
    messages_delivered: int
    expand_requests_sent: int
    expand_requests_answered: int
    expand_requests_ignored: int
    expand_requests_pending: int  # full forms this side still waits for
    fragment_requests_sent: int
    sync_started: int
    sync_completed: int
    sync_failed: int
    sync_ignored: int  # session frames addressed to other stations, or stale
    sync_sessions_open: int
    sync_turns_resent: int  # our turns (or parts of them) sent again: lost on the way
    sync_nacks_sent: int  # NACKs for parts of the peer's turns that did not arrive
    sync_duplicates: int  # session frames heard again (never fed twice to the session)
    sync_superseded: int  # our sessions ended by the peer opening a new one
    wants_sent: int  # WANT frames we sent for messages offered that did not arrive
    wants_answered: int  # WANTs addressed to us that named messages we hold
    wants_ignored: int  # WANTs for other stations, over the limits, or naming nothing held
    want_prefixes_unknown: int  # prefixes in WANTs to us that match no message here
    messages_resent_for_wants: int  # messages queued again because a WANT asked
    offers_sent: int  # OFFER frames after history we sent: the ids, so losses can be WANTed
    offers_ignored: int  # OFFERs for other stations or bodies, or from stations unknown here
    stations_known: int
    queue: QueueReport


def snapshot(
    station: bytes,
    n: Counters,
    traffic_in: FrameTraffic,
    traffic_out: FrameTraffic,
    *,
    expand_requests_pending: int,
    sync_sessions_open: int,
    stations_known: int,
    queue: QueueReport,
) -> RadioLinkStatistics:
    """The statistics of a link: its counters and the gauges it passes."""
    return RadioLinkStatistics(
        station=station.hex(),
        frames_in=dict(traffic_in.frame_count),
        frames_out=dict(traffic_out.frame_count),
        bytes_in=dict(traffic_in.byte_count),
        bytes_out=dict(traffic_out.byte_count),
        dropped=n.dropped,
        messages_delivered=n.messages_delivered,
        expand_requests_sent=n.expand_requests_sent,
        expand_requests_answered=n.expand_requests_answered,
        expand_requests_ignored=n.expand_requests_ignored,
        expand_requests_pending=expand_requests_pending,
        fragment_requests_sent=n.fragment_requests_sent,
        sync_started=n.sync_started,
        sync_completed=n.sync_completed,
        sync_failed=n.sync_failed,
        sync_ignored=n.sync_ignored,
        sync_sessions_open=sync_sessions_open,
        sync_turns_resent=n.sync_turns_resent,
        sync_nacks_sent=n.sync_nacks_sent,
        sync_duplicates=n.sync_duplicates,
        sync_superseded=n.sync_superseded,
        wants_sent=n.wants_sent,
        wants_answered=n.wants_answered,
        wants_ignored=n.wants_ignored,
        want_prefixes_unknown=n.want_prefixes_unknown,
        messages_resent_for_wants=n.messages_resent_for_wants,
        offers_sent=n.offers_sent,
        offers_ignored=n.offers_ignored,
        stations_known=stations_known,
        queue=queue,
    )
