"""A site's data in and out, for the tests of export, import, sync and erasure (a helper module of the tests, not a
test module): a site filled with awkward answers, another portal, the commands, the upload page, CSV files read
and written as a spreadsheet would, a forged erasure and the state's portal that holds a site's copy."""
import csv
import hashlib
import io
import json
import random
import re
from datetime import date
from pathlib import Path

from conftest import FACILITATOR_EXIT, FACILITATOR_INTAKE, INTAKE_ANSWERS, REC_ITEMS, csrf_token
from fixtures import make_app

from portal.attendance import save_session
from portal.db import get_registry, get_site_store
from portal.demo import fill
from portal.participants import register
from portal.registry import add_site, add_user, check_site
from portal.responses import Submission, save_response
from portal.transfer import FILE_NAMES

# Text answers a spreadsheet would run as formulas, or that need care in a CSV file.
FORMULA_LIKE = {
    "referral_source_other": '=HYPERLINK("http://example.com","clic")',
    "main_reason_other": "-2+3",
    "expectations": "'entre comillas' y con apóstrofo",
}
ACCENTED = "Que mi familia esté bien; «aprender» a controlarme, señor Peña"
MULTILINE = "línea uno\r\nlínea dos, con coma y \"comillas\""


def fill_site(app, site="SITE-A"):
    """Four men in two groups, four sessions, and all four questionnaires with awkward text."""
    with app.app_context():
        store = get_site_store(site)
        forms = app.extensions["questionnaires"]
        men = [register(store, site, group, date.fromisoformat(day), "fac_a") for group, day in
               [("2026-A", "2026-10-01"), ("2026-A", "2026-10-02"), ("2026-A", "2026-10-05"), ("2026-B", "2026-10-20")]]
        for number, day, present, group, venue in [
            (1, "2026-10-06", men[:3], "2026-A", "health_centre"), (2, "2026-10-13", [men[0], men[2]], "2026-A", "online"),
            (10, "2026-11-17", [men[0]], "2026-A", "community"), (1, "2026-10-21", [men[3]], "2026-B", "community"),
        ]:
            save_session(store, group_code=group, number=number, held_on=date.fromisoformat(day), venue=venue,
                         present=present, sessions_in_program=24, user="fac_a")

        def save(qid, man, raw, day):
            result = forms[qid].validate(raw)
            assert result.ok, result.errors
            save_response(store, Submission(forms[qid], man, result.answers, "paper", "fac_a", date.fromisoformat(day)))

        save("intake", men[0], {**INTAKE_ANSWERS, "expectations": ACCENTED}, "2026-10-01")
        save("intake", men[1], {**INTAKE_ANSWERS, "works": "no", "occupation_type": "", "has_children": "yes",
                                "children_count": "2", "lives_with_children": "yes", "referral_source": "other",
                                "main_reason": "other", **FORMULA_LIKE}, "2026-10-02")
        save("intake", men[2], {**INTAKE_ANSWERS, "expectations": MULTILINE}, "2026-10-05")
        exit_answers = fill(forms["exit"], random.Random(6), {
            "strategy_used": "yes", "strategies": ["time_out", "breathing", "other"], "strategies_other": "+ respirar",
            "comments": "@todos gracias", **{item: "yes" for item in REC_ITEMS}}, date(2026, 11, 20))
        save("exit", men[0], {**exit_answers, "strategies_other": "+ respirar", "comments": "@todos gracias"},
             "2026-11-20")
        for i, (man, day) in enumerate(zip(men, ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-20"])):
            save("facilitator_intake", man, {**FACILITATOR_INTAKE, "interview_date": day,  # not before registration
                                             "notes": "Sin observaciones." if i == 0 else ""}, day)
        save("facilitator_exit", men[0], {**FACILITATOR_EXIT, "exit_date": "2026-11-20", "exit_reason": "completed",
                                          "dropout_reason": "", "goals_met": "yes"}, "2026-11-20")
        save("facilitator_exit", men[1], FACILITATOR_EXIT, "2026-11-20")
    return men


def empty_instance(tmp_path, *sites):
    """Another portal, with the given sites and no data."""
    other = make_app(tmp_path / "other")
    with other.app_context():
        for code, state, sessions in sites:
            add_site(get_registry(), check_site(code, "Otro portal", state, sessions))
    return other


def export(runner, folder, site="SITE-A", *extra):
    """``flask --app portal export --site SITE --out FOLDER [EXTRA]`` through ``runner``; it must succeed."""
    result = runner.invoke(args=["export", "--site", site, "--out", str(folder), *extra])
    assert result.exit_code == 0, result.output
    return result


def site_file(app, site="SITE-A"):
    """The bytes of the site's file in the app's instance (None when there is none)."""
    path = Path(app.instance_path) / "sites" / f"{site}.json"
    return path.read_bytes() if path.exists() else None


def rows(folder, name):
    """The rows of an exported file, as a person reading it would see them (header included)."""
    with open(folder / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def write_rows(folder, name, table):
    """Write the rows as an exported file is written (UTF-8 with a byte order mark, CRLF)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(table)
    (folder / name).write_bytes(buffer.getvalue().encode("utf-8-sig"))


def upload(client, url, files, mode="agregar", confirm=True):
    """Upload the files; when the check finds no problem, confirm what it shows (unless ``confirm`` is false)."""
    page = client.get(url)
    data = {"csrf_token": csrf_token(page), "modo": mode,
            "archivos": [(io.BytesIO(content), name) for name, content in files]}
    response = client.post(url + "importar", data=data, content_type="multipart/form-data")
    if response.status_code != 303:
        return response  # its problems
    review = client.get(response.headers["Location"])  # what it would change
    if review.status_code != 200 or not confirm:
        return review
    token = re.search(r'name="token" value="([^"]+)"', review.get_data(as_text=True)).group(1)
    return client.post(url + "confirmar", data={"csrf_token": csrf_token(review), "token": token})


def sync(app_, folder, *extra, site="SITE-A"):
    """``flask --app portal import --site SITE --sync [EXTRA] FOLDER`` on ``app_``: the result of the command."""
    return app_.test_cli_runner().invoke(args=["import", "--site", site, "--sync", *extra, str(folder)])


def forge_erasure(folder, code):
    """What a facilitator could do to an export: take a man out of every file, list him as erased, and write
    the sums again."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name in FILE_NAMES:
        if (folder / name).exists():
            write_rows(folder, name, [row for row in rows(folder, name) if code not in row])
            manifest["files"][name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    manifest["erased"].append(code)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def state_portal(tmp_path, app):
    """The state's portal, holding the site's data from its first export, with a facilitator of the site and
    an administrator."""
    export(app.test_cli_runner(), tmp_path / "first")
    state = empty_instance(tmp_path, ("SITE-A", "09", 24))
    assert sync(state, tmp_path / "first").exit_code == 0
    with state.app_context():
        add_user(get_registry(), "admin", "admin", "admin-password-1")
        add_user(get_registry(), "fac_a", "facilitator", "fac-a-password-1", "SITE-A")
    return state
