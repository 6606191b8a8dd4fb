// Range-based set reconciliation of message ids (spec/reconcile.md), one
// side of a session, sans IO: `initiate()`, `receiveFrame(bytes)`,
// `framesToSend()`, `events()`. A bad frame from the peer ends the session
// with a {PeerError: {code, reason}} event (`malformed`, `protocol`), never
// an exception.
//
//   frame = canonical [0, type, lower, body, last]
//   RANGES (1): body = [[upper, mode, data], ...]   mode 0 SKIP nil, 1 FINGERPRINT bin16, 2 IDLIST [id...]
//   NEED   (2): lower nil, body = [id, ...]
//
// The packing of a turn into frames is the one spec/reconcile.md fixes
// ("Turns into frames"), so a transcript is reproduced byte for byte.

import { decode, encode, compareBytes } from "./canonical.js";
import { CoreError, localError } from "./errors.js";
import { sha256Sync } from "./sha256sync.js";

export const ID_BYTES = 32;
export const FINGERPRINT_BYTES = 16;
export const VERSION = 0;
export const MAX_TURNS = 64;
export const RANGES = 1;
export const NEED = 2;
export const SKIP = 0;
export const FINGERPRINT = 1;
export const IDLIST = 2;
const MOD = 1n << 256n;

const pad = (b) => {
  const out = new Uint8Array(ID_BYTES);
  out.set(b.subarray(0, ID_BYTES));
  return out;
};
const cmp = compareBytes;
const sameBound = (a, b) => (a === null || b === null ? a === b : cmp(a, b) === 0);
const hexOf = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function littleEndian(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

function toLittleEndian(n, size) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** A sorted snapshot of a set of 32-byte ids with prefix sums (fingerprints in O(1)). */
export class SortedIds {
  constructor(ids) {
    const uniq = new Map();
    for (const i of ids) {
      if (!(i instanceof Uint8Array) || i.length !== ID_BYTES) throw localError("ids are 32 bytes");
      uniq.set(hexOf(i), i);
    }
    this.ids = [...uniq.values()].sort(cmp);
    this._sums = [0n];
    let total = 0n;
    for (const i of this.ids) {
      total = (total + littleEndian(i)) % MOD;
      this._sums.push(total);
    }
  }

  get length() {
    return this.ids.length;
  }

  /** Index of the first id >= pad(bound); the end for a nil bound. */
  position(bound) {
    if (bound === null) return this.ids.length;
    const p = pad(bound);
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (cmp(this.ids[m], p) < 0) lo = m + 1;
      else hi = m;
    }
    return lo;
  }

  has(id) {
    const at = this.position(id);
    return at < this.ids.length && cmp(this.ids[at], id) === 0;
  }

  /** SHA-256(count as u64 LE || (sum of ids as LE u256 mod 2^256) as 32 bytes LE)[0..16]. */
  fingerprint(lo, hi) {
    const s = (((this._sums[hi] - this._sums[lo]) % MOD) + MOD) % MOD;
    const msg = new Uint8Array(8 + 32);
    msg.set(toLittleEndian(BigInt(hi - lo), 8), 0);
    msg.set(toLittleEndian(s, 32), 8);
    return sha256Sync(msg).slice(0, FINGERPRINT_BYTES);
  }
}

/** The shortest prefix b of `next` with prev < pad(b) <= next. */
export function separatingBound(prev, next) {
  let k = 0;
  while (k < ID_BYTES && prev[k] === next[k]) k++;
  return next.slice(0, k + 1);
}

class ReconcileError extends Error {}
const fail = (reason) => new ReconcileError(reason);

function asId(v) {
  if (!(v instanceof Uint8Array) || v.length !== ID_BYTES) throw fail("an id is 32 bytes");
  return v;
}

function asBound(v) {
  if (v === null) return null;
  if (!(v instanceof Uint8Array) || v.length > ID_BYTES) throw fail("a bound is nil or at most 32 bytes");
  return v;
}

