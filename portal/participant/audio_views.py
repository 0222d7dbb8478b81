"""What a man hears: the clips of the questionnaire's texts, and a practice question that is not stored.

Clips hold only the questionnaire's own words: any browser may fetch them without a code, and
keep them a year (a changed text or a new recording is a new address).
"""
from __future__ import annotations

from flask import abort, current_app, send_file
from flask_babel import get_locale

from ..audio import catalogue
from ..questionnaire_form import form_class
from .blueprint import bp
from .listening import page_audio
from .routes import render

YEAR = 365 * 24 * 3600


@bp.route("/cuestionario/audio/<name>")
def clip(name):
    """One clip (synthetic or recorded), cached by the browser for a year."""
    path = catalogue().path(name)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="audio/ogg", max_age=YEAR, conditional=True, etag=True)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


@bp.route("/cuestionario/practica")
def practice():
    """A practice question to learn the 'Listen' control and set the volume; its answer goes nowhere."""
    questionnaire = current_app.extensions["practice"]
    form = form_class(questionnaire, str(get_locale()))(formdata=None)
    items = [(q, form[q.name]) for q in questionnaire.items]
    return render("participant/practice.html", items=items, audio=page_audio(questionnaire))
