"""The toolkit: loading modules and lessons from content files, lesson pages, preview and print.

The blueprint lives in blueprint.py and its routes are imported by create_app, so importing
a model or a service never pulls in routes."""
