"""What the Coupon Pools services share: event schemas, topics, settings, Kafka/Mongo/HTTP helpers."""
