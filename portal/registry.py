"""Sites and users: the portal-wide registry kept in ``instance/portal.json``."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from .clock import DEFAULT_ZONE, ZONES
from .states import STATES
from .storage import SITE_CODE_RE, SiteStore, Transaction, now_iso

# How passwords are stored: werkzeug's scrypt at its full strength (n=2**15, r=8, p=1, about 0.1 s a hash here).
# The test run alone lowers it (tests/conftest.py), and a test checks that a real command stores this one.
PASSWORD_METHOD = "scrypt"

ROLES = ("admin", "coordinator", "facilitator")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
MIN_PASSWORD_LENGTH = 10


class RegistryError(ValueError):
    """Input that cannot be accepted; the message is for a person. ``fields``: each field's own message."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


def _refuse(problems: list[tuple[str, str]]) -> None:
    """(field, message) pairs -> one RegistryError that knows where each message goes."""
    if problems:
        fields: dict[str, str] = {}
        for field, message in problems:
            fields.setdefault(field, message)
        raise RegistryError(" ".join(m for _f, m in problems), fields)


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    state: str
    sessions: int
    time_zone: str = DEFAULT_ZONE  # "today" at the site, and every time shown for it

    @property
    def time_zone_name(self) -> str:
        return str(ZONES.get(self.time_zone, self.time_zone))

    @property
    def state_name(self) -> str:
        return STATES.get(self.state, self.state)


@dataclass(frozen=True)
class User:
    username: str
    role: str
    site: str | None
    must_change_password: bool = False  # a temporary password given by an administrator
    active: bool = True

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_read_site(self, code: str) -> bool:
        return self.role in ("admin", "coordinator") or (self.role == "facilitator" and self.site == code)

    def can_write_site(self, code: str) -> bool:
        return self.role == "admin" or (self.role == "facilitator" and self.site == code)


# --------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------

def list_sites(registry: SiteStore) -> list[Site]:
    sites = [_site(doc) for doc in registry.read().all("sites")]
    return sorted(sites, key=lambda s: (s.state, s.code))


def get_site(registry: SiteStore, code: str) -> Site | None:
    doc = registry.read().first("sites", code=code)
    return _site(doc) if doc else None


def _site(doc: dict) -> Site:
    return Site(doc["code"], doc["name"], doc["state"], int(doc["sessions"]), doc.get("time_zone") or DEFAULT_ZONE)


def check_site(code: str, name: str, state: str, sessions: int, time_zone: str | None = None) -> Site:
    """Validate the fields of a new site; raise RegistryError with every problem."""
    problems = []
    if not isinstance(code, str) or not SITE_CODE_RE.fullmatch(code):
        problems.append(_("The site code must have 2 to 16 characters: capital letters A-Z, digits "
                          "and hyphens, starting with a letter or digit (for example CDMX-01)."))
    name = (name or "").strip()
    if not name or len(name) > 120:
        problems.append(_("The site name is required and can have up to 120 characters."))
    state = (state or "").strip()
    if len(state) == 1 and state.isdigit():
        state = "0" + state
    if state not in STATES:
        problems.append(_("The state must be its INEGI code, from 01 to 32."))
    if not isinstance(sessions, int) or isinstance(sessions, bool) or not 1 <= sessions <= 60:
        problems.append(_("The number of program sessions must be between 1 and 60."))
    time_zone = time_zone or DEFAULT_ZONE
    if time_zone not in ZONES:
        problems.append(_("The time zone must be one of Mexico's: %(zones)s.", zones=", ".join(ZONES)))
    if problems:
        raise RegistryError(" ".join(problems))
    return Site(code, name, state, sessions, time_zone)


def add_site(registry: SiteStore, site: Site, user: str | None = None) -> Site:
    def change(tx: Transaction) -> Site:
        if tx.first("sites", code=site.code):
            raise RegistryError(_("A site with the code %(code)s already exists.", code=site.code))
        tx.insert("sites", {"code": site.code, "name": site.name, "state": site.state,
                            "sessions": site.sessions, "time_zone": site.time_zone, "created_at": now_iso()})
        return site

    return registry.write(change, user=user)


def update_site(registry: SiteStore, site: Site, user: str | None = None) -> Site:
    """Another name, state, number of sessions or time zone for a site (its code names its file: it stays)."""

    def change(tx: Transaction) -> Site:
        found = tx.first("sites", code=site.code)
        if found is None:
            raise RegistryError(_("The site %(code)s does not exist.", code=site.code))
        tx.update("sites", found["doc_id"], {"name": site.name, "state": site.state, "sessions": site.sessions,
                                             "time_zone": site.time_zone})
        return site

    return registry.write(change, user=user)