// The size a range is counted at when packing frames (spec/reconcile.md).
function rangeCost(r) {
  const upper = 2 + (r.upper ? r.upper.length : 0);
  if (r.mode === FINGERPRINT) return upper + 4 + FINGERPRINT_BYTES;
  if (r.mode === IDLIST) return upper + 6 + r.data.length * (ID_BYTES + 2);
  return upper + 3;
}

// IDLIST ranges too long for one frame become several IDLIST ranges.
function explode(ranges, maxFrame) {
  const per = Math.max(1, Math.floor((maxFrame - 48 - 40) / (ID_BYTES + 2)));
  const out = [];
  for (const r of ranges) {
    if (r.mode !== IDLIST || r.data.length <= per) {
      out.push(r);
      continue;
    }
    for (let k = 0; k < r.data.length; k += per) {
      const part = r.data.slice(k, k + per);
      const next = k + per < r.data.length ? r.data[k + per] : null;
      out.push({ upper: next === null ? r.upper : separatingBound(part[part.length - 1], next), mode: IDLIST, data: part });
    }
  }
  return out;
}

function mergeSkips(ranges) {
  const out = [];
  for (const r of ranges) {
    if (out.length && r.mode === SKIP && out[out.length - 1].mode === SKIP) out[out.length - 1] = { upper: r.upper, mode: SKIP, data: null };
    else out.push(r);
  }
  return out;
}

const isInt = (v) => typeof v === "number" && Number.isInteger(v);

/** One side of a reconciliation over `ids` (a SortedIds or an iterable of 32-byte ids). */
export class Session {
  constructor(ids, { maxFrame = 65536, branching = 8, idlistThreshold = 8 } = {}) {
    if (!isInt(maxFrame) || maxFrame < 120) throw localError("max_frame must be at least 120 bytes");
    if (!isInt(branching) || branching < 2 || branching > 64) throw localError("branching must be 2..64");
    if (!isInt(idlistThreshold)) throw localError("idlist_threshold is an integer");
    this.items = ids instanceof SortedIds ? ids : new SortedIds(ids);
    this.maxFrame = maxFrame;
    this.branching = branching;
    this.idlistThreshold = idlistThreshold;
    this._out = [];
    this._events = [];
    this._incoming = []; // [lower, ranges]
    this._incomingNeed = [];
    this.turnsSent = 0;
    this.turnsReceived = 0;
    this.bytesSent = 0;
    this.bytesReceived = 0;
    this.closed = false;
  }

  /** Start the session: one range over the whole space. */
  initiate() {
    const n = this.items.length;
    const first =
      n <= this.idlistThreshold
        ? { upper: null, mode: IDLIST, data: [...this.items.ids] }
        : { upper: null, mode: FINGERPRINT, data: this.items.fingerprint(0, n) };
    this._sendTurn(new Uint8Array(0), [first], []);
  }

  framesToSend() {
    return this._out.splice(0);
  }

  /** Events so far, in order: {HaveIds: [ids]}, {NeedIds: [ids]}, {Done: {...}}, {PeerError: {code, reason}}. */
  events() {
    return this._events.splice(0);
  }

  /** Feed one frame from the peer (untrusted). */
  receiveFrame(data) {
    if (this.closed) return;
    this.bytesReceived += data.length;
    let parsed;
    try {
      parsed = this._parse(data);
    } catch (e) {
      if (e instanceof ReconcileError || (e instanceof CoreError && e.code !== "local_error")) {
        this._fail("malformed", `bad reconciliation frame: ${e.message}`);
        return;
      }
      throw e;
    }
    const { type, lower, body, last } = parsed;
    if (type === NEED) this._incomingNeed.push(...body);
    else this._incoming.push([lower, body]);
    if (last) {
      this.turnsReceived++;
      try {
        this._answerTurn();
      } catch (e) {
        if (!(e instanceof ReconcileError)) throw e;
        this._fail("protocol", e.message);
      }
    }
  }

