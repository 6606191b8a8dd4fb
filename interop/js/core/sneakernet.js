// Sneakernet (spec/sneakernet.md): bundle files and scanned bulletin codes.
// Nothing here verifies a message: a reader verifies each one on its own
// (decodeEnvelope + verifyEnvelope), exactly as if it came over gossip.
//
//   bundle = canonical ["caracol-bundle", 0, body, heads, [message, ...], digest]
//   digest = SHA-256("caracol/0 bundle" 0x00 || body || id(message 1) || ... || id(message n))
//   code   = "CQ" 0x00 || canonical [0, body, index, count, [message, ...]]

import { decode, encode, compareBytes } from "./canonical.js";
import { CoreError, localError } from "./errors.js";
import { concat } from "./ed25519.js";
import { sha256 } from "./hash.js";

export const BUNDLE_MAGIC = "caracol-bundle";
export const BUNDLE_VERSION = 0;
export const BUNDLE_MAX_BYTES = 512 * 1024 * 1024;
export const BUNDLE_DOMAIN = new TextEncoder().encode("caracol/0 bundle\0");
export const CODE_MAGIC = Uint8Array.of(0x43, 0x51, 0x00); // "CQ" 0x00
export const CODE_VERSION = 0;
export const CODE_MAX_BYTES = 256 * 1024;
export const CODE_MAX_COUNT = 65_535;

const isBytes = (v) => v instanceof Uint8Array;
const isInt = (v) => (typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint";

async function bundleDigest(body, messages) {
  const ids = [];
  for (const m of messages) ids.push(await sha256(m));
  return sha256(concat(BUNDLE_DOMAIN, body, ...ids));
}

const badBundle = (reason, field = null) => new CoreError("bad_bundle", reason, { field });

/** The bytes of a bundle: heads are sorted here, messages kept in the given (replay) order. */
export async function encodeBundle(body, heads, messages) {
  if (!isBytes(body) || body.length !== 32) throw localError("a body id is 32 bytes");
  const hs = [...heads].sort(compareBytes);
  return encode([BUNDLE_MAGIC, BUNDLE_VERSION, body, hs, [...messages], await bundleDigest(body, messages)]);
}

/**
 * Read a bundle file -> {body, heads, messages (wire bytes, in the file's
 * order)}, or refuse it whole with `bad_bundle` before any message is
 * verified (not canonical, a field breaking its rule, the digest wrong).
 */
export async function readBundle(data) {
  if (!isBytes(data)) throw localError("a bundle is a Uint8Array");
  let value;
  try {
    value = decode(data, { maxBytes: BUNDLE_MAX_BYTES });
  } catch (e) {
    if (e instanceof CoreError && e.code !== "local_error") throw badBundle(`not a Caracol bundle: ${e.message}`);
    throw e;
  }
  if (!Array.isArray(value) || value.length !== 6 || value[0] !== BUNDLE_MAGIC) throw badBundle("not a Caracol bundle");
  const [, version, body, heads, messages, digest] = value;
  if (typeof version !== "number" || version !== BUNDLE_VERSION) {
    throw badBundle(`bundle version ${String(version)} is not supported`, "version");
  }
  if (!isBytes(body) || body.length !== 32) throw badBundle("the bundle's body id is not 32 bytes", "body");
  if (!Array.isArray(heads) || !heads.every((h) => isBytes(h) && h.length === 32)) {
    throw badBundle("the bundle's heads are not 32-byte ids", "heads");
  }
  for (let i = 1; i < heads.length; i++) {
    if (compareBytes(heads[i - 1], heads[i]) >= 0) {
      throw badBundle("the bundle's heads are not in ascending order without repeats", "heads");
    }
  }
  if (!Array.isArray(messages) || !messages.every(isBytes)) {
    throw badBundle("the bundle's messages are not byte strings", "messages");
  }
  const want = await bundleDigest(body, messages);
  if (!isBytes(digest) || compareBytes(digest, want) !== 0) {
    throw badBundle("bundle integrity check failed: the file was truncated or altered", "digest");
  }
  return { body, heads, messages };
}

const badCode = (reason) => new CoreError("bad_bulletin_code", reason);

function startsWith(data, prefix) {
  if (data.length < prefix.length) return false;
  return prefix.every((b, i) => data[i] === b);
}

/** One scanned payload -> {body, index, count, messages}; throws with the reason it is skipped. */
export function readCode(payload) {
  if (!isBytes(payload)) throw localError("a scanned code is a Uint8Array");
  if (!startsWith(payload, CODE_MAGIC)) throw badCode("not a Caracol bulletin code");
  let value;
  try {
    value = decode(payload.subarray(CODE_MAGIC.length), { maxBytes: CODE_MAX_BYTES });
  } catch (e) {
    if (e instanceof CoreError && e.code !== "local_error") throw badCode(`not canonical: ${e.message}`);
    throw e;
  }
  if (!Array.isArray(value) || value.length !== 5 || !isInt(value[0]) || value[0] !== CODE_VERSION) {
    throw badCode("a bulletin code is [0, body, index, count, [message, ...]]");
  }
  const [, body, index, count, messages] = value;
  if (!isBytes(body) || body.length !== 32 || !isInt(index) || !isInt(count)) throw badCode("bad body id or numbering");
  if (count > CODE_MAX_COUNT) throw badCode(`a notice of ${count} codes: at most ${CODE_MAX_COUNT}`);
  if (!(index >= 0 && index < count) || !Array.isArray(messages) || !messages.every(isBytes)) {
    throw badCode("bad numbering or messages");
  }
  return { body, index: Number(index), count: Number(count), messages };
}

/**
 * Scanned payloads (in the order scanned) -> {body, messages (in index
 * order), problems (spec/sneakernet.md's wording of each position)}; throws
 * `bad_bulletin_code` when no payload is readable. The messages still need
 * verifying.
 */
export function readBulletin(payloads) {
  let body = null;
  let count = 0;
  const parts = new Map(); // index -> messages
  const first = new Map(); // index -> the payload first read for it
  const problems = [];
  payloads.forEach((p, n) => {
    let code;
    try {
      code = readCode(p);
      if (body !== null && compareBytes(code.body, body) !== 0) throw badCode("codes of two different bodies");
      if (body !== null && code.count !== count) throw badCode(`numbered of ${code.count}, the first code read of ${count}`);
      if (first.has(code.index) && compareBytes(first.get(code.index), p) !== 0) {
        throw badCode(`a second, different code ${code.index + 1} of ${count}`);
      }
    } catch (e) {
      if (!(e instanceof CoreError) || e.code === "local_error") throw e;
      problems.push(`code ${n + 1}: ${e.reason}`);
      return;
    }
    body = code.body;
    count = code.count;
    if (!first.has(code.index)) first.set(code.index, p);
    parts.set(code.index, code.messages);
  });
  if (body === null) throw badCode(`no readable Caracol bulletin code: ${problems.join("; ")}`);
  const missing = [];
  for (let i = 0; i < count; i++) if (!parts.has(i)) missing.push(i + 1);
  if (missing.length) problems.push(`codes [${missing.join(", ")}] of ${count} were not read`);
  const messages = [...parts.keys()].sort((a, b) => a - b).flatMap((i) => parts.get(i));
  return { body, messages, problems };
}
