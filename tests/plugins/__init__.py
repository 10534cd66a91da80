"""Plugins used by the tests, installed through the real entry-point mechanism."""
