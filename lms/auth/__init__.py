"""Accounts, roles, organisational units and access control (core)."""