# --------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------

def _user(doc: dict) -> User:
    return User(doc["username"], doc["role"], doc.get("site"), bool(doc.get("must_change_password")),
                doc.get("active", True))


def get_user(registry: SiteStore, username: str) -> User | None:
    doc = registry.read().first("users", username=username)
    if not doc or not doc.get("active", True):
        return None
    return _user(doc)


def list_users(registry: SiteStore) -> list[User]:
    """Every user, deactivated ones too."""
    return sorted((_user(d) for d in registry.read().all("users")), key=lambda u: u.username)


def _role_problems(registry: SiteStore, role: str, site: str | None) -> list[tuple[str, str]]:
    problems = []
    if role not in ROLES:
        problems.append(("role", _("Choose the role: administrator, coordinator or facilitator.")))
    if role == "facilitator" and not site:
        problems.append(("site", _("A facilitator must belong to a site: choose his site.")))
    if role != "facilitator" and site:
        problems.append(("site", _("Only facilitators belong to a site.")))
    if site and not get_site(registry, site):
        problems.append(("site", _("The site %(code)s does not exist.", code=site)))
    return problems


def update_user(registry: SiteStore, username: str, role: str, site: str | None, active: bool,
                user: str | None = None) -> User:
    """Another role or site, or deactivate (he can no longer sign in) and reactivate."""
    site = site or None
    _refuse(_role_problems(registry, role, site))

    def change(tx: Transaction) -> User:
        found = tx.first("users", username=username)
        if found is None:
            raise RegistryError(_("The user %(name)s does not exist.", name=username))
        if username == user and (not active or role != "admin"):
            raise RegistryError(_("You cannot deactivate yourself or take away your own administrator role."))
        tx.update("users", found["doc_id"], {"role": role, "site": site, "active": active})
        return _user({**found, "role": role, "site": site, "active": active})

    return registry.write(change, user=user)


def add_user(registry: SiteStore, username: str, role: str, password: str,
             site: str | None = None, user: str | None = None, temporary: bool = False) -> User:
    problems = []
    if not isinstance(username, str) or not USERNAME_RE.fullmatch(username):
        problems.append(("username", _("The user name must have 3 to 32 characters: lower-case letters, digits, "
                                       "dot, hyphen or underscore.")))
    problems += _role_problems(registry, role, site)
    if len(password or "") < MIN_PASSWORD_LENGTH:
        problems.append(("password", _("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)))
    _refuse(problems)
    password_hash = generate_password_hash(password, method=PASSWORD_METHOD)

    def change(tx: Transaction) -> User:
        if tx.first("users", username=username):
            message = _("The user %(name)s already exists.", name=username)
            raise RegistryError(message, {"username": message})
        tx.insert("users", {"username": username, "role": role, "site": site if site else None,
                            "password_hash": password_hash, "active": True, "created_at": now_iso(),
                            "must_change_password": temporary})
        return User(username, role, site or None, temporary)

    return registry.write(change, user=user)


def set_password(registry: SiteStore, username: str, password: str, user: str | None = None,
                 temporary: bool = False) -> None:
    """A new password: changed by the user, or reset by an administrator (``temporary``: to be
    changed at the next sign-in)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise RegistryError(_("The password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH))
    password_hash = generate_password_hash(password, method=PASSWORD_METHOD)

    def change(tx: Transaction) -> None:
        found = tx.first("users", username=username)
        if found is None:
            raise RegistryError(_("The user %(name)s does not exist.", name=username))
        with tx.action("password", "users", username, None):
            tx.update("users", found["doc_id"], {"password_hash": password_hash, "password_changed_at": now_iso(),
                                                 "must_change_password": temporary})

    registry.write(change, user=user)


class Deactivated(RegistryError):
    """The right password of a user who can no longer sign in."""


def authenticate(registry: SiteStore, username: str, password: str) -> User | None:
    """The user of this name and password; None when either is wrong. A deactivated user who gives his right
    password raises Deactivated (so he is not told his password is wrong)."""
    doc = registry.read().first("users", username=(username or "").strip().lower())
    if not doc:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(doc["password_hash"], password or ""):
        return None
    if not doc.get("active", True):
        raise Deactivated(_("Your user was deactivated: you can no longer sign in. Ask the administrator."))
    return User(doc["username"], doc["role"], doc.get("site"))


def temporary_password() -> str:
    """A password to read out or write down once: letters and digits that cannot be confused."""
    alphabet = "ACDEFHJKMNPRTUVWXY34679"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


@cache
def _dummy_hash() -> str:
    """A hash to compare against when the user does not exist, so timing tells nothing."""
    return generate_password_hash("not-a-real-password", method=PASSWORD_METHOD)
