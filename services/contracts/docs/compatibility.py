"""The compatibility gate: what a change to one version of an event's contract may not do.

Within a `schema_version` a contract only grows: a field may be added if it is optional, and
its descriptions, examples and defaults may change. Removing a field (a rename is a removal),
changing a field's type or constraints (at any depth), making an optional field required or
adding a required field breaks the events already written in that version or the
consumers reading them; it needs a new `schema_version`.

Both sides are JSON Schemas as pydantic writes them (`$defs`, `$ref`, `anyOf`). Whether unknown
fields are allowed (`additionalProperties`) is not compared: consumers ignore unknown fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

Schema = Mapping[str, Any]

ANNOTATIONS = frozenset(
    {
        "$comment",
        "additionalProperties",
        "default",
        "deprecated",
        "description",
        "examples",
        "readOnly",
        "title",
        "writeOnly",
    }
)
"""Keywords that describe a value without narrowing what is valid, for this gate."""


def breaking_changes(committed: Schema, current: Schema) -> list[str]:
    """Each way `current` breaks the `committed` schema of the same version, as text."""
    return list(_compare(committed, current, committed, current, "", frozenset()))


def _compare(
    old: Schema, new: Schema, old_root: Schema, new_root: Schema, path: str, seen: frozenset[str]
) -> Iterator[str]:
    ref = old.get("$ref")
    if isinstance(ref, str):
        if ref in seen:  # a recursive model: each of its levels compared once
            return
        seen = seen | {ref}
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    if _is_object(old) and _is_object(new):
        yield from _compare_fields(old, new, old_root, new_root, path, seen)
    elif "items" in old and "items" in new and _without(old, "items") == _without(new, "items"):
        yield from _compare(old["items"], new["items"], old_root, new_root, f"{path}[]", seen)
    elif _same_union_shape(old, new):
        for old_option, new_option in zip(old["anyOf"], new["anyOf"], strict=True):
            yield from _compare(old_option, new_option, old_root, new_root, path, seen)
    else:
        was, now = _signature(old, old_root), _signature(new, new_root)
        if was != now:
            yield f"{path or '(payload)'}: type changed from {_show(was)} to {_show(now)}"


def _compare_fields(
    old: Schema, new: Schema, old_root: Schema, new_root: Schema, path: str, seen: frozenset[str]
) -> Iterator[str]:
    old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
    old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
    for name, old_field in old_fields.items():
        where = f"{path}.{name}" if path else name
        if name not in new_fields:
            yield f"{where}: removed (or renamed)"
            continue
        if name in new_required and name not in old_required:
            yield f"{where}: optional field made required"
        yield from _compare(old_field, new_fields[name], old_root, new_root, where, seen)
    for name in new_fields:
        if name not in old_fields and name in new_required:
            where = f"{path}.{name}" if path else name
            yield f"{where}: added as a required field (a new field must be optional)"


def _is_object(schema: Schema) -> bool:
    return schema.get("type") == "object" and "properties" in schema


def _same_union_shape(old: Schema, new: Schema) -> bool:
    """Both are unions of as many options with nothing else that narrows them differently."""
    old_options, new_options = old.get("anyOf"), new.get("anyOf")
    return (
        isinstance(old_options, list)
        and isinstance(new_options, list)
        and len(old_options) == len(new_options)
        and _without(old, "anyOf") == _without(new, "anyOf")
    )


def _without(schema: Schema, key: str) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != key and k not in ANNOTATIONS}


def _resolve(schema: Schema, root: Schema) -> Schema:
    """The schema a local `$ref` points to, with the referring schema's own keywords over it."""
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return schema
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are compared, not {ref!r}")
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    resolved = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return _resolve(resolved, root)


def _signature(schema: Any, root: Schema, depth: int = 0) -> Any:
    """What a schema accepts, with references resolved and annotations left out."""
    if depth > 50:  # a recursive model: deep enough to tell two apart
        return "..."
    if isinstance(schema, Mapping):
        resolved = _resolve(schema, root)
        return {
            key: _signature(value, root, depth + 1)
            for key, value in sorted(resolved.items())
            if key not in ANNOTATIONS and key != "$defs"
        }
    if isinstance(schema, list):
        return [_signature(item, root, depth + 1) for item in schema]
    return schema


def _show(signature: Any) -> str:
    text = json.dumps(signature, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "..."
