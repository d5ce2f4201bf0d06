"""The report's labels: Danish names of the ids it counts, and the inquirer types' groups."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from services.statistics.domain import Labels


@dataclass(frozen=True)
class Reference:
    """Statistics' code lists."""

    document: dict[str, Any]

    @classmethod
    def load(cls) -> Reference:
        text = (resources.files("services.statistics.reference") / "labels.json").read_text("utf-8")
        return cls(json.loads(text))

    def inquirer_group(self, inquirer_type: str) -> str:
        """The annual report's inquirer group of a reference-data inquirer type (AR fig. 1-2)."""
        groups: dict[str, str] = self.document.get("inquirer_type_groups", {})
        return groups.get(inquirer_type, "other")

    def labels(self) -> Labels:
        return Labels({k: v for k, v in self.document.items() if isinstance(v, dict)})
