"""Keystore files on disk: created 0600, refused when others can read them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from protocol import keystore
from protocol.errors import KeystoreError


def write(path: str | Path, seed: bytes, passphrase: str, **limits: int) -> None:
    """Create a new keystore file (never overwrites an existing one)."""
    path = Path(path)
    data = keystore.seal(
        seed,
        passphrase,
        salt=os.urandom(keystore.SALT_BYTES),
        nonce=os.urandom(keystore.NONCE_BYTES),
        **limits,
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeystoreError(f"{path} exists already; refusing to overwrite a key") from None
    except OSError as exc:
        raise KeystoreError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def read_bytes(path: str | Path) -> bytes:
    """The keystore's bytes, after checking nobody else can read the file."""
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise KeystoreError(f"no keystore at {path}") from None
    except OSError as exc:
        raise KeystoreError(f"cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise KeystoreError(f"{path} is not a keystore file (it is a directory or a device)")
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeystoreError(
            f"{path} is readable or writable by other users (mode {stat.S_IMODE(st.st_mode):o}); "
            f"run: chmod 600 {path}"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KeystoreError(f"cannot read {path}: {exc.strerror}") from None


def read(path: str | Path, passphrase: str) -> bytes:
    """Unlock a keystore file; returns the seed."""
    return keystore.unseal(read_bytes(path), passphrase)
