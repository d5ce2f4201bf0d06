"""CPR numbers: validation, century rule, masking, keyed hash and encryption at rest."""

import base64
import copy
import hashlib
import hmac
import json
import logging
import pickle
import re
from datetime import date

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from services.intake.cpr import (
    Cpr,
    CprCipher,
    CprError,
    CprHasher,
    key_from_config,
    keys_from_config,
)

K1 = bytes(range(32))
K2 = bytes(range(32, 64))
HASH_KEY = b"test-hash-key-for-unit-tests-only"
PLAIN = "0102031234"
CPR = Cpr("010203-1234")


def _no_digits(message: str) -> bool:
    return not any(ch.isdigit() for ch in message)


@pytest.mark.parametrize(
    ("text", "born"),
    [
        ("010100-0000", date(1900, 1, 1)),
        ("311299-3999", date(1999, 12, 31)),
        ("010136-4000", date(2036, 1, 1)),
        ("010137-4000", date(1937, 1, 1)),
        ("010100-9000", date(2000, 1, 1)),
        ("010199-9000", date(1999, 1, 1)),
        ("010157-5000", date(2057, 1, 1)),
        ("010158-5000", date(1858, 1, 1)),
        ("010100-8000", date(2000, 1, 1)),
        ("010199-8000", date(1899, 1, 1)),
        ("290200-4000", date(2000, 2, 29)),
        ("290256-6000", date(2056, 2, 29)),
    ],
)
def test_birth_date_follows_the_century_rule(text: str, born: date) -> None:
    assert Cpr(text).birth_date == born


@pytest.mark.parametrize(
    "text", ["0102031234", "010203-1234", " 010203-1234 ", "010203 1234", "\t0102031234\n"]
)
def test_accepted_spellings_give_the_same_number(text: str) -> None:
    cpr = Cpr(text)
    assert cpr.reveal() == PLAIN
    assert cpr == CPR
    assert hash(cpr) == hash(CPR)


def test_reveal_is_explicit() -> None:
    assert CPR.reveal() == PLAIN
    assert CPR.reveal(dash=True) == "010203-1234"
    assert CPR.masked == "010203-xxxx"
    assert CPR.birth_date == date(1903, 2, 1)


def test_different_numbers_differ() -> None:
    assert Cpr("010203-1235") != CPR
    assert CPR != PLAIN


@pytest.mark.parametrize(
    "text",
    [
        "",
        "010203123",
        "01020312345",
        "010203_1234",
        "010203--1234",
        "01-02-03-1234",
        "0102031234a",
        "abcdefghij",
        "010203+1234",
        "\u0660\u0661\u0660\u0662\u0660\u0663\u0661\u0662\u0663\u0664",
    ],
)
def test_malformed_numbers_are_rejected_without_echoing_digits(text: str) -> None:
    with pytest.raises(CprError, match="ten digits") as caught:
        Cpr(text)
    assert _no_digits(str(caught.value))


@pytest.mark.parametrize(
    "text",
    [
        "310224-1234",
        "000124-1234",
        "320124-1234",
        "011324-1234",
        "010024-1234",
        "290200-0000",
        "290258-5000",
        "290201-4000",
    ],
)
def test_impossible_birth_dates_are_rejected_without_echoing_digits(text: str) -> None:
    with pytest.raises(CprError, match="birth date") as caught:
        Cpr(text)
    message = str(caught.value)
    assert _no_digits(message)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_non_text_is_rejected() -> None:
    with pytest.raises(CprError, match="text"):
        Cpr(102031234)  # type: ignore[arg-type]


def test_cpr_error_is_a_value_error() -> None:
    assert issubclass(CprError, ValueError)


def test_every_text_form_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("test_cpr").info("citizen %s", CPR)
    shown = [
        str(CPR),
        repr(CPR),
        format(CPR),
        format(CPR, ">20"),
        f"{CPR}",
        f"{CPR!s}",
        f"{CPR!r}",
        f"{CPR:<15}",
        "%s" % CPR,  # noqa: UP031
        "{}".format(CPR),  # noqa: UP032
        repr([CPR]),
        str({"cpr": CPR}),
        caplog.text,
    ]
    for text in shown:
        assert "1234" not in text
        assert "010203-xxxx" in text
    assert repr(CPR) == "Cpr('010203-xxxx')"


