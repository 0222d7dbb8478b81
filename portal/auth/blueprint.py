"""The sign-in blueprint; its views (``routes``) register on it."""
from flask import Blueprint

bp = Blueprint("auth", __name__)
