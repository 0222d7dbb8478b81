"""Group sessions: record one, tick who came, correct it later."""
from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms import SelectChoice

from .. import clock, groups
from ..attendance import VENUES, closed_groups, groups_with_sessions_left, save_session, set_group_closed
from ..attendance import sessions as list_sessions
from ..db import get_site_store
from ..paging import page_of
from ..participants import group_codes
from ..refusals import NeedsConfirmation, ProgramError
from ..security import site_access
from .blueprint import bp
from .forms import SessionForm, field_error


@bp.route("/sitio/<site_code>/sesiones/")
@site_access()
def sessions_page(site_code):
    """Sessions held at the site, newest first."""
    snapshot = get_site_store(site_code).read()
    page = page_of(list_sessions(snapshot), request.args.get("pagina"))
    totals = {grp.code: grp.sessions for grp in groups.listed(snapshot, g.site.sessions)}
    return render_template("staff/sessions.html", site=g.site, sessions=page.rows, page=page, totals=totals,
                           venues=VENUES)


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
            totals = {grp.code: grp.sessions for grp in groups.listed(snapshot, g.site.sessions)}
            return render_template("staff/session_group.html", site=g.site, groups=open_groups, closed=closed,
                                   totals=totals,
                                   finished=[c for c in group_codes(snapshot) if c not in open_groups and c not in closed])
    if group not in group_codes(snapshot):
        abort(404)
    if request.method == "POST" and not g.user.can_write_site(site_code):
        abort(403)
    # Men to tick: the group's active men, and whoever this session already counts (a correction).
    marked = set(existing["present"]) if existing else set()
    members = sorted(p["code"] for p in snapshot.find("participants", group_code=group)
                     if p["status"] == "active" or p["code"] in marked)
    held = [s for s in list_sessions(snapshot, group)]
    group_sessions = groups.get(snapshot, group, g.site.sessions).sessions
    form = SessionForm(data=None if request.method == "POST" else _initial(existing, held, group_sessions))
    form.present.choices = [SelectChoice(code, code) for code in members]
    error, questions, reason_error = None, [], None
    if form.validate_on_submit():
        try:
            save_session(store, group_code=group, number=form.number.data, held_on=form.held_on.data,
                         venue=form.venue.data, present=form.present.data or [],
                         sessions_in_program=group_sessions, user=g.user.username, session_id=session_id,
                         reason=request.form.get("reason"), confirmed=request.form.get("confirmar") == "1")
        except NeedsConfirmation as exc:
            questions = exc.messages
        except ProgramError as exc:
            error = field_error(form, exc, {"number": "number", "held_on": "held_on", "venue": "venue"})
            if exc.field == "reason":
                error, reason_error = None, str(exc)
        else:
            flash(ngettext("Session %(n)s of group %(group)s saved: %(num)s man came.",
                           "Session %(n)s of group %(group)s saved: %(num)s men came.", len(form.present.data or []),
                           n=form.number.data, group=group), "success")
            return redirect(url_for("staff.sessions_page", site_code=site_code))
    status = 422 if error or questions or reason_error or (request.method == "POST" and form.errors) else 200
    return render_template("staff/session.html", site=g.site, form=form, group=group, existing=existing,
                           error=error, questions=questions, members=members, total=group_sessions,
                           reason=request.form.get("reason", ""),
                           reason_error=reason_error), status


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
    if request.form.get("volver") == "grupos":
        return redirect(url_for("staff.groups_page", site_code=site_code))
    return redirect(url_for("staff.session_page", site_code=site_code))


def _initial(existing, held, sessions_in_program):
    if existing:
        return {"number": existing["number"], "held_on": date.fromisoformat(existing["date"]),
                "venue": existing["venue"], "present": existing["present"]}
    taken = {s["number"] for s in held}
    following = [n for n in range(max(taken, default=0) + 1, sessions_in_program + 1)] or \
        [n for n in range(1, sessions_in_program + 1) if n not in taken] or [sessions_in_program]
    return {"number": following[0], "held_on": clock.today(), "venue": "health_centre", "present": []}
