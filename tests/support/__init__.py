"""Helpers shared by the test levels: random ids, the real stack's addresses, Kafka probes, processes."""
