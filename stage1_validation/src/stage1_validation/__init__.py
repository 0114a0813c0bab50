"""stage1_validation."""
