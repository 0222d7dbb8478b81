from flask import Blueprint

bp = Blueprint("staff", __name__)

from . import (  # noqa: E402,F401  # noqa: E402,F401
    admin_views,
    analysis_views,
    audio_views,
    group_views,
    participant_views,
    record_views,
    routes,  # noqa: E402,F401
    session_views,
    transfer_views,
)
