"""Putting records right in the browser: correct, withdraw, restore, undo an exit, erase; the history."""
from datetime import date

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from .. import corrections, erasing, history
from ..db import get_site_store
from ..groups import open_codes
from ..paging import page_of
from ..participants import ProgramError
from ..questionnaire_form import form_class
from ..questionnaires import localized, parse_date
from ..security import roles_required, site_access
from ..storage import WITHDRAWN
from .blueprint import bp
from .participant_views import PAPER, answered_day, participant_or_404, typed_day


def _back_to_man(site_code, participant_code):
    return redirect(url_for("staff.participant_page", site_code=site_code, participant_code=participant_code))


def _run(action, *args, success: str):
    """Run a correction with the reason typed in the form; a refusal is shown, nothing changes."""
    try:
        action(get_site_store(g.site.code), *args, request.form.get("reason", ""), g.user.username)
    except ProgramError as exc:
        flash(str(exc), "error")
        return False
    flash(success, "success")
    return True


@bp.route("/sitio/<site_code>/participantes/<participant_code>/cuestionario/<qid>/corregir", methods=["GET", "POST"])
@site_access(write=True)
def correct_questionnaire(site_code, participant_code, qid):
    """The same form and rules as entering it, filled with the stored answers, and a reason."""
    store = get_site_store(site_code)
    snapshot = store.read()
    participant_or_404(snapshot, site_code, participant_code)
    questionnaires = current_app.extensions["questionnaires"]
    response = snapshot.first("responses", participant_code=participant_code, questionnaire=qid)
    if qid not in questionnaires or response is None:
        abort(404)
    # corrected with the definition he answered: its labels, its rules, its version kept
    questionnaire = current_app.extensions["form_catalog"].of(qid, response.get("version"))
    cls = form_class(questionnaire, str(get_locale()))
    form = cls() if request.method == "POST" else cls(formdata=None, data=response["answers"])
    dated_by_answer = qid not in PAPER
    day_text = request.form.get("fecha_papel", response["submitted_on"]) if not dated_by_answer else ""
    reason = request.form.get("reason", "")
    problems = {}
    if request.method == "POST":
        valid = form.validate()
        if dated_by_answer:
            submitted_on = answered_day(form, date.fromisoformat(response["submitted_on"]))
        else:
            submitted_on, problem = typed_day(day_text)
            if problem:
                problems["fecha_papel"] = problem
        if valid and submitted_on and not problems:
            try:
                corrections.correct_response(store, questionnaire, response["doc_id"], form.result.answers,
                                             submitted_on, reason, g.user.username)
            except ProgramError as exc:
                problems["reason" if exc.field == "reason" else "general"] = str(exc)
            else:
                flash(_("Corrected: %(name)s of %(code)s.", name=localized(questionnaire.title),
                        code=participant_code), "success")
                return _back_to_man(site_code, participant_code)
    return render_template("staff/correct.html", site=g.site, questionnaire=questionnaire, form=form,
                           participant_code=participant_code, dated_by_answer=dated_by_answer, day_text=day_text,
                           reason=reason, problems=problems), 422 if request.method == "POST" else 200


@bp.route("/sitio/<site_code>/participantes/<participant_code>/registro", methods=["GET", "POST"])
@site_access(write=True)
def correct_registration(site_code, participant_code):
    """Another group or registration date, under the rules of registration, with a reason."""
    store = get_site_store(site_code)
    participant = participant_or_404(store.read(), site_code, participant_code)
    values = {"group": request.form.get("group", participant["group_code"]),
              "enrolled_on": request.form.get("enrolled_on", participant["enrolled_on"]),
              "reason": request.form.get("reason", "")}
    error, errors = None, {}
    if request.method == "POST":
        try:
            corrections.correct_registration(store, participant_code, values["group"],
                                             parse_date(values["enrolled_on"]), values["reason"], g.user.username)
        except ProgramError as exc:
            if exc.field in ("group", "enrolled_on", "reason"):
                errors[exc.field] = str(exc)
            else:
                error = str(exc)
        except ValueError as exc:  # a date that does not parse
            errors["enrolled_on"] = str(exc.args[0])
        else:
            flash(_("Registration of %(code)s corrected.", code=participant_code), "success")
            return _back_to_man(site_code, participant_code)
    return render_template("staff/correct_registration.html", site=g.site, participant=participant, values=values,
                           error=error, errors=errors, groups=_groups_to_choose(store.read(), participant["group_code"])), \
        422 if error or errors else 200


def _groups_to_choose(snapshot, current: str) -> list[str]:
    """The open groups, and his own even if it is closed."""
    return sorted(set(open_codes(snapshot)) | {current})


