import json
import logging

from services.kernel.context import Principal, current_principal
from services.kernel.logs import MAX_MESSAGE_CHARS, JsonFormatter


def _line(message: str, *args: object) -> dict[str, object]:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, args, None)
    parsed: dict[str, object] = json.loads(JsonFormatter("test").format(record))
    return parsed


def test_a_log_line_is_bounded_however_long_its_message() -> None:
    line = _line("refused: %s", "x" * 5_000_000)
    assert len(str(line["msg"])) < MAX_MESSAGE_CHARS + 50
    assert str(line["msg"]).endswith("(5000009 characters)")


def test_a_user_id_shaped_like_a_cpr_number_is_masked() -> None:
    token = current_principal.set(Principal(user_id="010190-1234", role="support"))
    try:
        assert _line("hello")["user"] == "<cpr>"
    finally:
        current_principal.reset(token)
