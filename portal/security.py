"""CSRF, security headers, and who may see what."""
from __future__ import annotations

import secrets
from functools import wraps

from flask import Flask, abort, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect

from . import clock, logins
from .db import get_registry
from .registry import get_site, get_user

csrf = CSRFProtect()

# What a user with a temporary password may still open before choosing his own.
MAY_WAIT = {"auth.change_password", "auth.logout", "auth.set_language", "static"}
# Files that hold nothing private, which browsers may keep (each sets its own cache lifetime).
CACHEABLE = {"static", "participant.clip"}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'nonce-{nonce}'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def init_app(app: Flask) -> None:
    csrf.init_app(app)

    @app.before_request
    def csp_nonce():
        # Participant pages inline their small stylesheet: one round trip on a slow phone.
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.context_processor
    def nonce():
        return {"csp_nonce": g.get("csp_nonce", "")}

    @app.before_request
    def load_user():
        clock.use_zone(None)  # a worker thread serves many requests: no site's zone carries over
        if request.endpoint == "participant.clip":
            g.user = None  # the same file for everyone: no session read, so no "Vary: Cookie" to spoil its cache
            return None
        username = session.get("user")
        g.user = get_user(get_registry(), username) if username else None
        if username and g.user is not None and not logins.check(
                logins.logins_store(app.instance_path), session.get("sid"), username,
                idle=app.config["STAFF_IDLE_MINUTES"] * 60, longest=app.config["STAFF_LONGEST_HOURS"] * 3600):
            g.user = None  # signed out elsewhere, unused for too long, or a new password
        if g.user is not None and g.user.must_change_password and request.endpoint not in MAY_WAIT \
                and request.blueprint != "participant":
            return redirect(url_for("auth.change_password"))
        if username and g.user is None:
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy",
                                    CONTENT_SECURITY_POLICY.format(nonce=g.get("csp_nonce", "none")))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"  # Flask-WTF checks the Referer on HTTPS
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.endpoint not in CACHEABLE:
            # Pages hold private data: never keep them in a shared browser's cache.
            response.headers["Cache-Control"] = "no-store"
        return response


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        return view(*args, **kwargs)

    return wrapped


def roles_required(*roles: str):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def site_access(write: bool = False):
    """For views under /sitio/<site_code>/: load the site and refuse other sites."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(site_code: str, *args, **kwargs):
            allowed = g.user.can_write_site(site_code) if write else g.user.can_read_site(site_code)
            if not allowed:
                abort(403)
            site = get_site(get_registry(), site_code)
            if site is None:
                abort(404)
            g.site = site
            clock.use_zone(site.time_zone)
            return view(site_code, *args, **kwargs)

        return wrapped

    return decorator
