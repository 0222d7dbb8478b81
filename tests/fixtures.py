"""The apps and instances the tests start from (a helper module of the tests, not a test module).

What costs time to make is made once per run in a folder of its own and copied for each test that writes to it:
the test instance (two sites, four users, their groups: four password hashes) and the demo instance (the demo
year and the year in progress). ``conftest.py`` turns these functions into fixtures; a test never writes to an
original, only to its copy.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask

from portal import create_app
from portal.db import get_registry, get_site_store
from portal.registry import add_site, add_user, check_site

PASSWORDS = {
    "admin": "admin-password-1",
    "coord": "coord-password-1",
    "fac_a": "fac-a-password-1",
    "fac_b": "fac-b-password-1",
}
GROUPS = ("2026-A", "2026-B")
GROUP_START = "2025-12-15"


def make_app(instance, **config) -> Flask:
    """The portal on the instance folder ``instance``, as the tests run it: testing, its session cookie sent over
    plain http (the test client and the live server), and ``config`` on top."""
    return create_app({"TESTING": True, "INSTANCE_PATH": instance, "SESSION_COOKIE_SECURE": False, **config})


def copy_instance(original: Path, folder: Path) -> Path:
    """A copy of the instance folder ``original`` at ``folder`` for a test to write to; its files are new files (their
    own times and inodes), as a fresh instance's are. The original is left as it was."""
    shutil.copytree(original, folder, copy_function=shutil.copy)
    return folder


def add_group(site, code, started_on=GROUP_START, sessions=24):
    """A group created as a facilitator creates it (inside an app context)."""
    store = get_site_store(site)
    store.write(lambda tx: tx.insert("groups", {"code": code, "started_on": started_on, "sessions": sessions,
                                                "closed_on": None}), user="test")


def fill_test_instance(app: Flask) -> None:
    """The test instance: SITE-A (Ciudad de México, 24 sessions) and SITE-B (Jalisco, 20), an administrator, a
    coordinator, a facilitator of each site (``PASSWORDS``), and the groups of ``GROUPS`` at both sites."""
    with app.app_context():
        registry = get_registry()
        add_site(registry, check_site("SITE-A", "Centro de Salud A", "09", 24))
        add_site(registry, check_site("SITE-B", "Centro de Salud B", "14", 20))
        add_user(registry, "admin", "admin", PASSWORDS["admin"])
        add_user(registry, "coord", "coordinator", PASSWORDS["coord"])
        add_user(registry, "fac_a", "facilitator", PASSWORDS["fac_a"], "SITE-A")
        add_user(registry, "fac_b", "facilitator", PASSWORDS["fac_b"], "SITE-B")
        for site, sessions in (("SITE-A", 24), ("SITE-B", 20)):  # groups exist before men go into them
            for code in GROUPS:
                add_group(site, code, sessions=sessions)


def fill_demo_instance(app: Flask) -> str:
    """``flask --app portal demo`` on the app's empty instance: what the command printed."""
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result.output
