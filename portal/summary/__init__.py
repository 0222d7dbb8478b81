"""The coordinators' summary: pages frozen into a static site (see ``freeze``).

Only this blueprint is registered in the app that gets frozen, and it sees only
the disclosure-controlled records of ``model.Summary``.
"""
from . import pages  # noqa: F401  (its views register on bp)
from .blueprint import bp

__all__ = ["bp"]
