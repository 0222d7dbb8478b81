"""Time to make the questionnaires' speech (issue 24): every clip from nothing, then again after one label changed.

The participant questionnaires of forms/ (the facilitator's two are not spoken) and the practice
question, copied into a temporary folder with a temporary instance; the clips are made by
``flask --app portal audio``'s own function (espeak-ng, then ffmpeg to Opus; two at a time).
Prints: clips and seconds from nothing; seconds for a second run (nothing to make); seconds after
one question's label changed under a new version (one clip to make, the rest linked); the clips' total bytes
and seconds of speech.

    .venv/bin/python bench/audio.py          (from the project folder; about a minute)
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
for folder in (PROJECT_ROOT, PROJECT_ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from common import scratch_parent  # noqa: E402  (this folder's shared helper)

from portal import FORMS_FOLDER, create_app  # noqa: E402
from portal.audio import media  # noqa: E402
from portal.audio.synth import build  # noqa: E402


def timed_build(folder: Path, forms: Path, clips: Path):
    app = create_app({"INSTANCE_PATH": folder / "instance", "FORMS_FOLDER": forms, "AUDIO_FOLDER": clips})
    started = time.perf_counter()
    built = build(clips, app.extensions["audio"].all_texts())
    return built, time.perf_counter() - started, app


def main() -> int:
    print(f"bench/audio.py - {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-audio-", dir=scratch_parent()) as tmp:
        folder = Path(tmp)
        forms, clips = folder / "forms", folder / "clips"
        shutil.copytree(FORMS_FOLDER, forms)
        built, seconds, app = timed_build(folder, forms, clips)
        texts = len(app.extensions["audio"].all_texts())
        print(f"from nothing: {built.made} clips made for {texts} texts in {seconds:.1f} s "
              f"({seconds / max(built.made, 1) * 1000:.0f} ms a clip, two at a time)")
        built, seconds, _ = timed_build(folder, forms, clips)
        print(f"again, nothing changed: {built.made} made, {built.kept} kept, in {seconds:.2f} s")
        intake = forms / "intake.yaml"
        # a changed definition carries a new version (form_versions); its unchanged texts are linked, not made
        intake.write_text(intake.read_text(encoding="utf-8").replace(
            '"¿Tiene trabajo ahora?"', '"¿Tiene usted trabajo en este momento?"').replace(
            'version: "2026.1"', 'version: "2026.1-bench"'), encoding="utf-8")
        built, seconds, _ = timed_build(folder, forms, clips)
        print(f"one label changed: {built.made} made, {built.kept} kept, in {seconds:.2f} s")
        files = sorted(clips.glob("*.ogg"))
        size = sum(p.stat().st_size for p in files)
        speech = sum(media.probe(p).duration for p in files)
        print(f"all clips: {len(files)} files, {size:,} B, {speech:.0f} s of speech, {size / speech / 1000:.2f} KB a "
              f"second, largest {max(p.stat().st_size for p in files):,} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
