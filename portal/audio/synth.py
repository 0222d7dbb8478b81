"""Synthetic Spanish speech, offline on the server: espeak-ng's Latin American voice, then Opus.

espeak-ng (Debian's ``espeak-ng``) writes a WAV of the text; ffmpeg (Debian's ``ffmpeg``)
encodes it as Opus in Ogg, mono, 12 kbit/s in its speech mode (about 1.5 KB per second of
speech, a size every phone browser that plays Opus can fetch on a slow line). A clip whose file
is there already is never made again; a clip of the same text under an earlier version of the
questionnaire is linked, not made again.
"""
from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .. import storage
from .media import MediaError, wav_to_speech_opus
from .texts import SUFFIX, Text

# es-419: espeak-ng's Latin American Spanish (the Mexican mbrola voices it knows need the non-free mbrola
# program, which Debian 12 does not ship). 140 words a minute: slower than its 175, for a man who listens once.
VOICE = "espeak-ng es-419 140wpm opus12k"
ESPEAK = ["espeak-ng", "-v", "es-419", "-s", "140", "--stdout"]
TIMEOUT_SECONDS = 60


class SynthesisError(Exception):
    """A clip that could not be made: its text, the program's complaint, or the program that is missing."""

    def __init__(self, text: str, detail: str, missing: str | None = None):
        super().__init__(f"'{text[:60]}': {detail}")
        self.text, self.detail, self.missing = text, detail, missing


@dataclass
class Built:
    made: int = 0
    linked: int = 0
    kept: int = 0

    @property
    def total(self) -> int:
        return self.made + self.linked + self.kept


def speak(text: str) -> bytes:
    """The text spoken in Spanish, as an Ogg Opus clip."""
    try:
        wav = subprocess.run([*ESPEAK, "--", text], capture_output=True, check=True, timeout=TIMEOUT_SECONDS).stdout
        return wav_to_speech_opus(wav)
    except FileNotFoundError as exc:
        raise SynthesisError(text, "not installed", missing=exc.filename) from None
    except MediaError as exc:
        raise SynthesisError(text, str(exc), missing=exc.missing) from None
    except subprocess.CalledProcessError as exc:
        raise SynthesisError(text, exc.stderr.decode(errors="replace").strip()[:300]) from None
    except subprocess.TimeoutExpired:
        raise SynthesisError(text, f"more than {TIMEOUT_SECONDS} s") from None


def build(folder: Path, texts: list[Text], workers: int = 2) -> Built:
    """Every clip of ``texts`` in ``folder``: made when missing, linked from an earlier version when the same."""
    folder.mkdir(parents=True, exist_ok=True)
    built = Built()
    missing: dict[str, Text] = {}
    for name, text in {t.clip_name(VOICE): t for t in texts}.items():  # a text said twice is one clip
        if (folder / name).exists():
            built.kept += 1
        elif _link_earlier(folder, text, name):
            built.linked += 1
        else:
            missing[name] = text
    with ThreadPoolExecutor(max(1, workers)) as pool:  # the work is in the two programs, not in Python
        for name, clip in zip(missing, pool.map(lambda t: speak(t.text), missing.values())):
            storage.write_atomically(folder / name, clip, shared=True, durable=False)
            built.made += 1
    if missing:
        os.sync()
    return built


def _link_earlier(folder: Path, text: Text, name: str) -> bool:
    """The same text and voice under another version of the questionnaire: the same file, linked."""
    tail = name.rsplit("-", 1)[1]
    for earlier in folder.glob(f"{text.questionnaire}-*-{tail}"):
        if earlier.name.endswith(SUFFIX) and earlier.name != name:
            try:
                os.link(earlier, folder / name)
            except FileExistsError:
                pass
            except OSError:
                return False
            return True
    return False
