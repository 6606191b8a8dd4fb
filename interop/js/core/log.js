// A body's log (spec/dag.md): the set of its valid messages, a DAG rooted at
// the genesis. Insertion (wrong_body, duplicates, cycle, pending until every
// parent is held), depth, the replay order by (depth, id), heads, missing
// parents, equivocation evidence and the state hash.
//
// The log trusts that what it is given was decoded and verified for its
// body (decodeEnvelope + verifyEnvelope); it checks only the DAG rules.

import { compareBytes } from "./canonical.js";
import { CoreError, localError } from "./errors.js";
import { KIND } from "./kinds.js";
import { concat } from "./ed25519.js";
import { sha256 } from "./hash.js";

export const LOG_DOMAIN = new TextEncoder().encode("caracol/0 log\0");
export const MAX_PENDING = 10_000;
export const MAX_PENDING_BYTES = 16 * 1024 * 1024;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const key = (id) => {
  let s = "";
  for (const b of id) s += HEX[b];
  return s;
};
const unkey = (k) => Uint8Array.from(k.match(/../g), (h) => parseInt(h, 16));

export class Log {
  /** `body`: the body id (32 bytes, the genesis's id). */
  constructor(body, { maxPending = MAX_PENDING, maxPendingBytes = MAX_PENDING_BYTES } = {}) {
    if (!(body instanceof Uint8Array) || body.length !== 32) throw localError("a body id is 32 bytes");
    this.body = body;
    this.maxPending = maxPending;
    this.maxPendingBytes = maxPendingBytes;
    this._msgs = new Map(); // hex id -> envelope (accepted)
    this._depth = new Map(); // hex id -> depth
    this._order = []; // [{depth, id (bytes), k (hex)}] sorted by (depth, id)
    this._heads = new Set(); // hex ids
    this._bySeq = new Map(); // author hex + "/" + seq -> [id bytes]
    this._evidence = [];
    this._pending = new Map(); // hex id -> envelope, oldest first (insertion order)
    this._pendingBytes = 0;
    this._waiting = new Map(); // hex parent id -> Set of hex pending ids
  }

  get size() {
    return this._msgs.size;
  }

  has(id) {
    return this._msgs.has(key(id));
  }

  get(id) {
    const env = this._msgs.get(key(id));
    if (!env) throw localError(`no message ${key(id)} in this log`);
    return env;
  }

  depth(id) {
    return this._depth.get(key(id));
  }

  /** Accepted ids in replay order: (depth, id) ascending. */
  order() {
    return this._order.map((e) => e.id);
  }

  /** Accepted envelopes in replay order, from index `start`. */
  envelopes(start = 0) {
    return this._order.slice(start).map((e) => this._msgs.get(e.k));
  }

  /** Accepted messages that no accepted message names as a parent, ascending. */
  heads() {
    return [...this._heads].sort().map(unkey);
  }

  /** Parents named by pending messages and held neither accepted nor pending, ascending. */
  missing() {
    return [...this._waiting.keys()].filter((k) => !this._msgs.has(k) && !this._pending.has(k)).sort().map(unkey);
  }

  /** Pending ids, oldest first. */
  pending() {
    return [...this._pending.keys()].map(unkey);
  }

  /** Evidence {author, seq, first, second} (first < second), sorted by author, seq, first, second. */
  equivocations() {
    return [...this._evidence].sort(
      (a, b) =>
        compareBytes(a.author, b.author) || a.seq - b.seq || compareBytes(a.first, b.first) || compareBytes(a.second, b.second),
    );
  }

  /** SHA-256("caracol/0 log" 0x00 || body || ids in replay order). */
  async stateHash() {
    return sha256(concat(LOG_DOMAIN, this.body, ...this._order.map((e) => e.id)));
  }

  /**
   * Insert a decoded, verified envelope (spec/dag.md "Insertion"). Returns
   * {accepted: [env], pending: bool, missing: [id], duplicate: bool,
   * firstChanged: index|null, evicted: [id]}. Throws wrong_body / cycle.
   */
  add(env) {
    if (compareBytes(env.body, this.body) !== 0) {
      throw new CoreError("wrong_body", "message belongs to another body than this log's", { field: "body" });
    }
    const mid = key(env.id);
    const none = { accepted: [], pending: false, missing: [], duplicate: false, firstChanged: null, evicted: [] };
    if (this._msgs.has(mid) || this._pending.has(mid)) return { ...none, duplicate: true };
    if (env.parents.some((p) => key(p) === mid)) {
      throw new CoreError("cycle", "a message cannot be its own parent", { field: "parents" });
    }
    if (env.kind === KIND.genesis && compareBytes(env.id, this.body) !== 0) {
      throw new CoreError("wrong_body", "a second genesis cannot join an existing body", { field: "kind" });
    }
    const absent = env.parents.map(key).filter((p) => !this._msgs.has(p));
    if (absent.length) {
      const evicted = this._hold(mid, env, absent);
      return {
        ...none,
        pending: !evicted.some((e) => key(e) === mid),
        missing: absent.filter((p) => !this._pending.has(p)).map(unkey),
        evicted,
      };
    }
    const accepted = [env];
    let first = this._insert(mid, env);
    const queue = [mid];
    while (queue.length) {
      const arrived = queue.pop();
      const children = [...(this._waiting.get(arrived) ?? [])].sort();
      this._waiting.delete(arrived);
      for (const c of children) {
        const child = this._pending.get(c);
        if (!child || child.parents.some((p) => !this._msgs.has(key(p)))) continue;
        this._release(c);
        first = Math.min(first, this._insert(c, child));
        accepted.push(child);
        queue.push(c);
      }
    }
    return { ...none, accepted, firstChanged: first };
  }

  _insert(mid, env) {
    let depth = 0;
    for (const p of env.parents) depth = Math.max(depth, this._depth.get(key(p)) + 1);
    this._msgs.set(mid, env);
    this._depth.set(mid, depth);
    // binary search for (depth, id)
    let lo = 0;
    let hi = this._order.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      const e = this._order[m];
      if (e.depth < depth || (e.depth === depth && compareBytes(e.id, env.id) < 0)) lo = m + 1;
      else hi = m;
    }
    this._order.splice(lo, 0, { depth, id: env.id, k: mid });
    for (const p of env.parents) this._heads.delete(key(p));
    this._heads.add(mid);
    const sk = `${key(env.author)}/${env.seq}`;
    const same = this._bySeq.get(sk) ?? [];
    for (const other of same) {
      const [a, b] = compareBytes(other, env.id) < 0 ? [other, env.id] : [env.id, other];
      this._evidence.push({ author: env.author, seq: env.seq, first: a, second: b });
    }
    same.push(env.id);
    this._bySeq.set(sk, same);
    return lo;
  }

  _hold(mid, env, absent) {
    this._pending.set(mid, env);
    this._pendingBytes += env.raw.length;
    for (const p of absent) {
      if (!this._waiting.has(p)) this._waiting.set(p, new Set());
      this._waiting.get(p).add(mid);
    }
    const evicted = [];
    while (this._pending.size > this.maxPending || this._pendingBytes > this.maxPendingBytes) {
      const oldest = this._pending.keys().next().value;
      evicted.push(unkey(oldest));
      this._release(oldest);
    }
    return evicted;
  }

  _release(mid) {
    const env = this._pending.get(mid);
    this._pending.delete(mid);
    this._pendingBytes -= env.raw.length;
    for (const p of env.parents) {
      const w = this._waiting.get(key(p));
      if (w) {
        w.delete(mid);
        if (!w.size) this._waiting.delete(key(p));
      }
    }
  }
}
