// The text CRDT (spec/text.md) and the page's edit helper.
//
// TextDocument: characters with ids (message id, offset), origins and
// tombstones, integrated by the exact per-character YjsMod/FugueMax rule of
// spec/text.md; state bytes/hash as the reference's TextDocument.state_bytes.
// It keeps one object per character (simple, O(n) per insert): it is for
// checking and previewing, not for documents of megabytes.
//
// editToOps(runs, newText): the operations that turn the document the node
// serves (`[[msgHex, firstOffset, text, deleted], ...]`, document order,
// tombstones included) into `newText`, in the wire shape of kinds.md.

import { encode, compareBytes } from "./canonical.js";
import { CoreError, localError } from "./errors.js";
import { sha256 } from "./hash.js";
import { MAX_TEXT_OPS, MAX_RUN_BYTES, TEXT_OPS } from "./kinds.js";

const utf8 = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const hexOf = (b) => {
  let s = "";
  for (const x of b) s += HEX[x];
  return s;
};
const unhexOf = (s) => {
  if (typeof s !== "string" || s.length !== 64 || /[^0-9a-fA-F]/.test(s)) throw localError(`not a 32-byte hex id: ${s}`);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
};
const keyOf = (msg, off) => `${hexOf(msg)}:${off}`;

function compareIds(aMsg, aOff, bMsg, bOff) {
  const c = compareBytes(aMsg, bMsg);
  return c !== 0 ? c : aOff - bOff;
}

export class TextDocument {
  /** root: Uint8Array(32), the proposal (or other) id; initial: its text. */
  constructor(root, initial = "") {
    this.root = root;
    this.chars = []; // {msg, off, ch, left, right, deleted}; left/right: char objects or null
    this.byId = new Map();
    let off = 0;
    let prev = null;
    for (const ch of initial) {
      const c = { msg: root, off, ch, left: prev, right: null, deleted: false };
      this.chars.push(c);
      this.byId.set(keyOf(root, off), c);
      prev = c;
      off += 1;
    }
  }

  text() {
    let s = "";
    for (const c of this.chars) if (!c.deleted) s += c.ch;
    return s;
  }

  /** The runs the node serves: [msgHex, firstOffset, text, deleted], maximal. */
  spans() {
    const out = [];
    for (const c of this.chars) {
      const last = out[out.length - 1];
      if (last && last.msg === c.msg && last.off + last.n === c.off && last.deleted === c.deleted) {
        last.text += c.ch;
        last.n += 1;
      } else {
        out.push({ msg: c.msg, off: c.off, text: c.ch, n: 1, deleted: c.deleted });
      }
    }
    return out.map((r) => [hexOf(r.msg), r.off, r.text, r.deleted]);
  }

  has(msg, off) {
    return this.byId.has(keyOf(msg, off));
  }

  find(pos, field = null) {
    const c = this.byId.get(keyOf(pos[0], pos[1]));
    if (!c) throw new CoreError("unknown_origin", `no character ${hexOf(pos[0]).slice(0, 16)}…:${pos[1]} in this document`, { field });
    return c;
  }

  /**
   * Apply one message's operations (spec/text.md; reference
   * TextDocument.apply): all-or-nothing on unknown origins, idempotent.
   */
  apply(message, ops) {
    try {
      TEXT_OPS.check(ops, "ops");
    } catch (e) {
      throw new CoreError("bad_text_op", e.reason ?? String(e), { field: e.field ?? "ops" });
    }
    let offset = 0;
    ops.forEach((op, i) => {
      if (op[0] === 0) {
        for (const [name, pos] of [["left", op[1]], ["right", op[2]]]) {
          if (pos !== null && !(compareBytes(pos[0], message) === 0 && pos[1] < offset)) this.find(pos, `ops[${i}].${name}`);
        }
        offset += [...op[3]].length;
      } else {
        const [, start, length] = op;
        if (!(compareBytes(start[0], message) === 0 && start[1] + length <= offset)) {
          this.find(start, `ops[${i}].start`);
          this.find([start[0], start[1] + length - 1], `ops[${i}].length`);
        }
      }
    });
    offset = 0;
    for (const op of ops) {
      if (op[0] === 0) {
        const [, left, right, str] = op;
        if (!this.has(message, offset)) {
          let l = left === null ? null : this.find(left);
          const r = right === null ? null : this.find(right);
          let k = 0;
          for (const ch of str) {
            const c = { msg: message, off: offset + k, ch, left: l, right: r, deleted: false };
            this.integrate(c);
            l = c;
            k += 1;
          }
        }
        offset += [...str].length;
      } else {
        const [, start, length] = op;
        for (let j = 0; j < length; j++) this.find([start[0], start[1] + j]).deleted = true;
      }
    }
  }

