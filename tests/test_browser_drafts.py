"""A man's answers survive the phone's Back button, a reload, a closed browser and a killed server.

Debian's chromium at 360x640, with JavaScript on and off (the participant pages load no script).
"""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser import PHONE
from conftest import INTAKE_ANSWERS, Facilitator

from portal import drafts
from portal.db import get_site_store

pytestmark = pytest.mark.browser
PROJECT = Path(__file__).resolve().parent.parent


def phone_context(chromium, javascript=True):
    return chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                locale="es-MX", java_script_enabled=javascript)


def answer_part(page, answers):
    """Answer what this part shows from ``answers``, then press Siguiente (or Enviar)."""
    for field in page.locator("main input:not([type=hidden]), main textarea").all():
        name = field.get_attribute("name")
        if name not in answers:
            continue
        kind = field.get_attribute("type")
        if kind in ("radio", "checkbox"):
            if field.get_attribute("value") in answers[name].split():
                field.check()
        else:
            field.fill(answers[name])
    page.locator("button.primary").click()
    page.wait_for_load_state()


def part_number(page) -> int:
    return int(page.url.rsplit("/", 1)[1])


def open_code(page, base, code):
    page.goto(f"{base}/c/{code.replace('-', '')}")
    assert page.locator("#codigo").input_value() == code
    page.get_by_role("button", name="Empezar").click()
    page.wait_for_load_state()


def store_of(app):
    with app.app_context():
        return get_site_store("SITE-A").read()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.slow
def test_back_reload_and_a_closed_browser_keep_every_answer(chromium, live, app, javascript):
    fac = Facilitator(app.test_client())
    man = fac.register()
    code = fac.issue_code(man, "intake")

    context = phone_context(chromium, javascript)
    page = context.new_page()
    open_code(page, live.url, code)
    assert page.url.endswith("/cuestionario/parte/1")
    assert page.evaluate("document.scripts.length") == 0
    answer_part(page, INTAKE_ANSWERS)
    assert page.url.endswith("/cuestionario/parte/2") and page.get_by_text("Parte 2 de").is_visible()
    answer_part(page, INTAKE_ANSWERS)
    assert page.url.endswith("/cuestionario/parte/3")

    # the phone's Back button: part 2 with its answer, no resubmission page
    page.go_back()
    assert page.url.endswith("/cuestionario/parte/2")
    assert page.get_by_text("Parte 2 de").is_visible()
    assert page.locator('[name="occupation_type"][value="employee"]').is_checked()
    page.reload()
    assert page.url.endswith("/cuestionario/parte/2")
    assert page.locator('[name="occupation_type"][value="employee"]').is_checked()
    page.go_back()
    assert page.url.endswith("/cuestionario/parte/1")
    assert page.locator('[name="age"]').input_value() == "34"
    assert page.locator('[name="education"][value="secondary"]').is_checked()
    context.close()

    # the battery died: another browser, the same code, the part he reached
    context = phone_context(chromium, javascript)
    page = context.new_page()
    open_code(page, live.url, code)
    assert page.url.endswith("/cuestionario/parte/3"), page.url
    page.get_by_role("button", name="Atrás").click()
    page.wait_for_load_state()
    assert page.url.endswith("/cuestionario/parte/2")
    assert page.locator('[name="occupation_type"][value="employee"]').is_checked()
    page.get_by_role("button", name="Atrás").click()
    page.wait_for_load_state()
    assert page.url.endswith("/cuestionario/parte/1")
    assert page.locator('[name="age"]').input_value() == "34"

    for _ in range(15):
        answer_part(page, INTAKE_ANSWERS)
        if page.url.endswith("/cuestionario/gracias"):
            break
    assert page.get_by_role("heading", name="Gracias").is_visible()
    page.go_back()  # after sending, Back leads to the thanks page, never to his answers
    assert page.url.endswith("/cuestionario/gracias")
    context.close()

    snapshot = store_of(app)
    assert snapshot.first("responses", participant_code=man, questionnaire="intake")["answers"]["age"] == 34
    assert snapshot.count("drafts") == 0
    with app.app_context():
        assert drafts.load(store_of(app), man, "intake").started is False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(instance: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, PORTAL_INSTANCE=instance, PORTAL_COOKIE_SECURE="0")
    code = ("import logging; logging.getLogger('werkzeug').setLevel(logging.ERROR);"
            "from werkzeug.serving import run_simple; from portal import create_app;"
            f"run_simple('127.0.0.1', {port}, create_app(), threaded=True)")
    process = subprocess.Popen([sys.executable, "-c", code], cwd=PROJECT, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the portal did not start")


@pytest.mark.slow
def test_a_killed_server_loses_no_part(chromium, app):
    fac = Facilitator(app.test_client())
    man = fac.register()
    code = fac.issue_code(man, "intake")
    port = _free_port()
    server = _serve(app.instance_path, port)
    base = f"http://127.0.0.1:{port}"
    context = phone_context(chromium)
    page = context.new_page()
    try:
        open_code(page, base, code)
        answer_part(page, INTAKE_ANSWERS)
        answer_part(page, INTAKE_ANSWERS)
        assert page.url.endswith("/cuestionario/parte/3")
        os.kill(server.pid, signal.SIGKILL)  # the machine's power went
        server.wait()
        server = _serve(app.instance_path, port)
        page.reload()
        assert page.url.endswith("/cuestionario/parte/3") and page.get_by_text("Parte 3 de").is_visible()
        page.get_by_role("button", name="Atrás").click()
        page.wait_for_load_state()
        assert page.locator('[name="occupation_type"][value="employee"]').is_checked()
    finally:
        context.close()
        server.kill()
        server.wait()
