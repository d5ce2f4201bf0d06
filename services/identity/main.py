"""Identity's wiring: the directory and sessions, and the local issuer where configured."""

from __future__ import annotations

from services.identity import directory, issuer
from services.identity.api import registrations
from services.identity.settings import IdentitySettings
from services.kernel.runtime import Deps, ServiceSpec


async def _setup(deps: Deps) -> None:
    await directory.create_indexes(deps.store.db)
    settings = IdentitySettings()
    if settings.local_issuer_port is not None:
        local = issuer.LocalIssuer(deps.store.db, settings, deps.settings.auth_audience)
        # Kept for the process's lifetime; it stops with the process.
        await issuer.start(local, settings.local_issuer_host, settings.local_issuer_port)


SPEC = ServiceSpec(
    name="identity",
    subscribes_to=(),
    handlers=lambda deps: {},
    servicers=lambda deps: registrations(deps.store, IdentitySettings()),
    setup=_setup,
)
