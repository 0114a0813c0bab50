"""HTTP layer: routes and their dependencies."""
