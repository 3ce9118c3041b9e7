"""Password hashing with scrypt, a memory-hard function from the standard library.

A hash is stored as one self-describing string,
``$scrypt$ln=15,r=8,p=3$<salt>$<digest>`` (salt and digest in unpadded
base64), so that raising the cost later still verifies the older hashes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

# OWASP's scrypt choice for 32 MiB of memory per hash: N=2^15, r=8, p=3.
# About 0.3 s of one core here, which is what a login is allowed to cost.
LOG2_N = 15
BLOCK_SIZE = 8
PARALLELISM = 3
SALT_BYTES = 16
DIGEST_BYTES = 32
# A bound on what a stored hash may ask for, so that a tampered users file
# cannot make one login allocate gigabytes.
MAX_LOG2_N = 20
MAX_MEMORY = 256 * 1024 * 1024

PREFIX = "$scrypt$"


class PasswordHashError(ValueError):
    """A stored password hash is not one this module wrote."""


def _encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=2**log2_n,
        r=r,
        p=p,
        maxmem=MAX_MEMORY,
        dklen=DIGEST_BYTES,
    )


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of the password, ready to store."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, LOG2_N, BLOCK_SIZE, PARALLELISM)
    parameters = f"ln={LOG2_N},r={BLOCK_SIZE},p={PARALLELISM}"
    return f"{PREFIX}{parameters}${_encode(salt)}${_encode(digest)}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes]:
    if not stored.startswith(PREFIX):
        raise PasswordHashError("not an scrypt hash")
    try:
        parameters, salt_text, digest_text = stored[len(PREFIX) :].split("$")
        fields = dict(item.split("=", 1) for item in parameters.split(","))
        log2_n, r, p = int(fields["ln"]), int(fields["r"]), int(fields["p"])
        salt, digest = _decode(salt_text), _decode(digest_text)
    except (ValueError, KeyError) as err:
        raise PasswordHashError("malformed scrypt hash") from err
    if not (1 <= log2_n <= MAX_LOG2_N and 1 <= r <= 32 and 1 <= p <= 16):
        raise PasswordHashError("scrypt parameters out of range")
    if len(salt) < 8 or len(digest) < 16:
        raise PasswordHashError("scrypt salt or digest too short")
    return log2_n, r, p, salt, digest


def check_hash(stored: str) -> None:
    """Raise PasswordHashError unless the stored hash can be verified."""
    _parse(stored)


def verify_password(stored: str, password: str) -> bool:
    """Tell whether the password matches the stored hash, in constant time."""
    log2_n, r, p, salt, digest = _parse(stored)
    candidate = _scrypt(password, salt, log2_n, r, p)
    return hmac.compare_digest(candidate, digest)


@functools.cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def waste_equal_time(password: str) -> None:
    """Spend the time a real verification takes, for a name that has no user."""
    # An unknown name then costs what a wrong password costs, so the answer's
    # timing does not tell which names exist.
    verify_password(_decoy_hash(), password)
