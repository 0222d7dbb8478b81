"""Administration in the browser: sites and users (the flask commands stay)."""
from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from .. import logins
from ..clock import DEFAULT_ZONE, ZONES
from ..db import get_registry
from ..registry import (
    ROLES,
    RegistryError,
    add_site,
    add_user,
    check_site,
    get_site,
    list_sites,
    list_users,
    set_password,
    temporary_password,
    update_site,
    update_user,
)
from ..security import roles_required
from ..states import STATES
from .blueprint import bp


def _sessions_number(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


@bp.route("/admin/sitios/nuevo", methods=["GET", "POST"])
@bp.route("/admin/sitios/<site_code>/", methods=["GET", "POST"])
@roles_required("admin")
def edit_site(site_code=None):
    """Add a site, or change a site's name, state, number of sessions or time zone."""
    existing = get_site(get_registry(), site_code) if site_code else None
    if site_code and existing is None:
        abort(404)
    values = {"code": existing.code if existing else "", "name": existing.name if existing else "",
              "state": existing.state if existing else "", "sessions": str(existing.sessions) if existing else
              str(current_app.config["DEFAULT_SESSIONS"]), "time_zone": existing.time_zone if existing else DEFAULT_ZONE}
    error = None
    if request.method == "POST":
        values.update({k: request.form.get(k, "").strip() for k in ("name", "state", "sessions", "time_zone")})
        if not existing:
            values["code"] = request.form.get("code", "").strip().upper()
        try:
            site = check_site(values["code"], values["name"], values["state"], _sessions_number(values["sessions"]),
                              values["time_zone"] or None)
            (update_site if existing else add_site)(get_registry(), site, user=g.user.username)
        except RegistryError as exc:
            error = str(exc)
        else:
            flash(_("Site %(code)s saved.", code=site.code), "success")
            return redirect(url_for("staff.sites"))
    return render_template("admin/site.html", existing=existing, values=values, states=STATES, zones=ZONES,
                           error=error), 422 if error else 200


@bp.route("/admin/usuarios/")
@roles_required("admin")
def users():
    """Every user, with role, site and whether they can sign in."""
    return render_template("admin/users.html", users=list_users(get_registry()))


@bp.route("/admin/usuarios/nuevo", methods=["GET", "POST"])
@roles_required("admin")
def new_user():
    """A new user with a temporary password, to be changed at the first sign-in."""
    values = {k: request.form.get(k, "").strip() for k in ("username", "role", "site")}
    error, errors = None, {}
    if request.method == "POST":
        password = temporary_password()
        try:
            user = add_user(get_registry(), values["username"].lower(), values["role"], password,
                            values["site"] or None, user=g.user.username, temporary=True)
        except RegistryError as exc:
            errors = exc.fields
            error = None if errors else str(exc)
        else:
            return _show_temporary(user.username, password, new=True)
    return render_template("admin/user.html", values=values, roles=ROLES, sites=list_sites(get_registry()),
                           existing=None, error=error, errors=errors), 422 if error or errors else 200


def _show_temporary(username: str, password: str, new: bool):
    """Post, redirect, get: the password is shown once on a page of its own; a reload does not make another."""
    session["temporary"] = {"username": username, "password": password, "new": new}
    return redirect(url_for("staff.temporary_password_page", username=username), 303)


@bp.route("/admin/usuarios/<username>/temporal")
@roles_required("admin")
def temporary_password_page(username):
    """The temporary password just given, shown once."""
    shown = session.get("temporary")
    if not shown or shown["username"] != username:
        flash(_("The temporary password of %(name)s was already shown. If it was not written down, give another one.",
                name=username), "error")
        return redirect(url_for("staff.users"))
    session.pop("temporary")
    return render_template("admin/temporary.html", **shown)


@bp.route("/admin/usuarios/<username>/", methods=["GET", "POST"])
@roles_required("admin")
def edit_user(username):
    """Another role or site; deactivate or reactivate."""
    found = next((u for u in list_users(get_registry()) if u.username == username), None)
    if found is None:
        abort(404)
    values = {"username": found.username, "role": request.form.get("role", found.role),
              "site": request.form.get("site", found.site or ""),
              "active": request.form.get("active", "1" if found.active else "0")}
    error, errors = None, {}
    if request.method == "POST":
        try:
            update_user(get_registry(), username, values["role"], values["site"] or None, values["active"] == "1",
                        user=g.user.username)
        except RegistryError as exc:
            errors = exc.fields
            error = None if errors else str(exc)
        else:
            if values["active"] != "1":
                logins.end_all(logins.logins_store(current_app.instance_path), username)
            flash(_("User %(name)s saved.", name=username), "success")
            return redirect(url_for("staff.users"))
    return render_template("admin/user.html", values=values, roles=ROLES, sites=list_sites(get_registry()),
                           existing=found, error=error, errors=errors), 422 if error or errors else 200


@bp.route("/admin/usuarios/<username>/contrasena", methods=["GET", "POST"])
@roles_required("admin")
def reset_password(username):
    """A temporary password for someone who forgot his: first a page that says what will happen."""
    found = next((u for u in list_users(get_registry()) if u.username == username), None)
    if found is None or username == g.user.username:
        abort(404)
    if request.method == "GET":
        return render_template("admin/confirm_password.html", user=found)
    password = temporary_password()
    try:
        set_password(get_registry(), username, password, user=g.user.username, temporary=True)
    except RegistryError as exc:
        flash(str(exc), "error")
        return redirect(url_for("staff.users"))
    logins.end_all(logins.logins_store(current_app.instance_path), username)
    return _show_temporary(username, password, new=False)
