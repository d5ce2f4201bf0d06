"""Leverance's use cases: one transaction each, state and events together."""
