"""The survey instrument: versions and items, drafts, one safe submission, paper forms.

The blueprint lives in blueprint.py and its routes are imported by create_app, so importing
a model or a service never pulls in routes."""