@bp.route("/sitio/<site_code>/participantes/<participant_code>/<action>", methods=["POST"])
@site_access(write=True)
def participant_action(site_code, participant_code, action):
    """Withdraw or restore a man, or undo his exit; each with a reason."""
    actions = {
        "retirar": (corrections.withdraw_participant, _("%(code)s was withdrawn. It can be restored from his page.",
                                                         code=participant_code)),
        "restaurar": (corrections.restore_participant, _("%(code)s was restored.", code=participant_code)),
        "deshacer-egreso": (corrections.undo_exit, _("The exit of %(code)s was undone: he is active again.",
                                                     code=participant_code)),
    }
    if action not in actions or not participant_code.startswith(site_code + "-"):
        abort(404)
    function, success = actions[action]
    _run(function, participant_code, success=success)
    return _back_to_man(site_code, participant_code)


@bp.route("/sitio/<site_code>/respuestas/<int:response_id>/<action>", methods=["POST"])
@site_access(write=True)
def response_action(site_code, response_id, action):
    """Withdraw or restore one questionnaire, with a reason."""
    response = get_site_store(site_code).read().get("responses", response_id)
    if response is None or action not in ("retirar", "restaurar"):
        abort(404)
    if action == "retirar":
        _run(corrections.withdraw_response, response_id, success=_("The questionnaire was withdrawn."))
    else:
        _run(corrections.restore_response, response_id, success=_("The questionnaire was restored."))
    return _back_to_man(site_code, response["participant_code"])


@bp.route("/sitio/<site_code>/sesiones/<session_id>/<action>", methods=["POST"])
@site_access(write=True)
def session_action(site_code, session_id, action):
    """Withdraw or restore a session recorded by mistake, with a reason."""
    if action == "retirar":
        done = _run(corrections.withdraw_session, session_id, success=_("The session was withdrawn."))
        if not done:
            return redirect(url_for("staff.session_page", site_code=site_code, session_id=session_id))
    elif action == "restaurar":
        _run(corrections.restore_session, session_id, success=_("The session was restored."))
    else:
        abort(404)
    return redirect(url_for("staff.sessions_page", site_code=site_code))


@bp.route("/sitio/<site_code>/participantes/<participant_code>/borrar", methods=["GET", "POST"])
@roles_required("admin")
@site_access(write=True)
def erase(site_code, participant_code):
    """Erase a man for good at his request (administrators only), after typing his code to confirm."""
    store = get_site_store(site_code)
    participant = participant_or_404(store.read().with_withdrawn(), site_code, participant_code)
    error = None
    if request.method == "POST":
        if request.form.get("confirm", "").strip().upper() != participant_code:
            error = _("Type his code exactly to confirm.")
        else:
            try:
                corrections.erase_participant(store, participant_code, request.form.get("reason", ""),
                                              g.user.username)
            except ProgramError as exc:
                error = str(exc)
            else:
                # His codes live in the instance's codes file; uploads waiting at his site may hold him too.
                erasing.clear_traces(current_app.instance_path, site_code, [participant_code])
                flash(_("%(code)s was erased. Only the fact of the erasure is kept.", code=participant_code),
                      "success")
                return redirect(url_for("staff.roster_page", site_code=site_code))
    return render_template("staff/erase.html", site=g.site, participant=participant, error=error,
                           reason=request.form.get("reason", "")), 422 if error else 200


@bp.route("/sitio/<site_code>/retirados/")
@site_access()
def withdrawn_page(site_code):
    """Men, questionnaires and sessions withdrawn by mistake, to look at and restore."""
    every = get_site_store(site_code).read().with_withdrawn()
    pick = [("participants", "men"), ("responses", "responses"), ("sessions", "sessions")]
    found = {key: [d for d in every.all(table) if d.get(WITHDRAWN) and not d[WITHDRAWN].get("with_participant")]
             for table, key in pick}
    return render_template("staff/withdrawn.html", site=g.site, questionnaires=current_app.extensions["questionnaires"],
                           erased=corrections.erased(every), **found)


@bp.route("/sitio/<site_code>/historial/")
@site_access()
def history_page(site_code):
    """The site's history of changes, filtered by date, person and kind of change."""
    snapshot = get_site_store(site_code).read()
    rows = history.entries(snapshot, current_app.extensions["questionnaires"], current_app.extensions["form_catalog"].of)
    people = sorted({e.user for e in rows if e.user})
    chosen = {k: (request.args.get(k) or "").strip() for k in ("desde", "hasta", "persona", "tipo")}
    errors = []
    dates = {}
    for key in ("desde", "hasta"):
        if chosen[key]:
            try:
                dates[key] = parse_date(chosen[key]).isoformat()
            except ValueError:
                errors.append(_("Write the dates as day/month/year, for example 05/03/2026."))
    shown = history.filtered(rows, dates.get("desde"), dates.get("hasta"), chosen["persona"] or None,
                             chosen["tipo"] or None)
    page = page_of(shown, request.args.get("pagina"))
    return render_template("staff/history.html", site=g.site, rows=page.rows, page=page, total=len(shown),
                           people=people, kinds=history.KINDS, chosen=chosen, errors=sorted(set(errors)))
