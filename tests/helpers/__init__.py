"""Helpers the test modules share that are plain functions and values, not fixtures (fixtures are in
tests/conftest.py). Test modules import these, never each other."""
