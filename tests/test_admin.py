"""Administration in the browser: sites and users, temporary passwords, deactivation."""
import re

from conftest import PASSWORDS, Facilitator, Staff, csrf_token, csrf_token_from

from portal.db import get_registry
from portal.registry import get_site, list_users


def admin(app):
    staff = Staff(app.test_client())
    staff.login("admin")
    return staff


def test_an_administrator_adds_and_edits_a_site(app):
    staff = admin(app)
    response = staff.post_form("/admin/sitios/nuevo", {"code": "oax-01", "name": "Centro de Salud Oaxaca",
                                                       "state": "20", "sessions": "20"})
    assert response.status_code == 302
    response = staff.post_form("/admin/sitios/nuevo", {"code": "OAX-02", "name": "Otro", "state": "20",
                                                       "sessions": "٢٠"})  # digits of another script
    assert response.status_code == 422 and "entre 1 y 60" in response.get_data(as_text=True)
    response = staff.post_form("/admin/sitios/nuevo", {"code": "OAX-01", "name": "Otro", "state": "20",
                                                       "sessions": "20"})
    assert response.status_code == 422 and "Ya existe un sitio con el código OAX-01" in response.get_data(as_text=True)
    response = staff.post_form("/admin/sitios/OAX-01/", {"name": "Centro de Salud Oaxaca Centro", "state": "20",
                                                         "sessions": "24"})
    assert response.status_code == 302
    with app.app_context():
        site = get_site(get_registry(), "OAX-01")
    assert (site.name, site.sessions) == ("Centro de Salud Oaxaca Centro", 24)


def test_a_new_user_signs_in_with_a_temporary_password_and_must_change_it(app):
    staff = admin(app)
    response = staff.post_form("/admin/usuarios/nuevo", {"username": "nueva.fac", "role": "facilitator",
                                                         "site": "SITE-A"})
    assert response.status_code == 303  # post, redirect, get: a reload makes nothing again
    page = staff.client.get(response.headers["Location"]).get_data(as_text=True)
    temporary = re.search(r'<p class="slip-code" id="contrasena">([A-Z0-9-]+)</p>', page).group(1)
    again = staff.client.get(response.headers["Location"])
    assert again.status_code == 302 and temporary not in again.get_data(as_text=True)
    newcomer = Staff(app.test_client())
    assert newcomer.login("nueva.fac", temporary).status_code == 302
    response = newcomer.client.get("/sitio/SITE-A/")
    assert response.status_code == 302 and response.headers["Location"] == "/cuenta/contrasena"
    page = newcomer.client.get("/cuenta/contrasena")
    assert "contraseña temporal" in page.get_data(as_text=True)
    newcomer.client.post("/cuenta/contrasena", data={"csrf_token": csrf_token(page), "current": temporary,
                                                     "new": "mi propia frase larga", "repeat": "mi propia frase larga"})
    assert newcomer.client.get("/sitio/SITE-A/").status_code == 200


def test_a_reset_password_ends_his_sessions_and_a_deactivated_user_cannot_sign_in(app):
    fac = Facilitator(app.test_client())
    staff = admin(app)
    asked = staff.client.get("/admin/usuarios/fac_a/contrasena").get_data(as_text=True)
    assert "deja de funcionar" in asked and "se cierra su sesión" in asked  # one click changes nothing yet
    assert fac.client.get("/sitio/SITE-A/").status_code == 200
    page = staff.client.post("/admin/usuarios/fac_a/contrasena", data={"csrf_token": csrf_token_from(asked)},
                             follow_redirects=True).get_data(as_text=True)
    assert "Se cerraron sus sesiones abiertas" in page
    assert fac.client.get("/sitio/SITE-A/").status_code == 302
    assert Staff(app.test_client()).login("fac_a", PASSWORDS["fac_a"]).status_code == 401
    response = staff.post_form("/admin/usuarios/fac_b/", {"role": "facilitator", "site": "SITE-B", "active": "0"})
    assert response.status_code == 302
    refused = Staff(app.test_client()).login("fac_b", PASSWORDS["fac_b"])
    assert refused.status_code == 403 and "desactivado" in refused.get_data(as_text=True)  # not "wrong password"
    assert Staff(app.test_client()).login("fac_b", "not-his-password").status_code == 401
    response = staff.post_form("/admin/usuarios/admin/", {"role": "admin", "site": "", "active": "0"})
    assert response.status_code == 422 and "No puede desactivarse" in response.get_data(as_text=True)


def test_only_administrators_reach_administration(app):
    for user in ("coord", "fac_a"):
        staff = Staff(app.test_client())
        staff.login(user)
        for url in ("/admin/usuarios/", "/admin/usuarios/nuevo", "/admin/sitios/nuevo", "/admin/sitios/SITE-A/"):
            assert staff.client.get(url).status_code == 403, (user, url)


def test_a_new_user_without_a_chosen_role_is_refused_next_to_the_role(app):
    staff = admin(app)
    form = staff.client.get("/admin/usuarios/nuevo").get_data(as_text=True)
    assert '<option value="">Elija el papel</option>' in form  # nothing chosen at first
    response = staff.post_form("/admin/usuarios/nuevo", {"username": "sin.papel", "role": "", "site": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="role-error"' in html and 'href="#role"' in html
    with app.app_context():
        assert "sin.papel" not in [u.username for u in list_users(get_registry())]
