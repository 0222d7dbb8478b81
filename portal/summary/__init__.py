"""The coordinators' summary: pages frozen into a static site (see ``freeze``).

Only this blueprint is registered in the app that gets frozen, and it sees only
the disclosure-controlled records of ``model.Summary``.
"""
from flask import Blueprint

bp = Blueprint("summary", __name__, static_folder="static", static_url_path="/static")

from . import pages  # noqa: E402,F401
