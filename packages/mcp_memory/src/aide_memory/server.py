"""Placeholder until the memory server lands (see issue 3)."""
