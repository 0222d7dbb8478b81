"""Months as people write them; odd query values get a Spanish message, never a 500."""
import pytest
from conftest import Facilitator

from portal.i18n import parse_month


@pytest.mark.parametrize("text", ["2010-10", "10/2010", "octubre 2010", "Octubre de 2010", " OCTUBRE  DE 2010 ",
                                  "10-2010", "October 2010", "oct 2010", "Oct. 2010", "10/10", "2010/10",
                                  "Otubre 2010", "octubre, 2010"])
def test_a_month_as_people_write_it(text):
    assert parse_month(text) == "2010-10"


@pytest.mark.parametrize("text", ["nov 2026", "11/26", "2026/11", "Novienbre 2026", "NOV. 2026", "noviembre del 2026"])
def test_abbreviations_and_common_misspellings_where_only_one_month_fits(text):
    assert parse_month(text) == "2026-11"


def test_a_typed_month_that_is_refused_stays_in_the_box_next_to_its_message(app, client):
    fac = Facilitator(client)
    html = client.get(fac.url("?mes=ju 2026")).get_data(as_text=True)
    box = html[html.index('id="mes-ind"'):]
    assert 'value="ju 2026"' in box[:box.index(">")]
    field = html[:html.index('id="mes-ind"')]
    assert "Escriba el mes como 10/2010" in field[field.rindex('<div class="field'):]


def test_the_sheet_form_opens_on_the_last_complete_month(app, client, monkeypatch):
    from datetime import datetime, timezone

    from portal import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 6, 18, 0, tzinfo=timezone.utc))
    fac = Facilitator(client)
    html = client.get(fac.url()).get_data(as_text=True)
    box = html[html.index('id="mes"'):]
    assert 'value="Noviembre de 2026"' in box[:box.index(">")]


@pytest.mark.parametrize("text", ["0000-01", "2010-13", "13/2010", "octubre", "٢٠١٠-١٠", "２０１０-１０", "2010-1O",
                                  "ju 2010", "mar", "", "mayo 1810", "x" * 500])
def test_anything_else_is_refused_with_a_message(text, app):
    with app.test_request_context():
        with pytest.raises(ValueError) as caught:
            parse_month(text)
    assert "10/2010" in str(caught.value)


@pytest.mark.parametrize("query", ["0000-01", "٢٠١٠-١٠", "2010-13", "%00", "octubre"])
def test_odd_months_in_addresses_get_a_spanish_message_on_the_same_page(app, client, query):
    fac = Facilitator(client)
    response = client.get(fac.url(f"?mes={query}"))
    assert response.status_code == 422
    assert "Escriba el mes como 10/2010" in response.get_data(as_text=True)
    sheet = client.get(fac.url(f"hoja-mensual?mes={query}"))
    assert sheet.status_code == 302
    assert "Escriba el mes como 10/2010" in client.get(sheet.headers["Location"]).get_data(as_text=True)


def test_the_sheet_takes_a_month_written_in_words(app, client):
    fac = Facilitator(client)
    response = client.get(fac.url("hoja-mensual?mes=noviembre de 2026"))
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert "hoja-mensual-SITE-A-2026-11.pdf" in response.headers["Content-Disposition"]
