"""Staff sign-in and sign-out."""
from . import routes  # noqa: F401  (its views register on bp)
from .blueprint import bp

__all__ = ["bp"]
