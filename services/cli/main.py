"""`vias`: a command-line client for the platform's gRPC services."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.json_format import MessageToDict
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.cli import dead_letters as dead_letters_cli
from services.cli import documents as documents_cli
from services.cli import feed as feed_cli
from services.cli import identity as identity_cli
from services.cli import intake as intake_cli
from services.cli import notifications as notifications_cli
from services.cli import records as records_cli
from services.cli import statistics as statistics_cli
from services.cli import visitation as visitation_cli
from services.cli.leverance import add_commands as add_leverance_commands
from services.identity.login import LoginError
from services.kernel.context import ROLES
from services.kernel.settings import DEFAULT_GRPC_PORTS, SERVICE_NAMES
from vias.leverance.v1 import leverance_pb2, leverance_pb2_grpc

Call = Callable[[argparse.Namespace, "Client"], Awaitable[Any]]


def address(service: str) -> str:
    """Where a service listens: VIAS_<SERVICE>_ADDRESS, else the local default."""
    return os.environ.get(
        f"VIAS_{service.upper()}_ADDRESS", f"127.0.0.1:{DEFAULT_GRPC_PORTS[service]}"
    )


class Client:
    """Channels to the services and the caller's credentials; every call has a deadline."""

    def __init__(self, token: str | None, timeout: float) -> None:
        self.metadata = [("authorization", f"Bearer {token}")] if token else []
        self.timeout = timeout
        self.channels: dict[str, grpc.aio.Channel] = {}

    def channel(self, service: str) -> grpc.aio.Channel:
        """The (cached) channel to a service."""
        if service not in self.channels:
            self.channels[service] = grpc.aio.insecure_channel(address(service))
        return self.channels[service]

    async def call(self, method: Any, request: Any) -> Any:
        """Invoke a unary method with the credentials and the deadline."""
        return await method(request, metadata=self.metadata, timeout=self.timeout)

    async def close(self) -> None:
        """Close every channel."""
        for channel in self.channels.values():
            await channel.close()


async def get_case_reference(args: argparse.Namespace, client: Client) -> Any:
    stub = leverance_pb2_grpc.LeveranceServiceStub(client.channel("leverance"))
    request = leverance_pb2.GetCaseReferenceRequest(case_id=args.case)
    return await client.call(stub.GetCaseReference, request)


async def health(args: argparse.Namespace, client: Client) -> Any:
    statuses = {}
    for service in SERVICE_NAMES:
        stub = health_pb2_grpc.HealthStub(client.channel(service))
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=client.timeout)
            statuses[service] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        except grpc.aio.AioRpcError as error:
            statuses[service] = f"UNREACHABLE ({error.code().name})"
    return statuses


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vias", description=__doc__)
    parser.add_argument(
        "--token",
        default=os.environ.get("VIAS_TOKEN"),
        help="bearer token (default: $VIAS_TOKEN, else the login's of `vias login`)",
    )
    parser.add_argument(
        "--as-user", default=None, help="log this local user in for this command (local issuer)"
    )
    parser.add_argument("--as-role", default=None, choices=ROLES)
    parser.add_argument("--as-supplier", default=None, help="the --as-user's supplier")
    parser.add_argument("--timeout", type=float, default=10.0, help="deadline per call, seconds")
    sub = parser.add_subparsers(dest="command", required=True)

    identity_cli.add_commands(sub)

    sub.add_parser("health", help="health of every service").set_defaults(call=health)

    intake_cli.add_commands(sub)

    visitation_cli.add_commands(sub)

    notifications_cli.add_commands(sub)
    documents_cli.add_commands(sub)
    records_cli.add_commands(sub)

    feed_cli.add_commands(sub)
    dead_letters_cli.add_commands(sub)
    statistics_cli.add_commands(sub)

    leverance = sub.add_parser("leverance", help="delivery side")
    leverance_actions = leverance.add_subparsers(dest="action", required=True)
    add_leverance_commands(leverance_actions)
    ref = leverance_actions.add_parser("case")
    ref.add_argument("--case", required=True)
    ref.set_defaults(call=get_case_reference)
    return parser


def _token(args: argparse.Namespace) -> str:
    if args.token:
        return str(args.token)
    return identity_cli.token_for(args.as_user, args.as_role, args.as_supplier)


async def _run(args: argparse.Namespace) -> int:
    client = Client(_token(args), args.timeout)
    try:
        result = await args.call(args, client)
    except grpc.aio.AioRpcError as error:
        print(f"{error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    finally:
        await client.close()
    if not isinstance(result, dict):
        result = MessageToDict(result, preserving_proto_field_name=True)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except FileNotFoundError as error:
        print(
            f"vias: {error} (is the platform running? run vias from the repository root)",
            file=sys.stderr,
        )
        return 2
    except LoginError as error:
        print(f"vias: cannot log in: {error} (is the platform running?)", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "login":
        return identity_cli.login(args)
    if args.command == "token":
        found = identity_cli.cached_token(identity_cli.LOGIN)
        if found is None:
            print("vias: not logged in: run vias login --user U --role R", file=sys.stderr)
            return 1
        print(found)
        return 0
    if args.command == "feed":
        try:
            return asyncio.run(feed_cli.follow(args))
        except KeyboardInterrupt:
            return 0
    if args.command == "dead-letters":
        print(json.dumps(asyncio.run(args.run(args)), indent=2, ensure_ascii=False))
        return 0
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
