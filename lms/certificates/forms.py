"""Forms: the public code lookup, and a facilitator's issue and revoke with a reason."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from lms.certificates.services import REASON_MAX_LENGTH, is_wellformed, normalise_code
from lms.text import Form


class VerifyForm(Form):
    # A read-only lookup sent as GET (?code=) so the link can be shared; no token to check.
    class Meta:
        csrf = False

    code = StringField(
        _l("Verification code"),
        validators=[DataRequired()],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "placeholder": "K7QX-M3PD-2W",
        },
    )
    submit = SubmitField(_l("Check"))

    def validate_code(self, field):
        if not is_wellformed(normalise_code(field.data)):
            raise ValidationError(
                _l("A verification code has 10 letters and digits, for example K7QX-M3PD-2W.")
            )


def _reason(label):
    return TextAreaField(
        label,
        validators=[DataRequired(message=_l("Please give a reason.")), Length(max=REASON_MAX_LENGTH)],
        render_kw={"rows": 2, "maxlength": REASON_MAX_LENGTH},
    )


class IssueForm(Form):
    reason = _reason(_l("Reason for issuing by hand"))
    in_room = BooleanField(_l("List every module of the cohort (taught in the room)"))
    submit = SubmitField(_l("Issue certificate"))


class RevokeForm(Form):
    reason = _reason(_l("Reason for revoking"))
    submit = SubmitField(_l("Revoke certificate"))