  /** The per-character rule of spec/text.md, "Integration". */
  integrate(x) {
    const c = this.chars;
    const n = c.length;
    const idx = (o, none) => (o === null ? none : c.indexOf(o));
    const left = idx(x.left, -1);
    const right = idx(x.right, n);
    let dest = left + 1;
    let scanning = false;
    for (let i = left + 1; ; i++) {
      if (!scanning) dest = i;
      if (i === n || i === right) break;
      const o = c[i];
      const oleft = idx(o.left, -1);
      const oright = idx(o.right, n);
      if (oleft < left) break;
      if (oleft === left) {
        if (oright < right) scanning = true;
        else if (oright === right) {
          if (compareIds(x.msg, x.off, o.msg, o.off) < 0) break;
          scanning = false;
        } else scanning = false;
      }
    }
    c.splice(dest, 0, x);
    this.byId.set(keyOf(x.msg, x.off), x);
  }

  /** Canonical state (spec/text.md, "State"): maximal runs [msg, off, text, left, right, deleted]. */
  stateBytes() {
    const pos = (o) => (o === null ? null : [o.msg, o.off]);
    const merged = [];
    let prev = null;
    for (const ch of this.chars) {
      const m = merged[merged.length - 1];
      if (
        m &&
        compareBytes(m[0], ch.msg) === 0 &&
        m.end === ch.off &&
        m[5] === ch.deleted &&
        m.rightObj === ch.right &&
        ch.left === prev &&
        prev !== null &&
        compareBytes(prev.msg, ch.msg) === 0 &&
        prev.off === ch.off - 1
      ) {
        m[2] += ch.ch;
        m.end += 1;
      } else {
        const run = [ch.msg, ch.off, ch.ch, pos(ch.left), pos(ch.right), ch.deleted];
        run.end = ch.off + 1;
        run.rightObj = ch.right;
        merged.push(run);
      }
      prev = ch;
    }
    return encode(merged.map((m) => m.slice(0, 6)));
  }

  async stateHash() {
    return sha256(this.stateBytes());
  }
}

// --- editToOps ------------------------------------------------------------------

// Myers' O((N+M)D) diff of two code point arrays -> hunks
// {at: index in a, del: count, ins: [code points]}; beyond maxD edits the
// middle is one replacement (still correct, just not minimal).
export function diffHunks(a, b, maxD = 2000) {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const A = a.slice(pre, a.length - suf);
  const B = b.slice(pre, b.length - suf);
  const N = A.length;
  const M = B.length;
  if (!N && !M) return [];
  if (!N || !M || N + M > 200000) return [{ at: pre, del: N, ins: B }];
  const max = Math.min(N + M, maxD);
  const off = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < N && y < M && A[x] === B[y]) x++, y++;
      v[off + k] = x;
      if (x >= N && y >= M) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return [{ at: pre, del: N, ins: B }];
  // backtrack: collect per-step edits (in reverse)
  const edits = []; // {type: "del"|"ins", i (in A) , j (in B)}
  let x = N;
  let y = M;
  for (let d = found; d > 0; d--) {
    const vv = trace[d];
    const k = x - y;
    const down = k === -d || (k !== d && vv[off + k - 1] < vv[off + k + 1]);
    const pk = down ? k + 1 : k - 1;
    const px = vv[off + pk];
    const py = px - pk;
    while (x > px + (down ? 0 : 1) && y > py + (down ? 1 : 0)) x--, y--;
    if (down) edits.push({ type: "ins", i: px, j: py });
    else edits.push({ type: "del", i: px, j: py });
    x = px;
    y = py;
  }
  edits.reverse();
  const hunks = [];
  for (const e of edits) {
    const last = hunks[hunks.length - 1];
    if (e.type === "del") {
      if (last && last.at + last.del === e.i) last.del += 1;
      else hunks.push({ at: e.i, del: 1, ins: [] });
    } else {
      const ch = B[e.j];
      if (last && last.at + last.del === e.i) last.ins.push(ch);
      else hunks.push({ at: e.i, del: 0, ins: [ch] });
    }
  }
  for (const h of hunks) h.at += pre;
  return hunks;
}

