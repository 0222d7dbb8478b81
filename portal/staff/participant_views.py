"""A site's men: registration, roster, follow-up, one man's page, codes, questionnaires."""
import secrets
from datetime import date

import qrcode
import qrcode.image.svg
from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectChoice

from .. import access_codes, bounds, clock, drafts, followup, groups, history
from ..attendance import sessions as list_sessions
from ..db import get_site_store
from ..i18n import short_date
from ..paging import page_of
from ..participants import ProgramError, group_codes, register, roster
from ..questionnaire_form import form_class
from ..questionnaires import localized, parse_date
from ..responses import Submission, dating_answer, responses_of, save_response
from ..security import site_access
from .blueprint import bp
from .forms import RegisterForm, field_error

PAPER = ("intake", "exit")
STATUS_FILTERS = {
    "activos": (_l("Active"), lambda r: r.status == "active"),
    "en-riesgo": (_l("At risk of dropping out"), lambda r: r.at_risk),
    "riesgo-alto": (_l("High risk (partner-safety protocol)"), lambda r: r.high_risk),
    "terminaron": (_l("Completed the program"), lambda r: r.status == "completed"),
    "salieron": (_l("Left the program"), lambda r: r.status in ("dropped_out", "transferred", "exited")),
}
FACILITATOR = ("facilitator_intake", "facilitator_exit")


def typed_day(text: str) -> tuple[date | None, str | None]:
    """(the day typed for a paper questionnaire, why no record can have it): the day is None when it does not
    parse, the reason None when the day can be used."""
    try:
        day = parse_date(text)
    except ValueError as exc:
        return None, str(exc.args[0])
    return day, bounds.day_problem(day)


def answered_day(form, otherwise: date) -> date | None:
    """The day a facilitator's questionnaire is dated by: its own date answer, else ``otherwise``. None when no
    record can have the day answered; the reason is then put next to that answer, like any answer's problem."""
    found = dating_answer(form.result.answers)
    if found is None:
        return otherwise
    name, day = found
    problem = bounds.day_problem(day)
    if problem:
        form[name].errors = [problem]
        return None
    return day


def participant_or_404(snapshot, site_code, participant_code):
    """The man of that code at this site (withdrawn ones only if ``snapshot`` shows them), or 404."""
    if not participant_code.startswith(site_code + "-"):
        abort(404)
    found = snapshot.first("participants", code=participant_code)
    if found is None:
        abort(404)
    return found


@bp.route("/sitio/<site_code>/participantes/")
@site_access()
def roster_page(site_code):
    """Every man of the site, with attendance and the drop-out risk mark."""
    snapshot = get_site_store(site_code).read()
    group = request.args.get("grupo") or None
    search = "".join(ch for ch in (request.args.get("codigo") or "").upper() if ch.isascii() and not ch.isspace())[:30]
    status = request.args.get("estado") if request.args.get("estado") in STATUS_FILTERS else ""
    rows = [r for r in roster(snapshot, group) if search in r.code and (not status or STATUS_FILTERS[status][1](r))]
    # Men in the program first, newest groups first: those who left years ago come last.
    rows.sort(key=lambda r: r.code)
    rows.sort(key=lambda r: r.group_code, reverse=True)
    rows.sort(key=lambda r: r.status != "active")
    page = page_of(rows, request.args.get("pagina"))
    return render_template("staff/roster.html", site=g.site, rows=page.rows, page=page, groups=group_codes(snapshot),
                           group=group, at_risk=sum(r.at_risk for r in rows), search=search, status=status,
                           filtered=bool(search or status or group), total=len(rows),
                           status_filters={k: label for k, (label, _test) in STATUS_FILTERS.items()})


@bp.route("/sitio/<site_code>/seguimiento/")
@site_access()
def follow_up(site_code):
    """The men at risk of dropping out, to print and call."""
    snapshot = get_site_store(site_code).read()
    rows = [r for r in roster(snapshot) if r.at_risk]
    return render_template("staff/follow_up.html", site=g.site, rows=rows, today=clock.today(),
                           last=followup.last_attempts(snapshot), outcomes=followup.OUTCOMES)


