"""Leverance's gRPC surface."""

from services.leverance.api.service import registrations

__all__ = ["registrations"]
