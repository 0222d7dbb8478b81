"""Monitoring portal of the men's re-education program (Spanish first)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from .form_versions import open_catalog
from .indicators import count_renamed_as_one
from .paths import FORMS_FOLDER, PROJECT_ROOT, TRANSLATIONS_FOLDER
from .questionnaires import load_all


def create_app(test_config: dict | None = None) -> Flask:
    """Build the portal; the instance folder holds everything a deployment owns."""
    instance = os.environ.get("PORTAL_INSTANCE") or str(PROJECT_ROOT / "instance")
    if test_config and test_config.get("INSTANCE_PATH"):
        instance = str(test_config["INSTANCE_PATH"])
    app = Flask(__name__, instance_path=os.path.abspath(instance), instance_relative_config=True)
    app.config.from_mapping(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("PORTAL_COOKIE_SECURE", "1") != "0",
        SESSION_COOKIE_NAME="portal_session",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        STAFF_IDLE_MINUTES=60,  # a staff session unused this long ends (checked on the server)
        STAFF_LONGEST_HOURS=12,  # and none lasts longer than a working day
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session; a slow answer must not be lost
        BABEL_DEFAULT_LOCALE="es",
        BABEL_DEFAULT_TIMEZONE="America/Mexico_City",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_FOLDER),
        LANGUAGES=("es", "en"),
        FORMS_FOLDER=str(FORMS_FOLDER),
        DEFAULT_SESSIONS=24,
        SUMMARY_FOLDER=str(PROJECT_ROOT / "exports" / "resumen"),  # the static summary; its zip lies beside it
        DRAFT_SWEEP_SECONDS=10 * 60,  # how often drafts that no working code can open are removed
        SUPPRESSION_K=5,  # k: a percentage or mean about fewer men stays blank; the country's years exact from k
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=3600,  # staff pages reuse the stylesheet for an hour without asking
    )
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.update({k: v for k, v in test_config.items() if k != "INSTANCE_PATH"})
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)  # private data: its owner only
    _remove_stale_temporary_files(app)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path) / "secret_key")
    from .identity import ensure_portal_id

    ensure_portal_id(app.instance_path)  # made once, with the instance; a backup keeps it

    # A definition that does not load stops start-up with a message naming file and field.
    app.extensions["questionnaires"] = load_all(app.config["FORMS_FOLDER"])
    # Every version kept in the instance (form_versions.py); a change that would leave stored answers unreadable
    # stops start-up here, with a Spanish message naming the form, the question and the answers.
    catalog = open_catalog(app.instance_path, app.extensions["questionnaires"])
    app.extensions["form_catalog"] = catalog
    app.extensions["form_versions"] = catalog.mapping()  # oldest first, by questionnaire
    count_renamed_as_one(catalog.counted_as())

    from . import audio, cli, db, errors, i18n, security

    i18n.init_app(app)
    security.init_app(app)
    db.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    audio.init_app(app)

    from .auth import bp as auth_bp
    from .participant import bp as participant_bp
    from .staff import bp as staff_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(participant_bp)
    return app


def _remove_stale_temporary_files(app: Flask) -> None:
    from .storage import remove_stale_temporary_files

    instance = Path(app.instance_path)
    for folder in (instance, instance / "sites"):
        for path in remove_stale_temporary_files(folder):
            app.logger.warning("removed a temporary file left by an interrupted write: %s", path)


def _secret_key(path: Path) -> str:
    """Read the deployment's secret key, creating it (mode 600) on first start, whole or not at all."""
    from .storage import create_once

    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    key = secrets.token_hex(32)
    if path.exists():  # empty: an interrupted start wrote nothing into it
        path.unlink()
    if not create_once(path, (key + "\n").encode("ascii")):  # another process created it first
        return path.read_text(encoding="ascii").strip()
    return key
