"""Audio files through ffmpeg and ffprobe (Debian's ``ffmpeg``): what a file holds, and speech Opus.

Files from people (an administrator's recording) are recognised by their first bytes before any
program reads them, and each program is then told that format: ffmpeg never guesses a playlist or
a list of other files out of an upload, so it reads nothing but the upload.
"""
from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

OPUS = ["-vn", "-ac", "1", "-c:a", "libopus", "-b:a", "12k", "-application", "voip", "-map_metadata", "-1",
        "-f", "ogg"]
TIMEOUT_SECONDS = 60
SILENT_DB = -45.0  # a clip whose loudest moment is quieter than this holds no speech


class MediaError(Exception):
    """A file that is not audio ffmpeg can read, or ``missing``: the program that is not installed."""

    def __init__(self, detail: str, missing: str | None = None):
        super().__init__(detail)
        self.missing = missing


@dataclass(frozen=True)
class Probe:
    codec: str
    duration: float
    sample_rate: int
    channels: int


def sniff(head: bytes) -> str | None:
    """The ffmpeg demuxer for a file's first bytes, among the formats phones and recorders write; else None."""
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "matroska"  # and WebM
    if head[4:8] == b"ftyp":
        return "mov"  # MP4, M4A, 3GP
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "aac" if (head[:1] == b"\xff" and head[1] & 0x06 == 0) else "mp3"
    return None


def _run(command: list[str], data: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(command, input=data, stdin=None if data is not None else subprocess.DEVNULL,
                              capture_output=True, timeout=TIMEOUT_SECONDS)
    except FileNotFoundError as exc:
        raise MediaError(f"{exc.filename} is not installed", missing=exc.filename) from None
    except subprocess.TimeoutExpired:
        raise MediaError(f"{command[0]} took more than {TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        raise MediaError(done.stderr.decode(errors="replace").strip()[-300:] or f"{command[0]} failed")
    return done.stdout


def _input(path: Path, demuxer: str | None) -> list[str]:
    return ["-protocol_whitelist", "file", *(["-f", demuxer] if demuxer else []), "-i", str(path)]


def probe(path: Path, demuxer: str | None = None) -> Probe:
    """The first audio stream of a file: codec, duration (s), sample rate, channels; MediaError if none."""
    out = _run(["ffprobe", "-v", "error", *_input(path, demuxer), "-select_streams", "a:0",
                "-show_entries", "stream=codec_name,sample_rate,channels,duration:format=duration", "-of", "json"])
    data = json.loads(out or b"{}")
    streams = data.get("streams") or []
    if not streams:
        raise MediaError("no audio stream")
    stream = streams[0]
    duration = stream.get("duration") or (data.get("format") or {}).get("duration")
    try:
        return Probe(stream.get("codec_name", "?"), float(duration), int(stream.get("sample_rate", 0)),
                     int(stream.get("channels", 0)))
    except (TypeError, ValueError):
        raise MediaError("no duration") from None


def loudest_db(path: Path, demuxer: str | None = None) -> float:
    """The loudest moment of the decoded audio, in dB below full scale (-91 for silence)."""
    try:
        done = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", *_input(path, demuxer), "-vn",
                               "-af", "volumedetect", "-f", "null", "-"], capture_output=True,
                              timeout=TIMEOUT_SECONDS)
    except FileNotFoundError as exc:
        raise MediaError(f"{exc.filename} is not installed", missing=exc.filename) from None
    except subprocess.TimeoutExpired as exc:
        raise MediaError(str(exc)) from None
    found = re.search(rb"max_volume: (-?[0-9.]+|-inf) dB", done.stderr)
    if done.returncode != 0 or not found:
        raise MediaError("could not be decoded")
    return -91.0 if found.group(1) == b"-inf" else float(found.group(1))


def encode_command(source: str, extra: list[str] | None = None, demuxer: str | None = None) -> list[str]:
    """ffmpeg turning audio (a path, or "pipe:0") into speech Opus in Ogg on its standard output."""
    inputs = _input(Path(source), demuxer) if source != "pipe:0" else ["-i", "pipe:0"]
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", *inputs, *(extra or []), *OPUS, "pipe:1"]


def to_speech_opus(path: Path, demuxer: str, longest_seconds: float) -> bytes:
    """A recording as the portal's clips are: mono Opus at 12 kbit/s, loudness evened, cut at the longest."""
    return _run(encode_command(str(path), ["-t", str(longest_seconds), "-af", "loudnorm=I=-18:TP=-2"], demuxer))


def wav_to_speech_opus(wav: bytes) -> bytes:
    return _run(encode_command("pipe:0"), wav)
