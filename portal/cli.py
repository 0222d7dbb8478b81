"""Every operation a person runs, ``flask --app portal ...``, registered in one place.

Each command lives beside the work it drives; what they share (how they fail, how they say a file could not be
written) is ``commands.py``.
"""
from __future__ import annotations

from flask import Flask

from .audio import audio_command
from .backup import backup_command, restore_command
from .demo import demo_command
from .freeze.command import freeze_command
from .i18n import translate_cli
from .paper import paper_command
from .registry_commands import sites_cli, states_list, users_cli
from .sheets import sheets_command
from .transfer.command import export_command, import_command

COMMANDS = (sites_cli, users_cli, translate_cli, states_list, sheets_command, paper_command, export_command,
            import_command, freeze_command, demo_command, backup_command, restore_command, audio_command)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
