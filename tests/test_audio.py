"""The questionnaires' speech (issue 24): every text a man reads has a clip that a real decoder reads back."""
import re
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from fixtures import make_app

from portal import FORMS_FOLDER
from portal.audio import media
from portal.audio.synth import VOICE
from portal.audio.texts import participant_forms, spoken_texts


@pytest.mark.slow
def test_every_text_a_man_reads_is_spoken_in_a_small_clip_that_decodes(spoken, speech):
    questionnaires = spoken.extensions["questionnaires"]
    forms = participant_forms(questionnaires)
    assert sorted(q.id for q in forms) == ["exit", "intake"]  # the facilitator's forms are not spoken
    texts = [t for q in forms for t in spoken_texts(q)] + spoken_texts(spoken.extensions["practice"])
    intake = questionnaires["intake"]
    keys = {t.key for t in texts if t.questionnaire == "intake"}
    assert {"education", "education.none", "education.primary_incomplete"} <= keys  # question and choices
    assert {q.name for q in intake.items if q.type == "note"} <= keys  # the notes he reads
    assert {f"{q.name}.hint" for q in intake.items if q.hint} <= keys
    assert {f"section:{g.name}" for g in intake.groups if g.label} <= keys  # the titles of its sections

    def read_back(name):
        """ffprobe reads the clip back, ffmpeg decodes it: (its name, what ffprobe found, its loudest moment)."""
        return name, media.probe(speech / name), media.loudest_db(speech / name)

    with ThreadPoolExecutor(2) as pool:  # the work is in ffprobe and ffmpeg: two clips at a time
        for name, found, loudest in pool.map(read_back, sorted({t.clip_name(VOICE) for t in texts})):
            path = speech / name
            assert (found.codec, found.channels, found.sample_rate) == ("opus", 1, 48000), name
            assert found.duration > 0.3, name
            assert path.stat().st_size <= 2200 * found.duration + 1200, name  # about 2 KB a second, plus the headers
            assert loudest > media.SILENT_DB, name  # ffmpeg decodes it: not silent


def _copy_forms(tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS_FOLDER, forms)
    return forms


def test_the_command_makes_only_what_is_missing_and_a_changed_label_gets_new_speech(tmp_path, speech):
    forms, clips = _copy_forms(tmp_path), tmp_path / "clips"
    shutil.copytree(speech, clips)

    def run():
        app = make_app(tmp_path / "instance", FORMS_FOLDER=forms, AUDIO_FOLDER=clips)
        result = app.test_cli_runner().invoke(args=["audio"])
        assert result.exit_code == 0, result.output
        return app, result.output

    app, output = run()
    assert re.search(r"0 hechos, 0 tomados de una versión anterior, \d+ ya estaban", output), output
    before = app.extensions["audio"].clip("intake", "works")
    definition = (forms / "intake.yaml").read_text(encoding="utf-8")
    # a fixed label comes with a new version (the portal refuses a changed definition under the same one)
    version = yaml.safe_load(definition)["version"]
    changed = definition.replace('"¿Tiene trabajo ahora?"', '"¿Tiene usted trabajo en este momento?"').replace(
        f'version: "{version}"', 'version: "2099.1"')
    assert changed != definition and "2099.1" in changed
    (forms / "intake.yaml").write_text(changed, encoding="utf-8")
    app, output = run()
    assert re.search(r": 1 hechos, [1-9]\d* tomados de una versión anterior", output), output
    after = app.extensions["audio"].clip("intake", "works")
    assert after and after != before and before.startswith(f"intake-{version}-") and after.startswith("intake-2099.1-")
    assert media.probe(clips / after).duration > media.probe(clips / before).duration  # the longer words
    _, output = run()
    assert re.search(r": 0 hechos", output), output


def test_a_new_version_with_the_same_words_takes_the_clips_it_has(tmp_path, speech):
    forms, clips = _copy_forms(tmp_path), tmp_path / "clips"
    shutil.copytree(speech, clips)
    data = yaml.safe_load((forms / "exit.yaml").read_text(encoding="utf-8"))
    (forms / "exit.yaml").write_text((forms / "exit.yaml").read_text(encoding="utf-8").replace(
        f'version: "{data["version"]}"', 'version: "2099.1"'), encoding="utf-8")
    app = make_app(tmp_path / "instance", FORMS_FOLDER=forms, AUDIO_FOLDER=clips)
    result = app.test_cli_runner().invoke(args=["audio"])
    assert re.search(r": 0 hechos, [1-9]\d* tomados de una versión anterior", result.output), result.output
    assert app.extensions["audio"].clip("exit", "family_change").startswith("exit-2099.1-")


def test_without_the_synthesiser_the_command_says_what_to_install(tmp_path, monkeypatch):
    from portal.audio import synth

    monkeypatch.setattr(synth, "ESPEAK", ["espeak-ng-is-not-here", *synth.ESPEAK[1:]])
    app = make_app(tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["audio"])
    assert result.exit_code == 1
    assert "Falta el programa espeak-ng-is-not-here: instale los paquetes de Debian espeak-ng y ffmpeg" in result.output
    assert not list((tmp_path / "instance" / "cache" / "audio").glob("*.ogg"))