@bp.route("/sitio/<site_code>/seguimiento/<participant_code>/intento", methods=["POST"])
@site_access(write=True)
def record_attempt(site_code, participant_code):
    """Record a call (or visit) to a man at risk: date, reached or not, what came of it."""
    store = get_site_store(site_code)
    participant_or_404(store.read(), site_code, participant_code)
    try:
        day = parse_date(request.form.get("date") or clock.today().isoformat())
        followup.record_attempt(store, participant_code, day, {"yes": True, "no": False}.get(request.form.get("reached")),
                                request.form.get("outcome", ""), g.user.username)
    except ValueError as exc:  # ProgramError, or a date that does not parse
        flash(f"{participant_code}: {exc.args[0]}", "error")
    else:
        flash(_("Call to %(code)s recorded.", code=participant_code), "success")
    back = request.form.get("back")
    if back == "man":
        return redirect(url_for("staff.participant_page", site_code=site_code, participant_code=participant_code))
    return redirect(url_for("staff.follow_up", site_code=site_code))


@bp.route("/sitio/<site_code>/participantes/nuevo", methods=["GET", "POST"])
@site_access(write=True)
def register_page(site_code):
    """Register a man: he gets the next code and a group."""
    store = get_site_store(site_code)
    form = RegisterForm()
    open_groups = [grp for grp in groups.listed(store.read(), g.site.sessions) if grp.is_open]
    form.group.choices = [SelectChoice("", _("Choose the group"))] + [
        SelectChoice(grp.code, _("%(group)s (first session %(day)s)", group=grp.code, day=short_date(grp.started_on)))
        for grp in open_groups]
    error = None
    if form.validate_on_submit():
        try:
            code = register(store, site_code, form.group.data, form.enrolled_on.data, g.user.username)
        except ProgramError as exc:
            error = field_error(form, exc, {"group": "group", "enrolled_on": "enrolled_on"})
        else:
            flash(_("%(code)s registered. Now do his entry interview.", code=code), "success")
            return redirect(url_for("staff.enter_questionnaire", site_code=site_code, participant_code=code,
                                    qid="facilitator_intake"))
    return render_template("staff/register.html", site=g.site, form=form, error=error,
                           has_groups=bool(open_groups)), (422 if error or form.errors else 200)


@bp.route("/sitio/<site_code>/participantes/<participant_code>/")
@site_access()
def participant_page(site_code, participant_code):
    """His file: registration, risk, every questionnaire with its answers, codes, sessions, exit, history."""
    snapshot = get_site_store(site_code).read()
    every = snapshot.with_withdrawn()
    participant = participant_or_404(every, site_code, participant_code)
    questionnaires = current_app.extensions["questionnaires"]
    catalog = current_app.extensions["form_catalog"]  # each answer read with the version he answered
    received = responses_of(snapshot, participant_code)
    group_sessions = sorted(list_sessions(snapshot, participant["group_code"]), key=lambda s: (s["date"], s["number"]))
    row = next((r for r in roster(snapshot) if r.code == participant_code), None)
    risk = (received.get("facilitator_intake") or {}).get("answers", {}).get("risk_level")
    withdrawn_responses = [r for r in every.find("responses", participant_code=participant_code)
                           if r.get("withdrawn") and not r["withdrawn"].get("with_participant")]
    return render_template(
        "staff/participant.html", site=g.site, participant=participant, row=row, sessions=group_sessions,
        received=received, questionnaires=questionnaires, risk=risk, withdrawn_responses=withdrawn_responses,
        answers={qid: _readable(catalog.of(qid, r.get("version")), r["answers"]) for qid, r in received.items()},
        current_versions={qid: form.version for qid, form in questionnaires.items()},
        in_progress=_in_progress(snapshot, site_code, participant_code, questionnaires),
        attempts=followup.attempts_of(snapshot, participant_code), outcomes=followup.OUTCOMES,
        today_date=clock.today(),
        codes=access_codes.codes_of(access_codes.codes_store(current_app.instance_path), site_code,
                                    participant_code),
        changes=history.of_participant(history.entries(snapshot, questionnaires, catalog.of), participant_code))


def _readable(questionnaire, answers: dict) -> list[tuple[str, str]]:
    """(question, answer) as a person reads them, for the questions he answered."""
    return [(localized(q.label), history.answer_text(q, answers[q.name])) for q in questionnaire.questions
            if q.name in answers]


def _in_progress(snapshot, site_code, participant_code, questionnaires) -> dict:
    """His unsent questionnaires that a working code can still open: where he is, never his answers."""
    codes = access_codes.codes_store(current_app.instance_path)
    found = {}
    for qid in access_codes.PARTICIPANT_QUESTIONNAIRES:
        draft = drafts.load(snapshot, participant_code, qid, questionnaires[qid])
        if draft.started and access_codes.has_live_code(codes, site_code, participant_code, qid):
            questionnaire = questionnaires[qid]
            position, total = drafts.progress(questionnaire, draft.answers,
                                              drafts.current_page(questionnaire, draft))
            found[qid] = {"position": position, "total": total, "saved_at": draft.saved_at}
    return found


