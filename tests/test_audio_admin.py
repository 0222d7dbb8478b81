"""The program's own voices (issue 24): an administrator uploads a recording of a text, the man hears it,
removing it brings the synthetic voice back, and recordings travel with backups."""
import io
import re
import subprocess

import pytest
from conftest import Facilitator, Participant, Staff, csrf_token
from fixtures import make_app

from portal.audio import media
from portal.backup import restore, write_backup

VOICES = "/admin/voces/intake/"
FIRST_AUDIO = re.compile(r'<audio controls preload="none" src="/cuestionario/audio/([^"]+)"')


def recording(tmp_path, source=None, seconds=None) -> bytes:
    """A real recording: Spanish speech from espeak-ng as a phone's M4A (AAC), or a tone, or silence."""
    out = tmp_path / "grabacion.m4a"
    if source is None:
        wav = subprocess.run(["espeak-ng", "-v", "es-419", "--stdout", "¿Tiene trabajo ahora?"],
                             capture_output=True, check=True).stdout
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", "pipe:0", "-c:a", "aac", str(out)], input=wav,
                       check=True)
    else:
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"{source}:duration={seconds}",
                        "-c:a", "aac", str(out)], check=True)
    return out.read_bytes()


def works_clip(client) -> str:
    """The clip part 1 plays for '¿Tiene trabajo ahora?' (opened with a new man's code)."""
    _, code = Facilitator(client).code_for_new_man()
    _, html = Participant(client).open(code)
    return FIRST_AUDIO.search(html, html.index('id="q-works"')).group(1)


def upload(client, data: bytes, key="works", spanish=True, filename="grabacion.m4a"):
    page = client.get(VOICES)
    form = {"csrf_token": csrf_token(page), "key": key, "grabacion": (io.BytesIO(data), filename)}
    if spanish:
        form["espanol"] = "1"
    return client.post(VOICES + "grabacion", data=form, content_type="multipart/form-data", follow_redirects=True)


def test_a_recording_replaces_the_synthetic_voice_and_removing_it_brings_it_back(spoken, tmp_path):
    client = spoken.test_client()
    synthetic = works_clip(client)
    assert synthetic.startswith("intake-")
    admin = Staff(client)
    admin.login("admin")
    page = client.get(VOICES).get_data(as_text=True)
    assert "¿Tiene trabajo ahora?" in page and "Sintética" in page and page.count("<audio") > 50
    done = upload(client, recording(tmp_path)).get_data(as_text=True)
    assert "Grabación guardada" in done
    admin.logout()
    recorded = works_clip(client)
    assert recorded.startswith("rec-intake-")
    with client.get(f"/cuestionario/audio/{recorded}") as clip:
        assert clip.status_code == 200 and clip.data.startswith(b"OggS")
        (tmp_path / "heard.ogg").write_bytes(clip.data)
    found = media.probe(tmp_path / "heard.ogg")
    assert found.codec == "opus" and found.channels == 1 and 1 < found.duration < 5
    admin.login("admin")
    page = client.get(VOICES)
    done = client.post(VOICES + "quitar", data={"csrf_token": csrf_token(page), "key": "works"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Grabación quitada" in done
    admin.logout()
    assert works_clip(client) == synthetic


@pytest.mark.parametrize("what, message", [
    ("text", "no es una grabación que el portal pueda leer"),
    ("silence", "está en silencio"),
    ("long", "dura más de 60 segundos"),
    ("not_spanish", "Confirme que la grabación dice este texto en español"),
])
def test_a_bad_recording_is_refused_with_a_clear_message_and_changes_nothing(spoken, tmp_path, what, message):
    client = spoken.test_client()
    Staff(client).login("admin")
    data = {"text": b"ID3 esto no es audio, solo texto con otro nombre" * 20,
            "silence": lambda: recording(tmp_path, "anullsrc=r=16000:cl=mono", 3),
            "long": lambda: recording(tmp_path, "sine=frequency=300", 61),
            "not_spanish": lambda: recording(tmp_path)}[what]
    data = data() if callable(data) else data
    done = upload(client, data, spanish=what != "not_spanish").get_data(as_text=True)
    assert message in done
    assert not list((tmp_path / "instance" / "recordings").glob("*.ogg"))


def test_only_an_administrator_manages_voices(spoken):
    client = spoken.test_client()
    assert client.get(VOICES).status_code == 302  # to sign in
    Facilitator(client)
    assert client.get(VOICES).status_code == 403
    Staff(client).logout()
    Staff(client).login("admin")
    assert client.get("/admin/voces/facilitator_intake/").status_code == 404  # not spoken
    practice = client.get("/admin/voces/practice/").get_data(as_text=True)
    assert "¿De qué color es el cielo?" in practice and "Azul" in practice


def test_recordings_travel_with_backups(spoken, tmp_path):
    client = spoken.test_client()
    Staff(client).login("admin")
    upload(client, recording(tmp_path))
    kept = sorted(p.name for p in (tmp_path / "instance" / "recordings").glob("*.ogg"))
    assert len(kept) == 1
    write_backup(tmp_path / "instance", tmp_path / "backup.zip", spoken.extensions["questionnaires"])
    other = make_app(tmp_path / "other")
    restore(tmp_path / "other", tmp_path / "backup.zip")
    assert sorted(p.name for p in (tmp_path / "other" / "recordings").glob("*.ogg")) == kept
    text = other.extensions["audio"].text("intake", "works")
    assert other.extensions["audio"].recordings.find(text) == kept[0]
