"""Group sessions: record one, tick who came, correct it later."""
from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from wtforms import SelectChoice

from .. import clock
from ..attendance import VENUES, groups_with_sessions_left, save_session, sessions as list_sessions, closed_groups, set_group_closed
from ..db import get_site_store
from ..participants import ProgramError, groups
from ..security import site_access
from . import bp
from .forms import SessionForm


@bp.route("/sitio/<site_code>/sesiones/")
@site_access()
def sessions_page(site_code):
    """Sessions held at the site, newest first."""
    snapshot = get_site_store(site_code).read()
    return render_template("staff/sessions.html", site=g.site, sessions=list_sessions(snapshot),
                           groups=groups(snapshot), venues=VENUES)


@bp.route("/sitio/<site_code>/sesiones/nueva", methods=["GET", "POST"])
@bp.route("/sitio/<site_code>/sesiones/<session_id>/", methods=["GET", "POST"])
@site_access()
def session_page(site_code, session_id=None):
    """Record a session of a group and tick who came; or correct one."""
    store = get_site_store(site_code)
    snapshot = store.read()
    existing = None
    if session_id is not None:
        existing = snapshot.first("sessions", session_id=session_id)
        if existing is None:
            abort(404)
        group = existing["group_code"]
    else:
        group = request.args.get("grupo")
        open_groups = dict(groups_with_sessions_left(snapshot, g.site.sessions))
        if not group:
            closed = closed_groups(snapshot)
            return render_template("staff/session_group.html", site=g.site, groups=open_groups, closed=closed,
                                   finished=[c for c in groups(snapshot) if c not in open_groups and c not in closed])
    if group not in groups(snapshot):
        abort(404)
    if request.method == "POST" and not g.user.can_write_site(site_code):
        abort(403)
    # Men to tick: the group's active men, and whoever this session already counts (a correction).
    marked = set(existing["present"]) if existing else set()
    members = sorted(p["code"] for p in snapshot.find("participants", group_code=group)
                     if p["status"] == "active" or p["code"] in marked)
    held = [s for s in list_sessions(snapshot, group)]
    form = SessionForm(data=None if request.method == "POST" else _initial(existing, held, g.site.sessions))
    form.present.choices = [SelectChoice(code, code) for code in members]
    error = None
    if form.validate_on_submit():
        try:
            save_session(store, group_code=group, number=form.number.data, held_on=form.held_on.data,
                         venue=form.venue.data, present=form.present.data or [],
                         sessions_in_program=g.site.sessions, user=g.user.username, session_id=session_id,
                         reason=request.form.get("reason"))
        except ProgramError as exc:
            error = str(exc)
        else:
            flash(ngettext("Session %(n)s of group %(group)s saved: %(num)s man came.",
                           "Session %(n)s of group %(group)s saved: %(num)s men came.", len(form.present.data or []),
                           n=form.number.data, group=group), "success")
            return redirect(url_for("staff.sessions_page", site_code=site_code))
    status = 422 if error or (request.method == "POST" and form.errors) else 200
    return render_template("staff/session.html", site=g.site, form=form, group=group, existing=existing,
                           error=error, members=members, reason=request.form.get("reason", "")), status


@bp.route("/sitio/<site_code>/grupos/<group>/cerrar", methods=["POST"])
@site_access(write=True)
def close_group(site_code, group):
    """A group that will meet no more: no new session is offered for it (it can be opened again)."""
    try:
        set_group_closed(get_site_store(site_code), group, request.form.get("cerrar") == "1", g.user.username)
    except ProgramError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Group %(group)s closed.", group=group) if request.form.get("cerrar") == "1"
              else _("Group %(group)s opened again.", group=group), "success")
    return redirect(url_for("staff.session_page", site_code=site_code))


def _initial(existing, held, sessions_in_program):
    if existing:
        return {"number": existing["number"], "held_on": date.fromisoformat(existing["date"]),
                "venue": existing["venue"], "present": existing["present"]}
    taken = {s["number"] for s in held}
    following = [n for n in range(max(taken, default=0) + 1, sessions_in_program + 1)] or \
        [n for n in range(1, sessions_in_program + 1) if n not in taken] or [sessions_in_program]
    return {"number": following[0], "held_on": clock.today(), "venue": "health_centre", "present": []}
