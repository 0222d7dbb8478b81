"""Where the project's own folders are: the code, the questionnaire definitions, the translations.

A module of its own, so that any module may know them without importing the package (whose ``create_app``
imports nearly every module: importing names from it would make every such module part of one import circle).
"""
from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FORMS_FOLDER = PROJECT_ROOT / "forms"
TRANSLATIONS_FOLDER = PROJECT_ROOT / "translations"
