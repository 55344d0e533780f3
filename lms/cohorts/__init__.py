"""Cohorts: creating and running workshops, enrolment, joining, imports, paper mode, pacing gates.

The blueprint lives in blueprint.py and its routes are imported by create_app, so importing
a model or a service never pulls in routes."""
