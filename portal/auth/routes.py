import time
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import logins
from ..db import get_registry
from ..registry import Deactivated, RegistryError, authenticate, set_password
from ..security import login_required
from ..throttle import Door, Throttle, throttle_store
from .blueprint import bp
from .forms import LoginForm, PasswordForm

LOGIN_LIMITS = {"pair": 5, "address": 30, "user": 20}  # wrong passwords in 15 minutes
LOGIN_WINDOW = 15 * 60


def login_door(address: str, username: str) -> tuple[Door, list, list, tuple]:
    """Wrong passwords: 5 in 15 minutes from one address for one user name, 30 from one address across all user
    names (a spray), both refused; 20 for one user name from anywhere (several addresses guessing one account):
    an address that has failed is refused, any other slowed down, so the owner is never locked out."""
    store = throttle_store(current_app.instance_path)
    pair = (Throttle(store, "login", LOGIN_LIMITS["pair"], LOGIN_WINDOW), f"{address}|{username}")
    by_address = (Throttle(store, "login-address", LOGIN_LIMITS["address"], LOGIN_WINDOW), address)
    by_user = (Throttle(store, "login-user", LOGIN_LIMITS["user"], LOGIN_WINDOW), username)
    return Door(store), [pair, by_address], [by_user], by_address


def _safe_next(target: str | None) -> str | None:
    """Only a path on this portal, never another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _fresh_session() -> None:
    """A new session: nothing of the previous one (user, participant, tokens) stays; the language does."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def end_session() -> None:
    logins.end(logins.logins_store(current_app.instance_path), session.get("sid"))
    _fresh_session()


@bp.route("/entrar", methods=["GET", "POST"])
def login():
    """Sign in."""
    if g.user is not None:
        return redirect(url_for("staff.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        username = form.username.data.strip().lower()[:200]
        door, strict, soft, clean = login_door(request.remote_addr or "", username)
        claim = door.claim(strict, soft, clean)  # checked and counted in one write
        if claim.wait:
            error = ngettext("Too many failed attempts. Wait %(num)s minute and try again.",
                             "Too many failed attempts. Wait %(num)s minutes and try again.",
                             max(1, round(claim.wait / 60)))
        else:
            if claim.slowed:  # someone else is guessing this account from other addresses
                time.sleep(current_app.config.get("LOGIN_SLOW_SECONDS", 2))
            try:
                user = authenticate(get_registry(), form.username.data, form.password.data)
            except Deactivated as exc:  # his right password: not a guess
                door.succeeded(claim)
                return render_template("auth/login.html", form=form, error=str(exc)), 403
            if user is None:
                error = _("The user name or the password is not right.")
            else:
                door.succeeded(claim)
                _fresh_session()
                session.permanent = True
                session["user"] = user.username
                session["sid"] = logins.start(logins.logins_store(current_app.instance_path), user.username)
                current_app.logger.info("login %s", user.username)
                return redirect(_safe_next(request.args.get("next")) or url_for("staff.home"))
    return render_template("auth/login.html", form=form, error=error), (401 if error else 200)


@bp.route("/salir", methods=["POST"])
def logout():
    """Sign out: the session ends on the server too, so a copied cookie stops working."""
    end_session()
    flash(_("You signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/cuenta/contrasena", methods=["GET", "POST"])
@login_required
def change_password():
    """Change my own password; my other sessions end."""
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        if authenticate(get_registry(), g.user.username, form.current.data) is None:
            error = _("Your current password is not right.")
        elif form.new.data != form.repeat.data:
            error = _("The two new passwords are not the same.")
        else:
            try:
                set_password(get_registry(), g.user.username, form.new.data, user=g.user.username)
            except RegistryError as exc:
                error = str(exc)
            else:
                logins.end_all(logins.logins_store(current_app.instance_path), g.user.username,
                               keep=session.get("sid"))
                flash(_("Your password was changed. Your sessions on other devices were closed."), "success")
                return redirect(url_for("staff.home"))
    return render_template("auth/password.html", form=form, error=error), (422 if error or form.errors else 200)


@bp.route("/idioma", methods=["POST"])
def set_language():
    """Switch between Spanish and English."""
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("next")) or url_for("staff.home"))
