// Canonical msgpack (spec/encoding.md): the one byte form of every value
// Caracol signs, and a strict decoder that rejects everything outside the
// subset with the error codes and byte offsets of spec/errors.md.
//
// Values (one stated form):
//   null, true/false,
//   integers: a `number` when it is a safe integer (|n| <= 2^53 - 1), a
//             `BigInt` otherwise (decode); encode takes either,
//   strings (str, valid UTF-8), Uint8Array (bin), Array (array),
//   Map with integer or string keys (map; only inside unknown kinds).

import { CoreError, localError } from "./errors.js";

export const MAX_DEPTH = 8;
export const MAX_BYTES = 65536;

const INT_MIN = -(2n ** 63n);
const UINT_MAX = 2n ** 64n - 1n;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

// --- encoding -----------------------------------------------------------------

class Writer {
  constructor() {
    this.buf = new Uint8Array(256);
    this.len = 0;
  }
  room(n) {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b) {
    this.room(1);
    this.buf[this.len++] = b;
  }
  uint(n, width) {
    // n: BigInt or number, big-endian in `width` bytes
    let v = BigInt(n);
    this.room(width);
    for (let i = width - 1; i >= 0; i--) {
      this.buf[this.len + i] = Number(v & 0xffn);
      v >>= 8n;
    }
    this.len += width;
  }
  bytes(b) {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  result() {
    return this.buf.slice(0, this.len);
  }
}

function isWellFormed(s) {
  if (typeof s.isWellFormed === "function") return s.isWellFormed();
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

function writeLength(w, n, small, fixBase, fixMax, codes) {
  // codes: [8-bit code | null, 16-bit code, 32-bit code]
  if (fixBase !== null && n < fixMax) return w.byte(fixBase | n);
  if (codes[0] !== null && n < 0x100) {
    w.byte(codes[0]);
    return w.uint(n, 1);
  }
  if (n < 0x10000) {
    w.byte(codes[1]);
    return w.uint(n, 2);
  }
  if (n <= 0xffffffff) {
    w.byte(codes[2]);
    return w.uint(n, 4);
  }
  throw localError(`length ${n} is too large to encode`);
}

function writeInt(w, value) {
  const n = BigInt(value);
  if (n < INT_MIN || n > UINT_MAX) throw localError(`integer ${n} outside the encodable range`);
  if (n >= 0n) {
    if (n < 0x80n) return w.byte(Number(n));
    if (n < 0x100n) return w.byte(0xcc), w.uint(n, 1);
    if (n < 0x10000n) return w.byte(0xcd), w.uint(n, 2);
    if (n < 0x100000000n) return w.byte(0xce), w.uint(n, 4);
    return w.byte(0xcf), w.uint(n, 8);
  }
  if (n >= -32n) return w.byte(Number(n + 256n));
  if (n >= -128n) return w.byte(0xd0), w.uint(BigInt.asUintN(8, n), 1);
  if (n >= -32768n) return w.byte(0xd1), w.uint(BigInt.asUintN(16, n), 2);
  if (n >= -(2n ** 31n)) return w.byte(0xd2), w.uint(BigInt.asUintN(32, n), 4);
  return w.byte(0xd3), w.uint(BigInt.asUintN(64, n), 8);
}

function writeValue(w, value, depth) {
  if (value === null) return w.byte(0xc0);
  if (value === false) return w.byte(0xc2);
  if (value === true) return w.byte(0xc3);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw localError(`${value} is not a safe integer (floats are outside the canonical subset; use BigInt beyond 2^53)`);
    }
    return writeInt(w, value);
  }
  if (typeof value === "bigint") return writeInt(w, value);
  if (typeof value === "string") {
    if (!isWellFormed(value)) throw localError("string has a lone surrogate: not valid UTF-8");
    const b = utf8.encode(value);
    writeLength(w, b.length, true, 0xa0, 32, [0xd9, 0xda, 0xdb]);
    return w.bytes(b);
  }
  if (value instanceof Uint8Array) {
    writeLength(w, value.length, true, null, 0, [0xc4, 0xc5, 0xc6]);
    return w.bytes(value);
  }
  if (Array.isArray(value)) {
    if (depth > MAX_DEPTH) throw localError(`nesting deeper than ${MAX_DEPTH}`);
    writeLength(w, value.length, false, 0x90, 16, [null, 0xdc, 0xdd]);
    for (const v of value) writeValue(w, v, depth + 1);
    return;
  }
  if (value instanceof Map) {
    if (depth > MAX_DEPTH) throw localError(`nesting deeper than ${MAX_DEPTH}`);
    const entries = [];
    for (const [k, v] of value) {
      if (!(typeof k === "string" || typeof k === "bigint" || (typeof k === "number" && Number.isSafeInteger(k)))) {
        throw localError(`map key ${String(k)} is neither an integer nor a string`);
      }
      entries.push([encodeAt(k, depth + 1), v]);
    }
    entries.sort((a, b) => compareBytes(a[0], b[0]));
    for (let i = 1; i < entries.length; i++) {
      if (compareBytes(entries[i - 1][0], entries[i][0]) === 0) throw localError("duplicate map key");
    }
    writeLength(w, entries.length, false, 0x80, 16, [null, 0xde, 0xdf]);
    for (const [kb, v] of entries) {
      w.bytes(kb);
      writeValue(w, v, depth + 1);
    }
    return;
  }
  throw localError(`a ${Object.prototype.toString.call(value)} is outside the canonical subset`);
}

