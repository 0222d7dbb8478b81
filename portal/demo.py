"""``flask --app portal demo``: a demonstration instance with sites and logins."""
from __future__ import annotations

import click
from flask import current_app
from flask_babel import force_locale, gettext as _

from .db import get_registry
from .registry import add_site, add_user, check_site, list_sites

# Demo logins are printed on purpose: they exist only in a demonstration instance.
DEMO_USERS = (
    ("admin", "admin", None, "demo-admin-2010"),
    ("coordinacion", "coordinator", None, "demo-coordinacion-2010"),
    ("facilitador", "facilitator", "CDMX-IZT", "demo-facilitador-2010"),
    ("facilitador2", "facilitator", "JAL-GDL", "demo-facilitador2-2010"),
)
DEMO_SITES = (
    ("CDMX-IZT", "Centro de Salud Iztapalapa", "09"),
    ("JAL-GDL", "Centro de Salud Guadalajara Centro", "14"),
)


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing (but print the logins) if the instance has data.")
def demo_command(if_empty: bool) -> None:
    """Fill an empty instance with demonstration sites and users."""
    registry = get_registry()
    with force_locale("es"):
        if list_sites(registry):
            if not if_empty:
                raise click.ClickException(_("The instance already has sites: the demo only fills an empty one."))
            click.echo(_("The instance already has data; nothing was added."))
        else:
            for code, name, state in DEMO_SITES:
                add_site(registry, check_site(code, name, state, current_app.config["DEFAULT_SESSIONS"]), user="demo")
            for username, role, site, password in DEMO_USERS:
                add_user(registry, username, role, password, site, user="demo")
            click.echo(_("Demo instance ready in %(path)s.", path=current_app.instance_path))
        click.echo(_("Demo logins (user / password):"))
        for username, role, site, password in DEMO_USERS:
            click.echo(f"  {username:<14} {password:<26} {role}{' ' + site if site else ''}")
