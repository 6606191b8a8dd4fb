// The text form of a public key (spec/keys.md, "Text form"):
//   "ck1" || base32(key || SHA-256("caracol/0 key-text" 0x00 || key)[0..4])
// lowercase RFC 4648 alphabet, no padding: always 61 characters.

import { CoreError, localError } from "./errors.js";
import { sha256Sync } from "./sha256sync.js";

export const KEY_TEXT_PREFIX = "ck1";
const B32 = "abcdefghijklmnopqrstuvwxyz234567";
const DOMAIN = new TextEncoder().encode("caracol/0 key-text\0");
const BODY_CHARS = 58; // 36 bytes
// white space as spec/keys.md defines it (Python's str.isspace, not JS's trim)
const WHITE = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const EDGE_WHITE = new RegExp(`^[${WHITE}]+|[${WHITE}]+$`, "g");

function checksum(key) {
  const data = new Uint8Array(DOMAIN.length + 32);
  data.set(DOMAIN);
  data.set(key, DOMAIN.length);
  return sha256Sync(data).subarray(0, 4);
}

function base32(bytes) {
  let out = "";
  let acc = 0, bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

export function keyToText(key) {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw localError("a public key is 32 bytes");
  const raw = new Uint8Array(36);
  raw.set(key);
  raw.set(checksum(key), 32);
  return KEY_TEXT_PREFIX + base32(raw);
}

const bad = (reason, offset = null) => new CoreError("bad_key_text", reason, { field: "key", offset });

/** Parse a key text; throws CoreError("bad_key_text") saying what is wrong. */
export function keyFromText(text) {
  if (typeof text !== "string") throw bad("a key text is a string");
  const s = text.replace(EDGE_WHITE, "");
  if (!s.startsWith(KEY_TEXT_PREFIX)) throw bad(`a key text starts with '${KEY_TEXT_PREFIX}'`);
  const body = [...s.slice(KEY_TEXT_PREFIX.length)];
  let pos = KEY_TEXT_PREFIX.length;
  const values = [];
  for (const ch of body) {
    // check before lower-casing: U+212A KELVIN SIGN lower-cases to "k"
    const v = ch.length === 1 && ch.charCodeAt(0) < 128 ? B32.indexOf(ch.toLowerCase()) : -1;
    if (v < 0) throw bad(`character '${ch}' at position ${pos} is not in the alphabet`, pos);
    values.push(v);
    pos += 1;
  }
  if (values.length !== BODY_CHARS) {
    throw bad(`a key text has ${BODY_CHARS} characters after '${KEY_TEXT_PREFIX}', got ${values.length}`);
  }
  // 58 chars = 290 bits: 288 bits of data then 2 unused bits that must be zero
  if (values[BODY_CHARS - 1] & 3) throw bad("the last character is mistyped", pos - 1);
  const raw = new Uint8Array(36);
  let acc = 0, bits = 0, o = 0;
  for (const v of values) {
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      raw[o++] = (acc >>> (bits - 8)) & 0xff;
      bits -= 8;
      acc &= (1 << bits) - 1;
    }
  }
  const key = raw.slice(0, 32);
  const check = checksum(key);
  for (let i = 0; i < 4; i++) if (check[i] !== raw[32 + i]) throw bad("checksum mismatch: a character is mistyped");
  return key;
}
