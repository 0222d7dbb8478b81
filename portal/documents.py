"""The printed documents (the monthly sheet, the paper questionnaires): a template rendered in Spanish, then a PDF.

``render_document`` is the one place a document's template is rendered, whether a facilitator downloads it (in a
request) or a command writes it (``flask sheets``, ``flask paper``, a forked worker: outside any request). What
it needs is an app context alone, which every command has (``with_appcontext``): a document's template uses no
``request``, ``session`` or ``url_for``, and finds its stylesheet and images through WeasyPrint's base URL
(``STATIC``), not through a URL of the portal. So no request is faked to render one; a document template that
called ``url_for`` would fail in the commands at once ("Unable to build URLs outside an active request"), which
is what their tests would show.
"""
from __future__ import annotations

from pathlib import Path

from flask import render_template
from flask_babel import force_locale

STATIC = Path(__file__).resolve().parent / "static"


def render_document(template: str, **context) -> str:
    """The document's HTML, in Spanish whatever the interface language (PRODUCT.md section 7)."""
    with force_locale("es"):
        return render_template(template, **context)


def html_to_pdf(html: str) -> bytes:
    # imported here: WeasyPrint takes a good part of a second to import, and start-up, the pages that never print
    # and most commands stay light without it
    from weasyprint import HTML

    return HTML(string=html, base_url=str(STATIC) + "/").write_pdf()


def document_pdf(template: str, **context) -> bytes:
    return html_to_pdf(render_document(template, **context))