  _answerTurn() {
    if (this.turnsReceived > MAX_TURNS) throw fail(`more than ${MAX_TURNS} turns`);
    if (this._incomingNeed.length) {
      const wanted = new SortedIds(this._incomingNeed).ids;
      if (wanted.some((i) => !this.items.has(i))) throw fail("peer asked for ids we never offered");
      this._events.push({ HaveIds: wanted });
      this._incomingNeed = [];
    }
    const final = !this._incoming.some(([, ranges]) => ranges.some((r) => r.mode !== SKIP));
    if (final) {
      this._incoming = [];
      this._finish();
      return;
    }
    const replies = [];
    const need = [];
    let start = null;
    let prevUpper = null;
    for (const [lower, ranges] of this._incoming) {
      if (start === null) start = lower;
      else if (!sameBound(lower, prevUpper)) throw fail("frames of a turn must cover contiguous spans");
      let lo = lower;
      for (const r of ranges) {
        replies.push(...this._answerRange(lo, r, need));
        lo = r.upper;
      }
      prevUpper = lo;
    }
    this._incoming = [];
    if (!replies.some((r) => r.mode !== SKIP)) {
      this._sendTurn(null, [], need, { final: true });
      this._finish();
      return;
    }
    this._sendTurn(start ?? new Uint8Array(0), mergeSkips(replies), need);
  }

  _answerRange(lower, r, need) {
    const lo = this.items.position(lower);
    const hi = this.items.position(r.upper);
    if (lower !== null && r.upper !== null && cmp(pad(lower), pad(r.upper)) >= 0) {
      throw fail("a range's upper bound must be above its lower bound");
    }
    if (r.mode === SKIP) return [{ upper: r.upper, mode: SKIP, data: null }];
    if (r.mode === FINGERPRINT) {
      if (cmp(this.items.fingerprint(lo, hi), r.data) === 0) return [{ upper: r.upper, mode: SKIP, data: null }];
      return this._split(lo, hi, r.upper);
    }
    const loPad = pad(lower ?? new Uint8Array(0));
    const upPad = r.upper === null ? null : pad(r.upper);
    for (const i of r.data) {
      if (cmp(i, loPad) < 0 || (upPad !== null && cmp(i, upPad) >= 0)) throw fail("an id listed outside its range");
    }
    const mine = this.items.ids.slice(lo, hi);
    const theirs = new Set(r.data.map(hexOf));
    const mineSet = new Set(mine.map(hexOf));
    const theyLack = mine.filter((i) => !theirs.has(hexOf(i)));
    const iLack = r.data.filter((i) => !mineSet.has(hexOf(i)));
    if (theyLack.length) this._events.push({ HaveIds: theyLack });
    if (iLack.length) {
      this._events.push({ NeedIds: iLack });
      need.push(...iLack);
    }
    return [{ upper: r.upper, mode: SKIP, data: null }];
  }

  _split(lo, hi, upper) {
    const n = hi - lo;
    const ids = this.items.ids;
    if (n <= this.idlistThreshold) return [{ upper, mode: IDLIST, data: ids.slice(lo, hi) }];
    const out = [];
    let start = lo;
    for (let k = 1; k <= this.branching; k++) {
      const end = lo + Math.floor((n * k) / this.branching);
      if (end <= start) continue;
      const bound = end === hi ? upper : separatingBound(ids[end - 1], ids[end]);
      out.push({ upper: bound, mode: FINGERPRINT, data: this.items.fingerprint(start, end) });
      start = end;
    }
    return out;
  }

  _finish() {
    this.closed = true;
    this._events.push({ Done: { round_trips: Math.max(this.turnsSent, this.turnsReceived), bytes_sent: this.bytesSent, bytes_received: this.bytesReceived } });
  }

  _fail(code, reason) {
    this.closed = true;
    this._events.push({ PeerError: { code, reason } });
  }

