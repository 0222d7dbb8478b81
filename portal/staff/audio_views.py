"""The questionnaires' voices (issue 24): an administrator hears every text a man can listen to, and
replaces its synthetic speech with the program's own recording, or removes that recording."""
from __future__ import annotations

from flask import abort, current_app, flash, g, get_flashed_messages, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..audio import catalogue
from ..audio.recordings import LONGEST_SECONDS, RecordingError
from ..audio.texts import participant_forms
from ..security import roles_required
from .blueprint import bp


def _reasons() -> dict[str, str]:
    return {
        "not_audio": _("The file is not a recording the portal can read. Upload a recording in MP3, M4A, OGG, "
                       "OPUS, WEBM, WAV, AMR or FLAC."),
        "too_long": _("The recording lasts more than %(n)s seconds. Record only the text shown.", n=LONGEST_SECONDS),
        "too_short": _("The recording is too short to hold the text."),
        "silent": _("The recording is silent. Check the microphone and record again."),
    }


def spoken_forms() -> dict:
    """The questionnaires a man hears, and the practice question before them."""
    forms = participant_forms(current_app.extensions["questionnaires"]) + [current_app.extensions["practice"]]
    return {q.id: q for q in forms}


def _questionnaire(qid):
    found = spoken_forms()
    if qid not in found:
        abort(404)
    return found[qid]


def kind(key: str) -> str:
    """What a text is on the man's page, from its key."""
    if key.startswith("section:"):
        return _("Section title")
    if "." not in key:
        return _("Question or note")
    return _("Hint") if key.endswith(".hint") else _("Answer")


@bp.route("/admin/voces/<qid>/")
@roles_required("admin")
def voices(qid):
    """Every text of a participant questionnaire with the clip a man hears, recorded or synthetic."""
    questionnaire = _questionnaire(qid)
    audio = catalogue()
    rows = []
    for key, text in audio.texts[qid].items():
        name = audio.clip(qid, key)
        rows.append({"key": key, "text": text.text, "kind": kind(key), "name": name,
                     "recorded": bool(name and name.startswith("rec-"))})
    messages = get_flashed_messages(with_categories=True, category_filter=["voice_ok", "voice_error"])
    return render_template("admin/voices.html", questionnaire=questionnaire, rows=rows, messages=messages,
                           others=[q for q in spoken_forms().values() if q.id != qid],
                           focus=request.args.get("texto"),
                           longest=LONGEST_SECONDS, megabytes=current_app.config["MAX_CONTENT_LENGTH"] // 2**20)


def _back(qid, text):
    """Back to the questionnaire's voices, at the row of the text (where its message is shown)."""
    return redirect(url_for("staff.voices", qid=qid, texto=text.key, _anchor=f"t-{text.key}"))


def _text_or_404(qid):
    _questionnaire(qid)
    text = catalogue().text(qid, request.form.get("key", ""))
    if text is None:
        abort(404)
    return text


@bp.route("/admin/voces/<qid>/grabacion", methods=["POST"])
@roles_required("admin")
def upload_recording(qid):
    """Keep an uploaded recording of one text (checked, then turned into the portal's speech format)."""
    text = _text_or_404(qid)
    back = _back(qid, text)
    upload = request.files.get("grabacion")
    if upload is None or not upload.filename:
        flash(_("Choose the file of the recording."), "voice_error")
        return back
    if request.form.get("espanol") != "1":
        flash(_("Confirm that the recording says this text in Spanish."), "voice_error")
        return back
    try:
        catalogue().recordings.add(text, upload.read())
    except RecordingError as exc:
        flash(_reasons()[exc.reason], "voice_error")
        return back
    current_app.logger.info("recording of %s/%s uploaded by %s", qid, text.key, g.user.username)
    flash(_("Recording kept: the participants now hear it for «%(text)s».", text=text.text), "voice_ok")
    return back


@bp.route("/admin/voces/<qid>/quitar", methods=["POST"])
@roles_required("admin")
def remove_recording(qid):
    """Remove the recording of one text: the synthetic voice speaks it again."""
    text = _text_or_404(qid)
    if catalogue().recordings.remove(text):
        current_app.logger.info("recording of %s/%s removed by %s", qid, text.key, g.user.username)
        flash(_("Recording removed: the synthetic voice speaks «%(text)s» again.", text=text.text), "voice_ok")
    return _back(qid, text)
