"""Kafka client options shared by every producer, consumer and admin client."""

from __future__ import annotations

import ssl
from typing import Any

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from services.kernel.settings import Settings


def kafka_client_options(settings: Settings) -> dict[str, Any]:
    """Connection options for aiokafka clients: servers, security, credentials."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers.split(","),
        "security_protocol": settings.kafka_security_protocol,
        "request_timeout_ms": 10_000,
        "metadata_max_age_ms": settings.kafka_metadata_max_age_ms,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl.create_default_context(
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        )
    if settings.kafka_sasl_mechanism:
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        if settings.kafka_sasl_password is not None:
            options["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return options


def producer_options(settings: Settings) -> dict[str, Any]:
    """Options of every producer: acks from all in-sync replicas, idempotence by setting."""
    return {
        **kafka_client_options(settings),
        "acks": "all",
        "enable_idempotence": settings.kafka_idempotent_producer,
        "linger_ms": 0,
    }


def faststream_security(settings: Settings) -> BaseSecurity | None:
    """The same connection security, in FastStream's terms."""
    options = kafka_client_options(settings)
    ssl_context = options.get("ssl_context")
    mechanism = settings.kafka_sasl_mechanism
    if mechanism is None:
        return BaseSecurity(ssl_context=ssl_context) if ssl_context else None
    kinds: dict[str, type[SASLPlaintext | SASLScram256 | SASLScram512]] = {
        "PLAIN": SASLPlaintext,
        "SCRAM-SHA-256": SASLScram256,
        "SCRAM-SHA-512": SASLScram512,
    }
    password = settings.kafka_sasl_password
    return kinds[mechanism](
        username=settings.kafka_sasl_username or "",
        password=password.get_secret_value() if password else "",
        ssl_context=ssl_context,
        use_ssl=settings.kafka_security_protocol == "SASL_SSL",
    )
