"""HTTP app and Kafka consumer: thin translations to the claim engine."""
