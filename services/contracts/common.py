"""Types every service's contracts share."""

from __future__ import annotations

from typing import Literal

MainArea = Literal["adults", "children_youth", "special_education", "other"]
"""VISO's main areas: adults, children and youth, special education, other."""
