"""Error pages: in Spanish, in the layout of whoever sees them (a man never sees the staff one)."""
from __future__ import annotations

from flask import Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import storage
from .participant.routes import is_participant_request
from .participant.routes import render as render_participant

HANDLED = (400, 403, 404, 405, 413, 429, 500)


STORE_KINDS = ("corrupt", "disk_full", "write", "too_large", "busy")


def render_error(code: int, kind: str | None = None, **context):
    if is_participant_request():
        return render_participant("participant/error.html", code, code=code, kind=kind, **context)
    template = "store_error.html" if kind in STORE_KINDS else "error.html"
    return render_template(template, code=code, kind=kind, **context), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if is_participant_request():
            # His session ended (browser closed, timed out, the clock moved): he types his code again
            # and goes on from his draft. What he typed on the code page is kept.
            flash(_("This page expired. Write your code again to go on; the answers you already gave are "
                    "saved."), "participant")
            typed = request.form.get("codigo", "")[:20] if request.path.rstrip("/") == "/cuestionario" else ""
            if typed:
                flash(typed, "participant_code")
            return redirect(url_for("participant.start"), 303)
        return render_error(400, "csrf")

    for code in HANDLED:
        app.register_error_handler(code, lambda e, code=code: _http_error(e, code))

    @app.errorhandler(storage.CorruptStoreError)
    def corrupt_store(error: storage.CorruptStoreError):
        current_app.logger.error("unreadable store: %s", error)
        return render_error(503, "corrupt", filename=error.path.name, record=error.record)

    @app.errorhandler(storage.StoreBusyError)
    def store_busy(error: storage.StoreBusyError):
        current_app.logger.warning("file busy, the request was told to try again: %s", error)
        response = render_error(503, "busy", filename=error.path.name)
        response = current_app.make_response(response)
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(storage.StoreTooLargeError)
    def store_too_large(error: storage.StoreTooLargeError):
        current_app.logger.error("write refused, the file would be too large: %s", error)
        return render_error(503, "too_large", filename=error.path.name, megabytes=error.limit_mb)

    @app.errorhandler(storage.StoreWriteError)
    def store_write_failed(error: storage.StoreWriteError):
        current_app.logger.error("write failed: %s", error)
        return render_error(503, "disk_full" if error.disk_full else "write", filename=error.path.name)


def _http_error(error: Exception, code: int):
    if code == 500:
        original = getattr(error, "original_exception", None)
        current_app.logger.error("server error on %s", request.path, exc_info=original or error)
    elif isinstance(error, HTTPException) and error.response is not None:
        return error.response
    return render_error(code)
