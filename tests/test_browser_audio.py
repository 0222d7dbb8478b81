"""Listening on the phone (issue 24): Debian's chromium at 360x640 taps "Escuchar" and hears it; without
JavaScript the browser's own players are there; axe finds nothing on a page with players."""
import pytest
from browser import PHONE, axe_violations, no_horizontal_scroll
from conftest import Facilitator

pytestmark = pytest.mark.browser

PLAYING = """a => new Promise(done => {
  const check = () => (!a.paused && a.currentTime > 0.2) ? done([a.duration, a.currentTime]) : setTimeout(check, 50);
  check();
})"""


def phone_on_part_one(chromium, live, app, javascript=True):
    with app.test_client() as client:
        _, code = Facilitator(client).code_for_new_man()
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                   locale="es-MX", java_script_enabled=javascript)
    page = context.new_page()
    page.goto(f"{live.url}/c/{code.replace('-', '')}")
    page.get_by_role("button", name="Empezar").click()
    page.wait_for_url("**/cuestionario/parte/1")
    return context, page


@pytest.mark.slow
def test_tapping_listen_on_a_question_and_on_a_choice_plays_it(chromium, spoken, live):
    context, page = phone_on_part_one(chromium, live, spoken)
    try:
        assert page.evaluate("[...document.querySelectorAll('audio')].every(a => a.paused && a.readyState === 0)")
        question = page.locator("#q-education")
        question.get_by_role("button", name="Escuchar la pregunta y sus respuestas").tap()
        first = question.locator("audio").first
        duration, _ = first.evaluate(PLAYING)
        assert duration > 1
        then = question.locator("audio").nth(1)  # the question's first answer, once the question ends
        assert then.evaluate("a => a.closest('li') !== null")
        duration, _ = then.evaluate(PLAYING)
        assert duration > 1 and first.evaluate("a => a.ended")
        choice = question.get_by_role("button", name="Escuchar: Primaria sin terminar")
        choice.tap()
        assert choice.get_attribute("aria-pressed") == "true"
        played = choice.locator("xpath=..").locator("audio")
        duration, _ = played.evaluate(PLAYING)
        assert duration > 1
        assert first.evaluate("a => a.paused")  # the question stopped when he chose to hear the answer
        assert not question.locator("input:checked").count()  # hearing an answer does not choose it
        assert no_horizontal_scroll(page)
        page.screenshot(path="/tmp/audio-part1-js.png", full_page=True)
    finally:
        context.close()


def test_a_page_with_players_passes_axe(chromium, spoken, live):
    context, page = phone_on_part_one(chromium, live, spoken)
    try:
        assert page.locator("button.listen-button").count() > 5
        assert not axe_violations(page)
        page.goto(f"{live.url}/cuestionario/practica")
        assert not axe_violations(page)
    finally:
        context.close()


def test_without_javascript_the_browsers_own_players_are_there(chromium, spoken, live):
    context, page = phone_on_part_one(chromium, live, spoken, javascript=False)
    try:
        players = page.locator("audio[controls]")
        assert players.count() > 5
        assert all(box["width"] >= 48 and box["height"] >= 40 for box in
                   (players.nth(i).bounding_box() for i in range(players.count())))
        assert page.get_by_label("Escuchar: Primaria sin terminar").is_visible()
        assert no_horizontal_scroll(page)
        page.screenshot(path="/tmp/audio-part1-nojs.png", full_page=True)
    finally:
        context.close()


@pytest.mark.slow
def test_the_administrators_voices_page_passes_axe(chromium, spoken, live):
    from conftest import PASSWORDS

    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="es-MX")
    page = context.new_page()
    try:
        page.goto(f"{live.url}/entrar")
        page.fill("#username", "admin")
        page.fill("#password", PASSWORDS["admin"])
        page.locator("button.primary").click()
        page.wait_for_load_state()
        page.goto(f"{live.url}/cuestionarios/")
        page.get_by_role("link", name="Voces (escuchar, subir grabaciones)").first.click()
        page.wait_for_url("**/admin/voces/intake/")
        assert page.locator("audio[controls]").count() > 50
        assert not axe_violations(page)
    finally:
        context.close()
