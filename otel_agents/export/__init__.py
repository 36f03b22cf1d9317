"""Export: finished spans → OutcomeEvents → sinks (Kafka, logs, metrics)."""
