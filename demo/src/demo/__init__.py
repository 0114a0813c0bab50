"""The live demo: every stage of the roadmap end to end on generated data."""