def test_json_never_gets_the_digits() -> None:
    with pytest.raises(TypeError):
        json.dumps({"cpr": CPR})
    assert json.dumps({"cpr": CPR}, default=str) == '{"cpr": "010203-xxxx"}'


class Citizen(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)

    cpr: Cpr


def test_pydantic_field_validates_and_serialises_masked() -> None:
    citizen = Citizen.model_validate({"cpr": "010203-1234"})
    assert citizen.cpr == CPR
    assert Citizen(cpr=CPR).cpr is CPR
    assert Citizen.model_validate_json('{"cpr": "0102031234"}').cpr == CPR
    assert citizen.model_dump() == {"cpr": "010203-xxxx"}
    assert citizen.model_dump_json() == '{"cpr":"010203-xxxx"}'
    assert "1234" not in repr(citizen)
    assert "1234" not in str(citizen)
    assert citizen.model_copy(deep=True).cpr == CPR
    assert Citizen.model_json_schema()["properties"]["cpr"]["type"] == "string"


def test_pydantic_error_hides_the_input() -> None:
    with pytest.raises(ValidationError) as caught:
        Citizen.model_validate({"cpr": "310224-1234"})
    assert "310224" not in str(caught.value)
    assert "birth date" in str(caught.value)


def test_cpr_is_immutable_and_not_picklable() -> None:
    with pytest.raises(AttributeError):
        CPR._digits = "0101000000"
    with pytest.raises(AttributeError):
        del CPR._digits
    with pytest.raises(TypeError):
        pickle.dumps(CPR)
    assert copy.copy(CPR) is CPR
    assert copy.deepcopy(CPR) is CPR


def test_hash_is_versioned_hmac_sha256_of_the_digits() -> None:
    expected = hmac.new(HASH_KEY, PLAIN.encode(), hashlib.sha256).hexdigest()
    assert CprHasher(HASH_KEY).digest(CPR) == f"h1:{expected}"


def test_hash_matches_the_same_citizen_however_written() -> None:
    hasher = CprHasher(HASH_KEY)
    assert hasher.digest(Cpr("0102031234")) == hasher.digest(Cpr(" 010203-1234"))
    assert hasher.digest(CPR) != hasher.digest(Cpr("010203-1235"))


def test_hash_depends_on_the_key() -> None:
    assert CprHasher(K1).digest(CPR) != CprHasher(K2).digest(CPR)


def test_hash_key_must_be_long_enough() -> None:
    with pytest.raises(ValueError, match="at least"):
        CprHasher(b"x" * 31)


def test_cipher_round_trip() -> None:
    cipher = CprCipher({"k1": K1}, current="k1")
    token = cipher.encrypt(CPR, "inquiries.citizen_cpr")
    assert re.fullmatch(r"v1:k1:[A-Za-z0-9_-]+", token)
    assert PLAIN not in token
    assert cipher.decrypt(token, "inquiries.citizen_cpr") == CPR


def test_each_encryption_uses_a_fresh_nonce() -> None:
    cipher = CprCipher({"k1": K1}, current="k1")
    first, second = (cipher.encrypt(CPR, "ctx") for _ in range(2))
    assert first != second
    assert cipher.decrypt(first, "ctx") == cipher.decrypt(second, "ctx") == CPR


def test_wrong_context_fails() -> None:
    cipher = CprCipher({"k1": K1}, current="k1")
    token = cipher.encrypt(CPR, "inquiries.citizen_cpr")
    with pytest.raises(CprError, match="context"):
        cipher.decrypt(token, "cases.citizen_cpr")


def _flip_last_byte(token: str) -> str:
    prefix, payload = token.rsplit(":", 1)
    blob = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    blob[-1] ^= 1
    return f"{prefix}:{base64.urlsafe_b64encode(bytes(blob)).rstrip(b'=').decode()}"


