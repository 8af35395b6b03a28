"""judgestats."""
