from flask import Blueprint

bp = Blueprint("quizzes", __name__, template_folder="templates")
