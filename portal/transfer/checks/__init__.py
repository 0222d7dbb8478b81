"""Checking the rows of an import against the site and against each other, one file at a time.

Each file has its check. ``check(rows)`` goes through the rows, yields a ``Problem`` for
everything wrong, and returns the facts the later files need: the men (who is known, in
which group, since when), the sessions, who was marked present, the questionnaires to add.
Nothing is shared but what is handed over this way; ``importing.check_batch`` runs them in
the order of the files. A row equal to a record at the site is counted as unchanged; a row
that differs from one is a problem to explain, never a guess.
"""
from .attendance import AttendanceCheck, Marks
from .dates import check_dates
from .participants import Men, ParticipantsCheck
from .responses import NewResponse, Responses, ResponsesCheck
from .sessions import Sessions, SessionsCheck

__all__ = ["AttendanceCheck", "Marks", "check_dates", "Men", "ParticipantsCheck", "NewResponse", "Responses",
           "ResponsesCheck", "Sessions", "SessionsCheck"]
