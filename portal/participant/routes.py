"""A man's questionnaire: his code, then one part per address, each saved as he sends it.

Every POST ends in a redirect to a GET (post, redirect, get): the phone's Back button shows
the previous part with his answers, a reload shows the same part, and no browser asks to
send a form again. The answers live in the draft on the server (``drafts.py``); the
session cookie only says which code he typed.
"""
import secrets
import threading
import time
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    g,
    get_flashed_messages,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from .. import access_codes, answering, clock, drafts
from ..auth.routes import end_session
from ..db import get_registry, get_site_store
from ..participants import ProgramError
from ..questionnaire_form import form_class
from ..registry import get_site
from ..storage import StoreError
from ..throttle import Door, Throttle, throttle_store
from ..transfer import pending
from .blueprint import bp
from .listening import page_audio

KIOSK_COOKIE = "tableta"
KIOSK_IDLE_SECONDS = 15 * 60  # a man who walks away: the tablet goes back to the start
KIOSK_THANKS_SECONDS = 12
AWAY_SECONDS = 30 * 60  # away this long, his unsent answers open only with his code typed again
PREFIXES = ("/cuestionario/", "/c/")  # every address a man sees


@bp.record_once
def _setup(state) -> None:
    css = (Path(state.app.static_folder) / "participant.css").read_text(encoding="utf-8")
    state.app.extensions["participant_css"] = Markup(css)
    state.app.extensions["draft_sweep"] = {"last": None, "lock": threading.Lock()}


@bp.before_app_request
def sweep_drafts() -> None:
    """Now and then, remove the drafts that no working code can open any more (codes expire on their own)."""
    sweep = current_app.extensions["draft_sweep"]
    now = time.monotonic()
    if sweep["last"] is not None and now - sweep["last"] < current_app.config["DRAFT_SWEEP_SECONDS"]:
        return
    if not sweep["lock"].acquire(blocking=False):
        return  # another request of this process is sweeping
    try:
        sweep["last"] = now
        removed = drafts.sweep(current_app.instance_path)
        pending.sweep(current_app.instance_path)  # uploads nobody confirmed within the hour hold men's data too
        if removed:
            current_app.logger.info("%s drafts removed: no working code was left for them", removed)
    except StoreError as exc:  # never stop a page for this; the next sweep tries again
        current_app.logger.error("drafts not swept: %s", exc)
    finally:
        sweep["lock"].release()


def is_participant_request() -> bool:
    """Pages and errors a man sees get his plain layout, never the staff one."""
    return request.path.startswith(PREFIXES)


def code_throttles() -> list[tuple[Throttle, str]]:
    """Wrong codes: 10 in 10 minutes from one browser, 100 from one address (a health centre's
    tablets share one address: one man's mistakes must not lock the others out)."""
    store = throttle_store(current_app.instance_path)
    device = session.setdefault("device", secrets.token_urlsafe(12))
    address = request.remote_addr or "?"
    return [(Throttle(store, "code", 10, 10 * 60), f"{address}|{device}"),
            (Throttle(store, "code-address", 100, 10 * 60), address)]


def kiosk() -> bool:
    return request.cookies.get(KIOSK_COOKIE) == "1"


def codes():
    return access_codes.codes_store(current_app.instance_path)


def render(template, status=200, **context):
    css = current_app.extensions["participant_css"]
    return make_response(render_template(template, kiosk=kiosk(), participant_css=css,
                                         kiosk_idle=KIOSK_IDLE_SECONDS, **context), status)


def to_start(message: str | None = None, code: str = ""):
    """Back to the code page (303: the browser follows with a GET), with a message for him."""
    if message:
        flash(message, "participant")
    if code:
        flash(code, "participant_code")
    return redirect(url_for("participant.start"), 303)


def _sign_out_staff() -> None:
    """A man typing his code must never end up inside a staff member's session."""
    if session.get("user"):
        current_app.logger.info("staff session of %s ended: a code was typed in its browser", session["user"])
        end_session()


