"""Report figures computed with SQL aggregation."""


def overview_for_home() -> dict:
    return {}
