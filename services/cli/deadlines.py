"""`vias <service> check-deadlines`: the manager's deadline check, the same in every service."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def add_check_deadlines(
    actions: Any, stub_of: Callable[[Any], Any], request_type: Callable[..., Any]
) -> None:
    """Add the `check-deadlines [--as-of DAY] [--case ID]` command for one service."""
    parser = actions.add_parser("check-deadlines", help="report overdue deadlines missed now")
    parser.add_argument("--as-of", help="check as of this day (YYYY-MM-DD) instead of today")
    parser.add_argument("--case", help="check this case only")

    async def check(args: argparse.Namespace, client: Any) -> Any:
        request = request_type(as_of=args.as_of or "", case_id=args.case or "")
        return await client.call(stub_of(client).CheckDeadlines, request)

    parser.set_defaults(call=check)