function chunkText(cps, maxBytes) {
  const out = [];
  let cur = "";
  let bytes = 0;
  for (const ch of cps) {
    const n = utf8.encode(ch).length;
    if (bytes + n > maxBytes) {
      out.push(cur);
      cur = "";
      bytes = 0;
    }
    cur += ch;
    bytes += n;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * The ops that turn the served document `runs` into `newText`.
 *
 * runs: [[msgHex, firstOffset, text, deleted], ...] in document order,
 * tombstones included. Returns at most `maxOps` (64, one message's worth)
 * wire ops with positions [Uint8Array(32), offset]: deletes name the old
 * characters (one op per stretch of consecutive offsets of one message);
 * each insert's origins are raw neighbours in the served document: `right`
 * the visible character after the insertion point (nil at the end), `left`
 * the character, visible or not, just before it (as TextDocument.prepare_insert).
 * Inserts longer than 4096 UTF-8 bytes are split into pieces with the same
 * origins (they integrate in offset order). When the edit needs more than
 * `maxOps` ops, the result is a prefix of it: sign it, fetch the document
 * again and call editToOps again until it returns [].
 */
export function editToOps(runs, newText, { maxOps = MAX_TEXT_OPS } = {}) {
  if (!Array.isArray(runs)) throw localError("runs must be an array of [msgHex, offset, text, deleted]");
  if (typeof newText !== "string") throw localError("newText must be a string");
  const raw = []; // {msg, off, deleted, rawIndex}
  const msgCache = new Map();
  for (const run of runs) {
    if (!Array.isArray(run) || run.length !== 4) throw localError("a run is [msgHex, offset, text, deleted]");
    const [mh, first, str, deleted] = run;
    let msg = msgCache.get(mh);
    if (!msg) msgCache.set(mh, (msg = unhexOf(mh)));
    let k = 0;
    for (const ch of str) {
      raw.push({ msg, off: first + k, ch, deleted: !!deleted, rawIndex: raw.length });
      k += 1;
    }
  }
  const visible = raw.filter((c) => !c.deleted);
  const hunks = diffHunks(
    visible.map((c) => c.ch),
    Array.from(newText),
  );
  const ops = [];
  const room = () => ops.length < maxOps;
  for (const h of hunks) {
    // deletes: one op per stretch of consecutive offsets of one message
    let i = h.at;
    const end = h.at + h.del;
    while (i < end && room()) {
      const start = visible[i];
      let n = 1;
      while (
        i + n < end &&
        visible[i + n].msg === start.msg &&
        visible[i + n].off === start.off + n &&
        visible[i + n].rawIndex === start.rawIndex + n
      ) n++;
      ops.push([1, [start.msg, start.off], n]);
      i += n;
    }
    if (i < end) break;
    if (!h.ins.length) continue;
    const after = visible[end] ?? null; // the visible char after the insertion point
    const right = after === null ? null : [after.msg, after.off];
    const before = after === null ? raw[raw.length - 1] ?? null : raw[after.rawIndex - 1] ?? null;
    const left = before === null ? null : [before.msg, before.off];
    for (const piece of chunkText(h.ins, MAX_RUN_BYTES)) {
      if (!room()) break;
      ops.push([0, left, right, piece]);
    }
    if (!room()) break;
  }
  return ops;
}

// --- the receiver's causal check (spec/text.md, "Origins and causality") ------------

/**
 * Throw unless every op of `message` is well formed (`bad_text_op`) and
 * passes the causal check against `doc` (which must not yet hold the
 * message): positions in the causal past (`text_origin_outside_past`),
 * characters of the document (`unknown_origin`), and each insert's origins
 * neighbours among the characters of the past (`text_origins_not_adjacent`).
 * `causalPast`: a Set of message ids as hex (the document root counts as
 * past). Changes nothing. Reference: crdt.text_guard.check_ops.
 */
export function checkOps(doc, message, ops, causalPast) {
  if (!(message instanceof Uint8Array) || message.length !== 32) {
    throw new CoreError("bad_text_op", "a message id is 32 bytes", { field: "message" });
  }
  try {
    TEXT_OPS.check(ops, "ops");
  } catch (e) {
    if (!(e instanceof CoreError)) throw e;
    throw new CoreError("bad_text_op", e.reason, { field: e.field });
  }
  const rootHex = hexOf(doc.root);
  const messageHex = hexOf(message);
  const inPast = (msg) => {
    const h = hexOf(msg);
    return h === rootHex || causalPast.has(h);
  };
  const requirePast = (pos, where) => {
    if (hexOf(pos[0]) === messageHex || !inPast(pos[0])) {
      throw new CoreError(
        "text_origin_outside_past",
        `position ${hexOf(pos[0]).slice(0, 16)}…:${pos[1]} is not in the message's causal past`,
        { field: where },
      );
    }
    return doc.find(pos, where);
  };
  ops.forEach((op, i) => {
    const where = `ops[${i}]`;
    if (op[0] === 0) {
      const [, left, right] = op;
      const l = left === null ? null : requirePast(left, `${where}.left`);
      const r = right === null ? null : requirePast(right, `${where}.right`);
      // walk from just after the left origin; everything passed must be concurrent
      const chars = doc.chars;
      let k = l === null ? 0 : chars.indexOf(l) + 1;
      for (; k < chars.length; k++) {
        if (chars[k] === r) return;
        if (inPast(chars[k].msg)) {
          throw new CoreError("text_origins_not_adjacent", "a character of the causal past lies between the origins", {
            field: where,
          });
        }
      }
      if (r === null) return;
      throw new CoreError("text_origins_not_adjacent", "the right origin is not after the left origin", { field: where });
    } else {
      const [, start, length] = op;
      requirePast(start, `${where}.start`);
      doc.find([start[0], start[1] + length - 1], `${where}.length`);
    }
  });
}