@bp.route("/cuestionario/", methods=["GET", "POST"])
def start():
    """Where a man types his code."""
    if request.method == "GET":
        errors = get_flashed_messages(category_filter=["participant"])
        typed = get_flashed_messages(category_filter=["participant_code"])
        return render("participant/start.html", error=errors[0] if errors else None,
                      code=typed[0] if typed else "", staff=g.user, resume=_keep_or_forget())
    code = request.form.get("codigo", "")
    _sign_out_staff()
    throttles = code_throttles()
    door = Door(throttles[0][0].store)
    claim = door.claim(throttles, [], throttles[-1])  # checked and counted in one write: no race past the limit
    if claim.wait:
        return to_start(ngettext("Too many codes were tried from this device. Wait %(num)s minute and try again.",
                                 "Too many codes were tried from this device. Wait %(num)s minutes and try again.",
                                 max(1, round(claim.wait / 60))), code[:20])
    try:
        record = access_codes.check(codes(), current_app.secret_key, code)
    except ProgramError as exc:
        return to_start(str(exc), code[:20])
    door.succeeded(claim)
    session["answering"] = {"digest": record.digest, "site": record.site, "participant": record.participant_code,
                            "questionnaire": record.questionnaire, "seen": _now()}
    session.pop("answered", None)
    opened = Opened()  # straight to the part he reached: one round trip less on a slow phone
    return redirect(part_url(drafts.current_page(opened.questionnaire, opened.draft)), 303)


def _keep_or_forget() -> bool:
    """Back at the code page: on a shared tablet nothing of the last man stays open; on his own
    phone (he pressed Back from part 1) he may go on where he was. True when he may."""
    session.pop("answered", None)
    if kiosk() or not session.get("answering") or _away():
        session.pop("answering", None)
        return False
    try:
        access_codes.check_digest(codes(), session["answering"]["digest"])
    except ProgramError:
        session.pop("answering", None)
        return False
    return True


@bp.route("/c/<code>")
def from_qr(code):
    """The address in the QR code: the start page with the code already written."""
    normalised = access_codes.normalise(code)
    return render("participant/start.html", code=access_codes.display(normalised) if normalised else code[:20],
                  error=None, staff=g.user, resume=_keep_or_forget())


def _now() -> int:
    return int(clock.now().timestamp())


def _away() -> bool:
    """Nobody used his open questionnaire for half an hour: the page may be reopened from the phone's history
    by someone else (in this program, perhaps his partner)."""
    seen = (session.get("answering") or {}).get("seen", 0)
    return _now() - seen > AWAY_SECONDS


class Opened:
    """The questionnaire a man opened with a code that still works, and his draft of it."""

    def __init__(self):
        answering = session.get("answering")
        if not answering or _away():
            session.pop("answering", None)
            if session.get("answered"):
                abort(redirect(url_for("participant.thanks"), 303))
            abort(to_start(_("To go on, write your code again. The answers you already gave are saved.")))
        session["answering"] = {**answering, "seen": _now()}  # he is here: the half hour starts again
        try:
            access_codes.check_digest(codes(), answering["digest"])
        except ProgramError as exc:
            session.pop("answering", None)
            abort(to_start(str(exc)))
        self.digest = answering["digest"]
        self.participant = answering["participant"]
        self.questionnaire = current_app.extensions["questionnaires"][answering["questionnaire"]]
        site = get_site(get_registry(), answering["site"])
        clock.use_zone(site.time_zone if site else None)  # the day he answers is the site's day
        self.store = get_site_store(answering["site"])
        snapshot = self.store.read()
        if snapshot.first("participants", code=self.participant) is None:  # withdrawn or erased meanwhile
            session.pop("answering", None)
            abort(to_start(_("That code is not right. Check each letter and number and try again.")))
        if snapshot.first("responses", participant_code=self.participant, questionnaire=self.questionnaire.id):
            # Stored already (sent, or typed in from paper): the code is spent even if marking it was cut short.
            self.finish()
            abort(to_start(str(access_codes.already_used())))
        self.draft = drafts.load(snapshot, self.participant, self.questionnaire.id, self.questionnaire)

    def finish(self) -> None:
        try:
            access_codes.mark_used(codes(), self.digest)
        except StoreError as exc:  # the site's file already holds the answers: the code cannot open them again
            current_app.logger.error("code not marked used (the response is stored): %s", exc)
        session.pop("answering", None)


