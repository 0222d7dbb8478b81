"""What facilitators, coordinators and administrators see: sites, men, sessions, records, exports."""
from . import (  # noqa: F401  (their views register on bp)
    admin_views,
    analysis_views,
    audio_views,
    group_views,
    participant_views,
    record_views,
    routes,
    session_views,
    transfer_views,
)
from .blueprint import bp

__all__ = ["bp"]
