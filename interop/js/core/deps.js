// The crypto primitives WebCrypto lacks, injected once by init() so that the
// same modules run in Node (imports from node_modules) and in the browser
// (imports from /vendor/…): see interop/js/README.md.
//
//   argon2id(opts)            hash-wasm's argon2id
//   xsalsa20poly1305(k, n)    @noble/ciphers/salsa's xsalsa20poly1305
//   ed25519                   @noble/ed25519 (the module namespace)
//   sha256(bytes), sha512(bytes)   @noble/hashes (synchronous)

import { localError } from "./errors.js";

let injected = {};
let forceNoble = false;

export function setDeps(d = {}, { noble = false } = {}) {
  injected = { ...injected, ...d };
  if (noble) forceNoble = true;
}

export function deps() {
  return injected;
}

/** True when the @noble fallback signs and hashes (no crypto.subtle, or forced). */
export function useNoble() {
  return forceNoble || !globalThis.crypto?.subtle;
}

/** The injected @noble libraries, or a clear local error when they are missing. */
export function nobleDeps() {
  const d = injected;
  if (!d.ed25519 || !d.sha256 || !d.sha512) {
    throw localError(
      "crypto.subtle is missing (a page over plain HTTP is not a secure context) and " +
        "@noble/ed25519 + @noble/hashes were not loaded: call init() (interop/js/README.md)",
    );
  }
  return d;
}
