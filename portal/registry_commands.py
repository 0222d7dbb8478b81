"""``flask --app portal sites ...``, ``users ...`` and ``states``: the registry of sites and users
(``registry.py``) from the command line."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from . import logins
from .clock import ZONES
from .commands import fail
from .db import get_registry
from .registry import ROLES, RegistryError, add_site, add_user, check_site, list_sites, list_users, set_password
from .states import STATES

sites_cli = AppGroup("sites", help="Add and list sites.")
users_cli = AppGroup("users", help="Add and list users.")


@sites_cli.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Name of the site (health centre or venue).")
@click.option("--state", required=True, help="INEGI code of the state, 01 to 32.")
@click.option("--sessions", default=None, type=int, help="Number of program sessions (default 24).")
@click.option("--time-zone", default=None, help="The site's IANA time zone (default America/Mexico_City); "
              "see `sites zones`.")
def sites_add(code: str, name: str, state: str, sessions: int | None, time_zone: str | None) -> None:
    """Add a site."""
    with force_locale("es"):
        try:
            default = current_app.config["DEFAULT_SESSIONS"]
            site = check_site(code, name, state, default if sessions is None else sessions, time_zone)
            add_site(get_registry(), site, user="cli")
        except RegistryError as exc:
            fail(str(exc))
        click.echo(ngettext("Site %(code)s added: %(name)s, %(state)s, %(num)s session.",
                            "Site %(code)s added: %(name)s, %(state)s, %(num)s sessions.", site.sessions,
                            code=site.code, name=site.name, state=site.state_name))


@sites_cli.command("list")
def sites_list() -> None:
    """List the sites."""
    with force_locale("es"):
        sites = list_sites(get_registry())
        if not sites:
            click.echo(_("There are no sites yet."))
        for site in sites:
            click.echo(f"{site.code}\t{site.state} {site.state_name}\t{site.sessions}\t{site.name}\t{site.time_zone}")


@sites_cli.command("zones")
def sites_zones() -> None:
    """List the time zones a site may have (Mexico's)."""
    with force_locale("es"):
        for name, label in ZONES.items():
            click.echo(f"{name}\t{label}")


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
            fail(f"{exc} (--site CODE)" if "site" in exc.fields and not site else str(exc))
        where = _(" at site %(site)s", site=user.site) if user.site else ""
        click.echo(_("User %(name)s added with the role %(role)s%(where)s.", name=user.username,
                     role=user.role, where=where))


@users_cli.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def users_password(username: str, password_stdin: bool) -> None:
    """Reset a user's password; every session of that user ends."""
    with force_locale("es"):
        password = (sys.stdin.readline().rstrip("\r\n") if password_stdin
                    else click.prompt(_("Password"), hide_input=True, confirmation_prompt=True))
        username = username.strip().lower()
        try:
            set_password(get_registry(), username, password, user="cli")
        except RegistryError as exc:
            fail(str(exc))
        ended = logins.end_all(logins.logins_store(current_app.instance_path), username)
        click.echo(ngettext("New password for %(name)s; %(num)s open session was closed.",
                            "New password for %(name)s; %(num)s open sessions were closed.", ended, name=username))


@users_cli.command("list")
def users_list() -> None:
    """List the users."""
    for user in list_users(get_registry()):
        click.echo(f"{user.username}\t{user.role}\t{user.site or ''}")


@click.command("states")
@with_appcontext
def states_list() -> None:
    """List the states and their INEGI codes."""
    for code, name in STATES.items():
        click.echo(f"{code}\t{name}")
