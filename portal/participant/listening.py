"""Which clip each text of a man's page plays (the addresses the templates write)."""
from __future__ import annotations

from flask import url_for
from flask_babel import get_locale

from ..audio import catalogue
from ..audio.texts import section_key


class PageAudio:
    """The clip addresses of one questionnaire's texts, for a page (None where there is no clip)."""

    def __init__(self, qid: str):
        self.qid = qid
        self.audio = catalogue()
        self.used = False  # a clip was written on the page: it needs listen.js

    def any(self) -> bool:
        """Whether the questionnaire has any clip at all (the speech was made)."""
        return any(self.audio.clip(self.qid, key) for key in list(self.audio.texts.get(self.qid, {}))[:1])

    def section_url(self, group) -> str | None:
        return self.url(section_key(group))

    def url(self, key: str) -> str | None:
        name = self.audio.clip(self.qid, key)
        if not name:
            return None
        self.used = True
        return url_for("participant.clip", name=name)


def page_audio(questionnaire) -> PageAudio | None:
    """Clips for a page in Spanish (the voices speak Spanish only); None in English."""
    locale = get_locale()
    if locale is not None and locale.language != "es":
        return None
    return PageAudio(questionnaire.id)
