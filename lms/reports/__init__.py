"""Programme reports: attitude change statistics, charts, exports, historical import.

The blueprint lives in blueprint.py and its routes are imported by create_app, so importing
a model or a service never pulls in routes."""
