from flask import Blueprint

bp = Blueprint("quizzes", __name__, template_folder="templates")

from lms.quizzes import routes  # noqa: E402,F401
