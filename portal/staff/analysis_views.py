"""Downloads for analysts: a site's data (full or de-identified) and the de-identified national data, as a ZIP of
an Excel workbook, SPSS and Stata files and the codebook."""

from flask import abort, current_app, make_response

from .. import analysis, clock
from ..db import get_site_store
from ..security import roles_required, site_access
from ..storage import StoreError
from .blueprint import bp
from .transfer_views import DOWNLOADS


def _zip_response(files: dict[str, bytes], name: str):
    response = make_response(analysis.zip_files(files))
    response.headers["Content-Type"] = "application/zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{clock.today():%Y-%m-%d}.zip"'
    return response


@bp.route("/sitio/<site_code>/datos/analisis-<kind>.zip")
@site_access(write=True)
def analysis_export(site_code, kind):
    """The site's data for SPSS, Stata, R or Excel, with every label, and its codebook; de-identified if asked."""
    if kind not in DOWNLOADS:
        abort(404)
    snapshot = get_site_store(site_code).read()
    files = analysis.site_files(site_code, snapshot, current_app.extensions["form_versions"], analysis.ANALYST_FORMATS,
                                deidentified=DOWNLOADS[kind], revision=analysis.revision_of(snapshot))
    return _zip_response(files, f"{site_code}-analisis-{kind}")


@bp.route("/coordinacion/datos-nacionales.zip")
@roles_required("admin", "coordinator")
def national_analysis_export():
    """Every site's men, de-identified and pooled by state, for analysts."""
    try:
        files = analysis.national_files(analysis.national_sites(current_app.instance_path),
                                        current_app.extensions["form_versions"], analysis.ANALYST_FORMATS)
    except StoreError:
        abort(503)
    return _zip_response(files, "nacional-desidentificado")
