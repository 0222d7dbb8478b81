"""The production server (``make serve``): waitress, one process with threads.

One process suits the storage: its writers meet in one queue per file and are committed
together (group commit), while several processes would each rewrite the file in turn.
Settings come from the environment: ``HOST`` and ``PORT`` (default 127.0.0.1:8000),
``PORTAL_INSTANCE`` (read by the app factory), ``PORTAL_COOKIE_SECURE`` (default on) and
``PORTAL_PROXIES``, the number of reverse proxies in front of the portal (default 0).

Run it as ``python -m portal.serve``.
"""
from __future__ import annotations

import logging
import os
import signal
import sys

from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.middleware.proxy_fix import ProxyFix

from . import create_app, storage

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
THREADS = 8  # requests served at once; writers to one file share its next commit


class SettingError(ValueError):
    """An environment variable that does not hold what it must."""

    def __init__(self, name: str, value: str, low: int, high: int):
        self.name, self.value, self.low, self.high = name, value, low, high
        super().__init__(f"{name}={value!r}")


def whole_number(environ: dict, name: str, default: int, low: int, high: int) -> int:
    value = environ.get(name, "").strip()
    if not value:
        return default
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise SettingError(name, value, low, high)
    return int(value)


def trust_proxies(app: Flask, proxies: int) -> Flask:
    """Take the client's address, scheme and host from the headers of ``proxies`` reverse proxies.

    With 0 the headers are never trusted: anybody could write them.
    """
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app


def build_app(environ: dict | None = None) -> tuple[Flask, dict]:
    """The portal as the production server runs it, and the server's settings."""
    environ = os.environ if environ is None else environ
    app = create_app()
    with app.app_context(), force_locale("es"):
        try:
            settings = {
                "host": environ.get("HOST", "").strip() or DEFAULT_HOST,
                "port": whole_number(environ, "PORT", DEFAULT_PORT, 1, 65535),
                "proxies": whole_number(environ, "PORTAL_PROXIES", 0, 0, 10),
            }
        except SettingError as exc:
            raise SystemExit(_("%(name)s must be a whole number from %(low)s to %(high)s, not «%(value)s».",
                               name=exc.name, low=exc.low, high=exc.high, value=exc.value)) from None
    return trust_proxies(app, settings["proxies"]), settings


def main() -> None:
    from waitress import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app, settings = build_app()
    storage.hold_instance(app.instance_path)  # until it stops: a restore must not swap files under it
    with app.app_context(), force_locale("es"):
        print(_("Portal at http://%(host)s:%(port)s/ (instance %(instance)s). Stop it with Ctrl+C.",
                host=settings["host"], port=settings["port"], instance=app.instance_path), flush=True)
    # systemctl stop (SIGTERM) ends it like Ctrl+C: waitress lets the requests under way finish.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    # Waitress removes X-Forwarded-* headers it was not told to trust; ProxyFix must see them
    # when there are proxies, and nobody may use them when there are none.
    serve(app, host=settings["host"], port=settings["port"], threads=THREADS, ident="portal",
          clear_untrusted_proxy_headers=settings["proxies"] == 0)


if __name__ == "__main__":
    sys.exit(main())
