"""The machine-readable contracts made from this package: `docs/asyncapi.yaml` and
`docs/contracts/<Event>.v<N>.json`.

- `catalog`: every event of the package with the channels its module declares (`CHANNELS`)
- `schemas`: each event's JSON Schema, from its pydantic model
- `asyncapi`: the AsyncAPI 3.0 document (channels, messages, operations)
- `compatibility`: the gate that keeps a contract additive within its `schema_version`
- `publish`: generate and check the files (needs the dev extras: PyYAML, jsonschema)

`scripts/contracts.py` runs it with the services' consumers (`services.platform.contract_docs`).
Nothing here runs in a service.
"""
