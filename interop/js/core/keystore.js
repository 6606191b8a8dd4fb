// The passphrase keystore of spec/keys.md, byte-compatible with
// protocol/keystore.py:
//   file = canonical ["caracol-keystore", 0, public_key, [opslimit, memlimit], salt16, nonce24, box]
//   key  = Argon2id(passphrase UTF-8, salt, t=opslimit, m=memlimit/1024 KiB, p=1, 32 bytes)
//          (libsodium crypto_pwhash)
//   box  = XSalsa20-Poly1305(key, nonce, seed)   (crypto_secretbox: tag || ciphertext)
// Argon2id is hash-wasm's and XSalsa20-Poly1305 @noble/ciphers', both
// injected by init() (deps.js).

import { decode, encode } from "./canonical.js";
import { deps } from "./deps.js";
import { CoreError, localError } from "./errors.js";
import { publicKey } from "./ed25519.js";

export const MAGIC = "caracol-keystore";
export const VERSION = 0;
export const SALT_BYTES = 16;
export const NONCE_BYTES = 24;
export const DEFAULT_OPSLIMIT = 3;
export const DEFAULT_MEMLIMIT = 64 * 1024 * 1024;
export const MIN_OPSLIMIT = 1;
export const MAX_OPSLIMIT = 64;
export const MIN_MEMLIMIT = 8192;
export const MAX_MEMLIMIT = 1024 * 1024 * 1024;
const WRONG = "wrong passphrase, or the keystore file is damaged";

const fail = (reason) => new CoreError("keystore", reason);

function need(name) {
  const d = deps();
  if (!d[name]) {
    throw localError(`the keystore needs ${name}: call init() with it (interop/js/README.md)`);
  }
  return d[name];
}

async function derive(passphrase, salt, opslimit, memlimit) {
  const argon2id = need("argon2id");
  const key = await argon2id({
    password: new TextEncoder().encode(passphrase),
    salt,
    parallelism: 1,
    iterations: opslimit,
    memorySize: Math.floor(memlimit / 1024),
    hashLength: 32,
    outputType: "binary",
  });
  return new Uint8Array(key);
}

/**
 * Seal a 32-byte seed under a passphrase -> the keystore file bytes.
 * salt and nonce are fresh random bytes unless given (tests).
 */
export async function sealKeystore(
  seed,
  passphrase,
  { opslimit = DEFAULT_OPSLIMIT, memlimit = DEFAULT_MEMLIMIT, salt = null, nonce = null } = {},
) {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw localError("an Ed25519 seed is 32 bytes");
  if (typeof passphrase !== "string" || !passphrase) throw fail("an empty passphrase protects nothing");
  if (!(opslimit >= MIN_OPSLIMIT && opslimit <= MAX_OPSLIMIT && memlimit >= MIN_MEMLIMIT && memlimit <= MAX_MEMLIMIT)) {
    throw localError(`opslimit must be ${MIN_OPSLIMIT}..${MAX_OPSLIMIT} and memlimit ${MIN_MEMLIMIT}..${MAX_MEMLIMIT}`);
  }
  salt = salt ?? globalThis.crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  nonce = nonce ?? globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  if (salt.length !== SALT_BYTES || nonce.length !== NONCE_BYTES) {
    throw fail(`salt must be ${SALT_BYTES} bytes and nonce ${NONCE_BYTES}`);
  }
  const key = await derive(passphrase, salt, opslimit, memlimit);
  const box = need("xsalsa20poly1305")(key, nonce).encrypt(seed);
  return encode([MAGIC, VERSION, await publicKey(seed), [opslimit, memlimit], salt, nonce, box]);
}

function parse(data) {
  let value;
  try {
    value = decode(data);
  } catch (e) {
    throw fail(`not a keystore file: ${e.message}`);
  }
  if (!Array.isArray(value) || value.length !== 7 || value[0] !== MAGIC) throw fail("not a caracol keystore file");
  const [, version, pub, limits, salt, nonce, box] = value;
  if (version !== VERSION) throw fail(`keystore version ${String(version)} is not supported (this is ${VERSION})`);
  const isBin = (b, n = null) => b instanceof Uint8Array && (n === null || b.length === n);
  if (
    !isBin(pub, 32) ||
    !Array.isArray(limits) ||
    limits.length !== 2 ||
    !limits.every((x) => typeof x === "number" || typeof x === "bigint") ||
    !isBin(salt, SALT_BYTES) ||
    !isBin(nonce, NONCE_BYTES) ||
    !isBin(box)
  ) {
    throw fail("keystore file is damaged (a field has the wrong type or size)");
  }
  const [opslimit, memlimit] = limits;
  if (
    typeof opslimit !== "number" ||
    typeof memlimit !== "number" ||
    !(opslimit >= MIN_OPSLIMIT && opslimit <= MAX_OPSLIMIT && memlimit >= MIN_MEMLIMIT && memlimit <= MAX_MEMLIMIT)
  ) {
    throw fail("keystore KDF limits are out of range (damaged or hostile file)");
  }
  return { pub, opslimit, memlimit, salt, nonce, box };
}

/** The public key and KDF cost, without the passphrase. */
export function keystoreInfo(data) {
  const { pub, opslimit, memlimit } = parse(data);
  return { publicKey: pub, opslimit, memlimit };
}

/** Open a keystore -> the 32-byte seed; CoreError("keystore", "wrong passphrase, …") otherwise. */
export async function unsealKeystore(data, passphrase) {
  if (!(data instanceof Uint8Array)) throw localError("a keystore is a Uint8Array");
  const { pub, opslimit, memlimit, salt, nonce, box } = parse(data);
  const key = await derive(String(passphrase), salt, opslimit, memlimit);
  let seed;
  try {
    seed = need("xsalsa20poly1305")(key, nonce).decrypt(box);
  } catch (e) {
    if (e instanceof CoreError) throw e;
    throw fail(WRONG);
  }
  const derived = seed.length === 32 ? await publicKey(seed) : null;
  if (!derived || derived.some((b, i) => b !== pub[i])) {
    throw fail("keystore public key does not match its secret (file tampered with)");
  }
  return seed;
}