@bp.route("/sitio/<site_code>/participantes/<participant_code>/codigo", methods=["POST"])
@site_access(write=True)
def issue_code(site_code, participant_code):
    """Print a slip with a one-time code for the man's own questionnaire."""
    snapshot = get_site_store(site_code).read()
    participant_or_404(snapshot, site_code, participant_code)
    qid = request.form.get("cuestionario")
    if qid not in access_codes.PARTICIPANT_QUESTIONNAIRES:
        abort(400)
    if qid in responses_of(snapshot, participant_code):
        flash(_("He already answered this questionnaire."), "error")
        return redirect(url_for("staff.participant_page", site_code=site_code, participant_code=participant_code))
    code, expires = access_codes.issue(access_codes.codes_store(current_app.instance_path), current_app.secret_key,
                                       site=site_code, participant_code=participant_code, questionnaire=qid,
                                       user=g.user.username)
    slip_id = secrets.token_urlsafe(8)
    # Post, redirect, get: a reload shows this same slip, it never issues (and kills) another code.
    kept = [s for s in session.get("slips", []) if s["participant"] != participant_code or s["qid"] != qid][-4:]
    session["slips"] = kept + [{"id": slip_id, "participant": participant_code, "qid": qid, "code": code,
                                "expires": expires.isoformat(timespec="seconds")}]
    return redirect(url_for("staff.code_slip", site_code=site_code, participant_code=participant_code,
                            slip_id=slip_id), 303)


@bp.route("/sitio/<site_code>/participantes/<participant_code>/papeleta/<slip_id>")
@site_access(write=True)
def code_slip(site_code, participant_code, slip_id):
    """The slip of a code just issued (it can be reloaded and printed again while this sign-in lasts)."""
    slip = next((s for s in session.get("slips", []) if s["id"] == slip_id and s["participant"] == participant_code),
                None)
    if slip is None:
        flash(_("That slip can no longer be shown (the code is shown only in the browser that issued it). The code "
                "on paper still works; if it was lost, give him a new one."), "error")
        return redirect(url_for("staff.participant_page", site_code=site_code, participant_code=participant_code))
    code = slip["code"]
    link = url_for("participant.from_qr", code=code, _external=True)
    return render_template("staff/slip.html", site=g.site, code=access_codes.display(code),
                           expires=slip["expires"], qr=_qr_svg(link, _("QR code that opens the questionnaire")),
                           link=link, address=url_for("participant.start", _external=True),
                           questionnaire=current_app.extensions["questionnaires"][slip["qid"]],
                           participant_code=participant_code)


def _qr_svg(data: str, label: str) -> Markup:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    return Markup(svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{Markup.escape(label)}" ', 1))


@bp.route("/sitio/<site_code>/participantes/<participant_code>/cuestionario/<qid>", methods=["GET", "POST"])
@site_access(write=True)
def enter_questionnaire(site_code, participant_code, qid):
    """The facilitator's interviews, or a man's questionnaire typed in from paper."""
    if qid not in PAPER + FACILITATOR:
        abort(404)
    store = get_site_store(site_code)
    snapshot = store.read()
    participant_or_404(snapshot, site_code, participant_code)
    questionnaire = current_app.extensions["questionnaires"][qid]
    if qid in responses_of(snapshot, participant_code):
        flash(_("This questionnaire was already received for %(code)s.", code=participant_code), "error")
        return redirect(url_for("staff.participant_page", site_code=site_code, participant_code=participant_code))
    form = form_class(questionnaire, str(get_locale()))()
    paper = qid in PAPER
    paper_date, paper_error = request.form.get("fecha_papel", ""), None
    if request.method == "POST":
        valid = form.validate()
        if paper:
            submitted_on, paper_error = typed_day(paper_date)
        else:
            submitted_on = answered_day(form, clock.today())
        if valid and submitted_on and not paper_error:
            try:
                save_response(store, Submission(questionnaire, participant_code, form.result.answers,
                                                "paper" if paper else "facilitator", g.user.username, submitted_on))
            except ProgramError as exc:
                flash(str(exc), "error")
            else:
                flash(_("Saved: %(name)s of %(code)s.", name=localized(questionnaire.title), code=participant_code),
                      "success")
            return redirect(url_for("staff.participant_page", site_code=site_code,
                                    participant_code=participant_code))
    status = 422 if request.method == "POST" else 200
    return render_template("staff/enter.html", site=g.site, questionnaire=questionnaire, form=form,
                           participant_code=participant_code, paper=paper, paper_date=paper_date,
                           paper_error=paper_error), status
