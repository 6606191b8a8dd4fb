// Radio frames (spec/mesh.md "Frames", "Abbreviated messages", "Fragments").
// Every frame is untrusted input: a bad one throws CoreError("bad_frame")
// with the byte offset the spec names; an abbreviation the receiver cannot
// rebuild throws CoreError("unexpandable").
//
// Byte 0: version (high nibble, 0) and type (low nibble):
//   1 MSG        ctx[4] flags[1] body             flags bit 0 zlib, bit 1 abbreviated
//   2 FRAG       tag[6] index[1] count[1] chunk
//   3 FRAG_REQ   tag[6] count[1] bitmap[ceil(count/8)]
//   4 SYNC       ctx[4] session[4] from[4] to[4] turn[1] part[1] parts[1] frame
//   5 EXPAND_REQ ctx[4] handle[8]
//   6 OBJECT     ctx[4] what[1] data              what bit 7 zlib; low 7 bits 1 or 2
//   7 WANT / 8 OFFER  ctx[4] from[4] to[4] count[1] prefix[8] x count
//
// zlib is the injected one (deps.js, `init({zlib})`), else core/zlib.js's default.
//
// A frame here is a plain object with the fields of spec/harness.md's JSON
// form, bytes as Uint8Array: {type: "MSG", ctx, compressed, abbreviated, body}, …

import { decode, encode, compareBytes } from "./canonical.js";
import { CoreError, localError } from "./errors.js";
import { deps } from "./deps.js";
import { concat } from "./ed25519.js";
import { sha256 } from "./hash.js";
import { defaultZlib, ZlibError } from "./zlib.js";

export const VERSION = 0;
export const CTX = 4;
export const TAG = 6;
export const HANDLE = 8;
export const PREFIX = 8;
export const STATION = 4;
export const SESSION = 4;
export const ANNOUNCEMENT = 1 + CTX + SESSION + 2 * STATION; // 17
export const SYNC_OVERHEAD = ANNOUNCEMENT + 3; // 20
export const WANT_OVERHEAD = 1 + CTX + 2 * STATION + 1; // 14
export const MAX_WANT = 255;
export const FLAG_ZLIB = 0x01;
export const FLAG_ABBREV = 0x02;
export const OBJECT_ZLIB = 0x80;
export const MAX_INFLATED_MSG = 32 * 1024;
export const MAX_INFLATED_OBJECT = 1024 * 1024;
export const FRAG_OVERHEAD = 1 + TAG + 2; // 9
export const MIN_CHUNK = 16;
export const MAX_FRAGMENTS = 255;
const SIGNATURE_BYTES = 64;

export const TYPES = Object.freeze({ MSG: 1, FRAG: 2, FRAG_REQ: 3, SYNC: 4, EXPAND_REQ: 5, OBJECT: 6, WANT: 7, OFFER: 8 });
const TYPE_NAME = Object.freeze(Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, k])));
export const OBJECT_KINDS = Object.freeze({ attestation: 1, full_proof: 2 });

const bad = (reason, offset = null) => new CoreError("bad_frame", reason, { offset });
const isZero = (b) => b.every((x) => x === 0);
const same = (a, b) => compareBytes(a, b) === 0;
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

async function zlib() {
  return deps().zlib ?? (await defaultZlib());
}

async function inflate(data, limit, what) {
  try {
    return await (await zlib()).inflate(data, limit);
  } catch (e) {
    if (!(e instanceof ZlibError)) throw e;
    if (e.kind === "corrupt") throw bad(`compressed ${what} is corrupt: ${e.message}`);
    if (e.kind === "trailing") throw bad(`compressed ${what} has bytes after the end of its zlib stream`);
    throw bad(`compressed ${what} is truncated or inflates past the limit`);
  }
}

// --- SYNC and WANT rules (spec/mesh.md "Frames"), for decoding and encoding ---

const AT_SESSION = 1 + CTX; // 5
const AT_FROM = AT_SESSION + SESSION; // 9
const AT_TURN = ANNOUNCEMENT; // 17
const AT_PART = AT_TURN + 1; // 18
const AT_WANT_FROM = 1 + CTX; // 5
const AT_WANT_TO = AT_WANT_FROM + STATION; // 9
const AT_WANT_COUNT = AT_WANT_TO + STATION; // 13

