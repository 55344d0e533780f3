"""Accounts: users, sign-in, passwords, throttling and the audit log.

The blueprint lives in blueprint.py and its routes are imported by create_app, so importing
a model or a service never pulls in routes."""
