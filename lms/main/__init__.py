"""Home pages per role, the language switch and the health check.

The blueprint lives in blueprint.py and its routes are imported by create_app, so importing
a model or a service never pulls in routes."""
