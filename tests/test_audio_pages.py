"""A man's pages with "Escuchar" (issue 24): players that fetch nothing until he taps, clips any browser may keep."""
import re

from conftest import INTAKE_ANSWERS, Facilitator, Participant, csrf_token_from

AUDIO_RE = re.compile(r'<audio controls preload="none" src="(/cuestionario/audio/[^"]+)" aria-label="([^"]+)">')


def open_part_one(client):
    _, code = Facilitator(client).code_for_new_man()
    return Participant(client).open(code)


def test_every_question_and_choice_of_a_part_has_a_player_that_waits_for_him(spoken, client):
    url, html = open_part_one(client)
    players = AUDIO_RE.findall(html)
    labels = [label for _, label in players]
    assert "Escuchar la pregunta y sus respuestas" in labels  # a question with choices
    assert "Escuchar: Primaria sin terminar" in labels  # one of its choices
    assert "Escuchar: Sí" in labels and "Escuchar: No" in labels
    assert "Escuchar el aviso" in labels  # the note he reads first
    assert "Escuchar el título" in labels  # the section's title
    choices = len(re.findall(r'<label class="choice">', html))
    assert sum(label.startswith("Escuchar: ") for label in labels) >= choices
    assert "autoplay" not in html and html.count("<audio") == len(players)  # none plays or loads by itself
    assert "use audífonos" in html and 'href="/cuestionario/practica"' in html
    assert html.count('src="/static/listen.js"') == 1
    for src, _ in players[:3]:
        with client.get(src) as clip:
            assert clip.status_code == 200 and clip.mimetype == "audio/ogg"
            assert clip.data.startswith(b"OggS")


def test_clips_are_kept_by_the_browser_for_a_year_and_need_no_code(spoken, client):
    _, html = open_part_one(client)
    src = AUDIO_RE.search(html).group(1)
    with client.get(src) as clip:  # his own browser, with his session: the same file for everyone
        assert clip.status_code == 200 and "Cookie" not in clip.headers.get("Vary", "")
        assert "Set-Cookie" not in clip.headers
    stranger = spoken.test_client()  # no code, no session
    with stranger.get(src) as clip:
        assert clip.status_code == 200
        cache = clip.headers["Cache-Control"]
        assert "public" in cache and "max-age=31536000" in cache and "immutable" in cache
        assert "Set-Cookie" not in clip.headers
    for name in ("nothing.ogg", "..%2Fsecret_key", "rec-intake-0000000000000000-0000000000000000.ogg"):
        assert stranger.get(f"/cuestionario/audio/{name}").status_code == 404


def test_the_second_part_has_no_earphones_line_and_english_pages_have_no_spanish_voice(spoken, client):
    url, html = open_part_one(client)
    him = Participant(client)
    _, second = him.follow(him.send_part(url, html, INTAKE_ANSWERS))
    assert "<audio" in second and "audífonos" not in second
    client.post("/idioma", data={"lang": "en", "next": "/cuestionario/parte/1", "csrf_token": csrf_token_from(html)})
    english = client.get("/cuestionario/parte/1").get_data(as_text=True)
    assert "<audio" not in english and "listen.js" not in english


def test_without_speech_made_the_page_is_as_before(app, client):
    _, html = open_part_one(client)
    assert "<audio" not in html and "<script" not in html and "audífonos" not in html


def test_the_practice_question_can_be_heard_and_stores_nothing(spoken, client):
    html = client.get("/cuestionario/practica").get_data(as_text=True)
    assert "¿De qué color es el cielo?" in html
    labels = [label for _, label in AUDIO_RE.findall(html)]
    assert labels == ["Escuchar la pregunta y sus respuestas", "Escuchar: Azul", "Escuchar: Verde", "Escuchar: Rojo"]
    assert "<form" not in html.split("<main", 1)[1].split("</main>")[0]  # nothing to send: nothing stored
    assert 'href="/cuestionario/preguntas"' in html


def test_staff_pages_stay_without_players(spoken, client):
    Facilitator(client)
    html = client.get("/cuestionarios/intake/vista-previa").get_data(as_text=True)
    assert "¿Hasta qué año fue a la escuela?" in html and "<audio" not in html
