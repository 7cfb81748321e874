"""Test benches on serial lines: the link, one driver per bench model, scripts and their runner."""
