"""Stores, users, roles, sessions and API tokens; every permission check lives in permissions.py."""
