"""The flask subcommands an administrator runs."""
from pathlib import Path

from portal.db import get_registry
from portal.registry import get_user, list_sites


def test_sites_add_and_list(app, runner):
    result = runner.invoke(args=["sites", "add", "OAX-01", "--name", "Centro de Salud Oaxaca", "--state", "20",
                                 "--sessions", "20"])
    assert result.exit_code == 0, result.output
    assert "OAX-01" in result.output and "Oaxaca" in result.output
    listing = runner.invoke(args=["sites", "list"])
    assert "OAX-01\t20 Oaxaca\t20\tCentro de Salud Oaxaca" in listing.output
    with app.app_context():
        assert "OAX-01" in [s.code for s in list_sites(get_registry())]


def test_sites_add_refuses_bad_input_in_spanish(app, runner):
    for args, words in [
        (["../x", "--name", "X", "--state", "09"], "código del sitio"),
        (["GOOD-1", "--name", "X", "--state", "33"], "INEGI"),
        (["GOOD-1", "--name", "X", "--state", "09", "--sessions", "0"], "sesiones"),
        (["SITE-A", "--name", "Repetido", "--state", "09"], "Ya existe"),
    ]:
        result = runner.invoke(args=["sites", "add", *args])
        assert result.exit_code != 0 and words in result.output, (args, result.output)
    with app.app_context():
        assert sorted(s.code for s in list_sites(get_registry())) == ["SITE-A", "SITE-B"]


def test_users_add_with_password_stdin(app, runner):
    result = runner.invoke(args=["users", "add", "nuevo", "--role", "facilitator", "--site", "SITE-B",
                                 "--password-stdin"], input="una-clave-larga\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = get_user(get_registry(), "nuevo")
    assert user.role == "facilitator" and user.site == "SITE-B"
    assert "una-clave-larga" not in (Path(app.instance_path) / "portal.json").read_text(encoding="utf-8")


def test_users_add_with_prompt(app, runner):
    result = runner.invoke(args=["users", "add", "coord2", "--role", "coordinator"],
                           input="otra-clave-larga\notra-clave-larga\n")
    assert result.exit_code == 0, result.output


def test_users_add_refuses_bad_input(app, runner):
    cases = [
        (["x", "--role", "admin"], "clave-larga-ok\n", "nombre de usuario"),
        (["pepe", "--role", "facilitator"], "clave-larga-ok\n", "--site"),
        (["pepe", "--role", "facilitator", "--site", "NOPE"], "clave-larga-ok\n", "NOPE"),
        (["pepe", "--role", "admin"], "corta\n", "10 caracteres"),
        (["fac_a", "--role", "admin"], "clave-larga-ok\n", "ya existe"),
        (["pepe", "--role", "boss"], "clave-larga-ok\n", "boss"),
    ]
    for args, stdin, words in cases:
        result = runner.invoke(args=["users", "add", *args, "--password-stdin"], input=stdin)
        assert result.exit_code != 0 and words in result.output, (args, result.output)
    with app.app_context():
        assert get_user(get_registry(), "pepe") is None