def part_url(index: int) -> str:
    return url_for("participant.part", number=index + 1)


@bp.route("/cuestionario/preguntas")
def resume():
    """The part he reached (where a code leads, and the old address of the questionnaire)."""
    opened = Opened()
    return redirect(part_url(drafts.current_page(opened.questionnaire, opened.draft)), 303)


@bp.route("/cuestionario/parte/<int:number>", methods=["GET", "POST"])
def part(number):
    """One part of the questionnaire: GET shows it with his saved answers, POST saves it."""
    opened = Opened()
    questionnaire, draft, index = opened.questionnaire, opened.draft, number - 1
    if not drafts.may_open(questionnaire, draft, index):
        return redirect(part_url(drafts.current_page(questionnaire, draft)), 303)
    if request.method == "GET":
        return _show(questionnaire, draft, index)
    page = questionnaire.pages[index]
    raw = {q.name: request.form.getlist(q.name) if q.type == "select_multiple" else request.form.get(q.name)
           for q in page.questions if questionnaire.is_relevant(q, draft.answers)}
    try:
        target = answering.save_part(opened.store, questionnaire, opened.participant, index, raw,
                                     request.form.get("accion") == "atras", clock.today())
    except ProgramError as exc:  # received meanwhile (typed in from paper), or he is no longer at the site
        opened.finish()
        return to_start(str(exc))
    if target == answering.SENT:
        opened.finish()
        session["answered"] = True
        return redirect(url_for("participant.thanks"), 303)
    return redirect(part_url(target), 303)


def _show(questionnaire, draft, index):
    cls = form_class(questionnaire, str(get_locale()))
    rejected = draft.rejected if draft.rejected and draft.rejected.get("page") == index else None
    if rejected:  # what he typed that a rule refused, with the messages, until he sends this part again
        form = cls(formdata=MultiDict([(name, v) for name, value in rejected["raw"].items() if value is not None
                                       for v in (value if isinstance(value, list) else [value])]))
        for name, message in rejected["errors"].items():
            form[name].errors = [message]
    else:
        form = cls(formdata=None, data=draft.answers)
    page = questionnaire.pages[index]
    items = [(q, form[q.name] if q.answerable else None) for q in page.items
             if questionnaire.is_relevant(q, draft.answers)]
    position, total = drafts.progress(questionnaire, draft.answers, index)
    final = drafts.total_is_final(questionnaire, draft.answers, index)  # else "Part 4 of 7" could become "5 of 6"
    is_last = not any(questionnaire.page_shown(p, draft.answers) for p in questionnaire.pages[index + 1:])
    has_previous = any(questionnaire.page_shown(p, draft.answers) for p in questionnaire.pages[:index])
    return render("participant/page.html", form=form, questionnaire=questionnaire, page=page, items=items,
                  position=position, total=total, final=final, is_last=is_last, has_previous=has_previous,
                  has_errors=bool(rejected), action=part_url(index), first=not has_previous,
                  audio=page_audio(questionnaire))


@bp.route("/cuestionario/gracias")
def thanks():
    """Thanks; on a tablet in kiosk mode, back to the start for the next man."""
    return render("participant/thanks.html", thanks_seconds=KIOSK_THANKS_SECONDS)


@bp.route("/cuestionario/tableta", methods=["POST"])
def kiosk_mode():
    """A facilitator turns this browser into a shared tablet (or back)."""
    if g.user is None or g.user.role not in ("facilitator", "admin"):
        return redirect(url_for("auth.login"))
    turn_on = request.form.get("activar") == "1"
    response = redirect(url_for("participant.start") if turn_on else url_for("staff.home"))
    if turn_on:
        end_session()  # the tablet must not stay signed in as staff
        response.set_cookie(KIOSK_COOKIE, "1", max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    else:
        response.delete_cookie(KIOSK_COOKIE)
    return response
