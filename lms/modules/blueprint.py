from flask import Blueprint

bp = Blueprint("modules", __name__, template_folder="templates")
