"""Every indicator's label, in one place: the summary, the site's page and the monthly sheet.

English msgids (lazy), the Spanish in ``translations/es``: a label changes here and in the catalog, nowhere
else. Each place words the same figure for its reader, so a figure may have more than one label:

- the coordinators' summary (``summary/``): ``SECTIONS`` with each figure's definition for the methodology
  page, ``BREAKDOWN_TITLES`` and ``CHOICE_LABELS`` for the breakdowns, about the men in the third person,
  and the short names of its charts' bars;
- a site's page for its staff (``templates/staff/site_home.html``): ``SITE_PAGE``;
- the monthly sheet a facilitator signs (``sheets.py``, always in Spanish): ``SHEET_*``.

Each row is (indicator key as ``indicators.compute`` names it, kind, label); kind is count | mean | pct, how
the figure is written (``numbers.number``).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# The summary's table of figures: (section title, [(key, kind, label, definition)])
SECTIONS = [
    (_l("Men who joined"), [
        ("enrolled", "count", _l("Men who joined"),
         _l("Intake questionnaires dated in the period.")),
        ("mean_age", "mean", _l("Mean age when joining"),
         _l("Mean of the age given in those intake questionnaires.")),
    ]),
    (_l("Group sessions"), [
        ("sessions_held", "count", _l("Sessions held"),
         _l("Group sessions dated in the period.")),
        ("attendances", "count", _l("Attendances"),
         _l("Marks of a man present at those sessions (one per man and session).")),
        ("mean_attendance_per_session", "mean", _l("Men per session (mean)"),
         _l("Attendances divided by sessions held.")),
        ("sessions_outside_health_centre_pct", "pct", _l("Sessions held outside a health centre"),
         _l("Percent of the period's sessions held in a community venue or online.")),
        ("active_participants", "count", _l("Men who came to at least one session"),
         _l("Men with at least one attendance in the period.")),
    ]),
    (_l("Staying in the program (men who joined in the period)"), [
        ("attended_any_pct", "pct", _l("Came to at least 1 session"),
         _l("Of the men who joined in the period, percent with at least one attendance, counting all their "
            "sessions up to the date of the data.")),
        ("attended_13_plus_pct", "pct", _l("Came to 13 sessions or more"),
         _l("Same men, percent with 13 or more attendances.")),
        ("attended_over_75_pct", "pct", _l("Came to more than three quarters (75%) of the sessions"),
         _l("Same men, percent who came to more than three quarters (75%) of their site's number of "
            "sessions (19 or more of 24).")),
        ("mean_sessions_attended", "mean", _l("Sessions attended per man (mean)"),
         _l("Same men, mean number of sessions attended.")),
    ]),
    (_l("Leaving the program"), [
        ("exits", "count", _l("Men who left (facilitator's record)"),
         _l("Facilitator exit records dated in the period, for any reason.")),
        ("exit_questionnaires", "count", _l("Exit questionnaires answered"),
         _l("Exit questionnaires of the men, dated in the period.")),
        ("strategy_used_pct", "pct", _l("Used a strategy to stop himself in the last month"),
         _l("Of the exit questionnaires that answer it, percent that answer yes.")),
        ("family_change_better_pct", "pct", _l("Says things at home are better"),
         _l("Of the exit questionnaires that answer it, percent that answer better.")),
    ]),
    (_l("Recognising violence (at intake and at exit)"), [
        ("paired", "count", _l("Men with both questionnaires"),
         _l("Exit questionnaires in the period whose man also has an intake questionnaire.")),
        ("recognition_intake_mean", "mean", _l("Behaviours recognised as violence at intake (mean, of 10)"),
         _l("For those men, mean number of the ten behaviours they called violence at intake.")),
        ("recognition_exit_mean", "mean", _l("Behaviours recognised as violence at exit (mean, of 10)"),
         _l("The same at exit.")),
        ("recognition_change_mean", "mean", _l("Change (mean)"),
         _l("Mean of each man's exit score minus his intake score.")),
    ]),
]

# breakdown -> (questionnaire that asks it, title, definition)
BREAKDOWN_TITLES = {
    "referral_source": ("intake", _l("How they heard of the program"),
                        _l("Men who joined in the period, by how they heard of the program.")),
    "main_reason": ("intake", _l("Main reason for joining"),
                    _l("Men who joined in the period, by their main reason.")),
    "risk_level": ("facilitator_intake", _l("Risk of severe violence (facilitator's judgement at intake)"),
                   _l("Facilitator intake interviews dated in the period, by risk level.")),
    "exit_reason": ("facilitator_exit", _l("Reason for leaving"),
                    _l("Facilitator exit records dated in the period, by reason.")),
}

# what the public tables call each answer of a breakdown: about the men, in the third person, never the
# questionnaires' own wording (a man's "Me lo recomendó un amigo", a facilitator's "explíquelo en Observaciones")
CHOICE_LABELS = {
    "referral_source": {
        "friends": _l("A friend, relative or acquaintance"),
        "partner_invitation": _l("An invitation to his partner"),
        "health_staff": _l("Sent by the health centre"),
        "justice": _l("Sent by a judge, the public prosecutor or another authority"),
        "media": _l("Radio, TV, the internet or a poster"),
        "self": _l("Looked for it himself"),
        "other": _l("Another way"),
    },
    "main_reason": {
        "improve_family": _l("To improve his family relationships"),
        "stop_violence": _l("To leave violence behind"),
        "partner_request": _l("His partner asked him to"),
        "legal": _l("A legal matter (judge or public prosecutor)"),
        "other": _l("Another reason"),
    },
    "risk_level": {"low": _l("Low risk"), "medium": _l("Medium risk"), "high": _l("High risk")},
    "exit_reason": {
        "completed": _l("Completed the program"),
        "dropped_out": _l("Dropped out of the program"),
        "transferred": _l("Moved to another site or service"),
        "other": _l("Another reason"),
    },
}

# short names for the bars of the summary's charts: staying (the men who joined as 100%), exits by reason, and
# recognition at intake and at exit
STAYING_BARS = (("enrolled", _l("Joined")), ("attended_any_pct", _l("1 session or more")),
                ("attended_13_plus_pct", _l("13 or more")), ("attended_over_75_pct", _l("More than 75%")))
EXIT_REASON_SHORT = {"completed": _l("Completed"), "dropped_out": _l("Dropped out"), "transferred": _l("Transferred"),
                     "other": _l("Other reason")}
RECOGNITION_BARS = (("recognition_intake_mean", _l("At intake")), ("recognition_exit_mean", _l("At exit")))

# A site's page: the month's figures for its staff
SITE_PAGE = (
    ("enrolled", "count", _l("Men who joined (intake questionnaires)")),
    ("mean_age", "mean", _l("Mean age when joining")),
    ("sessions_held", "count", _l("Sessions held")),
    ("attendances", "count", _l("Attendances")),
    ("active_participants", "count", _l("Men who came to at least one session this month")),
    ("attended_any_pct", "pct", _l("Of the men who joined: came to at least 1 session")),
    ("attended_13_plus_pct", "pct", _l("Of the men who joined: came to 13 or more")),
    ("attended_over_75_pct", "pct", _l("Of the men who joined: came to more than %(share)s of the sessions",
                                       share="75%")),
    ("exits", "count", _l("Exits recorded")),
)

# The monthly sheet: its table of the month's figures
SHEET_INDICATORS = (
    ("enrolled", "count", _l("Men who joined (intake questionnaires)")),
    ("mean_age", "mean", _l("Mean age when joining")),
    ("sessions_held", "count", _l("Sessions held")),
    ("sessions_outside_health_centre_pct", "pct", _l("Sessions held outside a health centre")),
    ("attendances", "count", _l("Attendances recorded")),
    ("mean_attendance_per_session", "mean", _l("Men present per session (mean)")),
    ("active_participants", "count", _l("Men who came to at least one session in the month")),
    ("exits", "count", _l("Exits recorded")),
    ("exit_questionnaires", "count", _l("Exit questionnaires")),
    ("strategy_used_pct", "pct", _l("Used a strategy to stop themselves (exit questionnaire)")),
    ("family_change_better_pct", "pct", _l("Say their family is better (exit questionnaire)")),
    ("recognition_intake_mean", "mean",
     _l("Situations recognised as violence at intake (of 10, men with intake and exit)")),
    ("recognition_exit_mean", "mean", _l("Situations recognised as violence at exit (of 10)")),
)

# its table of how the month's men stayed: column headings; ``%(sessions)s`` is the site's number of sessions
SHEET_STAYING = (
    ("attended_any_pct", "pct", _l("At least 1 session")),
    ("attended_13_plus_pct", "pct", _l("13 sessions or more")),
    ("attended_over_75_pct", "pct", _l("More than 75%% of %(sessions)s sessions")),
    ("mean_sessions_attended", "mean", _l("Sessions attended (mean)")),
)

# its breakdowns of the month's men: (breakdown, heading, [(answer, label)])
SHEET_BREAKDOWNS = (
    ("referral_source", _l("How did he hear of the program?"), (
        ("friends", _l("Friends, relatives or acquaintances")),
        ("partner_invitation", _l("Invitation to his partner")),
        ("health_staff", _l("Health staff")),
        ("justice", _l("Justice authority")),
        ("media", _l("Media")),
        ("self", _l("On his own")),
        ("other", _l("Other")),
    )),
    ("main_reason", _l("Main reason to join"), (
        ("improve_family", _l("Improve family relationships")),
        ("stop_violence", _l("Stop the violence")),
        ("partner_request", _l("His partner asked him")),
        ("legal", _l("A legal matter")),
        ("other", _l("Another")),
    )),
    ("risk_level", _l("Risk assessed at the interview"), (
        ("low", _l("Low")), ("medium", _l("Medium")), ("high", _l("High")),
    )),
)

# the series of its chart of the year's staying, month by month
SHEET_CHART = (("attended_any_pct", _l("at least 1 session")), ("attended_13_plus_pct", _l("13 or more")),
               ("attended_over_75_pct", _l("more than 75%")))