function checkSync(s, fail) {
  if (s.ctx.length !== CTX || s.session.length !== SESSION || s.from.length !== STATION || s.to.length !== STATION) {
    throw fail("SYNC names ctx[4] session[4] from[4] to[4]");
  }
  if (isZero(s.from)) throw fail("station 00000000 is reserved for announcements", AT_FROM);
  if (isZero(s.to)) {
    if (!isZero(s.session) || s.frame.length || s.turn || s.part || s.parts) {
      throw fail("an announcement has session 0 and nothing after to", AT_SESSION);
    }
    return;
  }
  if (isZero(s.session)) throw fail("a session frame has a non-zero session", AT_SESSION);
  for (const n of [s.turn, s.part, s.parts]) {
    if (!Number.isInteger(n) || n < 0 || n > 255) throw fail("turn, part and parts are single bytes", AT_TURN);
  }
  if (s.parts === 0) {
    const count = s.part;
    if (count === 0) throw fail("a NACK names the part count of the turn it asks for", AT_PART);
    const size = (count + 7) >> 3;
    if (s.frame.length !== size) throw fail(`a NACK's bitmap is ${size} bytes for ${count} parts`, SYNC_OVERHEAD);
    if (count % 8 && s.frame[size - 1] >> count % 8) throw fail("a NACK's bitmap names a part past the count", SYNC_OVERHEAD);
    if (isZero(s.frame)) throw fail("a NACK names at least one missing part", SYNC_OVERHEAD);
    return;
  }
  if (s.part >= s.parts) throw fail(`part ${s.part} of ${s.parts} is impossible`, AT_PART);
  if (!s.frame.length) throw fail("a session frame carries a reconciliation frame", SYNC_OVERHEAD);
}

function checkWant(w, fail) {
  const name = w.type;
  const an = name === "OFFER" ? "an" : "a";
  if (w.ctx.length !== CTX || w.from.length !== STATION || w.to.length !== STATION) throw fail(`${name} names ctx[4] from[4] to[4]`);
  if (isZero(w.from)) throw fail(`${an} ${name} is from a station, not 00000000`, AT_WANT_FROM);
  if (isZero(w.to)) throw fail(`${an} ${name} is addressed to a station, not 00000000`, AT_WANT_TO);
  const n = w.prefixes.length;
  if (n < 1 || n > MAX_WANT) throw fail(`${an} ${name} names 1 to ${MAX_WANT} prefixes, not ${n}`, AT_WANT_COUNT);
  if (w.prefixes.some((p) => p.length !== PREFIX)) throw fail(`${an} ${name}'s prefixes are 8 bytes`, WANT_OVERHEAD);
  const seen = new Set();
  w.prefixes.forEach((p, i) => {
    const k = hex(p);
    if (seen.has(k)) throw fail(`${an} ${name} names prefix ${k} twice`, WANT_OVERHEAD + i * PREFIX);
    seen.add(k);
  });
}

const bitsOf = (bitmap, count) => {
  const out = [];
  for (let i = 0; i < count; i++) if ((bitmap[i >> 3] >> (i % 8)) & 1) out.push(i);
  return out;
};

function bitmapOf(indices, count) {
  const b = new Uint8Array((count + 7) >> 3);
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= count) throw localError(`part ${i} is not one of ${count}`);
    b[i >> 3] |= 1 << i % 8;
  }
  return b;
}

