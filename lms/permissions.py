"""Who may do what: the one place that maps roles to permissions, and the view decorators.

Every view carries exactly one access rule (`public`, `signed_in` or `require(...)`);
create_app refuses to start if a view has none, and tests walk every route for every role.
"""

from enum import StrEnum
from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user


class Role(StrEnum):
    TRAINEE = "trainee"
    FACILITATOR = "facilitator"
    STAFF = "staff"  # programme staff
    ADMIN = "admin"


class Permission(StrEnum):
    LEARN = "learn"  # read lessons, answer surveys, keep own certificates
    PREVIEW_CONTENT = "preview_content"  # read every module with facilitator notes
    RUN_COHORTS = "run_cohorts"  # create and run one's own cohorts
    MANAGE_ALL_COHORTS = "manage_all_cohorts"  # see and manage every cohort
    VIEW_REPORTS = "view_reports"  # reports (facilitators: their cohorts only)
    EXPORT_RESEARCH_DATA = "export_research_data"  # de-identified respondent-level export
    IMPORT_HISTORICAL = "import_historical"  # historical pre/post results
    MANAGE_USERS = "manage_users"  # create accounts, reset passwords
    ASSIGN_ROLES = "assign_roles"  # make someone facilitator, staff or admin


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.TRAINEE: frozenset({Permission.LEARN}),
    Role.FACILITATOR: frozenset(
        {Permission.LEARN, Permission.PREVIEW_CONTENT, Permission.RUN_COHORTS, Permission.VIEW_REPORTS}
    ),
    Role.STAFF: frozenset(
        {
            Permission.LEARN,
            Permission.PREVIEW_CONTENT,
            Permission.RUN_COHORTS,
            Permission.MANAGE_ALL_COHORTS,
            Permission.VIEW_REPORTS,
            Permission.EXPORT_RESEARCH_DATA,
            Permission.IMPORT_HISTORICAL,
            Permission.MANAGE_USERS,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}

# Roles a user with MANAGE_USERS may create or reset; only ASSIGN_ROLES reaches the others.
# Facilitators reset their own trainees' passwords from the cohort roster instead.
MANAGEABLE_ROLES = {
    Role.STAFF: {Role.TRAINEE, Role.FACILITATOR},
    Role.ADMIN: set(Role),
}


def has_permission(user, permission: Permission) -> bool:
    """True when the (possibly anonymous) user's role grants the permission."""
    if not getattr(user, "is_authenticated", False) or not user.active:
        return False
    return permission in ROLE_PERMISSIONS[Role(user.role)]


def _mark(view, rule):
    view.access_rule = rule
    return view


def public(view):
    """Anyone, signed in or not."""
    return _mark(view, "public")


def signed_in(view):
    """Any signed-in user, whatever the role."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return _mark(wrapper, "signed_in")


def require(permission: Permission):
    """Signed-in users whose role grants `permission`; others get 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not has_permission(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        return _mark(wrapper, permission)

    return decorator


def check_every_view_has_a_rule(app) -> None:
    """Fail at start-up when a view was registered without an access rule."""
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not hasattr(view, "access_rule")
    ]
    if missing:
        raise RuntimeError(f"views without an access rule: {', '.join(sorted(missing))}")
