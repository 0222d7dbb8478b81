from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import routes  # noqa: E402,F401
from . import group_views, participant_views, session_views  # noqa: E402,F401
from . import admin_views, analysis_views, audio_views, record_views, transfer_views  # noqa: E402,F401
