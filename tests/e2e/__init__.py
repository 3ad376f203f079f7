"""End-to-end tier: real `archipel serve` processes on loopback (see docs/testing.md)."""
