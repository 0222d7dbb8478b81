from datetime import date
from pathlib import Path

from markupsafe import Markup

from flask import current_app, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _

from .. import access_codes
from ..db import get_site_store
from ..participants import ProgramError
from ..questionnaire_form import form_class
from ..responses import save_response
from ..throttle import Throttle
from . import bp

KIOSK_COOKIE = "tableta"
KIOSK_IDLE_SECONDS = 15 * 60  # a man who walks away: the tablet goes back to the start
KIOSK_THANKS_SECONDS = 12


@bp.record_once
def _setup(state) -> None:
    # Wrong codes from one address: 10 in 10 minutes, then wait.
    state.app.extensions["code_throttle"] = Throttle(limit=10, window_seconds=10 * 60)
    css = (Path(state.app.static_folder) / "participant.css").read_text(encoding="utf-8")
    state.app.extensions["participant_css"] = Markup(css)


def kiosk() -> bool:
    return request.cookies.get(KIOSK_COOKIE) == "1"


def codes():
    return access_codes.codes_store(current_app.instance_path)


def render(template, status=200, **context):
    css = current_app.extensions["participant_css"]
    return make_response(render_template(template, kiosk=kiosk(), participant_css=css, **context), status)


@bp.route("/cuestionario/", methods=["GET", "POST"])
def start():
    """Where a man types his code."""
    error = None
    code = request.form.get("codigo", "")
    if request.method == "GET":
        session.pop("answering", None)  # back at the start: nothing of the last man stays open
    else:
        throttle = current_app.extensions["code_throttle"]
        key = request.remote_addr or "?"
        wait = throttle.wait_seconds(key)
        if wait:
            error = _("Too many codes were tried from this device. Wait %(minutes)s minutes and try again.",
                      minutes=max(1, round(wait / 60)))
        else:
            try:
                record = access_codes.check(codes(), current_app.secret_key, code)
            except ProgramError as exc:
                throttle.failed(key)
                error = str(exc)
            else:
                session["answering"] = {"digest": record.digest, "site": record.site,
                                        "participant": record.participant_code,
                                        "questionnaire": record.questionnaire}
                return redirect(url_for("participant.answer"))
    return render("participant/start.html", 401 if error else 200, error=error, code=code)


@bp.route("/c/<code>")
def from_qr(code):
    """The address in the QR code: the start page with the code already written."""
    session.pop("answering", None)
    return render("participant/start.html", code=access_codes.display(access_codes.normalise(code))
                  if access_codes.normalise(code) else code[:20], error=None)


def _questionnaire():
    answering = session.get("answering")
    if not answering:
        return None, None
    return answering, current_app.extensions["questionnaires"][answering["questionnaire"]]


@bp.route("/cuestionario/preguntas", methods=["GET", "POST"])
def answer():
    """The questionnaire, one short page at a time; answers so far travel in the form."""
    answering, questionnaire = _questionnaire()
    if questionnaire is None:
        return redirect(url_for("participant.start"))
    form = form_class(questionnaire, str(get_locale()))()
    pages = questionnaire.pages
    if request.method == "GET":
        return _page(form, questionnaire, 0, {})
    try:
        current = min(max(int(request.form.get("pagina", "0")), 0), len(pages) - 1)
    except ValueError:
        current = 0
    result = questionnaire.validate(form.raw_answers())
    answers = result.answers
    if request.form.get("accion") == "atras":
        previous = [p.index for p in pages[:current] if questionnaire.page_shown(p, answers)]
        return _page(form, questionnaire, previous[-1] if previous else 0, answers)

    # Errors on this page or before it are shown on the first page that has one.
    names_so_far = {q.name: p.index for p in pages[:current + 1] for q in p.questions}
    errors = {n: m for n, m in result.errors.items() if n in names_so_far}
    if errors:
        first = min(names_so_far[n] for n in errors)
        for name, message in errors.items():
            form[name].errors = [message]
        return _page(form, questionnaire, first, answers, status=422)
    following = [p.index for p in pages[current + 1:] if questionnaire.page_shown(p, answers)]
    if following:
        return _page(form, questionnaire, following[0], answers)
    if not result.ok:  # the whole submission was judged above; CSRFProtect guards every POST
        for name, message in result.errors.items():
            form[name].errors = [message]
        return _page(form, questionnaire, current, answers, status=422)
    try:
        save_response(get_site_store(answering["site"]), questionnaire, answering["participant"],
                      answers, "self", None, date.today())
    except ProgramError as exc:
        session.pop("answering", None)
        return render("participant/start.html", 409, error=str(exc), code="")
    access_codes.mark_used(codes(), answering["digest"])
    session.pop("answering", None)
    return redirect(url_for("participant.thanks"))


def _page(form, questionnaire, index, answers, status=200):
    page = questionnaire.pages[index]
    shown = [p for p in questionnaire.pages if questionnaire.page_shown(p, answers)
             or p.index > index]  # later pages may still appear: count them
    position = next((i for i, p in enumerate(shown, start=1) if p.index == index), 1)
    on_page = {q.name for q in page.questions}
    carried = [(q, form[q.name]) for q in questionnaire.questions
               if q.name not in on_page and q.name in answers]
    items = [(q, form[q.name] if q.answerable else None) for q in page.items
             if questionnaire.is_relevant(q, answers)]
    is_last = not any(questionnaire.page_shown(p, answers) for p in questionnaire.pages[index + 1:])
    return render("participant/page.html", status, form=form, questionnaire=questionnaire, page=page,
                  items=items, carried=carried, answers=answers, position=position, total=len(shown),
                  is_last=is_last,
                  has_previous=any(questionnaire.page_shown(p, answers) for p in questionnaire.pages[:index]))


@bp.route("/cuestionario/gracias")
def thanks():
    """Thanks; on a tablet in kiosk mode, back to the start for the next man."""
    return render("participant/thanks.html")


@bp.route("/cuestionario/tableta", methods=["POST"])
def kiosk_mode():
    """A facilitator turns this browser into a shared tablet (or back)."""
    if g.user is None or g.user.role not in ("facilitator", "admin"):
        return redirect(url_for("auth.login"))
    turn_on = request.form.get("activar") == "1"
    response = redirect(url_for("participant.start") if turn_on else url_for("staff.home"))
    if turn_on:
        lang = session.get("lang")
        session.clear()  # the tablet must not stay signed in as staff
        if lang:
            session["lang"] = lang
        response.set_cookie(KIOSK_COOKIE, "1", max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    else:
        response.delete_cookie(KIOSK_COOKIE)
    return response
