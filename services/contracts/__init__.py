"""The published language of VIAS: every event payload, by producing service and topic.

Services import only the kernel, this package and their own code. A producer validates
strictly what it emits; a consumer reads tolerantly (unknown fields ignored). A contract
changes only additively within a `schema_version`; `scripts/check` proves it against the
committed schemas in `docs/contracts/`.

- `intake`, `kas`: `vias.intake.events.v1`
- `visitation`: `vias.visitation.events.v1`
- `leverance`: `vias.leverance.events.v1`
- `documents`: `vias.documents.events.v1`
- `deadlines`: the `Deadline*` events, on the topic of the service that owns the deadline
- `supplier_feed`: what one supplier's staff may see, published by notifications on
  `vias.supplier.<supplier id>.v1` (one topic per supplier)
- `common`: shared types (`MainArea`)

A module defining events declares the topics they travel on as `CHANNELS` (`channel.py`);
`scripts/contracts.py generate` makes `docs/asyncapi.yaml` and `docs/contracts/` from them with
the tooling in the `docs` subpackage.
"""
