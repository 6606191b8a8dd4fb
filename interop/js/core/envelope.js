// Signed envelopes (spec/envelope.md): sign, decode (with the spec's check
// order and error codes), verify, and the message id.
//
//   message = content || signature(64)
//   content = canonical [kind, author, parents, seq, time, payload]
//   signed  = "caracol/0 message" 0x00 || context || content
//   context = 32 zero bytes for a genesis, otherwise the body id
//   id      = SHA-256(message)

import { decode, encode, compareBytes } from "./canonical.js";
import { CoreError, DECODE_CODES, localError } from "./errors.js";
import { KIND, KEY, ID, checkPayload, list, uint } from "./kinds.js";
import { concat, publicKey, sign, verify } from "./ed25519.js";
import { sha256 } from "./hash.js";

export const SIGN_DOMAIN = new TextEncoder().encode("caracol/0 message\0");
export const ROTATE_DOMAIN = new TextEncoder().encode("caracol/0 rotate\0");
export const GENESIS_CONTEXT = new Uint8Array(32);
export const SIGNATURE_BYTES = 64;
export const MAX_MESSAGE_BYTES = 16384;
export const MAX_PARENTS = 16;
export const MAX_SEQ = 2 ** 32 - 1;
export const MAX_TIME = 2 ** 40;
const FIELD_NAMES = ["kind", "author", "parents", "seq", "time", "payload"];
const PARENTS = list(ID, { maximum: MAX_PARENTS, ascending: true });
const SEQ = uint(MAX_SEQ, 1);
const TIME = uint(MAX_TIME);
const KIND_T = uint(0xffff);

export async function messageId(raw) {
  return sha256(raw);
}

function signedBytes(context, content) {
  return concat(SIGN_DOMAIN, context, content);
}

function checkParentCount(kind, n, local) {
  const fail = (reason) => {
    throw local ? localError(reason, "parents") : new CoreError("wrong_length", reason, { field: "parents" });
  };
  if (kind === KIND.genesis && n) fail("a genesis message has no parents");
  if (kind !== KIND.genesis && !n) fail("every message but genesis has at least one parent");
}

function sortedParents(parents) {
  const out = [...parents].sort(compareBytes);
  return out.filter((p, i) => i === 0 || compareBytes(out[i - 1], p) !== 0);
}

/**
 * Sign a message with a 32-byte seed. `body` is the body id (Uint8Array 32),
 * null for a genesis. `payloadWire` is the kind's wire array (kinds.md).
 * Parents are sorted and de-duplicated here. Returns {raw, id}.
 */
export async function signEnvelope(seed, body, kind, payloadWire, { parents = [], seq, time }) {
  let context;
  if (kind === KIND.genesis) {
    if (body !== null && body !== undefined) throw localError("a genesis message founds its body: pass body=null");
    context = GENESIS_CONTEXT;
  } else {
    if (!(body instanceof Uint8Array) || body.length !== 32) throw localError("a 32-byte body id is required");
    context = body;
  }
  const author = await publicKey(seed);
  const ps = sortedParents(parents);
  try {
    KIND_T.check(kind, "kind");
    PARENTS.check(ps, "parents");
    SEQ.check(seq, "seq");
    TIME.check(time, "time");
    checkPayload(kind, payloadWire);
  } catch (e) {
    if (e instanceof CoreError) throw localError(e.reason, e.field);
    throw e;
  }
  checkParentCount(kind, ps.length, true);
  const content = encode([kind, author, ps, seq, time, payloadWire]);
  if (content.length + SIGNATURE_BYTES > MAX_MESSAGE_BYTES) {
    throw localError(`message would be ${content.length + SIGNATURE_BYTES} bytes, over ${MAX_MESSAGE_BYTES}`);
  }
  const signature = await sign(seed, signedBytes(context, content));
  const raw = concat(content, signature);
  return { raw, id: await messageId(raw) };
}

// "[5][1]" (canonical decoder's path) -> "payload[1]"
function nameField(path) {
  if (!path || !path.startsWith("[")) return path;
  const close = path.indexOf("]");
  const head = FIELD_NAMES[Number(path.slice(1, close))];
  return head === undefined ? path : head + path.slice(close + 1);
}

/**
 * Parse and check a message's form (steps 1-5 of spec/envelope.md); does NOT
 * verify the signature. `body`: the body id, or null when a genesis is
 * expected. Throws CoreError with the vectors' codes.
 */
export async function decodeEnvelope(raw, body) {
  if (!(raw instanceof Uint8Array)) throw localError("a message is a Uint8Array");
  const size = raw.length;
  if (size > MAX_MESSAGE_BYTES) {
    throw new CoreError("oversize", `message of ${size} bytes exceeds ${MAX_MESSAGE_BYTES}`, { offset: MAX_MESSAGE_BYTES });
  }
  if (size <= SIGNATURE_BYTES) {
    throw new CoreError("truncated", `a message needs more than ${SIGNATURE_BYTES} bytes, got ${size}`, { offset: size });
  }
  const content = raw.subarray(0, size - SIGNATURE_BYTES);
  let value;
  try {
    value = decode(content);
  } catch (e) {
    if (e instanceof CoreError && DECODE_CODES.has(e.code)) {
      throw new CoreError(e.code, e.reason, { field: nameField(e.field), offset: e.offset });
    }
    throw e;
  }
  if (!Array.isArray(value)) throw new CoreError("wrong_type", "a message's content must be an array", { offset: 0 });
  if (value.length !== 6) {
    throw new CoreError("wrong_length", `content has ${value.length} fields, expected 6`, { offset: 0 });
  }
  const [kind, author, parents, seq, time, payload] = value;
  KIND_T.check(kind, "kind");
  KEY.check(author, "author");
  PARENTS.check(parents, "parents");
  checkParentCount(kind, parents.length, false);
  SEQ.check(seq, "seq");
  TIME.check(time, "time");
  checkPayload(kind, payload);
  const id = await messageId(raw);
  if (kind === KIND.genesis) {
    if (body !== null && body !== undefined && compareBytes(body, id) !== 0) {
      throw new CoreError("out_of_range", "a genesis message founds its own body, not the one given", { field: "kind" });
    }
    body = id;
  } else if (!(body instanceof Uint8Array) || body.length !== 32) {
    throw new CoreError("out_of_range", "this message is not a genesis: its body must be known", { field: "kind" });
  }
  return {
    body,
    kind,
    author,
    parents,
    seq,
    time,
    payload,
    signature: raw.slice(size - SIGNATURE_BYTES),
    content: raw.slice(0, size - SIGNATURE_BYTES),
    raw,
    id,
  };
}

/** Step 6: the signature under spec/signatures.md; throws bad_signature. */
export async function verifyEnvelope(env) {
  const context = env.kind === KIND.genesis ? GENESIS_CONTEXT : env.body;
  if (!(await verify(env.author, signedBytes(context, env.content), env.signature))) {
    throw new CoreError("bad_signature", "signature does not verify for author", { field: "signature" });
  }
}

/** The key rotation proof (spec/kinds.md): the NEW key signs domain || body || old key. */
export async function rotationProof(newSeed, body, oldKey) {
  if (!(body instanceof Uint8Array) || body.length !== 32) throw localError("a 32-byte body id is required");
  if (!(oldKey instanceof Uint8Array) || oldKey.length !== 32) throw localError("the old key is 32 bytes");
  return sign(newSeed, concat(ROTATE_DOMAIN, body, oldKey));
}
