"""Outbound delivery: every message that leaves VIAS is a `Delivery`, queued in the transaction
that causes it and sent by the worker over the recipient's channels in order."""