/** Parse one frame from the air -> a frame object; throws bad_frame. */
export async function decodeFrame(data) {
  if (!(data instanceof Uint8Array)) throw localError("a frame is a Uint8Array");
  if (!data.length) throw bad("empty frame");
  const version = data[0] >> 4;
  const t = data[0] & 0x0f;
  if (version !== VERSION) throw bad(`frame version ${version} is not supported`, 0);
  const type = TYPE_NAME[t];
  if (!type) throw bad(`unknown frame type ${t}`, 0);
  const n = data.length;
  switch (type) {
    case "MSG": {
      if (n < 1 + CTX + 2) throw bad("MSG frame too short", n);
      const flags = data[1 + CTX];
      if (flags & ~(FLAG_ZLIB | FLAG_ABBREV)) throw bad(`unknown MSG flags 0x${flags.toString(16).padStart(2, "0")}`, 1 + CTX);
      let body = data.slice(2 + CTX);
      const compressed = !!(flags & FLAG_ZLIB);
      if (compressed) body = await inflate(body, MAX_INFLATED_MSG, "body");
      return { type, ctx: data.slice(1, 1 + CTX), compressed, abbreviated: !!(flags & FLAG_ABBREV), body };
    }
    case "FRAG": {
      if (n < 1 + TAG + 3) throw bad("FRAG frame too short", n);
      const index = data[1 + TAG];
      const count = data[2 + TAG];
      if (count < 2 || index >= count) throw bad(`fragment ${index} of ${count} is impossible`, 1 + TAG);
      return { type, tag: data.slice(1, 1 + TAG), index, count, chunk: data.slice(3 + TAG) };
    }
    case "FRAG_REQ": {
      if (n < 1 + TAG + 1) throw bad("FRAG_REQ frame too short", n);
      const count = data[1 + TAG];
      const bitmap = data.subarray(2 + TAG);
      if (count < 2 || bitmap.length !== (count + 7) >> 3) throw bad("FRAG_REQ bitmap does not match the fragment count", 1 + TAG);
      return { type, tag: data.slice(1, 1 + TAG), count, missing: bitsOf(bitmap, count) };
    }
    case "SYNC": {
      if (n < ANNOUNCEMENT) throw bad("SYNC frame too short", n);
      const s = {
        type,
        ctx: data.slice(1, 5),
        session: data.slice(5, 9),
        from: data.slice(9, 13),
        to: data.slice(13, 17),
      };
      if (isZero(s.to) && !isZero(s.from)) {
        if (n !== ANNOUNCEMENT) throw bad("an announcement has nothing after to", ANNOUNCEMENT);
        Object.assign(s, { turn: 0, part: 0, parts: 0, frame: new Uint8Array(0) });
      } else {
        if (!isZero(s.to) && n < SYNC_OVERHEAD) throw bad("SYNC session frame too short", n);
        Object.assign(s, { turn: data[17] ?? 0, part: data[18] ?? 0, parts: data[19] ?? 0, frame: data.slice(SYNC_OVERHEAD) });
      }
      checkSync(s, bad);
      s.form = isZero(s.to) ? "announcement" : s.parts === 0 ? "nack" : "session";
      if (s.form === "nack") s.missing = bitsOf(s.frame, s.part);
      return s;
    }
    case "OBJECT": {
      if (n < 1 + CTX + 2) throw bad("OBJECT frame too short", n);
      const what = data[1 + CTX];
      const kind = what & 0x7f;
      if (kind !== 1 && kind !== 2) throw bad(`unknown object kind ${kind}`, 1 + CTX);
      let body = data.slice(2 + CTX);
      const compressed = !!(what & OBJECT_ZLIB);
      if (compressed) body = await inflate(body, MAX_INFLATED_OBJECT, "object");
      return { type, ctx: data.slice(1, 1 + CTX), what: kind, compressed, data: body };
    }
    case "WANT":
    case "OFFER": {
      const an = type === "OFFER" ? "an" : "a";
      if (n < WANT_OVERHEAD) throw bad(`${type} frame too short`, n);
      const count = data[AT_WANT_COUNT];
      if (count === 0) throw bad(`${an} ${type} names at least one prefix`, AT_WANT_COUNT);
      const size = WANT_OVERHEAD + count * PREFIX;
      if (n !== size) throw bad(`${an} ${type} of count ${count} is ${size} bytes, not ${n}`, AT_WANT_COUNT);
      const prefixes = [];
      for (let i = 0; i < count; i++) prefixes.push(data.slice(WANT_OVERHEAD + i * PREFIX, WANT_OVERHEAD + (i + 1) * PREFIX));
      const w = { type, ctx: data.slice(1, AT_WANT_FROM), from: data.slice(AT_WANT_FROM, AT_WANT_TO), to: data.slice(AT_WANT_TO, AT_WANT_COUNT), count, prefixes };
      checkWant(w, bad);
      return w;
    }
    default: {
      // EXPAND_REQ
      if (n !== 1 + CTX + HANDLE) throw bad("EXPAND_REQ is exactly 12 bytes after the header", n);
      return { type, ctx: data.slice(1, 1 + CTX), handle: data.slice(1 + CTX) };
    }
  }
}

const header = (type) => Uint8Array.of((VERSION << 4) | TYPES[type]);

/** A MSG frame: the body compressed only when that makes the frame smaller. */
export async function encodeMsg(ctx, body, { abbreviated = false } = {}) {
  if (!(ctx instanceof Uint8Array) || ctx.length !== CTX) throw localError("a frame context is the first 4 bytes of the body id");
  const flags = abbreviated ? FLAG_ABBREV : 0;
  const packed = await (await zlib()).deflate(body);
  if (packed.length < body.length) return concat(header("MSG"), ctx, Uint8Array.of(flags | FLAG_ZLIB), packed);
  return concat(header("MSG"), ctx, Uint8Array.of(flags), body);
}

