"""Process configuration, read from `VIAS_*` environment variables only."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICE_NAMES: tuple[str, ...] = (
    "intake",
    "visitation",
    "leverance",
    "documents",
    "notifications",
    "statistics",
    "identity",
)
DEFAULT_ISSUER_PORT = 8090
"""Where the identity service serves the local OpenID Connect issuer by default."""
DEFAULT_GRPC_PORTS: dict[str, int] = {name: 50051 + i for i, name in enumerate(SERVICE_NAMES)}
DEFAULT_METRICS_PORTS: dict[str, int] = {name: 9101 + i for i, name in enumerate(SERVICE_NAMES)}


class Settings(BaseSettings):
    """Everything a service process needs to know about its surroundings."""

    model_config = SettingsConfigDict(env_prefix="VIAS_", extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_idempotent_producer: bool = Field(
        default=False, description="On against Apache Kafka; the embedded Tansu broker rejects it."
    )
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_topic_partitions: int = Field(
        default=4,
        ge=1,
        description="Partitions per topic. 4 is what the embedded Tansu broker gives a topic it "
        "auto-creates, so a topic a client re-creates after a broker restart is already right.",
    )
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_fetch_max_wait_ms: int = Field(
        default=10,
        ge=1,
        description="Longest a fetch waits for records, for consumers someone waits on. The "
        "embedded broker looks for records at halving intervals until the wait is over (it is "
        "not woken by a produce), so a record waits about a quarter of this for the fetch "
        "that returns it; idle consumers rest between fetches (consumer_idle_poll_interval_s), "
        "so a short wait costs CPU only while events flow. Apache Kafka answers as records "
        "arrive: 500 there.",
    )
    kafka_background_fetch_max_wait_ms: int = Field(
        default=250,
        ge=1,
        description="The same for background consumers (journal, case references): they poll "
        "less often and apply more events per transaction, leaving the broker and the "
        "database to the consumers on a person's path.",
    )
    consumer_background_linger_ms: int = Field(
        default=200,
        ge=0,
        description="How long a background consumer lets events gather after the first arrives "
        "before applying them in one transaction: fewer, fuller transactions, and its work "
        "keeps clear of the moment the consumers on a person's path apply the same events.",
    )
    kafka_max_message_bytes: int = Field(
        default=1_000_000,
        ge=1024,
        description="Largest event (key and value) the relay sends; Kafka's brokers refuse "
        "larger ones by default (message.max.bytes), the embedded broker does not.",
    )
    kafka_metadata_max_age_ms: int = Field(
        default=30_000,
        ge=100,
        description="How often clients refresh topic metadata when nothing else makes them; "
        "a client refreshes at once on errors such as a partition it no longer finds.",
    )

    mongo_uri: str = "mongodb://127.0.0.1:27017/?directConnection=true&retryWrites=false"
    mongo_database_prefix: str = "vias_"
    mongo_tls_ca_file: Path | None = Field(
        default=None, description="CA bundle of the replica set's TLS certificates."
    )

    grpc_host: str = "127.0.0.1"
    grpc_port: int | None = None
    grpc_max_message_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    metrics_port: int | None = None

    auth_signing_key: SecretStr | None = Field(
        default=None,
        description="The local secret survey links are signed with (never tokens: tokens are "
        "signed by the OpenID Connect issuer).",
    )
    auth_signing_key_file: Path = Path("var/auth/signing.key")
    auth_issuer: str = Field(
        default=f"http://127.0.0.1:{DEFAULT_ISSUER_PORT}",
        description="The OpenID Connect issuer whose tokens are accepted (its discovery "
        "document at <issuer>/.well-known/openid-configuration), and which issues the "
        "services' own client-credential tokens. Locally the identity service's issuer.",
    )
    auth_extra_issuers: list[str] = Field(
        default_factory=list, description="Further issuers whose tokens are accepted."
    )
    auth_audience: str = Field(default="vias", description="The audience tokens must name.")
    auth_max_token_lifetime_s: int = Field(
        default=900, gt=0, description="Tokens living longer than this (exp - iat) are refused."
    )
    auth_leeway_s: int = Field(
        default=30, ge=0, description="Clock skew allowed for exp, nbf and iat."
    )
    auth_jwks_cache_s: float = Field(
        default=300.0,
        gt=0,
        description="How long an issuer's JWKS is used before it is fetched again; a token "
        "naming a key the set lacks fetches it at once (rotation without restart).",
    )
    auth_jwks_refetch_s: float = Field(
        default=1.0, ge=0, description="Least time between two fetches of one issuer's JWKS."
    )
    auth_session_cache_s: float = Field(
        default=0.5,
        ge=0,
        le=0.9,
        description="How long a service trusts the identity service's answer about a session "
        "(logout and deactivation are refused everywhere within a second).",
    )
    auth_client_id: str | None = Field(
        default=None,
        description="This service's OAuth client id for its own calls to other services "
        "(client credentials); default vias-<service>.",
    )
    auth_client_secret: SecretStr | None = None
    auth_client_secret_dir: Path = Field(
        default=Path("var/identity/clients"),
        description="Without auth_client_secret: the secret is read from <dir>/<client id>.secret.",
    )
    auth_client_scope: str | None = Field(
        default=None,
        description="Scope asked for with client credentials (Entra ID: api://<app>/.default).",
    )
    auth_service_clients: list[str] = Field(
        default_factory=lambda: [f"vias-{name}" for name in SERVICE_NAMES],
        description="Client ids whose client-credential tokens act with the role system.",
    )
    identity_address: str = Field(
        default="127.0.0.1:50057",
        description="host:port of the identity service, asked about every user's session.",
    )

    relay_enabled: bool = True
    relay_poll_interval_s: float = Field(
        default=0.5,
        gt=0,
        description="How often the relay sweeps the outbox while there is work: it finds rows "
        "other instances of the service committed (its own it sends at once).",
    )
    relay_idle_poll_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="The longest time between sweeps when they find nothing: the longest a "
        "row committed by another instance of the service waits after a quiet spell.",
    )
    relay_batch_size: int = Field(default=500, ge=1)
    relay_retry_backoff_s: float = Field(default=0.2, gt=0)
    relay_retry_backoff_max_s: float = Field(default=5.0, gt=0)
    broker_check_interval_s: float = Field(
        default=60.0,
        gt=0,
        description="How often the relay and the consumer look on their own whether the "
        "broker lost its data; they look at once after a failed publish, and whenever the "
        "health check (every health_check_interval_s) finds the broker back or their marker "
        "topic gone.",
    )
    outbox_retention_hours: float = Field(default=168.0, gt=0)
    inbox_retention_hours: float = Field(default=336.0, gt=0)

    consumer_max_attempts: int = Field(default=5, ge=1)
    consumer_batch_size: int = Field(
        default=100, ge=1, description="Records a consumer applies in one transaction at most."
    )
    consumer_retry_backoff_s: float = Field(default=0.2, gt=0)
    consumer_retry_backoff_max_s: float = Field(default=5.0, gt=0)
    consumer_idle_after_s: float = Field(
        default=10.0,
        ge=0,
        description="How long a consumer keeps fetching continuously after its last records.",
    )
    consumer_idle_poll_interval_s: float = Field(
        default=2.0,
        ge=0,
        description="Once idle, how long a consumer rests between fetches: the longest the "
        "first event after a quiet spell waits. 0 fetches continuously (for Apache Kafka, "
        "whose fetches wait cheaply until records arrive).",
    )
    consumer_halt_retry_s: float = Field(
        default=30.0,
        gt=0,
        description="How long a partition stays stopped at a record that could be neither "
        "applied nor dead-lettered before that record is tried again.",
    )
    reconcile_interval_s: float = Field(
        default=300.0,
        gt=0,
        description="How often each consumer group compares the producers' outboxes with "
        "its inbox and applies what it never received.",
    )
    reconcile_grace_s: float = Field(
        default=60.0,
        gt=0,
        description="How long after an event was published it may still be on its way: "
        "reconciliation looks only at events published longer ago.",
    )

    production_mode: bool = Field(
        default=False,
        description="Topics belong to the cluster (Strimzi KafkaTopic resources): services never "
        "create, delete or recreate a topic, and a missing marker topic neither republishes "
        "the outbox nor rewinds a consumer (that recovery exists for the embedded broker, "
        "which keeps its data in memory); reconciliation still heals a loss.",
    )

    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/gRPC collector to export traces to (http://otel-collector:4317); "
        "without it and without trace_dir nothing is traced.",
    )
    otlp_insecure: bool = Field(default=True, description="Plaintext to the collector.")
    trace_dir: Path | None = Field(
        default=None,
        description="Also write every span as a JSON line to <dir>/<service>-<pid>.jsonl "
        "(tests, debugging without a collector).",
    )

    consumer_lag_interval_s: float = Field(
        default=30.0, gt=0, description="How often a service measures its group's lag."
    )

    health_check_interval_s: float = Field(default=5.0, gt=0)
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|text)$")

    @model_validator(mode="after")
    def _inbox_outlives_outbox(self) -> Settings:
        if self.inbox_retention_hours < self.outbox_retention_hours:
            raise ValueError(
                "inbox_retention_hours must be at least outbox_retention_hours, or events "
                "republished after a broker loss could be applied twice"
            )
        return self

    def database_name(self, service: str) -> str:
        """Name of the MongoDB database a service owns."""
        return f"{self.mongo_database_prefix}{service}"

    def grpc_port_for(self, service: str) -> int:
        """The gRPC port of this process, defaulting per service."""
        return self.grpc_port if self.grpc_port is not None else DEFAULT_GRPC_PORTS[service]

    def metrics_port_for(self, service: str) -> int:
        """The Prometheus port of this process, defaulting per service."""
        return (
            self.metrics_port if self.metrics_port is not None else DEFAULT_METRICS_PORTS[service]
        )
