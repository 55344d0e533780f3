"""Sign-in, password and account forms."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from lms.permissions import Role
from lms.text import Form
from lms.vocab import ORG_TYPES

ROLE_LABELS = {
    Role.TRAINEE: _l("Trainee"),
    Role.FACILITATOR: _l("Facilitator"),
    Role.STAFF: _l("Programme staff"),
    Role.ADMIN: _l("Administrator"),
}


class LoginForm(Form):
    username = StringField(
        _l("Login name"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=8)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class ProfileFields(Form):
    full_name = StringField(
        _l("Full name"), validators=[DataRequired(), Length(max=200)], render_kw={"autocomplete": "name"}
    )
    email = StringField(_l("Email (optional)"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), Length(max=40)])
    org_type = SelectField(_l("Organisation type"), choices=[(k, v) for k, v in ORG_TYPES.items()])
    province = SelectField(_l("Province or city"), validators=[Optional()])
    language = SelectField(_l("Language"), choices=[("vi", "Tiếng Việt"), ("en", "English")])


class UserForm(ProfileFields):
    username = StringField(
        _l("Login name"), validators=[DataRequired(), Length(max=80)], render_kw={"autocapitalize": "none"}
    )
    role = SelectField(_l("Role"))
    submit = SubmitField(_l("Create account"))


class EditUserForm(ProfileFields):
    role = SelectField(_l("Role"))
    active = BooleanField(_l("Account active"))
    reason = StringField(_l("Reason for a role change"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save"))


class ResetPasswordForm(Form):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Reset password"))


class UserSearchForm(Form):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name or login"))