function encodeAt(value, depth) {
  const w = new Writer();
  writeValue(w, value, depth);
  return w.result();
}

/** Encode a value in canonical form; throws CoreError("local_error") for values outside the subset. */
export function encode(value) {
  return encodeAt(value, 1);
}

/** Bytewise lexicographic order, shorter prefix first. */
export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

// --- strict decoding ------------------------------------------------------------

function pathText(path) {
  return path.length ? path.map((i) => `[${i}]`).join("") : "$";
}

// Offset of the first byte of the first invalid UTF-8 sequence, or -1
// (Unicode Table 3-7: no overlongs, no surrogates, nothing above U+10FFFF).
export function firstBadUtf8(b, start, end) {
  let i = start;
  while (i < end) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n, lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c === 0xe0) (n = 2), (lo = 0xa0);
    else if (c >= 0xe1 && c <= 0xec) n = 2;
    else if (c === 0xed) (n = 2), (hi = 0x9f);
    else if (c >= 0xee && c <= 0xef) n = 2;
    else if (c === 0xf0) (n = 3), (lo = 0x90);
    else if (c >= 0xf1 && c <= 0xf3) n = 3;
    else if (c === 0xf4) (n = 3), (hi = 0x8f);
    else return i;
    for (let k = 1; k <= n; k++) {
      if (i + k >= end) return i;
      const d = b[i + k];
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += n + 1;
  }
  return -1;
}

class Strict {
  constructor(data) {
    this.data = data;
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.pos = 0;
  }

  need(n, path) {
    if (this.pos + n > this.data.length) {
      throw new CoreError("truncated", `needs ${n} more bytes, only ${this.data.length - this.pos} remain`, {
        field: pathText(path),
        offset: this.pos,
      });
    }
  }

  take(n, path) {
    this.need(n, path);
    const chunk = this.data.slice(this.pos, this.pos + n);
    this.pos += n;
    return chunk;
  }

  uint(width, path) {
    this.need(width, path);
    const p = this.pos;
    this.pos += width;
    if (width === 1) return this.view.getUint8(p);
    if (width === 2) return this.view.getUint16(p);
    if (width === 4) return this.view.getUint32(p);
    return this.view.getBigUint64(p);
  }

  int(width, path) {
    this.need(width, path);
    const p = this.pos;
    this.pos += width;
    if (width === 1) return this.view.getInt8(p);
    if (width === 2) return this.view.getInt16(p);
    if (width === 4) return this.view.getInt32(p);
    return this.view.getBigInt64(p);
  }

