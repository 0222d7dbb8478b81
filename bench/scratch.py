"""Where the benchmarks put their temporary data (shared by the scripts of this folder)."""
import os
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def scratch_parent() -> str:
    """A temporary folder on the same disk as the project (never tmpfs)."""
    default = tempfile.gettempdir()
    try:
        same_disk = os.stat(default).st_dev == os.stat(PROJECT_ROOT).st_dev
    except OSError:
        same_disk = False
    return default if same_disk else str(PROJECT_ROOT.parent)
