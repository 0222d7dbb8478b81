"""Which clip a page plays for a text: the program's recording when there is one, else the synthetic clip.

A clip's address names its file, and its file never changes: a new recording or a changed label
is a new address, so the browser may keep every clip for a year.
"""
from __future__ import annotations

from pathlib import Path

from .recordings import Recordings
from .synth import VOICE
from .texts import Text, participant_forms, spoken_texts


class Catalogue:
    """Every participant text of the portal's questionnaires (and the practice page), and their clips."""

    def __init__(self, questionnaires: dict, synthetic: Path, recordings: Recordings, extra: list[Text] = ()):
        self.synthetic = synthetic
        self.recordings = recordings
        self.texts: dict[str, dict[str, Text]] = {}
        for questionnaire in participant_forms(questionnaires):
            self.texts[questionnaire.id] = {t.key: t for t in spoken_texts(questionnaire)}
        for text in extra:
            self.texts.setdefault(text.questionnaire, {})[text.key] = text

    def all_texts(self) -> list[Text]:
        return [t for texts in self.texts.values() for t in texts.values()]

    def text(self, qid: str, key: str) -> Text | None:
        return self.texts.get(qid, {}).get(key)

    def clip(self, qid: str, key: str) -> str | None:
        """The file name of the clip to play for a text (a recording's starts with 'rec-'), or None."""
        text = self.text(qid, key)
        if text is None:
            return None
        recorded = self.recordings.find(text)
        if recorded:
            return recorded
        name = text.clip_name(VOICE)
        return name if (self.synthetic / name).is_file() else None

    def path(self, name: str) -> Path | None:
        """The file of a clip's name, only if it is one of the portal's clips (never any other file)."""
        if name.startswith("rec-"):
            return self.recordings.path(name)
        if "/" in name or not name.endswith(".ogg") or name.startswith("."):
            return None
        path = self.synthetic / name
        return path if path.is_file() else None
