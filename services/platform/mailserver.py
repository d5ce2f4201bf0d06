"""The embedded SMTP server of the local platform (aiosmtpd): every message it receives is
stored in a Maildir (`python -m services.platform.mailserver --maildir var/mail`), so the
letters VIAS sends can be read as real e-mails (any mail client reads a Maildir; so does
Python's `mailbox.Maildir`). It offers STARTTLS with a self-signed certificate it creates
beside the Maildir, which the platform gives notifications as the CA to verify it with.
"""

from __future__ import annotations

import argparse
import asyncio
import mailbox
import signal
import ssl
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MaildirHandler:
    """Stores each message as it came over the wire."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.maildir = mailbox.Maildir(path, create=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        self.maildir.add(mailbox.MaildirMessage(data))
        return "250 Message accepted for delivery"


def ensure_certificate(folder: Path, host: str) -> tuple[Path, Path]:
    """A self-signed certificate for `host`, 127.0.0.1 and localhost (created once)."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    if cert.exists() and key.exists():
        return cert, key
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "VIAS local SMTP")])
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ip_address("127.0.0.1")),
    ]
    if host not in ("localhost", "127.0.0.1", "0.0.0.0", ""):
        names.append(x509.IPAddress(ip_address(host)))
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return cert, key


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--maildir", type=Path, required=True)
    parser.add_argument("--tls-dir", type=Path, required=True)
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    cert, key = ensure_certificate(args.tls_dir, args.host)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = Controller(
        MaildirHandler(args.maildir),
        hostname=args.host,
        port=args.port,
        tls_context=context,
        require_starttls=False,
        decode_data=False,
    )
    controller.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"SMTP on {args.host}:{args.port}, Maildir {args.maildir}", flush=True)
    try:
        await stop.wait()
    finally:
        controller.stop()


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
