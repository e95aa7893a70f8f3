"""Flows used by the end-to-end tests."""
