"""Blank paper questionnaires: generated from the definitions, skip rules written out, read back."""
import os
import re

import pytest
from conftest import read_pdf as read


@pytest.mark.parametrize("qid", ["intake", "exit", "facilitator_intake", "facilitator_exit"])
def test_every_question_is_on_paper_with_boxes(app, runner, tmp_path, qid):
    out = tmp_path / f"{qid}.pdf"
    result = runner.invoke(args=["paper", qid, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text, pages, letter = read(out)
    assert letter and f"Página {pages} de {pages}" in text
    flat = re.sub(r"\s+", " ", text)
    form = app.extensions["questionnaires"][qid]
    for q in form.questions:
        assert f"{q.number}. {q.label['es'][:30]}" in flat, q.name
        for choice in q.choices:
            assert choice.label["es"][:25] in flat, (q.name, choice.name)


def test_skip_rules_are_written_out(app, runner, tmp_path):
    out = tmp_path / "exit.pdf"
    runner.invoke(args=["paper", "exit", "--out", str(out)])
    flat = re.sub(r"\s+", " ", read(out)[0])
    form = app.extensions["questionnaires"]["exit"]
    used, strategies = form.question("strategy_used"), form.question("strategies")
    after = form.questions[form.questions.index(strategies) + 1:]
    target = next(q for q in after if not (q.relevant and q.relevant.references & {"strategies"}))
    # on the «No» of "did you use a strategy": go past the questions it hides
    assert re.search(r"No → pase a la pregunta " + str(target.number), flat)
    assert f"Conteste solo si en la pregunta {used.number} contestó «Sí»" in flat


def test_facilitator_exit_sends_each_reason_to_its_question(app, runner, tmp_path):
    out = tmp_path / "fe.pdf"
    runner.invoke(args=["paper", "facilitator_exit", "--out", str(out)])
    flat = re.sub(r"\s+", " ", read(out)[0])
    form = app.extensions["questionnaires"]["facilitator_exit"]
    dropout, transfer = form.question("dropout_reason"), form.question("transfer_site_note")
    assert f"Conteste solo si en la pregunta {form.question('exit_reason').number} contestó «Abandonó" in flat
    assert f"pase a la pregunta {transfer.number}" in flat  # transferred skips the drop-out reasons
    assert dropout.number + 1 == transfer.number


def test_unknown_questionnaire_is_refused(runner):
    result = runner.invoke(args=["paper", "survey"])
    assert result.exit_code != 0


def test_staff_download_a_blank_questionnaire_from_the_browser(app, tmp_path):
    from conftest import Facilitator, read_pdf

    fac = Facilitator(app.test_client())
    page = fac.client.get("/cuestionarios/").get_data(as_text=True)
    assert "/cuestionarios/exit/papel.pdf" in page
    response = fac.client.get("/cuestionarios/exit/papel.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    (tmp_path / "exit.pdf").write_bytes(response.data)
    text, pages, letter = read_pdf(tmp_path / "exit.pdf")
    assert pages >= 1 and letter and "Cuestionario de cierre" in text
    assert fac.client.get("/cuestionarios/nada/papel.pdf").status_code == 404
    assert app.test_client().get("/cuestionarios/exit/papel.pdf").status_code == 302  # staff only


def test_a_paper_questionnaire_is_written_whole_or_not_at_all(runner, tmp_path, monkeypatch):
    import errno

    out = tmp_path / "paper" / "exit.pdf"
    out.parent.mkdir()
    out.write_bytes(b"%PDF earlier copy")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)  # the disk fills up while the new PDF is written
    result = runner.invoke(args=["paper", "exit", "--out", str(out)])
    assert result.exit_code == 1 and "el disco está lleno" in result.output
    assert out.read_bytes() == b"%PDF earlier copy"  # the earlier PDF, whole
    assert list(out.parent.iterdir()) == [out]  # and no half-written file beside it
    monkeypatch.undo()
    assert runner.invoke(args=["paper", "exit", "--out", str(out)]).exit_code == 0
    assert read(out)[1] >= 1 and oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
