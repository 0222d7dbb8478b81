import re

import pytest

from portal import create_app
from portal.db import get_registry
from portal.registry import add_site, add_user, check_site

PASSWORDS = {
    "admin": "admin-password-1",
    "coord": "coord-password-1",
    "fac_a": "fac-a-password-1",
    "fac_b": "fac-b-password-1",
}


@pytest.fixture
def app(tmp_path):
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path / "instance", "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        registry = get_registry()
        add_site(registry, check_site("SITE-A", "Centro de Salud A", "09", 24))
        add_site(registry, check_site("SITE-B", "Centro de Salud B", "14", 20))
        add_user(registry, "admin", "admin", PASSWORDS["admin"])
        add_user(registry, "coord", "coordinator", PASSWORDS["coord"])
        add_user(registry, "fac_a", "facilitator", PASSWORDS["fac_a"], "SITE-A")
        add_user(registry, "fac_b", "facilitator", PASSWORDS["fac_b"], "SITE-B")
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(response) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the page has no CSRF token"
    return match.group(1)


class Staff:
    """A person at the portal: signs in and out, posts forms with their token."""

    def __init__(self, client):
        self.client = client

    def login(self, username, password=None):
        page = self.client.get("/entrar")
        response = self.client.post("/entrar", data={
            "username": username,
            "password": password if password is not None else PASSWORDS[username],
            "csrf_token": csrf_token(page),
        })
        if password is None:
            assert response.status_code == 302, f"{username} could not sign in"
        return response

    def logout(self):
        page = self.client.get("/cuestionarios/")
        return self.client.post("/salir", data={"csrf_token": csrf_token(page)})

    def post_form(self, url, data):
        page = self.client.get(url)
        return self.client.post(url, data={**data, "csrf_token": csrf_token(page)})


@pytest.fixture
def staff(client):
    return Staff(client)
