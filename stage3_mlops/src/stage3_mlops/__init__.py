"""stage3_mlops."""
