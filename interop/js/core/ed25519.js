// Ed25519 for Caracol: signing (RFC 8032) and verification under the exact
// rules of spec/signatures.md (libsodium's strict verify).
//
// Backends: WebCrypto (`crypto.subtle`, Node 20 and Chromium in secure
// contexts) or, when `crypto.subtle` is missing (a page over plain HTTP on
// a LAN) or when forced, the injected @noble/ed25519 + @noble/hashes
// (see deps.js). WebCrypto and noble both accept inputs the spec rejects,
// so rules 1-5 are checked here, in BigInt arithmetic, before either is
// asked; rule 6 (cofactorless, R compared as bytes) is OpenSSL's own
// equation under WebCrypto and is recomputed here under noble.

import { nobleDeps as deps, useNoble } from "./deps.js";
import { localError } from "./errors.js";

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const D = (((-121665n * modpow(121666n, P - 2n, P)) % P) + P) % P;
const SQRT_M1 = modpow(2n, (P - 1n) / 4n, P);
// y coordinates of the 8 points of order 1, 2, 4, 8 (spec/signatures.md rule 5)
const SMALL_ORDER_YS = new Set([
  0n,
  1n,
  P - 1n,
  2707385501144840649318225287225658788936804267575313519463743609750303402022n,
  55188659117513257062467267217118295137698188065244968500265048394206261417927n,
]);
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

function modpow(b, e, m) {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

function le(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

const mod = (a) => ((a % P) + P) % P;

// x for y (and the sign bit), or null when y is not the y of any point.
function xFor(y, sign) {
  const y2 = (y * y) % P;
  const u = mod(y2 - 1n);
  const v = mod(D * y2 + 1n);
  const v3 = (v * v * v) % P;
  let x = (u * v3 % P) * modpow(u * v3 % P * v3 % P * v % P, (P - 5n) / 8n, P) % P;
  const vx2 = (v * x % P) * x % P;
  if (vx2 === u) {
    // x is a root
  } else if (vx2 === mod(-u)) {
    x = (x * SQRT_M1) % P;
  } else {
    return null;
  }
  if (x === 0n && sign) return null; // 0 has no negative
  if ((x & 1n) !== BigInt(sign)) x = mod(-x);
  return x;
}

/** Rules 1-5 of spec/signatures.md; true when they all hold. */
export function passesStrictChecks(pk, sig) {
  if (!(pk instanceof Uint8Array) || !(sig instanceof Uint8Array)) return false;
  if (pk.length !== 32 || sig.length !== 64) return false; // rule 1
  if (le(sig.subarray(32)) >= L) return false; // rule 2
  const a = le(pk);
  const yA = a & (2n ** 255n - 1n);
  if (yA >= P) return false; // rule 3: canonical y
  if (xFor(yA, Number(a >> 255n)) === null) return false; // rule 3: a point, no negative zero
  if (SMALL_ORDER_YS.has(yA)) return false; // rule 4 (y decides the order's smallness)
  const yR = (le(sig.subarray(0, 32)) & (2n ** 255n - 1n)) % P;
  if (SMALL_ORDER_YS.has(yR)) return false; // rule 5, whatever the sign bit
  return true;
}

// --- WebCrypto ------------------------------------------------------------------

const subtle = () => globalThis.crypto?.subtle;

async function privateKeyOf(seed) {
  const pkcs8 = new Uint8Array(48);
  pkcs8.set(PKCS8_PREFIX);
  pkcs8.set(seed, 16);
  return subtle().importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
}

function b64urlToBytes(s) {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "==".slice(0, (4 - (s.length % 4)) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

function checkSeed(seed) {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw localError("an Ed25519 seed is 32 bytes");
}

/** The 32-byte public key of a 32-byte seed. */
export async function publicKey(seed) {
  checkSeed(seed);
  if (useNoble()) return deps().ed25519.getPublicKey(seed);
  const jwk = await subtle().exportKey("jwk", await privateKeyOf(seed));
  return b64urlToBytes(jwk.x);
}

/** RFC 8032 signature (64 bytes) of `message` by the key of `seed`. */
export async function sign(seed, message) {
  checkSeed(seed);
  if (useNoble()) return deps().ed25519.sign(message, seed);
  return new Uint8Array(await subtle().sign({ name: "Ed25519" }, await privateKeyOf(seed), message));
}

function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// Rule 6 under noble: R' = [S]B - [k]A, encoded, equal to R as bytes
// (noble's own verify is cofactored, which the spec forbids).
function nobleEquation(pk, message, sig) {
  const { ed25519, sha512 } = deps();
  const Point = ed25519.Point ?? ed25519.ExtendedPoint;
  const R = sig.subarray(0, 32);
  const S = le(sig.subarray(32));
  const k = le(sha512(concat(R, pk, message))) % L;
  const A = Point.fromBytes ? Point.fromBytes(pk) : Point.fromHex(pk);
  const expected = Point.BASE.multiply(S, false).subtract(A.multiply(k, false));
  return bytesEqual(expected.toBytes ? expected.toBytes() : expected.toRawBytes(), R);
}

export function concat(...parts) {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Verify under spec/signatures.md exactly; returns true/false, never throws on bad input. */
export async function verify(pk, message, sig) {
  if (!passesStrictChecks(pk, sig)) return false;
  if (useNoble()) deps(); // a missing library is the caller's error, not an invalid signature
  try {
    if (useNoble()) return nobleEquation(pk, message, sig);
    const key = await subtle().importKey("raw", pk, { name: "Ed25519" }, false, ["verify"]);
    return await subtle().verify({ name: "Ed25519" }, key, sig, message);
  } catch {
    return false;
  }
}