/**
 * The bytes of a frame object (as decodeFrame gives, or built by a sender).
 * MSG and OBJECT are compressed when that makes them smaller, whatever
 * `compressed` says; the compressed bytes are this zlib's (spec/mesh.md).
 */
export async function encodeFrame(f) {
  const fail = (reason) => localError(reason);
  switch (f.type) {
    case "MSG":
      return encodeMsg(f.ctx, f.body, { abbreviated: !!f.abbreviated });
    case "FRAG":
      return concat(header("FRAG"), f.tag, Uint8Array.of(f.index, f.count), f.chunk);
    case "FRAG_REQ":
      return concat(header("FRAG_REQ"), f.tag, Uint8Array.of(f.count), bitmapOf(f.missing, f.count));
    case "SYNC": {
      const s = { turn: 0, part: 0, parts: 0, frame: new Uint8Array(0), ...f };
      if (s.missing && s.parts === 0 && !isZero(s.to)) s.frame = bitmapOf(s.missing, s.part);
      checkSync(s, fail);
      const head = concat(header("SYNC"), s.ctx, s.session, s.from, s.to);
      if (isZero(s.to)) return head;
      return concat(head, Uint8Array.of(s.turn, s.part, s.parts), s.frame);
    }
    case "OBJECT": {
      const packed = await (await zlib()).deflate(f.data);
      const smaller = packed.length < f.data.length;
      return concat(header("OBJECT"), f.ctx, Uint8Array.of(f.what | (smaller ? OBJECT_ZLIB : 0)), smaller ? packed : f.data);
    }
    case "WANT":
    case "OFFER":
      checkWant(f, fail);
      return concat(header(f.type), f.ctx, f.from, f.to, Uint8Array.of(f.prefixes.length), ...f.prefixes);
    case "EXPAND_REQ":
      return concat(header("EXPAND_REQ"), f.ctx, f.handle);
    default:
      throw localError(`no frame type ${f.type}`);
  }
}

/** spec/harness.md's JSON form of a frame object (bytes as hex). */
export function frameFields(f) {
  const out = {};
  for (const [k, v] of Object.entries(f)) out[k] = v instanceof Uint8Array ? hex(v) : Array.isArray(v) ? v.map((x) => (x instanceof Uint8Array ? hex(x) : x)) : v;
  const order = {
    MSG: ["type", "ctx", "compressed", "abbreviated", "body"],
    FRAG: ["type", "tag", "index", "count", "chunk"],
    FRAG_REQ: ["type", "tag", "count", "missing"],
    SYNC: ["type", "form", "ctx", "session", "from", "to", "turn", "part", "parts", "frame", ...(f.form === "nack" ? ["missing"] : [])],
    EXPAND_REQ: ["type", "ctx", "handle"],
    OBJECT: ["type", "ctx", "what", "compressed", "data"],
    WANT: ["type", "ctx", "from", "to", "count", "prefixes"],
    OFFER: ["type", "ctx", "from", "to", "count", "prefixes"],
  }[f.type];
  return Object.fromEntries(order.map((k) => [k, out[k]]));
}

// --- abbreviation -----------------------------------------------------------------

/**
 * What one end of a link knows of a body: `roster` (member keys, sorted
 * bytewise) and `lookupPrefix(prefix)` -> the held ids starting with it.
 */
export function radioContext(roster, heldIds) {
  return {
    roster,
    lookupPrefix: (p) => heldIds.filter((id) => p.every((b, i) => id[i] === b)),
  };
}

/**
 * The abbreviated form of a signed message: the author by its roster index
 * when it is in the roster, each parent by its first 8 bytes when exactly
 * one held id starts with them.
 */
export function abbreviate(raw, context) {
  let content;
  try {
    content = decode(raw.subarray(0, raw.length - SIGNATURE_BYTES));
  } catch (e) {
    if (e instanceof CoreError) throw localError(`not a message: ${e.message}`);
    throw e;
  }
  if (!Array.isArray(content) || content.length !== 6) throw localError("not a message");
  const [kind, author, parents, seq, time, payload] = content;
  const at = context.roster.findIndex((k) => same(k, author));
  const who = at >= 0 ? at : author;
  const short = parents.map((p) => (context.lookupPrefix(p.subarray(0, PREFIX)).length === 1 ? p.slice(0, PREFIX) : p));
  return concat(encode([kind, who, short, seq, time, payload]), raw.subarray(raw.length - SIGNATURE_BYTES));
}

