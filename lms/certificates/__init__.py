"""Certificates of completion: issuing, revoking, PDF and ZIP files, public verification.

The blueprint lives in blueprint.py and its routes are imported by create_app, so importing
a model or a service never pulls in routes."""