  value(depth, path) {
    const start = this.pos;
    this.need(1, path);
    const b = this.data[this.pos++];
    const where = pathText(path);
    const noncanon = (what) => new CoreError("non_canonical", what, { field: where, offset: start });
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b <= 0x8f) return this.map(b & 0x0f, depth, path, start);
    if (b <= 0x9f) return this.array(b & 0x0f, depth, path, start);
    if (b <= 0xbf) return this.text(b & 0x1f, path);
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xc5:
      case 0xc6: {
        const width = { 0xc4: 1, 0xc5: 2, 0xc6: 4 }[b];
        const n = this.uint(width, path);
        if (width > 1 && n < 2 ** (8 * (width / 2))) throw noncanon(`bin length ${n} in a ${width}-byte header`);
        return this.take(n, path);
      }
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf: {
        const width = { 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8 }[b];
        const n = this.uint(width, path);
        const min = { 1: 0x80, 2: 0x100, 4: 0x10000, 8: 0x100000000 }[width];
        if (n < min) throw noncanon(`unsigned ${n} not in its shortest form`);
        return typeof n === "bigint" && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
      }
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3: {
        const width = { 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8 }[b];
        const n = this.int(width, path);
        if (n >= 0) throw noncanon(`non-negative ${n} in a signed form`);
        const floor = { 1: -32, 2: -128, 4: -32768, 8: -(2 ** 31) }[width];
        if (n >= floor) throw noncanon(`negative ${n} not in its shortest form`);
        return typeof n === "bigint" && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : n;
      }
      case 0xd9:
      case 0xda:
      case 0xdb: {
        const width = { 0xd9: 1, 0xda: 2, 0xdb: 4 }[b];
        const n = this.uint(width, path);
        const min = { 1: 32, 2: 0x100, 4: 0x10000 }[width];
        if (n < min) throw noncanon(`str length ${n} in a ${width}-byte header`);
        return this.text(n, path);
      }
      case 0xdc:
      case 0xdd: {
        const width = b === 0xdc ? 2 : 4;
        const n = this.uint(width, path);
        if (n < 16 || (width === 4 && n < 0x10000)) throw noncanon(`array length ${n} in a ${width}-byte header`);
        return this.array(n, depth, path, start);
      }
      case 0xde:
      case 0xdf: {
        const width = b === 0xde ? 2 : 4;
        const n = this.uint(width, path);
        if (n < 16 || (width === 4 && n < 0x10000)) throw noncanon(`map length ${n} in a ${width}-byte header`);
        return this.map(n, depth, path, start);
      }
      case 0xca:
      case 0xcb:
        throw new CoreError("forbidden_type", "floats are not allowed", { field: where, offset: start });
      case 0xc7:
      case 0xc8:
      case 0xc9:
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        throw new CoreError("forbidden_type", "extension types are not allowed", { field: where, offset: start });
      default:
        throw new CoreError("forbidden_type", `byte 0x${b.toString(16)} is reserved in msgpack`, {
          field: where,
          offset: start,
        });
    }
  }

  text(n, path) {
    this.need(n, path);
    const s = this.pos;
    const bad = firstBadUtf8(this.data, s, s + n);
    if (bad >= 0) {
      throw new CoreError("invalid_utf8", "string is not valid UTF-8", { field: pathText(path), offset: bad });
    }
    this.pos += n;
    return utf8Decoder.decode(this.data.subarray(s, s + n));
  }

  array(n, depth, path, start) {
    if (depth > MAX_DEPTH) {
      throw new CoreError("too_deep", `nesting deeper than ${MAX_DEPTH}`, { field: pathText(path), offset: start });
    }
    if (n > this.data.length - this.pos) {
      throw new CoreError("truncated", `array of ${n} cannot fit in the remaining bytes`, {
        field: pathText(path),
        offset: start,
      });
    }
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.value(depth + 1, [...path, i]);
    return out;
  }

  map(n, depth, path, start) {
    if (depth > MAX_DEPTH) {
      throw new CoreError("too_deep", `nesting deeper than ${MAX_DEPTH}`, { field: pathText(path), offset: start });
    }
    if (2 * n > this.data.length - this.pos) {
      throw new CoreError("truncated", `map of ${n} cannot fit in the remaining bytes`, {
        field: pathText(path),
        offset: start,
      });
    }
    const out = new Map();
    let prev = null;
    for (let i = 0; i < n; i++) {
      const kstart = this.pos;
      const sub = [...path, i];
      const key = this.value(depth + 1, sub);
      if (!(typeof key === "number" || typeof key === "bigint" || typeof key === "string")) {
        throw new CoreError("forbidden_type", "map keys must be int or str", { field: pathText(sub), offset: kstart });
      }
      const kbytes = this.data.subarray(kstart, this.pos);
      if (prev !== null && compareBytes(kbytes, prev) <= 0) {
        throw new CoreError("map_key_order", "map keys must be unique and sorted by their encoded bytes", {
          field: pathText(sub),
          offset: kstart,
        });
      }
      prev = kbytes;
      out.set(key, this.value(depth + 1, sub));
    }
    return out;
  }
}

/**
 * Decode one canonical value that fills `data` exactly (untrusted input:
 * only CoreError with a decode code or `oversize` escapes).
 */
export function decode(data, { maxBytes = MAX_BYTES } = {}) {
  if (!(data instanceof Uint8Array)) throw localError("decode takes a Uint8Array");
  if (data.length > maxBytes) {
    throw new CoreError("oversize", `${data.length} bytes exceeds the bound of ${maxBytes}`, { offset: maxBytes });
  }
  const p = new Strict(data);
  const value = p.value(1, []);
  if (p.pos !== data.length) {
    throw new CoreError("trailing_bytes", `${data.length - p.pos} bytes after the end of the value`, { offset: p.pos });
  }
  return value;
}
