"""stage5_api."""
