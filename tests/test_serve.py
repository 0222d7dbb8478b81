"""The production server as ``make serve`` starts it, and the reverse proxies it trusts."""
import http.client
import os
import re
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode

import pytest
from flask import request, request_started
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import PROJECT_ROOT
from portal.serve import build_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(instance, **settings):
    """``python -m portal.serve`` as ``make serve`` runs it, on a free port: (process, port)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PORTAL_COOKIE_SECURE", "PORTAL_PROXIES")}
    env.update(PORTAL_INSTANCE=str(instance), HOST="127.0.0.1", PORT=str(port), **settings)
    server = subprocess.Popen([sys.executable, "-m", "portal.serve"], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError("the server did not start")


@pytest.fixture
def serve(tmp_path):
    servers = []

    def start(**settings):
        server, port = start_server(tmp_path / "instance", **settings)
        servers.append(server)
        return port

    yield start
    for server in servers:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()


def fetch(port, method, path, body=None, headers=None):
    """One request to the server: (status, headers, text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body, headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        conn.close()


def test_make_serve_runs_the_production_server_on_port_8000():
    env = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT")}
    serve = subprocess.run(["make", "-n", "serve"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert "HOST=127.0.0.1 PORT=8000 .venv/bin/python -m portal.serve" in serve.stdout.splitlines()
    run = subprocess.run(["make", "-n", "run"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert "--host 127.0.0.1 --port 5000" in run.stdout  # the demo keeps its port


@pytest.mark.slow
def test_production_server_serves_the_sign_in_page_with_secure_cookies(serve):
    port = serve()
    status, headers, html = fetch(port, "GET", "/entrar")
    assert status == 200
    assert "Iniciar sesión" in html
    assert headers["Server"] == "portal"
    assert "Secure" in headers["Set-Cookie"]


def sign_in_post(port, referrer, forwarded):
    """Post the sign-in form as a browser behind an HTTPS proxy would: the status."""
    _, headers, html = fetch(port, "GET", "/entrar", headers=forwarded)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    form = urlencode({"username": "nadie", "password": "x" * 12, "csrf_token": token})
    status, _, _ = fetch(port, "POST", "/entrar", form, {
        **forwarded, "Cookie": headers["Set-Cookie"].split(";")[0], "Referer": referrer,
        "Content-Type": "application/x-www-form-urlencoded"})
    return status


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "portal.example"}


@pytest.mark.slow
def test_behind_one_proxy_the_scheme_and_host_come_from_its_headers(serve):
    port = serve(PORTAL_PROXIES="1")
    # The request is HTTPS for the portal, so the CSRF check compares the referrer with the forwarded host.
    assert sign_in_post(port, "https://portal.example/entrar", FORWARDED) != 400
    assert sign_in_post(port, "https://elsewhere.example/entrar", FORWARDED) == 400


@pytest.mark.slow
def test_without_proxies_the_forwarded_headers_are_ignored(serve):
    port = serve()
    assert sign_in_post(port, "https://elsewhere.example/entrar", FORWARDED) != 400


def seen_address(app, headers):
    """The client's address as the portal sees it, for a request from 10.0.0.1."""
    seen = []

    def remember(sender, **extra):
        seen.append(request.remote_addr)

    with request_started.connected_to(remember, app):
        app.test_client().get("/entrar", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    return seen[0]


def test_client_address_comes_from_x_forwarded_for_only_with_proxies(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_INSTANCE", str(tmp_path / "instance"))
    proxied, settings = build_app({"PORTAL_PROXIES": "1"})
    assert isinstance(proxied.wsgi_app, ProxyFix) and settings["proxies"] == 1
    assert seen_address(proxied, {"X-Forwarded-For": "203.0.113.7"}) == "203.0.113.7"
    # one proxy: only the address it added counts, not what the client wrote before it
    assert seen_address(proxied, {"X-Forwarded-For": "6.6.6.6, 203.0.113.7"}) == "203.0.113.7"

    direct, settings = build_app({})
    assert not isinstance(direct.wsgi_app, ProxyFix)
    assert settings == {"host": "127.0.0.1", "port": 8000, "proxies": 0}
    assert seen_address(direct, {"X-Forwarded-For": "203.0.113.7"}) == "10.0.0.1"


@pytest.mark.parametrize("name, value", [("PORT", "ocho mil"), ("PORT", "70000"), ("PORTAL_PROXIES", "-1")])
def test_a_wrong_setting_stops_the_server_with_a_message(tmp_path, monkeypatch, name, value):
    monkeypatch.setenv("PORTAL_INSTANCE", str(tmp_path / "instance"))
    with pytest.raises(SystemExit) as stopped:
        build_app({name: value})
    assert name in str(stopped.value) and value in str(stopped.value)
