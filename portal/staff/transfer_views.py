"""A site's data as CSV files: download the export (full or de-identified), upload an import."""

from flask import abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from .. import clock, erasing, transfer
from ..db import get_site_store
from ..security import site_access
from ..transfer import pending
from .blueprint import bp

MAX_UPLOAD_BYTES = 16 * 1024 * 1024  # a site's files for many years; the rest of the portal keeps its 2 MB
DOWNLOADS = {"datos": False, "desidentificado": True}  # name in the address -> de-identified?
MODES = {"agregar": transfer.MERGE, "sincronizar": transfer.SYNC}  # the form's value -> the import's mode


@bp.url_value_preprocessor
def upload_limit(endpoint, values):
    # Runs before every before_request function, so the CSRF check that reads the body obeys it too.
    if endpoint == "staff.transfer_import":
        request.max_content_length = current_app.config.get("IMPORT_MAX_BYTES", MAX_UPLOAD_BYTES)


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error):
    if request.endpoint != "staff.transfer_import":
        return error
    return render_template("staff/upload_too_large.html", site_code=request.view_args["site_code"],
                           megabytes=_megabytes()), 413


@bp.route("/sitio/<site_code>/datos/")
@site_access(write=True)
def transfer_page(site_code):
    """Download the site's data as CSV files, or bring data in from them."""
    return _page()


@bp.route("/sitio/<site_code>/datos/<kind>.zip")
@site_access(write=True)
def transfer_export(site_code, kind):
    """The site's CSV files in one ZIP file; de-identified for analysts if asked."""
    if kind not in DOWNLOADS:
        abort(404)
    export = transfer.export_site(site_code, get_site_store(site_code).read(), current_app.extensions["questionnaires"],
                                  deidentified=DOWNLOADS[kind])
    response = make_response(transfer.zip_export(export))
    response.headers["Content-Type"] = "application/zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{site_code}-{kind}-{clock.today():%Y-%m-%d}.zip"'
    return response


@bp.route("/sitio/<site_code>/datos/importar", methods=["POST"])
@site_access(write=True)
def transfer_import(site_code):
    """Check the uploaded files: their problems, or (post, redirect, get) the page that shows what the import or
    sync would change. Nothing is written to the site yet."""
    uploads = [(f.filename, f.read()) for f in request.files.getlist("archivos") if f.filename]
    for f in request.files.getlist("archivos"):
        f.close()  # a large upload waits in a temporary file: let it go now
    mode = MODES.get(request.form.get("modo") or "agregar")  # a form of before the choice existed: add
    if mode is None:
        return _page(choose_error=_("Choose whether to add what is new or to sync with the site's export.")), 422
    if not uploads:
        return _page(choose_error=_("Choose the ZIP file or the CSV files to import."), mode=mode), 422
    questionnaires = current_app.extensions["questionnaires"]
    store = get_site_store(site_code)
    try:
        files = transfer.files_from(uploads, transfer.uncompressed_limit(current_app.config))
        del uploads
        outcome = transfer.preview(store.read(), g.site, questionnaires, files, mode)  # its problems, here and now
    except transfer.ImportRefused as exc:
        return _page(problems=exc.lines(), problem_count=exc.count, mode=mode), 422
    for_admin = bool(outcome.erasures) and not g.user.is_admin  # an erasure waits for an administrator
    token = pending.keep(current_app.instance_path, site_code, g.user.username, mode, files, for_admin)
    return redirect(url_for("staff.transfer_review", site_code=site_code, token=token), 303)


@bp.route("/sitio/<site_code>/datos/revisar/<token>")
@site_access(write=True)
def transfer_review(site_code, token):
    """What the files uploaded a moment ago would change, against the site as it is now (a page of its own, so
    that Back and reload show it again), with the buttons to confirm or cancel."""
    kept = pending.take(current_app.instance_path, token, site_code, g.user.username, g.user.is_admin)
    if kept is None:
        return _no_longer_valid(site_code)
    try:
        outcome = transfer.preview(get_site_store(site_code).read(), g.site, current_app.extensions["questionnaires"],
                                   kept.files, kept.mode)
    except transfer.ImportRefused as exc:
        pending.drop(current_app.instance_path, token)
        return _page(problems=exc.lines(), problem_count=exc.count, mode=kept.mode), 422
    return render_template("staff/transfer_preview.html", site=g.site, outcome=outcome, token=token, kept=kept,
                           waits_for_admin=bool(outcome.erasures) and not g.user.is_admin,
                           kinds=[(kind, transfer.KIND_LABELS[kind]) for kind in outcome.kinds])


def _no_longer_valid(site_code):
    flash(_("This check is no longer valid (it was confirmed or cancelled already, or more than an hour went by). "
            "Upload the files again."), "error")
    return redirect(url_for("staff.transfer_page", site_code=site_code))


@bp.route("/sitio/<site_code>/datos/confirmar", methods=["POST"])
@site_access(write=True)
def transfer_confirm(site_code):
    """Import (or sync) the files checked a moment ago, checking them again against the site as it is now."""
    token = request.form.get("token", "")
    kept = pending.take(current_app.instance_path, token, site_code, g.user.username, g.user.is_admin)
    if kept is None:
        return _no_longer_valid(site_code)
    try:
        outcome = transfer.carry_out(get_site_store(site_code), g.site, current_app.extensions["questionnaires"],
                                     kept.files, kept.mode, g.user.username, may_erase=g.user.is_admin)
    except transfer.ImportRefused as exc:
        if g.user.is_admin or not kept.for_admin:  # else it keeps waiting for an administrator
            pending.drop(current_app.instance_path, token)
        return _page(problems=exc.lines(), problem_count=exc.count, mode=kept.mode), 422
    pending.drop(current_app.instance_path, token)
    if outcome.erasures:
        erasing.clear_traces(current_app.instance_path, site_code, outcome.manifest.erased)
    flash(outcome.message(), "success")
    return redirect(url_for("staff.transfer_page", site_code=site_code))


@bp.route("/sitio/<site_code>/datos/cancelar", methods=["POST"])
@site_access(write=True)
def transfer_cancel(site_code):
    token = request.form.get("token", "")
    if pending.take(current_app.instance_path, token, site_code, g.user.username, g.user.is_admin) is not None:
        pending.drop(current_app.instance_path, token)
    flash(_("Nothing was imported."), "success")
    return redirect(url_for("staff.transfer_page", site_code=site_code))


def _page(problems=None, problem_count=0, choose_error=None, mode=None):
    questionnaires = current_app.extensions["questionnaires"]
    layout = [(f"{table}.csv", transfer.columns(table, questionnaires)) for table in transfer.TABLES]
    snapshot = get_site_store(g.site.code).read()
    left_out = transfer.left_out_answers(snapshot, questionnaires)
    synced = transfer.held(snapshot)
    waiting = pending.waiting_for_admin(current_app.instance_path, g.site.code)
    return render_template("staff/transfer.html", site=g.site, layout=layout, problems=problems,
                           problem_count=problem_count, choose_error=choose_error, megabytes=_megabytes(),
                           left_out=left_out, synced=synced, waiting=waiting, is_admin=g.user.is_admin,
                           mode=mode or (transfer.SYNC if synced else transfer.MERGE))  # a state's portal syncs



def _megabytes() -> int:
    return current_app.config.get("IMPORT_MAX_BYTES", MAX_UPLOAD_BYTES) // (1024 * 1024)
