"""The local issuer's RS256 key pairs and the services' client secrets, as files.

`keys/<kid>.pem` holds each private key (mode 0600), `keys/active` names the one that signs. A
rotation adds a new active key and keeps the previous one published (tokens it signed stay
valid until they expire); the key before that leaves the JWKS. `python -m
services.identity.keys rotate [dir]` rotates the keys of a running local issuer.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ACTIVE = "active"


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by the owner only, atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".new-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _new_key(keys_dir: Path) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = secrets.token_hex(8)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(keys_dir / f"{kid}.pem", pem)
    return kid


def ensure_keys(keys_dir: Path) -> None:
    """Create the first key pair unless there is an active one."""
    if not (keys_dir / ACTIVE).exists():
        kid = _new_key(keys_dir)
        _write_private(keys_dir / ACTIVE, kid.encode())


def rotate(keys_dir: Path) -> str:
    """A new active key; the previous one stays published, older ones are removed."""
    ensure_keys(keys_dir)
    previous = (keys_dir / ACTIVE).read_text().strip()
    kid = _new_key(keys_dir)
    _write_private(keys_dir / ACTIVE, kid.encode())
    for path in keys_dir.glob("*.pem"):
        if path.stem not in (kid, previous):
            path.unlink(missing_ok=True)
    return kid


@dataclass(frozen=True)
class KeySet:
    """The signing key and every published key."""

    active_kid: str
    private: dict[str, Any]

    def signing_key(self) -> Any:
        """The private key that signs new tokens."""
        return self.private[self.active_kid]

    def jwks(self) -> dict[str, Any]:
        """The public keys as a JWK set."""
        keys = []
        for kid, key in sorted(self.private.items()):
            jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}


def load(keys_dir: Path) -> KeySet:
    """The key pairs on disk now (read on each use, so a rotation needs no restart)."""
    ensure_keys(keys_dir)
    private: dict[str, Any] = {}
    for path in keys_dir.glob("*.pem"):
        private[path.stem] = serialization.load_pem_private_key(path.read_bytes(), None)
    active = (keys_dir / ACTIVE).read_text().strip()
    if active not in private:
        raise RuntimeError(f"the active key {active} is missing from {keys_dir}")
    return KeySet(active, private)


def ensure_client_secret(clients_dir: Path, client_id: str) -> Path:
    """The file holding a client's secret, created with a random one if missing."""
    path = clients_dir / f"{client_id}.secret"
    if not path.exists():
        _write_private(path, secrets.token_urlsafe(32).encode())
    return path


def client_secret_matches(clients_dir: Path, client_id: str, secret: str) -> bool:
    """Whether `secret` is the client's (constant time); unknown clients never match."""
    if not client_id or "/" in client_id or client_id.startswith("."):
        return False
    path = clients_dir / f"{client_id}.secret"
    try:
        expected = path.read_text().strip()
    except OSError:
        return False
    return hmac.compare_digest(expected.encode(), secret.encode())


def main(argv: list[str]) -> int:
    """`rotate [dir]`: rotate the local issuer's keys (default var/identity)."""
    if not argv or argv[0] != "rotate":
        print("usage: python -m services.identity.keys rotate [var/identity]", file=sys.stderr)
        return 2
    base = Path(argv[1]) if len(argv) > 1 else Path("var/identity")
    print(f"new signing key {rotate(base / 'keys')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
