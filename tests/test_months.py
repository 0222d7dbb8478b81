"""Months as people write them; odd query values get a Spanish message, never a 500."""
import pytest

from conftest import Facilitator
from portal.i18n import parse_month


@pytest.mark.parametrize("text", ["2010-10", "10/2010", "octubre 2010", "Octubre de 2010", " OCTUBRE  DE 2010 ",
                                  "10-2010", "October 2010"])
def test_a_month_as_people_write_it(text):
    assert parse_month(text) == "2010-10"


@pytest.mark.parametrize("text", ["0000-01", "2010-13", "13/2010", "octubre", "٢٠١٠-١٠", "２０１０-１０", "2010-1O",
                                  "", "mayo 1810", "x" * 500])
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
