"""The man's blueprint; its views (``routes``, ``audio_views``) register on it."""
from flask import Blueprint

bp = Blueprint("participant", __name__)