/**
 * Rebuild the exact signed bytes of an abbreviated message (the caller then
 * decodes and verifies them as usual). Throws bad_frame for a form that is
 * not an abbreviation, unexpandable when this end cannot rebuild it.
 */
export function expand(abbrev, context) {
  if (abbrev.length <= SIGNATURE_BYTES) throw bad("abbreviated message too short");
  let value;
  try {
    value = decode(abbrev.subarray(0, abbrev.length - SIGNATURE_BYTES));
  } catch (e) {
    if (e instanceof CoreError && e.code !== "local_error") throw bad(`abbreviated message is not canonical: ${e.message}`);
    throw e;
  }
  if (!Array.isArray(value) || value.length !== 6 || !Array.isArray(value[2])) throw bad("abbreviated message has the wrong shape");
  const [kind, who, short, seq, time, payload] = value;
  let author;
  if (typeof who === "number" || typeof who === "bigint") {
    if (!(who >= 0 && who < context.roster.length)) {
      throw new CoreError("unexpandable", `author index ${who} is not in the roster of ${context.roster.length}`);
    }
    author = context.roster[Number(who)];
  } else if (who instanceof Uint8Array && who.length === 32) {
    author = who;
  } else {
    throw bad("author is an index or a 32-byte key");
  }
  const parents = short.map((p) => {
    if (!(p instanceof Uint8Array)) throw bad("a parent is bytes");
    if (p.length === 32) return p;
    if (p.length !== PREFIX) throw bad(`a parent is an 8-byte prefix or a 32-byte id, not ${p.length} bytes`);
    const found = context.lookupPrefix(p);
    if (found.length !== 1) {
      throw new CoreError("unexpandable", `parent prefix ${hex(p)} matches ${found.length} messages here; ask for the full form`);
    }
    return found[0];
  });
  return concat(encode([kind, author, parents, seq, time, payload]), abbrev.subarray(abbrev.length - SIGNATURE_BYTES));
}

/** The handle of an abbreviated body: the first 8 bytes of its SHA-256. */
export async function handleOf(abbrev) {
  return (await sha256(abbrev)).slice(0, HANDLE);
}

// --- fragmentation ------------------------------------------------------------------

/**
 * Cut a MSG or OBJECT frame into FRAG frames of at most `mtu` bytes: chunks
 * of MTU − 9 bytes in order, the last one shorter; the frame whole when it
 * fits. local_error when MTU − 9 < 16 or more than 255 pieces are needed.
 */
export async function fragment(frame, mtu) {
  if (frame.length <= mtu) return [frame];
  const room = mtu - FRAG_OVERHEAD;
  if (room < MIN_CHUNK) throw localError(`an MTU of ${mtu} cannot carry fragments`);
  const count = Math.ceil(frame.length / room);
  if (count > MAX_FRAGMENTS) throw localError(`a frame of more than ${MAX_FRAGMENTS} fragments: send it another way`);
  const tag = (await sha256(frame)).slice(0, TAG);
  const out = [];
  for (let i = 0; i < count; i++) {
    out.push(concat(header("FRAG"), tag, Uint8Array.of(i, count), frame.subarray(i * room, (i + 1) * room)));
  }
  return out;
}

/** Collects FRAG frames (decoded); `receive` returns the whole frame once its last piece is in. */
export class Reassembler {
  constructor({ maxPartial = 64 } = {}) {
    this.maxPartial = maxPartial;
    this._partial = new Map(); // tag hex -> {count, chunks: Map}
    this.dropped = [];
  }

  async receive(frag) {
    const k = hex(frag.tag);
    let p = this._partial.get(k);
    if (!p) {
      p = { count: frag.count, chunks: new Map() };
      this._partial.set(k, p);
      while (this._partial.size > this.maxPartial) {
        const old = this._partial.keys().next().value;
        this._partial.delete(old);
        this.dropped.push(`gave up on ${old}: too many partial messages`);
      }
    }
    if (frag.count !== p.count) {
      this.dropped.push(`fragment count changed for ${k}`);
      return null;
    }
    p.chunks.set(frag.index, frag.chunk); // a piece heard again replaces the earlier copy
    if (p.chunks.size < p.count) return null;
    this._partial.delete(k);
    const whole = concat(...Array.from({ length: p.count }, (_, i) => p.chunks.get(i)));
    if (!same((await sha256(whole)).slice(0, TAG), frag.tag)) {
      this.dropped.push(`reassembled ${k} does not match its tag`);
      return null;
    }
    return whole;
  }
}
