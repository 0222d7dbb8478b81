"""A facilitator's day, tried as a user: what confused people in the browser, each kept fixed."""
import re
from html import unescape

from conftest import Facilitator, read_pdf

QUESTIONNAIRES = ("facilitator_intake", "intake", "exit", "facilitator_exit")


def paper_links(html):
    return re.findall(r'href="/cuestionarios/([a-z_]+)/papel\.pdf"', html)


def test_a_mans_page_and_the_questionnaires_page_offer_all_four_blank_questionnaires(app, tmp_path):
    fac = Facilitator(app.test_client())
    man = fac.register()
    his_page = fac.client.get(fac.url(f"participantes/{man}/")).get_data(as_text=True)
    listing = fac.client.get("/cuestionarios/").get_data(as_text=True)
    assert sorted(set(paper_links(his_page))) == sorted(QUESTIONNAIRES)
    assert sorted(set(paper_links(listing))) == sorted(QUESTIONNAIRES)
    for qid in QUESTIONNAIRES:
        response = fac.client.get(f"/cuestionarios/{qid}/papel.pdf")
        assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
        (tmp_path / f"{qid}.pdf").write_bytes(response.data)
        text, pages, letter = read_pdf(tmp_path / f"{qid}.pdf")
        title = app.extensions["questionnaires"][qid].title["es"]
        assert pages >= 1 and letter and title in unescape(text), qid
