"""The Spanish catalog is complete: no untranslated, no fuzzy entry, and it is current."""
import subprocess
import sys

from babel.messages.pofile import read_po

from portal import PROJECT_ROOT

CATALOG = PROJECT_ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"


def test_spanish_catalog_has_no_untranslated_or_fuzzy_entry():
    with CATALOG.open("rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, untranslated
    assert not fuzzy, fuzzy
    assert len(catalog) > 50


def test_every_interface_string_is_in_the_catalog(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "--no-location", "-o", str(pot), "portal"], cwd=PROJECT_ROOT, check=True, capture_output=True)
    with pot.open("rb") as fh:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    with CATALOG.open("rb") as fh:
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    missing = sorted(wanted - have)
    assert not missing, f"run `make translations-update` and translate: {missing}"


def test_compiled_catalog_is_used(app):
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("es"):
        assert gettext("Sign in") == "Iniciar sesión"
