from datetime import date
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
    send_file,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from .. import clock
from ..db import get_registry, get_site_store
from ..i18n import last_complete_month, parse_month
from ..indicators import compute, from_snapshot
from ..labels import SITE_PAGE
from ..numbers import count as number_of
from ..overview import record_sheet_printed
from ..participants import roster
from ..questionnaire_form import form_class
from ..registry import list_sites
from ..security import roles_required, site_access
from .blueprint import bp


@bp.app_template_global()
def rule_describer(questionnaire):
    """Skip rules in plain Spanish for the facilitator (the rule itself in other languages)."""
    from ..rule_text import describe

    if str(get_locale()) != "es":
        return lambda expr: expr.source
    return lambda expr: describe(expr.tree, questionnaire)


@bp.app_template_global()
def who_did(user: str | None) -> str:
    """Who made a change, as staff read it: the man himself, a command, or a user name."""
    return {"participant": _("the man himself (his own questionnaire)"), "cli": _("a command on the server")}.get(
        user or "", user or "")


@bp.app_template_global()
def page_url(number: int) -> str:
    """This address with the filters it has, on another page of its list."""
    args = {**request.args.to_dict(), "pagina": number}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def questionnaires():
    return current_app.extensions["questionnaires"]


@bp.route("/")
def home():
    """Send each person to where their work is."""
    if g.user is None:
        return redirect(url_for("auth.login"))
    if g.user.role == "facilitator":
        return redirect(url_for("staff.site_home", site_code=g.user.site))
    return redirect(url_for("staff.sites"))


@bp.route("/sitios/")
@roles_required("admin", "coordinator")
def sites():
    """Every site, by state."""
    return render_template("staff/sites.html", sites=list_sites(get_registry()))


@bp.route("/sitio/<site_code>/")
@site_access()
def site_home(site_code):
    """A site's front page."""
    snapshot = get_site_store(site_code).read()
    counts = {name: snapshot.count(name) for name in ("participants", "sessions", "responses")}
    rows = roster(snapshot)
    counts["active"] = sum(r.status == "active" for r in rows)
    counts["at_risk"] = sum(r.at_risk for r in rows)
    month, month_error = clock.today().strftime("%Y-%m"), None
    if request.args.get("mes"):
        try:
            month = parse_month(request.args["mes"])
        except ValueError as exc:
            month_error = str(exc)
    data = from_snapshot(g.site.code, g.site.state, g.site.sessions, snapshot)
    indicators = compute([data], month, clock.today().isoformat())
    sheet_error = get_flashed_messages(category_filter=["month"])
    sheet_typed = get_flashed_messages(category_filter=["month_typed"])
    return render_template("staff/site_home.html", site=g.site, counts=counts, month=month, ind=indicators,
                           figures=SITE_PAGE,
                           sheet_month=last_complete_month(clock.today()), month_error=month_error,
                           sheet_error=sheet_error[0] if sheet_error else None,
                           sheet_typed=sheet_typed[0] if sheet_typed else "",
                           typed=request.args.get("mes", "")), 422 if month_error else 200


@bp.route("/coordinacion/")
@roles_required("admin", "coordinator")
def overview():
    """Every site for a chosen month: men enrolled, active, at risk, high risk, sessions, sheet printed."""
    from ..overview import site_month, totals
    from ..states import STATES

    month, error = clock.today().strftime("%Y-%m"), None
    if request.args.get("mes"):
        try:
            month = parse_month(request.args["mes"])
        except ValueError as exc:
            error = str(exc)
    rows = [site_month(site, get_site_store(site.code), month) for site in list_sites(get_registry())]
    states, country = totals(rows, STATES, _("Whole country"))
    summary = _summary_zip()
    built = date.fromtimestamp(summary.stat().st_mtime) if summary.exists() else None
    return render_template("staff/overview.html", rows=rows, states=states, country=country, month=month,
                           error=error, summary_built=built,
                           typed=request.args.get("mes", "")), 422 if error else 200


