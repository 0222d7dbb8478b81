"""Sessions that really end, and throttles shared by every process of an instance."""
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from conftest import PASSWORDS, Facilitator, Participant, Staff, csrf_token
from fixtures import make_app

PROJECT = Path(__file__).resolve().parent.parent


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app):
    fac = Facilitator(app.test_client())
    copied = fac.client.get_cookie("portal_session").value
    assert fac.client.get("/sitio/SITE-A/participantes/").status_code == 200
    fac.logout()
    thief = app.test_client()
    thief.set_cookie("portal_session", copied)
    response = thief.get("/sitio/SITE-A/participantes/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/entrar")
    assert thief.get("/sitio/SITE-A/datos/SITE-A.zip").status_code in (302, 404)


def test_a_session_unused_for_too_long_ends(app):
    fac = Facilitator(app.test_client())
    app.config["STAFF_IDLE_MINUTES"] = 0
    time.sleep(1.1)
    response = fac.client.get("/sitio/SITE-A/participantes/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/entrar")


def test_a_new_password_ends_the_users_other_sessions(app):
    office, phone = Facilitator(app.test_client()), Facilitator(app.test_client())
    new = "una frase nueva y larga"
    page = office.client.get("/cuenta/contrasena")
    response = office.client.post("/cuenta/contrasena", data={
        "csrf_token": csrf_token(page), "current": "mal", "new": new, "repeat": new})
    assert response.status_code == 422 and "Su contraseña actual no es correcta" in response.get_data(as_text=True)
    response = office.client.post("/cuenta/contrasena", data={
        "csrf_token": csrf_token(page), "current": PASSWORDS["fac_a"], "new": new, "repeat": new})
    assert response.status_code == 302
    assert office.client.get("/sitio/SITE-A/").status_code == 200  # the one that changed it stays
    assert phone.client.get("/sitio/SITE-A/").status_code == 302  # the others end
    assert Staff(app.test_client()).login("fac_a", PASSWORDS["fac_a"]).status_code == 401
    assert Staff(app.test_client()).login("fac_a", new).status_code == 302


def test_the_cli_password_reset_ends_every_session(app, runner):
    fac = Facilitator(app.test_client())
    result = runner.invoke(args=["users", "password", "fac_a", "--password-stdin"], input="otra frase bastante larga\n")
    assert result.exit_code == 0, result.output
    assert fac.client.get("/sitio/SITE-A/").status_code == 302


WRONG_CODES = textwrap.dedent("""
    import re, sys
    from portal import create_app
    app = create_app({"TESTING": True, "INSTANCE_PATH": sys.argv[1], "SESSION_COOKIE_SECURE": False})
    client = app.test_client()
    for _ in range(10):
        page = client.get("/cuestionario/").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        client.post("/cuestionario/", data={"codigo": "CCCC-CCCC", "csrf_token": token})
    print(client.get_cookie("portal_session").value)
""")


def test_wrong_codes_counted_by_one_process_slow_another_and_survive_a_restart(app, client):
    man, code = Facilitator(client).code_for_new_man()
    guessed = subprocess.run([sys.executable, "-c", WRONG_CODES, app.instance_path], cwd=PROJECT, check=True,
                             capture_output=True, text=True).stdout.strip()
    # the same browser, now served by another process of the same instance, then after a restart
    for attempt in range(2):
        other = make_app(app.instance_path)
        browser = other.test_client()
        browser.set_cookie("portal_session", guessed)
        url, text = Participant(browser).open(code)  # the right code, but he must wait
        assert url == "/cuestionario/" and "Se probaron demasiados códigos" in text, attempt
    # another tablet at the same address (a health centre) is not locked out
    assert Participant(app.test_client()).open(code)[0] == "/cuestionario/parte/1"


def test_wrong_passwords_are_counted_across_processes(app):
    for _ in range(5):
        Staff(app.test_client()).login("fac_a", "contraseña equivocada")
    other = make_app(app.instance_path)
    response = Staff(other.test_client()).login("fac_a", PASSWORDS["fac_a"])
    assert response.status_code == 401 and "Demasiados intentos" in response.get_data(as_text=True)
    assert Staff(other.test_client()).login("fac_b").status_code == 302  # another account is not locked
