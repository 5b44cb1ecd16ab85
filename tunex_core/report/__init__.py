"""The model report: metrics read from ``models/metrics.json`` and the charts drawn from them."""