@bp.route("/coordinacion/resumen.zip")
@roles_required("admin", "coordinator")
def summary_zip():
    """The latest static summary, as built by flask --app portal freeze (or the button below)."""
    path = _summary_zip()
    if not path.exists():
        abort(404)
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name="resumen.zip",
                     max_age=0)


def _summary_zip() -> Path:
    folder = Path(current_app.config["SUMMARY_FOLDER"])
    return folder.with_name(folder.name + ".zip")


@bp.route("/coordinacion/resumen", methods=["POST"])
@roles_required("admin")
def rebuild_summary():
    """Build the static summary again from every site (a few seconds for a state; about a minute nationally)."""
    from ..freeze import build

    out = Path(current_app.config["SUMMARY_FOLDER"])
    report = build(current_app.instance_path, list_sites(get_registry()), questionnaires(), out,
                   current_app.config["SUPPRESSION_K"])
    flash(_("Summary built again: %(pages)s of %(sites)s.",
            pages=ngettext("%(count)s page", "%(count)s pages", report.pages, count=number_of(report.pages)),
            sites=ngettext("%(count)s site", "%(count)s sites", report.sites, count=number_of(report.sites))),
          "success")
    for code, problem in report.skipped:
        flash(_("The site %(code)s was left out: its data file cannot be used (%(problem)s). Restore it from a "
                "backup.", code=code, problem=problem), "error")
    return redirect(url_for("staff.overview"))


@bp.route("/cuestionarios/")
@roles_required("admin", "facilitator", "coordinator")
def questionnaire_list():
    """The questionnaires that can be previewed."""
    return render_template("staff/questionnaires.html", questionnaires=questionnaires().values())


@bp.route("/cuestionarios/<qid>/vista-previa", methods=["GET", "POST"])
@roles_required("admin", "facilitator", "coordinator")
def preview(qid):
    """Fill a questionnaire to see its questions and rules; nothing is stored."""
    questionnaire = questionnaires().get(qid)
    if questionnaire is None:
        abort(404)
    form = form_class(questionnaire, str(get_locale()))()
    checked = request.method == "POST" and form.validate()
    status = 422 if request.method == "POST" and not checked else 200
    return render_template("staff/preview.html", questionnaire=questionnaire, form=form, checked=checked), status


@bp.route("/cuestionarios/<qid>/papel.pdf")
@roles_required("admin", "facilitator", "coordinator")
def paper(qid):
    """The blank questionnaire to print, with the skip rules written out; ``?version=`` an earlier version kept."""
    from ..paper import paper_pdf

    questionnaire = questionnaires().get(qid)
    version = request.args.get("version")
    if version and questionnaire is not None:
        questionnaire = current_app.extensions["form_catalog"].kept.get(qid, {}).get(version)
    if questionnaire is None:
        abort(404)
    response = make_response(paper_pdf(questionnaire))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="cuestionario-{qid}.pdf"'
    return response


@bp.route("/sitio/<site_code>/hoja-mensual", methods=["GET", "POST"])
@site_access()
def monthly_sheet(site_code):
    """The monthly monitoring sheet of the site, as PDF. The site's form posts, and only then is the printing
    remembered (a GET, a link or a reload, never changes anything)."""
    from ..sheets import sheet_filename, sheet_pdf

    try:
        month = parse_month(request.values.get("mes") or last_complete_month(clock.today()))
    except ValueError as exc:
        flash(str(exc), "month")
        flash(request.values.get("mes", "")[:40], "month_typed")
        return redirect(url_for("staff.site_home", site_code=site_code))
    store = get_site_store(site_code)
    pdf = sheet_pdf(g.site, store.read(), month)
    if request.method == "POST" and g.user.can_write_site(site_code):  # the overview says the sheet was printed
        record_sheet_printed(store, month, g.user.username)
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{sheet_filename(site_code, month)}"'
    return response
