"""stage4_pipelines."""
