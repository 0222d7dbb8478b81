"""The questionnaires' speech: every text a man reads, spoken (issue 24).

``texts`` lists what is spoken and names each clip; ``synth`` makes the synthetic clips
offline (espeak-ng, then Opus by ffmpeg); ``recordings`` keeps the program's own recorded
voices, which replace the synthetic ones; ``catalogue`` tells a page which clip to play.

Where they live: synthetic clips are generated output, rebuilt from ``forms/`` at will, under
``instance/cache/audio/`` (``AUDIO_FOLDER``), left out of backups; recordings are data a person
made, under ``instance/recordings/``, and travel with backups. Recordings are kept for the
whole portal, not per site: the questionnaires are the portal's, one administrator manages them,
and one voice recorded once then serves every site.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from ..commands import cannot_write
from ..questionnaires import load_questionnaire
from .catalogue import Catalogue
from .recordings import Recordings
from .synth import SynthesisError, build
from .texts import spoken_texts

PRACTICE_FILE = Path(__file__).with_name("practice.yaml")


def init_app(app: Flask) -> None:
    app.config.setdefault("AUDIO_FOLDER", os.path.join(app.instance_path, "cache", "audio"))
    practice = load_questionnaire(PRACTICE_FILE)
    app.extensions["practice"] = practice
    app.extensions["audio"] = Catalogue(app.extensions["questionnaires"], Path(app.config["AUDIO_FOLDER"]),
                                        Recordings(Path(app.instance_path)), extra=spoken_texts(practice))


def catalogue() -> Catalogue:
    return current_app.extensions["audio"]


@click.command("audio")
@with_appcontext
def audio_command() -> None:
    """Write the speech of every text a man reads in the questionnaires (only what is missing)."""
    with force_locale("es"):
        audio = catalogue()
        started = time.perf_counter()
        try:
            built = build(audio.synthetic, audio.all_texts())
        except SynthesisError as exc:
            if exc.missing:
                raise click.ClickException(_("The program %(program)s is missing: install the Debian packages "
                                             "espeak-ng and ffmpeg (make run installs them).",
                                             program=exc.missing)) from None
            raise click.ClickException(_("The audio of «%(text)s» could not be made (%(problem)s). The clips made "
                                         "before it are kept.", text=exc.text, problem=exc.detail)) from None
        except OSError as exc:
            raise click.ClickException(cannot_write(exc, audio.synthetic)) from None
        click.echo(_("%(total)s clips for %(texts)s texts in %(folder)s: %(made)s made, %(linked)s taken from an "
                     "earlier version, %(kept)s already there (%(seconds)s s).", total=built.total,
                     texts=len(audio.all_texts()), folder=audio.synthetic, made=built.made, linked=built.linked,
                     kept=built.kept, seconds=f"{time.perf_counter() - started:.1f}"))
