"""MongoDB repository and Kafka publisher."""
