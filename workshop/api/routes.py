"""API endpoints (stub, filled in by the API work)."""
