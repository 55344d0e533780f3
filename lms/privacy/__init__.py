"""Disclosure control: which groups' figures may be shown, the record of what was shown, and
the privacy page that says who sees what.

The blueprint lives in blueprint.py and its routes are imported by create_app."""
