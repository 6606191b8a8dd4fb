// One side of a node-to-node link (spec/node.md): the signed handshake and
// the frames of an open link, as far as a side that holds no body plays
// them (the harness's link_replay). Sans-IO: frames in, frames out.
import { encode, decode } from "./canonical.js";
import { CoreError } from "./errors.js";
import { concat, publicKey, sign, verify } from "./ed25519.js";

const DOMAIN = new TextEncoder().encode("caracol/0 peer\x00");
export const MAX_FRAME = 4 * 1024 * 1024;
export const MAX_BATCH = 1024;
export const MAX_WANT_IDS = 4096;
const ARITY = { recon: 2, msgs: 2, want: 2, bye: 2 };

class Closing extends Error {
  constructor(code, reason, tell = true) {
    super(`${code}: ${reason}`);
    this.code = code;
    this.reason = reason;
    this.tell = tell;
  }
}

const isBytes = (v) => v instanceof Uint8Array;
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

function id32(v) {
  if (!isBytes(v) || v.length !== 32) throw new Closing("malformed", "a body or message id is 32 bytes");
  return v;
}

export class LinkSide {
  /** `expect`: the key a dialled peer must present (null when accepting);
   * `known(key)`: whether an accepting side lets that key link. */
  static async create(seed, nonce, { expect = null, known = () => true } = {}) {
    const side = new LinkSide(seed, nonce, await publicKey(seed), expect, known);
    side.out.push(encode(["hello", side.key, nonce]));
    return side;
  }

  constructor(seed, nonce, key, expect, known) {
    Object.assign(this, { seed, nonce, key, expect, known });
    this.state = "handshake";
    this.peer = null; // { key, nonce } once its hello came
    this.authenticated = null;
    this.closed = null;
    this.out = [];
  }

  framesToSend() {
    const out = this.out;
    this.out = [];
    return out;
  }

  async receive(data) {
    if (this.state === "closed") return;
    try {
      if (this.state === "handshake") await this.shake(data);
      else this.dispatch(data);
    } catch (e) {
      if (e instanceof Closing) this.close(e.code, e.reason, e.tell);
      else throw e;
    }
  }

  close(code, reason, tell = true) {
    if (this.state === "closed") return;
    if (tell) this.out.push(encode(["bye", code, reason]));
    this.state = "closed";
    this.closed = code;
  }

  async shake(data) {
    const refuse = (reason) => new Closing("handshake", reason);
    let frame;
    try {
      frame = decode(data, { maxBytes: MAX_FRAME });
    } catch (e) {
      if (e instanceof CoreError) throw refuse(`a handshake frame is not canonical: ${e.reason}`);
      throw e;
    }
    if (this.peer === null) {
      if (!Array.isArray(frame) || frame.length !== 3 || frame[0] !== "hello") throw refuse("expected hello");
      const [, key, nonce] = frame;
      if (!isBytes(key) || !isBytes(nonce)) throw refuse("handshake fields are bin");
      if (this.expect === null && !this.known(key)) throw refuse("unknown node key: not a configured peer");
      if (key.length !== 32 || nonce.length !== 32) throw refuse("hello has a node_key or nonce of the wrong size");
      if (this.expect !== null && !same(key, this.expect)) throw refuse("the peer presented another key than the pinned one");
      if (same(key, this.key)) throw refuse("peer presented our own node key");
      this.peer = { key, nonce };
      this.out.push(encode(["proof", await sign(this.seed, concat(DOMAIN, key, nonce, this.key, this.nonce))]));
      return;
    }
    if (!Array.isArray(frame) || frame.length !== 2 || frame[0] !== "proof") throw refuse("expected proof");
    const sig = frame[1];
    if (!isBytes(sig)) throw refuse("handshake fields are bin");
    if (sig.length !== 64) throw refuse("proof signature must be 64 bytes");
    const signed = concat(DOMAIN, this.key, this.nonce, this.peer.key, this.peer.nonce);
    if (!(await verify(this.peer.key, signed, sig))) throw refuse("the peer's proof does not verify");
    this.state = "open";
    this.authenticated = this.peer.key;
  }

  dispatch(data) {
    let frame;
    try {
      frame = decode(data, { maxBytes: MAX_FRAME });
    } catch (e) {
      if (e instanceof CoreError) throw new Closing("malformed", `frame is not canonical: ${e.reason}`);
      throw e;
    }
    if (!Array.isArray(frame) || frame.length === 0 || typeof frame[0] !== "string") {
      throw new Closing("malformed", "a frame is an array starting with its type");
    }
    const [kind, ...args] = frame;
    if (!Object.hasOwn(ARITY, kind)) throw new Closing("malformed", `unknown frame type ${kind}`);
    if (args.length !== ARITY[kind]) throw new Closing("malformed", `${kind} frame has the wrong number of fields`);
    const [a, b] = args;
    if (kind === "bye") throw new Closing("peer_closed", `${a}: ${b}`, false);
    id32(a);
    if (kind === "recon") {
      if (!isBytes(b)) throw new Closing("malformed", "recon carries bytes");
      return; // a body this side does not hold: declined
    }
    if (kind === "msgs") {
      if (!Array.isArray(b) || !b.every(isBytes)) throw new Closing("malformed", "msgs carries an array of bin");
      if (b.length > MAX_BATCH) throw new Closing("limit", `batch of ${b.length} messages exceeds ${MAX_BATCH}`);
      return; // messages of a body not held change nothing
    }
    if (!Array.isArray(b) || b.length > MAX_WANT_IDS) throw new Closing("malformed", `want carries at most ${MAX_WANT_IDS} ids`);
    b.forEach(id32); // and nothing is held to answer with
  }
}