def test_tampered_token_fails() -> None:
    cipher = CprCipher({"k1": K1, "k2": K2}, current="k1")
    token = cipher.encrypt(CPR, "ctx")
    with pytest.raises(CprError, match="tampered"):
        cipher.decrypt(_flip_last_byte(token), "ctx")
    with pytest.raises(CprError, match="tampered"):
        cipher.decrypt(token.replace("v1:k1:", "v1:k2:"), "ctx")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "v2:k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "v1:k1:@@@@",
        "v1:k1:A",
        "v1:k1:AAAA",
        "v1:k1:AAAA:AAAA",
    ],
)
def test_malformed_token_fails(token: str) -> None:
    with pytest.raises(CprError, match="malformed") as caught:
        CprCipher({"k1": K1}, current="k1").decrypt(token, "ctx")
    assert _no_digits(str(caught.value))


def test_unknown_key_id_fails() -> None:
    token = CprCipher({"k1": K1}, current="k1").encrypt(CPR, "ctx")
    with pytest.raises(CprError, match="unknown key"):
        CprCipher({"k2": K2}, current="k2").decrypt(token, "ctx")


def test_rotation_decrypts_old_and_encrypts_with_current() -> None:
    old = CprCipher({"k1": K1}, current="k1").encrypt(CPR, "ctx")
    rotated = CprCipher({"k1": K1, "k2": K2}, current="k2")
    assert rotated.current == "k2"
    assert rotated.decrypt(old, "ctx") == CPR
    new = rotated.encrypt(CPR, "ctx")
    assert new.startswith("v1:k2:")
    assert rotated.needs_rotation(old)
    assert not rotated.needs_rotation(new)


@pytest.mark.parametrize(
    ("keys", "current", "reason"),
    [
        ({"k1": K1}, "k2", "current"),
        ({"k1": K1[:16]}, "k1", "32 bytes"),
        ({"k1": K1 + b"x"}, "k1", "32 bytes"),
        ({"k:1": K1}, "k:1", "key id"),
        ({"": K1}, "", "key id"),
    ],
)
def test_cipher_rejects_bad_keys(keys: dict[str, bytes], current: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        CprCipher(keys, current=current)


def test_cipher_needs_a_context() -> None:
    with pytest.raises(ValueError, match="context"):
        CprCipher({"k1": K1}, current="k1").encrypt(CPR, "")


def test_keys_from_config_reads_hex_and_base64() -> None:
    b64 = base64.b64encode(K2).decode()
    b64url = base64.urlsafe_b64encode(K1).rstrip(b"=").decode()
    keys = keys_from_config(f" k1:{K1.hex()} , k2:{b64}, k3:{b64url},k4:{K2.hex().upper()}")
    assert keys == {"k1": K1, "k2": K2, "k3": K1, "k4": K2}


def test_key_from_config_reads_one_key() -> None:
    assert key_from_config(f"  {HASH_KEY.hex()}\n") == HASH_KEY
    assert CprHasher(key_from_config(HASH_KEY.hex())).digest(CPR).startswith("h1:")


def test_config_keys_build_a_working_cipher() -> None:
    cipher = CprCipher(keys_from_config(f"old:{K1.hex()},new:{K2.hex()}"), current="new")
    assert cipher.decrypt(cipher.encrypt(CPR, "ctx"), "ctx") == CPR


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "id:key"),
        (f"{K1.hex()}", "id:key"),
        (f":{K1.hex()}", "id:key"),
        (f"k1:{K1.hex()},", "id:key"),
        (f"k1:{K1.hex()},k1:{K2.hex()}", "twice"),
        ("k1:not a key!", "hex or base64"),
        ("k1:", "hex or base64"),
        ("k1:AAAAA", "hex or base64"),
    ],
)
def test_keys_from_config_rejects_bad_text(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as caught:
        keys_from_config(text)
    assert K1.hex() not in str(caught.value)
