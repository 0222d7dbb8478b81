"""The program's recorded voices: an administrator's recording of a text replaces its synthetic clip.

A recording is checked before it is kept: its first bytes name a known audio format, ffprobe finds
an audio stream of a bounded length in it, it is not silent, and ffmpeg turns it into the same
speech Opus as the synthetic clips. Its file name holds the questionnaire, the digest of the text it
speaks and a digest of its own bytes: ``rec-<questionnaire>-<text>-<content>.ogg``. A recording of
a text that later changes is no longer played (it says the old words); it stays until removed.
"""
from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

from .. import storage
from . import media
from .texts import Text

FOLDER = "recordings"
NAME_RE = re.compile(r"^rec-[a-z][a-z0-9_]*-[0-9a-f]{16}-[0-9a-f]{16}\.ogg$")
LONGEST_SECONDS = 60
SHORTEST_SECONDS = 0.3


class RecordingError(Exception):
    """An upload that is not kept; ``reason`` is one of the keys the page turns into Spanish."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Recordings:
    def __init__(self, instance: Path):
        self.folder = Path(instance) / FOLDER

    def _pattern(self, text: Text) -> str:
        return f"rec-{text.questionnaire}-{text.text_digest}-"

    def find(self, text: Text) -> str | None:
        """The recording of this text, if there is one."""
        if not self.folder.is_dir():
            return None
        found = sorted(self.folder.glob(self._pattern(text) + "*.ogg"))
        return found[-1].name if found else None

    def path(self, name: str) -> Path | None:
        if not NAME_RE.fullmatch(name):
            return None
        path = self.folder / name
        return path if path.is_file() else None

    def add(self, text: Text, upload: bytes) -> str:
        """Check an upload, keep it as speech Opus for ``text`` (replacing an earlier recording); its name."""
        demuxer = media.sniff(upload[:16])
        if demuxer is None:
            raise RecordingError("not_audio")
        self.folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.folder, prefix=".upload.", suffix=".tmp") as tmp:
            tmp.write(upload)
            tmp.flush()
            source = Path(tmp.name)
            try:
                found = media.probe(source, demuxer)
            except media.MediaError:
                raise RecordingError("not_audio") from None
            if found.duration > LONGEST_SECONDS:
                raise RecordingError("too_long")
            if found.duration < SHORTEST_SECONDS:
                raise RecordingError("too_short")
            try:
                if media.loudest_db(source, demuxer) < media.SILENT_DB:
                    raise RecordingError("silent")
                clip = media.to_speech_opus(source, demuxer, LONGEST_SECONDS)
            except media.MediaError:
                raise RecordingError("not_audio") from None
        name = f"{self._pattern(text)}{hashlib.sha256(clip).hexdigest()[:16]}.ogg"
        storage.write_atomically(self.folder / name, clip)
        self._remove_others(text, keep=name)
        return name

    def remove(self, text: Text) -> bool:
        """Remove the recording of a text (its synthetic clip is played again); False if there was none."""
        return self._remove_others(text, keep=None) > 0

    def _remove_others(self, text: Text, keep: str | None) -> int:
        removed = 0
        if self.folder.is_dir():
            for path in self.folder.glob(self._pattern(text) + "*.ogg"):
                if path.name != keep:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed
