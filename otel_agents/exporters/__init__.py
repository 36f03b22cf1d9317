"""Destinations for OutcomeEvents: one module per exporter."""
