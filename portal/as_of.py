"""A site's records as they stood at the end of a day (a past month's sheet and overview)."""
from __future__ import annotations

import calendar
from datetime import date

from .participants import EXIT_REASON_STATUS


def month_end(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return date(year, mon, calendar.monthrange(year, mon)[1]).isoformat()


class AsOf:
    """A snapshot seen as it was at the end of a day: later sessions and records left out."""

    def __init__(self, snapshot, day: str):
        self.snapshot, self.day = snapshot, day

    def all(self, table: str) -> list[dict]:
        rows = self.snapshot.all(table)
        key = {"sessions": "date", "participants": "enrolled_on", "responses": "submitted_on"}.get(table)
        rows = [r for r in rows if not key or r[key] <= self.day]
        if table == "participants":  # his status then: active unless his exit was already recorded
            exits = {r["participant_code"]: r["answers"].get("exit_reason") for r in self.all("responses")
                     if r["questionnaire"] == "facilitator_exit"}
            rows = [{**p, "status": EXIT_REASON_STATUS.get(exits[p["code"]], "exited") if p["code"] in exits
                     else "active"} for p in rows]
        return rows

    def find(self, table: str, **match) -> list[dict]:
        return [r for r in self.all(table) if all(r.get(f) == want for f, want in match.items())]
