"""Where the portal's own folders are: the project, its questionnaires and its translations.

Plain constants with no import of the rest of the portal, so any module may read them without importing the
package that builds the app (``portal/__init__.py`` imports the blueprints, which would import it back).
"""
from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FORMS_FOLDER = PROJECT_ROOT / "forms"
TRANSLATIONS_FOLDER = PROJECT_ROOT / "translations"
