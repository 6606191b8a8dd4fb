"""The sequence CRDT that holds proposal texts, amendments and minutes.

Theory of operation. A document is a sequence of characters, each with an
id ``(message id, offset)``: the message that inserted it (a signed
PROPOSAL, TEXT_EDIT or AMENDMENT) and the character's offset among all the
characters that message inserted. Ids therefore come from signed message
ids: no author can pick ids that collide with anyone else's. Deleted
characters stay as tombstones so later operations can still refer to them.

An insert names its *origins*: the character immediately to its left and the
one immediately to its right (tombstones included) when it was made. A
replica integrates a remote insert between its origins; when other inserts
were made concurrently at the same place, the order among them is decided by
the rule of YATA as corrected by Weidner and Kleppmann ("YjsMod", whose
order equals FugueMax): it never interleaves two runs typed concurrently at
the same spot, and every replica reaches the same sequence whatever order it
receives concurrent operations in. The rule is stated exactly in
spec/text.md.

Storage is run-length: a *run* is a stretch of characters inserted by one
message at consecutive offsets, typed left to right, sharing a right origin
and a deleted flag. Runs sit in blocks of at most ``BLOCK`` runs with cached
visible and raw lengths, and a cursor remembers the last block visited, so
typing and deleting near the previous edit costs O(1) amortised and a
random access O(number of blocks).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from protocol import canonical

from .errors import LocalCrdtError, RemoteCrdtError

Position = tuple[bytes, int]
"""A character id: (message id, offset)."""

BLOCK = 64


class UnknownOrigin(RemoteCrdtError):
    """An operation names a character this document does not hold."""

    code = "unknown_origin"


class BadTextOp(RemoteCrdtError):
    code = "bad_text_op"


class _Run:
    __slots__ = ("block", "deleted", "left", "msg", "n", "off", "right", "text")

    def __init__(
        self,
        msg: bytes,
        off: int,
        text: str,
        left: Position | None,
        right: Position | None,
        deleted: bool = False,
    ) -> None:
        self.msg = msg
        self.off = off
        self.text = text
        self.n = len(text)
        self.left = left
        self.right = right
        self.deleted = deleted
        self.block: _Block

    def visible(self) -> int:
        return 0 if self.deleted else self.n

    def split(self, k: int) -> _Run:
        """Cut this run after k characters; return the tail (same block)."""
        tail = _Run(
            self.msg,
            self.off + k,
            self.text[k:],
            (self.msg, self.off + k - 1),
            self.right,
            self.deleted,
        )
        self.text = self.text[:k]
        self.n = k
        tail.block = self.block
        return tail


class _Block:
    __slots__ = ("raw", "runs", "vis")

    def __init__(self, runs: list[_Run]) -> None:
        self.runs = runs
        self.vis = sum(r.visible() for r in runs)
        self.raw = sum(r.n for r in runs)
        for r in runs:
            r.block = self


@dataclass(frozen=True, slots=True)
class PreparedInsert:
    """Where a local insert goes; sign a message with ``op``, then call
    ``TextDocument.apply(message_id, [op])`` (or ``commit_insert``)."""

    index: int
    left: Position | None
    right: Position | None
    text: str

    @property
    def op(self) -> tuple[Any, ...]:
        return (0, self.left, self.right, self.text)


class TextDocument:
    """One document. Not thread-safe."""

    def __init__(self, root: bytes, initial: str = "") -> None:
        self.root = root
        self._blocks: list[_Block] = [_Block([])]
        self._by_msg: dict[bytes, tuple[list[int], list[_Run]]] = {}
        self._cursor = 0  # block index
        self._cursor_vis = 0  # visible chars before that block
        self._length = 0
        if initial:
            self._insert_run_after(None, _Run(root, 0, initial, None, None))

    # --- reading ------------------------------------------------------------------

    def __len__(self) -> int:
        return self._length

    def text(self) -> str:
        return "".join(r.text for b in self._blocks for r in b.runs if not r.deleted)

    def runs(self) -> Iterator[tuple[bytes, int, int, bool]]:
        """(message id, first offset, length, deleted) of every run, in order."""
        for b in self._blocks:
            for r in b.runs:
                yield (r.msg, r.off, r.n, r.deleted)

    def spans(self) -> Iterator[tuple[bytes, int, str, bool]]:
        """(message id, first offset, text, deleted) of every run, in order:
        what a client needs to make its own operations (tombstones included,
        since an insert's origins are its raw neighbours)."""
        for b in self._blocks:
            for r in b.runs:
                yield (r.msg, r.off, r.text, r.deleted)

    def state_bytes(self) -> bytes:
        """The canonical encoding of the whole state: every character's id,
        origins, text and deleted flag, in document order, with runs merged
        maximally, so it is equal on every replica that applied the same
        operations, whatever order they came in and however runs were split."""
        merged: list[list[Any]] = []
        for b in self._blocks:
            for r in b.runs:
                if merged:
                    m = merged[-1]
                    if (
                        m[0] == r.msg
                        and m[1] + len(m[2]) == r.off
                        and m[5] == r.deleted
                        and m[4] == r.right
                        and r.left == (r.msg, r.off - 1)
                    ):
                        m[2] += r.text
                        continue
                merged.append([r.msg, r.off, r.text, r.left, r.right, r.deleted])
        return canonical.encode(tuple(tuple(m) for m in merged))

    def state_hash(self) -> bytes:
        return hashlib.sha256(self.state_bytes()).digest()

    # --- locating -----------------------------------------------------------------

    def _seek(self, index: int) -> tuple[int, int]:
        """Block holding visible index ``index`` -> (block index, visible
        chars before it). Starts from the cursor: edits near the previous one
        cost O(1)."""
        blocks = self._blocks
        bi, vb = self._cursor, self._cursor_vis
        if bi >= len(blocks):
            bi, vb = 0, 0
        while bi > 0 and vb > index:
            bi -= 1
            vb -= blocks[bi].vis
        while bi < len(blocks) - 1 and vb + blocks[bi].vis <= index:
            vb += blocks[bi].vis
            bi += 1
        self._cursor, self._cursor_vis = bi, vb
        return bi, vb

    def _touch(self, block: _Block, dvis: int, draw: int) -> None:
        """Account a change of size in ``block``; keep the cursor valid."""
        block.vis += dvis
        block.raw += draw
        self._length += dvis
        if dvis and not (self._cursor < len(self._blocks) and self._blocks[self._cursor] is block):
            self._cursor, self._cursor_vis = 0, 0

    def _find_run(self, pos: Position) -> _Run:
        entry = self._by_msg.get(pos[0])
        if entry is not None:
            offs, runs = entry
            i = bisect.bisect_right(offs, pos[1]) - 1
            if i >= 0 and pos[1] < runs[i].off + runs[i].n:
                return runs[i]
        raise UnknownOrigin(f"no character {pos[0].hex()[:16]}…:{pos[1]} in this document")

    def _has(self, pos: Position) -> bool:
        try:
            self._find_run(pos)
        except UnknownOrigin:
            return False
        return True

    def _char_run(self, pos: Position) -> tuple[_Run, int]:
        run = self._find_run(pos)
        return run, pos[1] - run.off

    def _index_run(self, run: _Run) -> None:
        entry = self._by_msg.get(run.msg)
        if entry is None:
            self._by_msg[run.msg] = ([run.off], [run])
            return
        offs, runs = entry
        i = bisect.bisect_left(offs, run.off)
        offs.insert(i, run.off)
        runs.insert(i, run)

    def _raw_index(self, pos: Position | None, *, none: int) -> int:
        """Global raw index of a char (``none`` for a missing origin)."""
        if pos is None:
            return none
        run, k = self._char_run(pos)
        total = 0
        for b in self._blocks:
            if b is run.block:
                break
            total += b.raw
        for r in run.block.runs:
            if r is run:
                return total + k
            total += r.n
        raise LocalCrdtError("internal: run not in its block")

    def _next_run(self, run: _Run | None) -> _Run | None:
        if run is None:
            for b in self._blocks:
                if b.runs:
                    return b.runs[0]
            return None
        runs = run.block.runs
        i = runs.index(run)
        if i + 1 < len(runs):
            return runs[i + 1]
        bi = self._blocks.index(run.block)
        for b in self._blocks[bi + 1 :]:
            if b.runs:
                return b.runs[0]
        return None

    def _prev_run(self, run: _Run | None) -> _Run | None:
        """The run before ``run`` (None: the last run of the document)."""
        if run is None:
            for b in reversed(self._blocks):
                if b.runs:
                    return b.runs[-1]
            return None
        runs = run.block.runs
        i = runs.index(run)
        if i > 0:
            return runs[i - 1]
        bi = self._blocks.index(run.block)
        while bi > 0:
            bi -= 1
            if self._blocks[bi].runs:
                return self._blocks[bi].runs[-1]
        return None

    # --- structure edits ------------------------------------------------------------

    def _split_at(self, run: _Run, k: int) -> _Run:
        """Split ``run`` after k chars (0 < k < n); the tail is placed right
        after it in the same block and indexed. Sizes are unchanged."""
        tail = run.split(k)
        runs = run.block.runs
        runs.insert(runs.index(run) + 1, tail)
        self._index_run(tail)
        self._maybe_split_block(run.block)
        return tail

    def _maybe_split_block(self, block: _Block) -> None:
        if len(block.runs) <= 2 * BLOCK:
            return
        bi = self._blocks.index(block)
        half = len(block.runs) // 2
        tail = _Block(block.runs[half:])
        block.runs = block.runs[:half]
        block.vis -= tail.vis
        block.raw -= tail.raw
        self._blocks.insert(bi + 1, tail)
        if self._cursor > bi:
            self._cursor += 1

    def _insert_run_after(self, left: _Run | None, run: _Run) -> None:
        """Place ``run`` right after run ``left`` (None: at the start)."""
        if left is None:
            block = self._blocks[0]
            block.runs.insert(0, run)
        else:
            block = left.block
            block.runs.insert(block.runs.index(left) + 1, run)
        run.block = block
        self._touch(block, run.visible(), run.n)
        self._index_run(run)
        self._maybe_split_block(block)

    # --- local edits ------------------------------------------------------------------

    def prepare_insert(self, index: int, text: str) -> PreparedInsert:
        """Origins for inserting ``text`` before visible index ``index``."""
        if not text:
            raise LocalCrdtError("nothing to insert")
        if not 0 <= index <= len(self):
            raise LocalCrdtError(f"index {index} outside 0..{len(self)}")
        run, k = self._visible_char(index)
        if run is None:  # at the end, after any trailing tombstones
            last = self._prev_run(None)
            left = None if last is None else (last.msg, last.off + last.n - 1)
            return PreparedInsert(index, left, None, text)
        right = (run.msg, run.off + k)
        if k > 0:
            return PreparedInsert(index, (run.msg, run.off + k - 1), right, text)
        before = self._prev_run(run)
        left = None if before is None else (before.msg, before.off + before.n - 1)
        return PreparedInsert(index, left, right, text)

    def _visible_char(self, index: int) -> tuple[_Run | None, int]:
        """The run and offset of the visible char at ``index`` (None at end)."""
        bi, vb = self._seek(index)
        for r in self._blocks[bi].runs:
            if r.deleted:
                continue
            if vb + r.n > index:
                return r, index - vb
            vb += r.n
        return None, 0

    def local_insert(
        self, index: int, text: str, message: bytes, offset: int = 0
    ) -> tuple[Any, ...]:
        """Insert ``text`` at ``index`` as chars (message, offset…); returns the op."""
        prep = self.prepare_insert(index, text)
        self._integrate(message, offset, prep.left, prep.right, text)
        return prep.op

    def local_delete(self, index: int, length: int) -> list[tuple[Any, ...]]:
        """Delete visible chars [index, index + length); returns the ops (one
        per stretch of consecutive ids)."""
        if length <= 0 or index < 0 or index + length > len(self):
            raise LocalCrdtError(f"cannot delete {length} at {index} of {len(self)}")
        ops: list[tuple[Any, ...]] = []
        remaining = length
        while remaining:
            run, k = self._visible_char(index)
            assert run is not None
            take = min(remaining, run.n - k)
            ops.append((1, (run.msg, run.off + k), take))
            self._delete_span(run, k, take)
            remaining -= take
        return ops

    # --- applying operations -------------------------------------------------------------

    def apply(self, message: bytes, ops: Iterable[tuple[Any, ...]]) -> None:
        """Apply one message's operations. All-or-nothing: every origin and
        every deleted id must exist, else ``UnknownOrigin`` and nothing
        changes. Idempotent: chars already present are not inserted again."""
        ops = list(ops)
        self._check(message, ops)
        offset = 0
        for op in ops:
            if op[0] == 0:
                _, left, right, text = op
                if not self._has((message, offset)):
                    self._integrate(message, offset, left, right, text)
                offset += len(text)
            else:
                _, start, length = op
                self._delete_ids(start, length)

    def _check(self, message: bytes, ops: list[tuple[Any, ...]]) -> None:
        if not ops:
            raise BadTextOp("a message carries at least one text operation")
        for i, op in enumerate(ops):
            if not _well_formed(op):
                raise BadTextOp(f"text operation {i} is malformed: {op!r:.80}")
        offset = 0
        for op in ops:
            if op[0] == 0:
                _, left, right, text = op
                for pos in (left, right):
                    # an origin may be a char of this same message inserted earlier in it
                    if pos is not None and not (pos[0] == message and pos[1] < offset):
                        self._find_run(pos)
                offset += len(text)
            elif op[0] == 1:
                start, length = op[1], op[2]
                if not (start[0] == message and start[1] + length <= offset):
                    self._find_run(start)
                    self._find_run((start[0], start[1] + length - 1))
            else:
                raise BadTextOp(f"unknown text operation {op[0]!r}")

    def _integrate(
        self, msg: bytes, off: int, left: Position | None, right: Position | None, text: str
    ) -> None:
        if left is not None:
            lrun, k = self._char_run(left)
            if k < lrun.n - 1:
                self._split_at(lrun, k + 1)
            # Typing on: extend the run that ends at the left origin.
            if (
                lrun.msg == msg
                and lrun.off + lrun.n == off
                and not lrun.deleted
                and lrun.right == right
            ):
                nxt = self._next_run(lrun)
                if (None if nxt is None else (nxt.msg, nxt.off)) == right:
                    lrun.text += text
                    lrun.n += len(text)
                    self._touch(lrun.block, len(text), len(text))
                    return
            left_run: _Run | None = lrun
        else:
            left_run = None
        if right is not None:
            rrun, k = self._char_run(right)
            if k > 0:
                self._split_at(rrun, k)
        new = _Run(msg, off, text, left, right)
        after = self._next_run(left_run)
        if (None if after is None else (after.msg, after.off)) == right:
            self._insert_run_after(left_run, new)
        else:
            self._integrate_concurrent(new, left_run)

    def _integrate_concurrent(self, new: _Run, left_run: _Run | None) -> None:
        """The YjsMod scan between the origins, one run at a time
        (spec/text.md, "Integration"): only a run's first char can stop the
        scan; its other chars have their left origin inside the run."""
        li = self._raw_index(new.left, none=-1)
        ri = self._raw_index(new.right, none=1 << 62)
        scanning = False
        cur = self._next_run(left_run)
        dest = cur  # insert before this run (None: at the end)
        i = li + 1
        while True:
            if not scanning:
                dest = cur
            if cur is None or i == ri:
                break
            oleft = self._raw_index(cur.left, none=-1)
            oright = self._raw_index(cur.right, none=1 << 62)
            if oleft < li:
                break
            if oleft == li:
                if oright < ri:
                    scanning = True
                elif oright == ri:
                    if (new.msg, new.off) < (cur.msg, cur.off):
                        break
                    scanning = False
                else:
                    scanning = False
            i += cur.n
            cur = self._next_run(cur)
        self._insert_run_after(
            self._prev_run(dest) if dest is not None else self._prev_run(None), new
        )

    def _delete_ids(self, start: Position, length: int) -> None:
        msg, off = start
        remaining = length
        while remaining:
            run, k = self._char_run((msg, off))
            take = min(remaining, run.n - k)
            if not run.deleted:
                self._delete_span(run, k, take)
            off += take
            remaining -= take

    def _delete_span(self, run: _Run, k: int, take: int) -> None:
        """Mark chars [k, k + take) of ``run`` deleted (splitting as needed)."""
        if k > 0:
            run = self._split_at(run, k)
        if take < run.n:
            self._split_at(run, take)
        if not run.deleted:
            run.deleted = True
            self._touch(run.block, -run.n, 0)


def _is_pos(p: object) -> bool:
    return (
        type(p) is tuple
        and len(p) == 2
        and type(p[0]) is bytes
        and len(p[0]) == 32
        and type(p[1]) is int
        and p[1] >= 0
    )


def _well_formed(op: object) -> bool:
    """The shape of a text operation (spec/kinds.md), checked before use so
    malformed input raises BadTextOp, never a TypeError or IndexError."""
    if type(op) is not tuple or not op or type(op[0]) is not int:
        return False
    if op[0] == 0:
        return (
            len(op) == 4
            and (op[1] is None or _is_pos(op[1]))
            and (op[2] is None or _is_pos(op[2]))
            and type(op[3]) is str
            and len(op[3]) > 0
        )
    if op[0] == 1:
        return len(op) == 3 and _is_pos(op[1]) and type(op[2]) is int and op[2] > 0
    return False
