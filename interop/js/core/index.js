// The JS core's interface (the page imports exactly this; see
// /work/briefs/js-interface.md and interop/js/README.md). Plain ES module:
// the same file runs in Node 20 and in Chromium.

import { setDeps, deps as currentDeps, useNoble } from "./deps.js";
import { CoreError, localError } from "./errors.js";
import { encode as canonicalEncode, decode as canonicalDecode } from "./canonical.js";
import { KIND, KIND_NAME, CHOICE, STANCE, STAGE, BODY_KIND, OUTCOME, SCHEMAS, payloads, textOps, checkPayload, handCountWitnessed } from "./kinds.js";
import { decodeEnvelope, verifyEnvelope, signEnvelope, messageId, rotationProof as proof } from "./envelope.js";
import { publicKey as pub, sign as signRaw, verify as verifyRaw } from "./ed25519.js";
import { sha256 as hash } from "./hash.js";
import { keyToText, keyFromText } from "./keys.js";
import { editToOps, TextDocument, diffHunks, checkOps } from "./text.js";
import { sealKeystore, unsealKeystore, keystoreInfo } from "./keystore.js";
import { readCard, openCard, sealCard, normalisePin } from "./card.js";
import { submit } from "./client.js";
import { constitutionDigest, initiativeText, amended as amendedConstitution } from "./federal.js";

export { CoreError, KIND, KIND_NAME, CHOICE, STANCE, STAGE, BODY_KIND, OUTCOME, SCHEMAS, payloads, textOps, checkPayload, handCountWitnessed };
export { keyToText, keyFromText, messageId, editToOps, TextDocument, diffHunks, checkOps };
export { sealKeystore, unsealKeystore, keystoreInfo, readCard, openCard, sealCard, normalisePin };
export { decodeEnvelope, verifyEnvelope, signEnvelope, submit };
export { canonicalDecode as decode };
export { constitutionDigest, initiativeText, amendedConstitution };

let ready = null;

// The injected libraries, loaded from where this environment finds them.
// hash-wasm (Argon2id, the largest) is imported on first use only, and the
// @noble signing fallback only where WebCrypto's Ed25519 is missing (a page
// over plain HTTP on a LAN is not a secure context): a member's first load
// stays small (the page's budget, benchmarks/page.py).
async function loadDefaults(noble = false) {
  const inNode = typeof process !== "undefined" && !!process.versions?.node;
  const base = inNode ? "" : "/vendor/";
  const path = (p) => (inNode ? p : base + p);
  const spec = inNode
    ? {
        hashwasm: "hash-wasm",
        salsa: "@noble/ciphers/salsa.js",
        ed: "@noble/ed25519",
        sha256: "@noble/hashes/sha2.js",
        sha512: "@noble/hashes/sha2.js",
      }
    : VENDOR_PATHS;
  const out = {};
  const tryImport = async (p) => {
    try {
      return await import(path(p));
    } catch {
      return null;
    }
  };
  let hw = null;
  out.argon2id = async (opts) => {
    hw ??= await tryImport(spec.hashwasm);
    if (!hw) throw localError(`Argon2id needs hash-wasm, which did not load (${path(spec.hashwasm)}): run scripts/setup`);
    return hw.argon2id(opts);
  };
  const salsa = await tryImport(spec.salsa);
  if (salsa) out.xsalsa20poly1305 = salsa.xsalsa20poly1305;
  const needNoble = inNode || noble || !globalThis.crypto?.subtle;
  const ed = needNoble ? await tryImport(spec.ed) : null;
  const hashes = needNoble ? await tryImport(spec.sha256) : null;
  if (ed && hashes) {
    out.ed25519 = ed;
    out.sha256 = hashes.sha256;
    out.sha512 = hashes.sha512;
  }
  return out;
}

