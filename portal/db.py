"""Where views find the stores: ``get_site_store(code)`` and ``get_registry()``."""
from __future__ import annotations

from flask import Flask, abort, current_app

from . import storage


def get_site_store(code: str) -> storage.SiteStore:
    """The store of one site; the code is validated before it touches a path."""
    return storage.store_for_site(current_app.instance_path, code)


def get_registry() -> storage.SiteStore:
    """The portal-wide store: sites and users."""
    return storage.registry_store(current_app.instance_path)


def init_app(app: Flask) -> None:
    @app.errorhandler(storage.InvalidSiteCode)
    def invalid_site(error):
        abort(404)
