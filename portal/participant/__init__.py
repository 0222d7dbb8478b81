"""What a man sees: his code, the questionnaire a few questions at a time, thanks."""
from flask import Blueprint

bp = Blueprint("participant", __name__)

from . import audio_views, routes  # noqa: E402,F401
