"""Shared pytest configuration. Each test area keeps its own fixtures in its own conftest.py."""