  _sendTurn(start, ranges, need, { final = false } = {}) {
    const frames = [];
    const perNeed = Math.max(1, Math.floor((this.maxFrame - 16) / (ID_BYTES + 2)));
    for (let i = 0; i < need.length; i += perNeed) frames.push([VERSION, NEED, null, need.slice(i, i + perNeed), false]);
    let lower = start;
    let chunk = [];
    let size = 0;
    const wire = (rs) => rs.map((r) => [r.upper, r.mode, r.data]);
    for (const r of explode(ranges, this.maxFrame)) {
      const cost = rangeCost(r);
      if (chunk.length && size + cost > this.maxFrame - 48) {
        frames.push([VERSION, RANGES, lower, wire(chunk), false]);
        lower = chunk[chunk.length - 1].upper;
        chunk = [];
        size = 0;
      }
      chunk.push(r);
      size += cost;
    }
    if (chunk.length || final) frames.push([VERSION, RANGES, lower, wire(chunk), false]);
    frames[frames.length - 1][4] = true;
    for (const f of frames) {
      const bytes = encode(f);
      if (bytes.length > this.maxFrame) throw localError(`internal: a frame of ${bytes.length} bytes exceeds ${this.maxFrame}`);
      this.bytesSent += bytes.length;
      this._out.push(bytes);
    }
    this.turnsSent++;
  }

  _parse(data) {
    if (data.length > this.maxFrame) throw fail(`frame of ${data.length} bytes exceeds ${this.maxFrame}`);
    const value = decode(data);
    if (!Array.isArray(value) || value.length !== 5) throw fail("a frame is an array of 5 elements");
    const [version, type, lower, body, last] = value;
    if (!isInt(version) || version !== VERSION) throw fail(`unsupported version ${String(version)}`);
    if (typeof last !== "boolean") throw fail("last must be a bool");
    if (!Array.isArray(body)) throw fail("frame body must be an array");
    if (type === NEED) {
      if (lower !== null) throw fail("a NEED frame's lower bound is nil");
      return { type, lower: null, body: body.map(asId), last };
    }
    if (type !== RANGES) throw fail(`unknown frame type ${String(type)}`);
    const lowerB = asBound(lower);
    if (lowerB === null && body.length) throw fail("a nil lower bound (the end of the space) only in an empty frame");
    const ranges = [];
    let prev = pad(lowerB ?? new Uint8Array(0));
    body.forEach((item, i) => {
      if (!Array.isArray(item) || item.length !== 3) throw fail(`range ${i} is not [upper, mode, data]`);
      const [upper, mode, payload] = item;
      const upperB = asBound(upper);
      if (upperB === null && i !== body.length - 1) throw fail("only the last range may reach the end of the id space");
      if (upperB !== null && cmp(pad(upperB), prev) <= 0) throw fail(`range ${i} does not ascend`);
      if (upperB !== null) prev = pad(upperB);
      if (mode === SKIP) {
        if (payload !== null) throw fail("a skip range carries nil");
        ranges.push({ upper: upperB, mode: SKIP, data: null });
      } else if (mode === FINGERPRINT) {
        if (!(payload instanceof Uint8Array) || payload.length !== FINGERPRINT_BYTES) throw fail(`a fingerprint is ${FINGERPRINT_BYTES} bytes`);
        ranges.push({ upper: upperB, mode: FINGERPRINT, data: payload });
      } else if (mode === IDLIST) {
        if (!Array.isArray(payload)) throw fail("an id list is an array");
        const listed = payload.map(asId);
        for (let k = 0; k + 1 < listed.length; k++) if (cmp(listed[k], listed[k + 1]) >= 0) throw fail("an id list must be strictly ascending");
        ranges.push({ upper: upperB, mode: IDLIST, data: listed });
      } else {
        throw fail(`unknown range mode ${String(mode)}`);
      }
    });
    return { type, lower: lowerB, body: ranges, last };
  }
}
