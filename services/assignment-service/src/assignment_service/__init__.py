"""assignment-service: one claim engine fed by Kafka and HTTP."""
