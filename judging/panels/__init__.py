"""Expert pool, conflicts of interest and assignment of nominations to experts."""
