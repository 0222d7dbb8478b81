"""Plain-language names and definitions of the published indicators (one place for pages and methodology)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# (key, kind, label, definition); kind: count | mean | pct
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

# the few columns of the tables that compare years, states or sites
COMPARE = ("enrolled", "attended_any_pct", "attended_13_plus_pct", "attended_over_75_pct", "sessions_held", "exits")

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

# short names for the bars of the exits chart
EXIT_REASON_SHORT = {"completed": _l("Completed"), "dropped_out": _l("Dropped out"), "transferred": _l("Transferred"),
                     "other": _l("Other reason")}
