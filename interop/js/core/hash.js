// SHA-256: WebCrypto's digest, or the injected @noble/hashes sha256 when
// crypto.subtle is missing or the noble fallback is forced (deps.js).
import { nobleDeps as deps, useNoble } from "./deps.js";

export async function sha256(bytes) {
  if (useNoble()) return deps().sha256(bytes);
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes));
}