// Browser paths under /vendor/ (node_modules served there by the page's server).
export const VENDOR_PATHS = Object.freeze({
  hashwasm: "hash-wasm/dist/index.esm.js",
  salsa: "@noble/ciphers/salsa.js",
  ed: "@noble/ed25519/index.js",
  sha256: "@noble/hashes/sha2.js",
  sha512: "@noble/hashes/sha2.js",
});

/** @noble/ed25519's synchronous API needs a SHA-512: give it the injected one. */
function wireNoble(d) {
  if (!d.ed25519 || !d.sha512) return;
  if (d.ed25519.hashes && !d.ed25519.hashes.sha512) d.ed25519.hashes.sha512 = d.sha512; // v3
  else if (d.ed25519.etc && !d.ed25519.etc.sha512Sync) {
    d.ed25519.etc.sha512Sync = (...m) => d.sha512(d.ed25519.etc.concatBytes(...m)); // v2
  }
}

/**
 * Load the injected crypto deps: `init({argon2id, xsalsa20poly1305, ed25519,
 * sha256, sha512})`, or `init()` to import them from node_modules (Node) or
 * /vendor/ (browser). `{noble: true}` forces the @noble fallback even where
 * crypto.subtle exists (tests). Idempotent.
 */
export async function init(deps = null, { noble = false } = {}) {
  if (deps) {
    setDeps(deps, { noble });
    wireNoble(currentDeps());
    ready = Promise.resolve();
    return ready;
  }
  if (!ready) {
    ready = loadDefaults(noble).then((d) => {
      setDeps(d, { noble });
      wireNoble(currentDeps());
    });
  } else if (noble) {
    setDeps({}, { noble });
  }
  return ready;
}

export function usingNoble() {
  return useNoble();
}

export function randomSeed() {
  return globalThis.crypto.getRandomValues(new Uint8Array(32));
}

export const publicKey = (seed) => pub(seed);
export const sign = (seed, message) => signRaw(seed, message);
export const verify = (pk, message, sig) => verifyRaw(pk, message, sig);
export const sha256 = (bytes) => hash(bytes);
export const encode = (value) => canonicalEncode(value);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function hex(bytes) {
  let s = "";
  for (const b of bytes) s += HEX[b];
  return s;
}

export function unhex(text) {
  if (typeof text !== "string" || text.length % 2 || /[^0-9a-fA-F]/.test(text)) {
    throw localError("not a hex string of whole bytes");
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

/** Sign a message: `payloadArray` is the kind's wire array (kinds.md). -> {raw, id} */
export async function signMessage(seed, bodyBytes, kind, payloadArray, { parents = [], seq, time }) {
  return signEnvelope(seed, kind === KIND.genesis ? null : bodyBytes, kind, payloadArray, { parents, seq, time });
}

export async function rotationProof(newSeed, bodyBytes, oldKey) {
  return proof(newSeed, bodyBytes, oldKey);
}

/** JSON form of a wire value (harness.md): bin as {"bin": hex}, arrays as lists. */
export function plain(value) {
  if (value instanceof Uint8Array) return { bin: hex(value) };
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  return value;
}

/** Inverse of plain(): {"bin": hex} -> Uint8Array, lists -> arrays. */
export function wireFromPlain(value) {
  if (Array.isArray(value)) return value.map(wireFromPlain);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "bin") return unhex(value.bin);
    throw localError("objects in payloads must be {bin: hex}");
  }
  return value;
}

export function fieldsOf(env) {
  return {
    body: hex(env.body),
    kind: KIND_NAME[env.kind] ?? env.kind,
    author: hex(env.author),
    parents: env.parents.map(hex),
    seq: env.seq,
    time: env.time,
    payload: plain(env.payload),
    id: hex(env.id),
  };
}

/** Decode (and by default verify) a message -> its fields in the harness.md JSON form. */
export async function decodeMessage(raw, bodyBytes, { verify: check = true } = {}) {
  const env = await decodeEnvelope(raw, bodyBytes ?? null);
  if (check) await verifyEnvelope(env);
  return fieldsOf(env);
}
