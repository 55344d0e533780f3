"""Forms for cohorts, joining, registering through a join link, and bulk import."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lms.auth.services import MIN_PASSWORD_LENGTH
from lms.text import Form
from lms.vocab import COHORT_AUDIENCES, LANGUAGE_NAMES, ORG_TYPES

STATUS_LABELS = {"planned": _l("Planned"), "active": _l("Active"), "closed": _l("Closed")}
PACING_LABELS = {"self": _l("Self-paced"), "facilitator": _l("Facilitator-paced")}


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CohortForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    audience = SelectField(_l("Audience"), choices=list(COHORT_AUDIENCES.items()))
    province = SelectField(_l("Province or city"))
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    end_date = DateField(_l("End date"), validators=[DataRequired()])
    language = SelectField(_l("Default language"), choices=list(LANGUAGE_NAMES.items()))
    facilitators = CheckboxesField(_l("Facilitators"), coerce=int)
    modules = CheckboxesField(_l("Modules used"), coerce=int)
    required_modules = CheckboxesField(_l("Required modules"), coerce=int)
    pacing = SelectField(_l("Pacing"), choices=list(PACING_LABELS.items()))
    knowledge_pass_percent = IntegerField(
        _l("Knowledge check pass mark for the certificate (%)"),
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    status = SelectField(_l("Status"), choices=list(STATUS_LABELS.items()))
    anonymous = BooleanField(_l("Anonymous mode"))
    anonymous_certificates = BooleanField(_l("Offer certificates in anonymous mode"))
    submit = SubmitField(_l("Save"))

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date cannot be before the start date."))


class JoinCodeForm(Form):
    code = StringField(
        _l("Join code"),
        validators=[DataRequired(), Length(max=40)],
        render_kw={
            "autocapitalize": "characters",
            "autocomplete": "off",
            "spellcheck": "false",
            "class": "mono big",
        },
    )
    submit = SubmitField(_l("Continue"))


class RegisterForm(Form):
    full_name = StringField(
        _l("Full name"), validators=[DataRequired(), Length(max=200)], render_kw={"autocomplete": "name"}
    )
    username = StringField(
        _l("Login name"),
        validators=[
            DataRequired(),
            Length(min=3, max=80),
            Regexp(r"^[^\s]+$", message=_l("A login name cannot contain spaces.")),
        ],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    org_type = SelectField(_l("Organisation type"), choices=list(ORG_TYPES.items()))
    province = SelectField(_l("Province or city"))
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Create my account and join"))


class ImportForm(Form):
    file = FileField(
        _l("CSV or Excel (.xlsx) file"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "xlsx"], _l("Only .csv and .xlsx files can be imported.")),
        ],
    )
    submit = SubmitField(_l("Check the file"))
