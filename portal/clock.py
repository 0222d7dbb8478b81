"""Time: instants are stored in UTC; "today" and every time a person sees are the site's local time.

Mexico has several time zones (since 2022 without summer time, except along the US border).
The zone of the site being worked on is set once per request (``use_zone``); tests replace
``now`` to stand at any hour.
"""
from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime, timezone
from functools import cache
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

DEFAULT_ZONE = "America/Mexico_City"
# The IANA zones Mexico uses today, with the words a person knows them by.
ZONES = {
    "America/Mexico_City": _l("Central time (Mexico City and most of the country)"),
    "America/Cancun": _l("Southeast time (Quintana Roo)"),
    "America/Mazatlan": _l("Pacific time (Baja California Sur, Nayarit, Sinaloa)"),
    "America/Hermosillo": _l("Sonora"),
    "America/Tijuana": _l("Northwest time (Baja California)"),
    "America/Chihuahua": _l("Chihuahua (except the border)"),
    "America/Ciudad_Juarez": _l("Ciudad Juárez (Chihuahua border)"),
    "America/Ojinaga": _l("Ojinaga (Chihuahua border)"),
    "America/Matamoros": _l("Border of Coahuila, Nuevo León and Tamaulipas"),
}

_zone: ContextVar[str] = ContextVar("site_zone", default=DEFAULT_ZONE)


def now() -> datetime:
    """The present instant, in UTC."""
    return datetime.now(timezone.utc)


def use_zone(name: str | None) -> None:
    """From here on (this request or command), "today" is the day in this zone."""
    _zone.set(name if name in ZONES else DEFAULT_ZONE)


def zone_name() -> str:
    return _zone.get()


@cache
def _info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(moment: datetime, name: str | None = None) -> datetime:
    """A stored instant (UTC, or naive meaning UTC) as the wall-clock time of the zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(_info(name or zone_name()))


def local_now(name: str | None = None) -> datetime:
    return local(now(), name)


def today(name: str | None = None) -> date:
    """The date on the site's calendar."""
    return local_now(name).date()


def this_month(name: str | None = None) -> str:
    return today(name).strftime("%Y-%m")
