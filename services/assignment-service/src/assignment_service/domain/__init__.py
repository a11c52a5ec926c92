"""Claim rules: pure, synchronous, no I/O."""
