// Printed key cards (spec/keys.md, "Key cards"), byte-compatible with
// protocol/keycard.py:
//   card  = canonical ["caracol-card", 0, body, public_key, name, [opslimit, memlimit], salt, nonce, box, check]
//   key   = Argon2id(normalised PIN, salt, opslimit, memlimit)
//   box   = XSalsa20-Poly1305(key, nonce, seed)          (48 bytes)
//   check = SHA-256("caracol/0 card" 0x00 || canonical first nine fields)[0..8]
// A misread or damaged code is `damaged_card`; an intact card that the PIN
// does not open is `wrong_pin`; a PIN or name the card cannot hold is `card`.

import { decode, encode } from "./canonical.js";
import { deps } from "./deps.js";
import { CoreError, localError } from "./errors.js";
import { publicKey } from "./ed25519.js";
import { sha256Sync } from "./sha256sync.js";

export const CARD_MAGIC = "caracol-card";
export const CARD_VERSION = 0;
export const MIN_PIN = 8;
export const MAX_PIN_BYTES = 64;
export const MAX_CARD_BYTES = 512;
const MAX_NAME_BYTES = 64;
const DOMAIN = new TextEncoder().encode("caracol/0 card\0");
const utf8 = new TextEncoder();
// the characters Python's str.split() splits on (str.isspace)
const WHITE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

const damaged = (reason, field = null) => new CoreError("damaged_card", reason, { field });

/** A PIN as the KDF sees it: NFC, trimmed, inner white space runs as one space. */
export function normalisePin(pin) {
  return utf8.encode(
    String(pin)
      .normalize("NFC")
      .split(WHITE)
      .filter((w) => w.length)
      .join(" "),
  );
}

function checkOf(fields) {
  const enc = encode(fields);
  const data = new Uint8Array(DOMAIN.length + enc.length);
  data.set(DOMAIN);
  data.set(enc, DOMAIN.length);
  return sha256Sync(data).subarray(0, 8);
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

async function derive(pinBytes, salt, opslimit, memlimit) {
  const argon2id = deps().argon2id;
  if (!argon2id) throw localError("a key card needs argon2id: call init() (interop/js/README.md)");
  return new Uint8Array(
    await argon2id({
      password: pinBytes,
      salt,
      parallelism: 1,
      iterations: opslimit,
      memorySize: Math.floor(memlimit / 1024),
      hashLength: 32,
      outputType: "binary",
    }),
  );
}

function parse(data) {
  if (!(data instanceof Uint8Array)) throw localError("a card is a Uint8Array");
  if (data.length > MAX_CARD_BYTES) throw damaged(`a card is at most ${MAX_CARD_BYTES} bytes, this code has ${data.length}`);
  let value;
  try {
    value = decode(data);
  } catch (e) {
    throw damaged(`not a readable key card: ${e.message}`);
  }
  if (!Array.isArray(value) || value.length !== 10 || value[0] !== CARD_MAGIC) {
    throw damaged("not a Caracol key card (magic caracol-card, 10 fields)", "magic");
  }
  const fields = value.slice(0, 9);
  const check = value[9];
  if (!(check instanceof Uint8Array) || !same(check, checkOf(fields))) {
    throw damaged("the card's check does not match: it was misread or damaged; scan it again", "check");
  }
  const [, version, body, pub, name, limits, salt, nonce, box] = fields;
  if (version !== CARD_VERSION) throw damaged(`card version ${String(version)} is not supported (this is ${CARD_VERSION})`);
  for (const [field, v, size] of [["body", body, 32], ["public_key", pub, 32], ["salt", salt, 16], ["nonce", nonce, 24], ["box", box, 48]]) {
    if (!(v instanceof Uint8Array) || v.length !== size) throw damaged(`the card's ${field} is not ${size} bytes`, field);
  }
  if (typeof name !== "string" || !(utf8.encode(name).length > 0 && utf8.encode(name).length <= MAX_NAME_BYTES)) {
    throw damaged(`the card's name is not 1..${MAX_NAME_BYTES} bytes`, "name");
  }
  if (!Array.isArray(limits) || limits.length !== 2 || !limits.every((x) => typeof x === "number" || typeof x === "bigint")) {
    throw damaged("the card's KDF limits are not two integers", "limits");
  }
  const [opslimit, memlimit] = limits;
  if (!(typeof opslimit === "number" && typeof memlimit === "number" && opslimit >= 1 && opslimit <= 64 && memlimit >= 8192 && memlimit <= 2 ** 30)) {
    throw damaged("the card's KDF limits are out of range", "limits");
  }
  return { card: { body, publicKey: pub, name, opslimit, memlimit }, salt, nonce, box };
}

/** Who a card is for, without the PIN: {body, publicKey, name, opslimit, memlimit}. */
export function readCard(data) {
  return parse(data).card;
}

/** Open a card with its PIN -> {card, seed}; the caller signs and forgets the seed. */
export async function openCard(data, pin) {
  const { card, salt, nonce, box } = parse(data);
  const key = await derive(normalisePin(pin), salt, card.opslimit, card.memlimit);
  const cipher = deps().xsalsa20poly1305;
  if (!cipher) throw localError("a key card needs xsalsa20poly1305: call init() (interop/js/README.md)");
  let seed;
  try {
    seed = cipher(key, nonce).decrypt(box);
  } catch {
    throw new CoreError("wrong_pin", `wrong PIN for ${card.name}'s card`);
  }
  if (!same(await publicKey(seed), card.publicKey)) {
    throw damaged("the card's public key does not match its secret (card altered)");
  }
  return { card, seed };
}

/** The bytes of a card's QR code (salt and nonce fresh unless given). */
export async function sealCard(
  seed,
  pin,
  { body, name, opslimit = 3, memlimit = 64 * 1024 * 1024, salt = null, nonce = null, minPin = MIN_PIN },
) {
  const p = normalisePin(pin);
  if ([...new TextDecoder().decode(p)].length < minPin) {
    throw new CoreError("card", `a card PIN needs at least ${minPin} characters (spec/keys.md: why)`);
  }
  if (p.length > MAX_PIN_BYTES) throw new CoreError("card", `a card PIN is at most ${MAX_PIN_BYTES} bytes`);
  if (!(seed instanceof Uint8Array) || seed.length !== 32 || !(body instanceof Uint8Array) || body.length !== 32) {
    throw new CoreError("card", "a card holds a 32-byte seed for a 32-byte body id");
  }
  const n = utf8.encode(String(name)).length;
  if (!(n > 0 && n <= MAX_NAME_BYTES)) throw new CoreError("card", `a card's name is 1..${MAX_NAME_BYTES} bytes of UTF-8`);
  salt = salt ?? globalThis.crypto.getRandomValues(new Uint8Array(16));
  nonce = nonce ?? globalThis.crypto.getRandomValues(new Uint8Array(24));
  const key = await derive(p, salt, opslimit, memlimit);
  const box = deps().xsalsa20poly1305(key, nonce).encrypt(seed);
  const fields = [CARD_MAGIC, CARD_VERSION, body, await publicKey(seed), name, [opslimit, memlimit], salt, nonce, box];
  return encode([...fields, checkOf(fields)]);
}
