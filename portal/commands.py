"""What the ``flask`` subcommands share: how they fail, and how they say a file could not be used.

Each command lives beside the work it drives (``sheets.py``, ``backup.py``, ``freeze/command.py``...);
``cli.py`` registers them all.
"""
from __future__ import annotations

import errno
import sys
from pathlib import Path

import click
from flask_babel import gettext as _


def fail(message: str) -> None:
    """Stop the command with ``message`` on standard error and exit code 1."""
    raise click.ClickException(message)


def os_problem(exc: OSError) -> str:
    """Why a file could not be used, in Spanish (the system's own words are English)."""
    reasons = {errno.ENOSPC: _("the disk is full"), errno.EDQUOT: _("the disk is full"),
               errno.EACCES: _("there is no permission to use it"), errno.EPERM: _("there is no permission to use it"),
               errno.EROFS: _("the disk can only be read"), errno.ENOTDIR: _("a file has the name a folder needs")}
    return reasons.get(exc.errno, exc.strerror or str(exc))


def cannot_write(exc: OSError, path: Path | str) -> str:
    """A file or folder could not be written: a full or read-only disk, no permission, a file in the way."""
    return _("%(path)s could not be written (%(problem)s). Check that the disk has free space and that the "
             "folder can be written to, then run the command again.", path=exc.filename or path,
             problem=os_problem(exc))


def report_skipped(skipped: list[tuple[str, str]]) -> None:
    """Sites left out because their file cannot be used: said plainly, and the command fails."""
    for code, problem in skipped:
        click.echo(_("The site %(code)s was left out: its data file cannot be used (%(problem)s). Restore it from "
                     "a backup.", code=code, problem=problem), err=True)
    if skipped:
        sys.exit(1)
