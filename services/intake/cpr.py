"""The Danish national ID (CPR number): validation, masking, keyed matching and encryption at rest.

Pure building blocks: keys are passed in, nothing is read from the environment or logged.
The modulus-11 check is deliberately not applied: it has not been required since 2007, and many
valid numbers issued since then fail it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from datetime import date
from typing import Any, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

_CPR = re.compile(r"([0-9]{6})-?([0-9]{4})")
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_NONCE_BYTES = 12
_TAG_BYTES = 16
_CIPHER_KEY_BYTES = 32
_MIN_HASH_KEY_BYTES = 32


class CprError(ValueError):
    """A CPR number or token that cannot be accepted; the message never contains digits."""


def _century(yy: int, serial_first: int) -> int:
    """The birth century by the CPR office's rule on the first digit of the serial number."""
    if serial_first <= 3:
        return 1900
    if serial_first in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


class Cpr:
    """A validated CPR number that shows only its masked form unless explicitly revealed."""

    __slots__ = ("_birth_date", "_digits")

    _digits: str
    _birth_date: date

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise CprError("CPR number must be given as text")
        match = _CPR.fullmatch("".join(text.split()))
        if match is None:
            raise CprError("CPR number must be ten digits written DDMMYYSSSS or DDMMYY-SSSS")
        digits = match[1] + match[2]
        yy = int(digits[4:6])
        try:
            birth_date = date(_century(yy, int(digits[6])) + yy, int(digits[2:4]), int(digits[:2]))
        except ValueError:
            raise CprError("CPR number does not start with a valid birth date") from None
        object.__setattr__(self, "_digits", digits)
        object.__setattr__(self, "_birth_date", birth_date)

    @property
    def birth_date(self) -> date:
        """The birth date, with the century derived from the serial number."""
        return self._birth_date

    @property
    def masked(self) -> str:
        """The birth date part followed by "-xxxx"."""
        return f"{self._digits[:6]}-xxxx"

    def reveal(self, *, dash: bool = False) -> str:
        """The plain number: ten digits, or DDMMYY-SSSS with `dash`."""
        return f"{self._digits[:6]}-{self._digits[6:]}" if dash else self._digits

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Cpr({self.masked!r})"

    def __format__(self, format_spec: str) -> str:
        return format(self.masked, format_spec)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Cpr):
            return NotImplemented
        return hmac.compare_digest(self._digits, other._digits)

    def __hash__(self) -> int:
        return hash((Cpr, self._digits))

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("Cpr is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("Cpr is immutable")

    def __copy__(self) -> Cpr:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Cpr:
        return self

    def __reduce__(self) -> NoReturn:
        raise TypeError("Cpr cannot be pickled; store it encrypted with CprCipher")

    @classmethod
    def _coerce(cls, value: Any) -> Cpr:
        """The value as a Cpr, parsing text."""
        return value if isinstance(value, Cpr) else cls(value)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate from text or Cpr; always serialise to the masked form."""
        return core_schema.json_or_python_schema(
            json_schema=core_schema.no_info_after_validator_function(cls, core_schema.str_schema()),
            python_schema=core_schema.no_info_plain_validator_function(cls._coerce),
            serialization=core_schema.plain_serializer_function_ser_schema(
                _serialise, when_used="always"
            ),
        )


def _serialise(value: object) -> str:
    """The masked form of a Cpr field, never the digits."""
    return value.masked if isinstance(value, Cpr) else "xxxxxx-xxxx"


class CprHasher:
    """Keyed hash (HMAC-SHA256) of CPR numbers, for matching without decrypting."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < _MIN_HASH_KEY_BYTES:
            raise ValueError(f"CPR hash key must be at least {_MIN_HASH_KEY_BYTES} bytes")
        self._key = bytes(key)

    def digest(self, cpr: Cpr) -> str:
        """Prefix "h1:" plus the hex HMAC-SHA256 of the ten digits; stable per citizen and key."""
        mac = hmac.new(self._key, cpr.reveal().encode("ascii"), hashlib.sha256)
        return f"h1:{mac.hexdigest()}"


class CprCipher:
    """AES-256-GCM encryption of CPR numbers at rest, bound to a context, with key rotation."""

    __slots__ = ("_aeads", "_current")

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        if current not in keys:
            raise ValueError("the current CPR key id is not among the keys")
        for key_id, key in keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise ValueError(f"CPR key id {key_id!r} must be letters, digits, '.', '_' or '-'")
            if len(key) != _CIPHER_KEY_BYTES:
                raise ValueError(f"CPR key {key_id!r} must be {_CIPHER_KEY_BYTES} bytes")
        self._aeads = {key_id: AESGCM(bytes(key)) for key_id, key in keys.items()}
        self._current = current

    @property
    def current(self) -> str:
        """The id of the key new tokens are encrypted with."""
        return self._current

    def encrypt(self, cpr: Cpr, context: str) -> str:
        """The token "v1:<key id>:<base64url(nonce + ciphertext)>" for `cpr` in `context`."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aeads[self._current].encrypt(
            nonce, cpr.reveal().encode("ascii"), _associated_data(self._current, context)
        )
        payload = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"v1:{self._current}:{payload}"

    def decrypt(self, token: str, context: str) -> Cpr:
        """The Cpr in a token made by any known key for the same context."""
        parts = token.split(":") if isinstance(token, str) else []
        if len(parts) != 3 or parts[0] != "v1" or not _BASE64URL.fullmatch(parts[2]):
            raise CprError("CPR token is malformed")
        key_id, payload = parts[1], parts[2]
        aead = self._aeads.get(key_id)
        if aead is None:
            raise CprError("CPR token was encrypted with an unknown key")
        try:
            blob = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        except binascii.Error:
            raise CprError("CPR token is malformed") from None
        if len(blob) < _NONCE_BYTES + _TAG_BYTES:
            raise CprError("CPR token is malformed")
        try:
            plain = aead.decrypt(
                blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], _associated_data(key_id, context)
            )
        except InvalidTag:
            raise CprError("CPR token is tampered with or belongs to another context") from None
        return Cpr(plain.decode("ascii", errors="replace"))

    def needs_rotation(self, token: str) -> bool:
        """Whether the token is not encrypted with the current key."""
        return not token.startswith(f"v1:{self._current}:")


def _associated_data(key_id: str, context: str) -> bytes:
    """The associated data binding a token to its format, key id and the caller's context."""
    if not context:
        raise ValueError("a CPR token needs a context, such as the collection and field name")
    return f"vias-cpr:v1:{key_id}:{context}".encode()


def key_from_config(text: str) -> bytes:
    """A key from settings text: hex if it is only hex digits, else base64 or base64url."""
    text = text.strip()
    if _HEX.fullmatch(text):
        return bytes.fromhex(text)
    if _BASE64.fullmatch(text):
        unpadded = text.rstrip("=").replace("+", "-").replace("/", "_")
        try:
            return base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
        except binascii.Error:
            pass
    raise ValueError("a CPR key must be written in hex or base64")


def keys_from_config(text: str) -> dict[str, bytes]:
    """Keys from settings text "id:key,id:key", e.g. "k1:<hex>,k2:<base64>"; ids are unique."""
    keys: dict[str, bytes] = {}
    for entry in text.split(","):
        key_id, colon, key_text = entry.partition(":")
        key_id = key_id.strip()
        if not colon or not key_id:
            raise ValueError('CPR keys must be written as "id:key,id:key"')
        if key_id in keys:
            raise ValueError(f"CPR key id {key_id!r} is listed twice")
        keys[key_id] = key_from_config(key_text)
    return keys
