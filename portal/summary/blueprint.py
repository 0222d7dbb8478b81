"""The summary blueprint, with its stylesheet; its views (``pages``) register on it."""
from flask import Blueprint

bp = Blueprint("summary", __name__, static_folder="static", static_url_path="/static")
