"""stage2_log_analysis."""
