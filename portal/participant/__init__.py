"""What a man sees: his code, the questionnaire a few questions at a time, thanks."""
from . import audio_views, routes  # noqa: F401  (their views register on bp)
from .blueprint import bp

__all__ = ["bp"]
