"""Leverance's rules; no I/O."""
