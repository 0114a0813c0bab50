"""One module per resource: predictions, health, batch jobs, metrics and dashboard."""
