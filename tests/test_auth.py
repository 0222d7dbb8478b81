"""Who can see what, CSRF, cookies and headers."""
import re

import pytest
from conftest import PASSWORDS, csrf_token


def test_login_and_logout(staff, client):
    response = staff.login("fac_a")
    assert response.status_code == 302
    assert client.get("/").headers["Location"].endswith("/sitio/SITE-A/")
    assert "Centro de Salud A" in client.get("/sitio/SITE-A/").get_data(as_text=True)
    staff.logout()
    assert client.get("/sitio/SITE-A/").headers["Location"].startswith("/entrar")


def test_wrong_password_is_refused_in_spanish(staff):
    response = staff.login("fac_a", "not-the-password")
    assert response.status_code == 401
    assert "El nombre de usuario o la contraseña no son correctos." in response.get_data(as_text=True)


def test_repeated_wrong_passwords_are_slowed(staff):
    for _ in range(5):
        staff.login("fac_a", "wrong-password-x")
    response = staff.login("fac_a", "fac-a-password-1")  # even the right password waits now
    assert response.status_code == 401
    assert "Demasiados intentos" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client, staff):
    response = client.post("/entrar", data={"username": "fac_a", "password": "fac-a-password-1"})
    assert response.status_code == 400
    assert "caducó" in response.get_data(as_text=True)
    staff.login("fac_a")
    response = client.post("/cuestionarios/exit/vista-previa", data={"family_change": "better"})
    assert response.status_code == 400
    assert client.post("/salir").status_code == 400  # even signing out needs the token


@pytest.mark.parametrize("url", ["/sitio/SITE-B/", "/sitio/SITE-B", "/sitio/site-b/", "/sitio/SITE-B/../SITE-B/"])
def test_a_facilitator_cannot_open_another_site(staff, client, url):
    staff.login("fac_a")
    response = client.get(url, follow_redirects=True)
    assert response.status_code in (403, 404)
    assert "Centro de Salud B" not in response.get_data(as_text=True)


def test_a_facilitator_cannot_list_all_sites(staff, client):
    staff.login("fac_a")
    assert client.get("/sitios/").status_code == 403


def test_admin_and_coordinator_see_every_site(staff, client):
    for user in ("admin", "coord"):
        staff.login(user)
        page = client.get("/sitios/").get_data(as_text=True)
        assert "SITE-A" in page and "SITE-B" in page and "Jalisco" in page
        assert client.get("/sitio/SITE-B/").status_code == 200
        staff.logout()


def test_anonymous_users_are_sent_to_sign_in(client):
    for url in ["/sitio/SITE-A/", "/sitios/", "/cuestionarios/", "/cuestionarios/intake/vista-previa"]:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/entrar")


def test_next_cannot_send_to_another_website(staff, client):
    page = client.get("/entrar")
    response = client.post("/entrar?next=//evil.example/x", data={
        "username": "fac_a", "password": "fac-a-password-1", "csrf_token": csrf_token(page)})
    assert response.headers["Location"] == "/"


def test_session_cookie_and_security_headers(app, staff, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    page = client.get("/entrar")
    response = client.post("/entrar", data={"username": "fac_a", "password": "fac-a-password-1",
                                            "csrf_token": csrf_token(page)})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    headers = client.get("/entrar").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"  # private to other sites; Flask-WTF needs it on HTTPS
    assert headers["Cache-Control"] == "no-store"


def test_interface_is_spanish_by_default_and_switches_to_english(staff, client):
    page = client.get("/entrar")
    text = page.get_data(as_text=True)
    assert '<html lang="es">' in text and "Iniciar sesión" in text
    client.post("/idioma", data={"lang": "en", "csrf_token": csrf_token(page), "next": "/entrar"})
    text = client.get("/entrar").get_data(as_text=True)
    assert '<html lang="en">' in text and "Sign in" in text
    staff.login("fac_a")  # the choice survives signing in
    assert '<html lang="en">' in client.get("/sitio/SITE-A/").get_data(as_text=True)


def test_preview_checks_answers_and_stores_nothing(app, staff, client):
    staff.login("fac_a")
    url = "/cuestionarios/exit/vista-previa"
    response = staff.post_form(url, {"strategy_used": "yes", "family_change": "better"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Por favor responda esta pregunta." in text
    assert re.search(r'<fieldset aria-describedby="[^"]*strategies-error"', text)  # the message is tied to it
    answers = {f"rec_{n}": "yes" for n in ["insults", "jealousy_control", "threats", "isolation", "push_hit",
                                             "throw_objects", "forced_sex", "withhold_money", "take_belongings",
                                             "children_leverage"]}
    answers.update(strategy_used="no", strategies="breathing", family_change="better",
                   partner_relationship_change="same", would_recommend="yes", most_useful="managing_anger")
    response = staff.post_form(url, answers)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Las respuestas son válidas" in text
    assert "Respirar" not in text.split("Las respuestas son válidas")[1].split("</dl>")[0]  # hidden answer dropped
    from portal.db import get_site_store
    with app.app_context():
        assert get_site_store("SITE-A").read().count("responses") == 0


def test_a_corrupt_site_file_gives_a_clear_spanish_page_and_stays_untouched(app, staff, client):
    from pathlib import Path

    path = Path(app.instance_path) / "sites" / "SITE-A.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'{"participants": {"1": {"code": "SITE-A-2026-0001"}')
    before = path.read_bytes()
    staff.login("fac_a")
    response = client.get("/sitio/SITE-A/")
    assert response.status_code == 503
    assert "No se pudo leer el archivo de datos SITE-A.json" in response.get_data(as_text=True)
    assert path.read_bytes() == before


def test_dates_and_months_are_shown_the_mexican_way(app):
    from flask_babel import force_locale

    from portal.i18n import month_name, short_date

    with app.test_request_context(), force_locale("es"):
        assert short_date("2026-03-05") == "05/03/2026"
        assert month_name("2026-05") == "Mayo de 2026"
        assert month_name("2026-11-24") == "Noviembre de 2026"
    with app.test_request_context(), force_locale("en"):
        assert month_name("2026-05") == "May 2026"


def test_signing_in_over_https_passes_the_csrf_referrer_check(app):
    """On HTTPS Flask-WTF wants a Referer of the same host: the pages' policy lets the browser send it."""
    client = app.test_client()
    page = client.get("/entrar", base_url="https://portal.example")
    assert page.headers["Referrer-Policy"] == "same-origin"
    response = client.post("/entrar", base_url="https://portal.example", headers={"Referer": "https://portal.example/entrar"},
                           data={"username": "fac_a", "password": PASSWORDS["fac_a"], "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    refused = app.test_client()
    page = refused.get("/entrar", base_url="https://portal.example")
    response = refused.post("/entrar", base_url="https://portal.example",  # what no-referrer made browsers send
                            data={"username": "fac_a", "password": PASSWORDS["fac_a"], "csrf_token": csrf_token(page)})
    assert response.status_code == 400


def test_a_real_command_stores_passwords_with_scrypt_at_full_strength(tmp_path):
    """The test run hashes at a small cost (conftest.py); the portal itself, in its own process, does not."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PORTAL_INSTANCE=str(tmp_path / "instance"))
    added = subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "users", "add", "ana.admin", "--role",
                            "admin", "--password-stdin"], input="una frase larga de ana\n", env=env,
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    stored = [line for path in (tmp_path / "instance").rglob("*.json") for line in path.read_text().splitlines()
              if "ana.admin" in line]
    assert stored and all(re.search(r'"password_hash": "scrypt:32768:8:1\$', line) for line in stored), stored
