from urllib.parse import urlsplit

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..db import get_registry
from ..registry import authenticate
from ..throttle import Throttle
from . import bp
from .forms import LoginForm



@bp.record_once
def _create_throttle(state) -> None:
    state.app.extensions["login_throttle"] = Throttle(limit=5, window_seconds=15 * 60)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this portal, never another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/entrar", methods=["GET", "POST"])
def login():
    """Sign in."""
    if g.user is not None:
        return redirect(url_for("staff.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        login_throttle = current_app.extensions["login_throttle"]
        key = f"{request.remote_addr}|{form.username.data.strip().lower()}"
        wait = login_throttle.wait_seconds(key)
        if wait:
            error = _("Too many failed attempts. Wait %(minutes)s minutes and try again.",
                      minutes=max(1, round(wait / 60)))
        else:
            user = authenticate(get_registry(), form.username.data, form.password.data)
            if user is None:
                login_throttle.failed(key)
                error = _("The user name or the password is not right.")
            else:
                login_throttle.reset(key)
                lang = session.get("lang")
                session.clear()
                session.permanent = True
                session["user"] = user.username
                if lang:
                    session["lang"] = lang
                current_app.logger.info("login %s", user.username)
                return redirect(_safe_next(request.args.get("next")) or url_for("staff.home"))
    return render_template("auth/login.html", form=form, error=error), (401 if error else 200)


@bp.route("/salir", methods=["POST"])
def logout():
    """Sign out."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))


@bp.route("/idioma", methods=["POST"])
def set_language():
    """Switch between Spanish and English."""
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("next")) or url_for("staff.home"))
