"""Every operation a person runs: ``flask --app portal ...``."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale, gettext as _

from . import PROJECT_ROOT, TRANSLATIONS_FOLDER
from .db import get_registry
from .registry import ROLES, RegistryError, add_site, add_user, check_site, list_sites, list_users
from .states import STATES

sites_cli = AppGroup("sites", help="Add and list sites.")
users_cli = AppGroup("users", help="Add and list users.")
translate_cli = AppGroup("translate", help="Update and compile the interface translations.")


def _fail(message: str) -> None:
    raise click.ClickException(message)


@sites_cli.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Name of the site (health centre or venue).")
@click.option("--state", required=True, help="INEGI code of the state, 01 to 32.")
@click.option("--sessions", default=None, type=int, help="Number of program sessions (default 24).")
def sites_add(code: str, name: str, state: str, sessions: int | None) -> None:
    """Add a site."""
    with force_locale("es"):
        try:
            default = current_app.config["DEFAULT_SESSIONS"]
            site = check_site(code, name, state, default if sessions is None else sessions)
            add_site(get_registry(), site, user="cli")
        except RegistryError as exc:
            _fail(str(exc))
        click.echo(_("Site %(code)s added: %(name)s, %(state)s, %(n)s sessions.", code=site.code,
                     name=site.name, state=site.state_name, n=site.sessions))


@sites_cli.command("list")
def sites_list() -> None:
    """List the sites."""
    with force_locale("es"):
        sites = list_sites(get_registry())
        if not sites:
            click.echo(_("There are no sites yet."))
        for site in sites:
            click.echo(f"{site.code}\t{site.state} {site.state_name}\t{site.sessions}\t{site.name}")


@users_cli.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="admin, coordinator or facilitator.")
@click.option("--site", default=None, help="The facilitator's site code.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def users_add(username: str, role: str, site: str | None, password_stdin: bool) -> None:
    """Add a user (the password is asked for, never given on the command line)."""
    with force_locale("es"):
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
        try:
            user = add_user(get_registry(), username.strip().lower(), role, password, site, user="cli")
        except RegistryError as exc:
            _fail(str(exc))
        where = _(" at site %(site)s", site=user.site) if user.site else ""
        click.echo(_("User %(name)s added with the role %(role)s%(where)s.", name=user.username,
                     role=user.role, where=where))


@users_cli.command("list")
def users_list() -> None:
    """List the users."""
    for user in list_users(get_registry()):
        click.echo(f"{user.username}\t{user.role}\t{user.site or ''}")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=PROJECT_ROOT)


@translate_cli.command("update")
def translate_update() -> None:
    """Extract the interface strings and merge them into the catalogs."""
    pot = str(TRANSLATIONS_FOLDER / "messages.pot")
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--omit-header", "-o", pot, "portal")
    for lang in current_app.config["LANGUAGES"]:
        if lang == "en":  # the source language needs no catalog
            continue
        if not (TRANSLATIONS_FOLDER / lang / "LC_MESSAGES" / "messages.po").exists():
            _pybabel("init", "-i", pot, "-d", str(TRANSLATIONS_FOLDER), "-l", lang)
        _pybabel("update", "-i", pot, "-d", str(TRANSLATIONS_FOLDER), "-l", lang, "--no-fuzzy-matching",
                 "--ignore-obsolete")


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile the catalogs (the portal shows English source text without this)."""
    _pybabel("compile", "--statistics", "-d", str(TRANSLATIONS_FOLDER))


@click.command("states")
@with_appcontext
def states_list() -> None:
    """List the states and their INEGI codes."""
    for code, name in STATES.items():
        click.echo(f"{code}\t{name}")


def init_app(app: Flask) -> None:
    app.cli.add_command(sites_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(translate_cli)
    app.cli.add_command(states_list)
    from .demo import demo_command

    app.cli.add_command(demo_command)
