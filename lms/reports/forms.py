"""Report filters (GET), the research export's purpose, and the historical import upload."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from lms.reports.labels import PERIODS, SOURCES
from lms.reports.queries import Filters
from lms.text import Form
from lms.vocab import COHORT_AUDIENCES, ORG_TYPES, province_choices

ALL = ("", _l("All"))


class ReportFilterForm(Form):
    """Filters travel as query arguments, so a report is a link that can be shared."""

    class Meta:
        csrf = False

    cohort = SelectMultipleField(_l("Cohorts"), coerce=int, validators=[Optional()])
    audience = SelectField(_l("Audience"), validators=[Optional()])
    org_type = SelectField(_l("Organisation type"), validators=[Optional()])
    province = SelectField(_l("Province or city"), validators=[Optional()])
    facilitator = SelectField(_l("Facilitator"), validators=[Optional()])
    date_from = DateField(_l("Cohorts starting from"), validators=[Optional()])
    date_to = DateField(_l("Cohorts starting until"), validators=[Optional()])
    version = SelectField(_l("Survey version"), validators=[Optional()])
    source = SelectMultipleField(
        _l("Data sources"), validators=[Optional()], choices=[(k, v) for k, v in SOURCES.items()]
    )
    period = SelectField(
        _l("Trend by"), choices=[(k, v) for k, v in PERIODS.items()], default="month", validators=[Optional()]
    )
    p_values = SelectField(
        _l("p-values"),
        validators=[Optional()],
        choices=[
            ("", _l("As configured")),
            ("exact", _l("Exact, three significant figures")),
            ("threshold", _l("“< 0.001” below 0.001")),
        ],
    )

    def fill_choices(self, cohorts, facilitators, versions) -> None:
        self.cohort.choices = [(c.id, c.name) for c in cohorts]
        self.audience.choices = [ALL, *COHORT_AUDIENCES.items()]
        self.org_type.choices = [ALL, *ORG_TYPES.items()]
        self.province.choices = [ALL, *province_choices()]
        self.facilitator.choices = [ALL, *((str(u.id), u.full_name) for u in facilitators)]
        self.version.choices = [ALL, *((str(v.id), _("Version %(n)s", n=v.number)) for v in versions)]

    def filters(self, cohort_ids: tuple[int, ...]) -> Filters:
        """The valid filters (a field with an error counts as "all")."""

        def ok(field):
            return field.data if field.data and not field.errors else None

        return Filters(
            cohort_ids=cohort_ids,
            audience=ok(self.audience),
            org_type=ok(self.org_type),
            province=ok(self.province),
            facilitator_id=int(ok(self.facilitator)) if ok(self.facilitator) else None,
            date_from=ok(self.date_from),
            date_to=ok(self.date_to),
            version_id=int(ok(self.version)) if ok(self.version) else None,
            # Optional() clears a choice error for an empty value, so keep known sources only.
            sources=tuple(s for s in ok(self.source) or () if s in dict(self.source.choices)),
            period=ok(self.period) or "month",
        )


class ResearchExportForm(Form):
    purpose = StringField(
        _l("Purpose of this export (kept in the audit log)"), validators=[DataRequired(), Length(max=500)]
    )


class ImportForm(Form):
    file = FileField(
        _l("File (CSV or Excel)"),
        validators=[
            FileRequired(_l("Please choose a file.")),
            FileAllowed(["csv", "xlsx"], _l("Please choose a .csv or .xlsx file.")),
        ],
    )
    version = SelectField(_l("Survey version the answers belong to"), coerce=int)
    reverse_coding = SelectField(
        _l("How the file holds the reverse-keyed questions"),
        choices=[
            ("raw", _l("As ticked on the form (the platform turns them round)")),
            ("reversed", _l("Already turned round (5 always means less stigma)")),
        ],
        default="raw",
    )
    knowledge_coding = SelectField(
        _l("How the file holds the knowledge answers"),
        choices=[
            ("option", _l("The number of the option chosen (1, 2, 3 …)")),
            ("correct", _l("1 = correct, 0 = incorrect")),
        ],
        default="option",
    )


class ImportCommitForm(Form):
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}$")])
    version = HiddenField(validators=[DataRequired(), Regexp(r"^\d+$")])


class ImportMappingForm(Form):
    """Which column of the file is what: one select per column (and per value of a long
    file's question column), read from request.form because their number varies."""

    item_column = HiddenField(validators=[Optional(), Regexp(r"^\d{1,4}$")])


class ImportBatchForm(Form):
    """Undo an import."""

    batch = HiddenField(validators=[DataRequired(), Regexp(r"^\d{1,9}$")])
