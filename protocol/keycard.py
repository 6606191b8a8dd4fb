"""Member key cards: a member's seed printed as a QR code, encrypted under a
short PIN, for a member who has no phone (spec/keys.md, "Key cards").

Sans-IO: this module turns (seed, PIN, salt, nonce) into the bytes of the
card's QR code and back; ``node.commands.card`` draws, prints and scans it.

Format (canonical msgpack array)::

    ["caracol-card", 0, body, public_key, name, [opslimit, memlimit], salt16, nonce24, box, check]

``key = Argon2id(PIN, salt, opslimit, memlimit)``, ``box =
XSalsa20-Poly1305(key, nonce, seed)``, ``check = SHA-256("caracol/0 card"
0x00 || canonical(the first nine fields as an array))[0..8]``. The check
tells a damaged or misread card (``DamagedCard``) from a wrong PIN
(``WrongPin``): a box that fails to open under an intact card means the PIN
is wrong. The public key in clear names the member before any PIN is typed,
and must match the decrypted seed.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

import nacl.exceptions
import nacl.pwhash
import nacl.secret

from . import canonical
from .errors import KeystoreError, ProtocolError
from .keys import public_key

MAGIC = "caracol-card"
VERSION = 0
CHECK_DOMAIN = b"caracol/0 card\x00"
CHECK_BYTES = 8
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES  # 16
NONCE_BYTES = nacl.secret.SecretBox.NONCE_SIZE  # 24
MAX_NAME_BYTES = 64
MIN_PIN = 8  # characters; spec/keys.md says what 6 digits would (not) protect
MAX_PIN = 64

# The keystore's cost: about a second per guess on a Raspberry Pi 4 core.
DEFAULT_OPSLIMIT = 3
DEFAULT_MEMLIMIT = 64 * 1024 * 1024
MIN_OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_MIN
MIN_MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_MIN
MAX_OPSLIMIT = 64
MAX_MEMLIMIT = 1024 * 1024 * 1024
MAX_CARD_BYTES = 512


class CardError(KeystoreError):
    """A key card cannot be used."""

    code = "card"


class DamagedCard(CardError):
    """The card's code was misread, torn or altered: its check fails, or a
    field is malformed. Scan it again or use a fresh card."""

    code = "damaged_card"


class WrongPin(CardError):
    """The card is intact but the PIN does not open it."""

    code = "wrong_pin"


@dataclass(frozen=True, slots=True)
class Card:
    """What a card says without its PIN."""

    body: bytes
    public_key: bytes
    name: str
    opslimit: int
    memlimit: int


def normalise_pin(pin: str) -> bytes:
    """A PIN as the KDF sees it: NFC, surrounding white space removed, and
    inner runs of white space as one space (a word PIN typed loosely)."""
    return " ".join(unicodedata.normalize("NFC", pin).split()).encode("utf-8")


def check_pin(pin: str, minimum: int = MIN_PIN) -> bytes:
    p = normalise_pin(pin)
    if len(p.decode()) < minimum:
        raise CardError(f"a card PIN needs at least {minimum} characters (spec/keys.md: why)")
    if len(p) > MAX_PIN:
        raise CardError(f"a card PIN is at most {MAX_PIN} bytes")
    return p


def _derive(pin: bytes, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    key: bytes = nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE, pin, salt, opslimit=opslimit, memlimit=memlimit
    )
    return key


def _check(fields: tuple[object, ...]) -> bytes:
    return hashlib.sha256(CHECK_DOMAIN + canonical.encode(fields)).digest()[:CHECK_BYTES]


def seal(
    seed: bytes,
    pin: str,
    *,
    body: bytes,
    name: str,
    salt: bytes,
    nonce: bytes,
    opslimit: int = DEFAULT_OPSLIMIT,
    memlimit: int = DEFAULT_MEMLIMIT,
    min_pin: int = MIN_PIN,
) -> bytes:
    """The bytes of a card's QR code. ``salt`` and ``nonce`` must be fresh
    random bytes from the caller; ``min_pin`` is lowered only by vectors."""
    p = check_pin(pin, min_pin)
    if len(seed) != 32 or len(body) != 32:
        raise CardError("a card holds a 32-byte seed for a 32-byte body id")
    if len(salt) != SALT_BYTES or len(nonce) != NONCE_BYTES:
        raise CardError(f"salt must be {SALT_BYTES} bytes and nonce {NONCE_BYTES}")
    if not 0 < len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        raise CardError(f"a card's name is 1..{MAX_NAME_BYTES} bytes of UTF-8")
    box = nacl.secret.SecretBox(_derive(p, salt, opslimit, memlimit)).encrypt(seed, nonce)
    fields = (
        MAGIC,
        VERSION,
        body,
        public_key(seed),
        name,
        (opslimit, memlimit),
        salt,
        nonce,
        box.ciphertext,
    )
    return canonical.encode((*fields, _check(fields)))


def _parse(data: bytes) -> tuple[Card, bytes, bytes, bytes]:
    if len(data) > MAX_CARD_BYTES:
        raise DamagedCard(f"a card is at most {MAX_CARD_BYTES} bytes, this code has {len(data)}")
    try:
        value = canonical.decode(data)
    except ProtocolError as exc:
        raise DamagedCard(f"not a readable key card: {exc}") from None
    if type(value) is not tuple or len(value) != 10 or value[0] != MAGIC:
        raise DamagedCard("not a Caracol key card (magic caracol-card, 10 fields)", field="magic")
    *fields, check = value
    if type(check) is not bytes or check != _check(tuple(fields)):
        raise DamagedCard(
            "the card's check does not match: it was misread or damaged; scan it again",
            field="check",
        )
    _m, version, body, pub, name, limits, salt, nonce, box = fields
    if type(version) is not int or version != VERSION:
        raise DamagedCard(f"card version {version!r} is not supported (this is {VERSION})")
    for field, v, size in (
        ("body", body, 32),
        ("public_key", pub, 32),
        ("salt", salt, SALT_BYTES),
        ("nonce", nonce, NONCE_BYTES),
        ("box", box, 48),
    ):
        if type(v) is not bytes or len(v) != size:
            raise DamagedCard(f"the card's {field} is not {size} bytes", field=field)
    if type(name) is not str or not 0 < len(name.encode()) <= MAX_NAME_BYTES:
        raise DamagedCard(f"the card's name is not 1..{MAX_NAME_BYTES} bytes", field="name")
    if type(limits) is not tuple or len(limits) != 2 or not all(type(x) is int for x in limits):
        raise DamagedCard("the card's KDF limits are not two integers", field="limits")
    ops, mem = limits
    if not (MIN_OPSLIMIT <= ops <= MAX_OPSLIMIT and MIN_MEMLIMIT <= mem <= MAX_MEMLIMIT):
        raise DamagedCard("the card's KDF limits are out of range", field="limits")
    return Card(body, pub, name, ops, mem), salt, nonce, box


def read(data: bytes) -> Card:
    """Who a card is for, without the PIN."""
    return _parse(data)[0]


def unseal(data: bytes, pin: str) -> tuple[Card, bytes]:
    """The card and its 32-byte seed. The caller signs and forgets it."""
    card, salt, nonce, box = _parse(data)
    key = _derive(normalise_pin(pin), salt, card.opslimit, card.memlimit)
    try:
        seed: bytes = nacl.secret.SecretBox(key).decrypt(box, nonce)
    except nacl.exceptions.CryptoError:
        raise WrongPin(f"wrong PIN for {card.name}'s card") from None
    if public_key(seed) != card.public_key:
        raise DamagedCard("the card's public key does not match its secret (card altered)")
    return card, seed
