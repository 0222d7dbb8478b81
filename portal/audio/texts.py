"""What a man can listen to: every participant-facing text of a questionnaire, and its clip's name.

A text's key says where it is shown: ``<question>`` for a question's (or a note's) label,
``<question>.hint`` for its hint, ``<question>.<choice>`` for a choice, ``section:<group>`` for
the title of a section (the heading of its parts). A clip is named by
questionnaire, version and a digest of the spoken text and of the voice that speaks it, so a
changed label (or voice) gets a new file and an unchanged one keeps its file.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..questionnaires import Questionnaire

SUFFIX = ".ogg"
MEDIA_TYPE = "audio/ogg"


@dataclass(frozen=True)
class Text:
    questionnaire: str
    version: str
    key: str
    text: str

    @property
    def text_digest(self) -> str:
        """The text alone: what a recording is a recording of."""
        return digest(self.text)

    def clip_name(self, voice: str) -> str:
        """The synthetic clip's file name for this text spoken by ``voice``."""
        return f"{self.questionnaire}-{self.version}-{digest(voice + chr(10) + self.text)}{SUFFIX}"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def section_key(group) -> str:
    return f"section:{group.name}"


def participant_forms(questionnaires: dict[str, Questionnaire]) -> list[Questionnaire]:
    """The questionnaires a man answers himself (their audience is the participant)."""
    return [q for q in questionnaires.values() if q.audience == "participant"]


def spoken_texts(questionnaire: Questionnaire) -> list[Text]:
    """Every Spanish text a man reads in the questionnaire: labels, notes, hints, choices."""
    out = []

    def add(key, text):
        if text and text.get("es", "").strip():
            out.append(Text(questionnaire.id, questionnaire.version, key, text["es"].strip()))

    for group in questionnaire.groups:
        add(section_key(group), group.label)
    for q in questionnaire.items:
        add(q.name, q.label)
        add(f"{q.name}.hint", q.hint)
        for choice in q.choices:
            add(f"{q.name}.{choice.name}", choice.label)
    return out
