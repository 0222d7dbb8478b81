"""What an erasure reaches beyond the site's file: the man's one-time codes (``codes.json``) and the uploads
waiting for a confirmation at his site (``pending-imports/``), which may hold his code and answers.

Called once the erasure is written (by an administrator's erasure, or by a sync that erases), so that
nothing of him is left in the instance: ``tests/test_erasure_traces.py`` searches every file of it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from . import access_codes
from .transfer import pending


def clear_traces(instance_path: str | Path, site: str, codes: Iterable[str]) -> None:
    store = access_codes.codes_store(instance_path)
    for code in codes:
        access_codes.forget(store, site, code)
    pending.drop_site(instance_path, site)
