"""Every version of the questionnaires the portal has run with, and the check of a change at start-up.

Where they are kept: ``instance/forms/<version>/<id>.yaml``, a copy of ``forms/<id>.yaml`` written at
start-up the first time the portal runs with that version (so before any answer to it is stored), and never
changed afterwards. Each stored response names its version; it is read, shown, corrected and exported with the
definition of that version.

At start-up, before anything is written, a change to ``forms/`` is checked against every kept version:

- a definition that changed but kept its version is refused: its stored answers would be read with another
  definition (``version`` must change with the content; comments and spacing do not count);
- a question whose type changed (the same name used for another kind of answer), or a choice that is gone (neither
  kept with ``retired: true`` nor declared with ``renamed_from``), is refused when stored answers use it. The
  message, in Spanish, names the form, the question and the answers (site, man, version).

Supported: adding a question; retiring one (``retired: true`` on its row, or deleting the row: the kept version
still reads its answers); retiring a choice (``retired: true``: no longer offered, its answers keep their label);
renaming a choice that keeps its meaning (``renamed_from: old``, declared once: the indicators and the analysts'
files count both names as one); fixing a label or a hint (with a new version).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

import yaml

from .questionnaires import YAML_LOADER, DefinitionError, Question, Questionnaire, load_questionnaire

ARCHIVE = "forms"  # under the instance folder
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
SHOWN_ANSWERS = 10  # a refusal names at most this many stored answers, then says how many more


class VersionError(DefinitionError):
    """A change to forms/ that would make stored answers unreadable: the portal does not start."""


@dataclass
class Catalog:
    """The current definitions and every kept version, by questionnaire."""

    current: dict[str, Questionnaire]
    kept: dict[str, dict[str, Questionnaire]]  # id -> version -> definition (the current one included)

    def versions(self, qid: str) -> list[Questionnaire]:
        """Oldest first, the current version last."""
        current = self.current[qid]
        older = [f for v, f in sorted(self.kept.get(qid, {}).items(), key=lambda item: _natural(item[0]))
                 if v != current.version]
        return older + [current]

    def of(self, qid: str, version: str | None) -> Questionnaire:
        """The definition a response was answered with (the current one if that version is not kept)."""
        return self.kept.get(qid, {}).get(str(version), self.current[qid])

    def mapping(self) -> dict[str, list[Questionnaire]]:
        return {qid: self.versions(qid) for qid in self.current}

    def counted_as(self) -> dict[str, dict[str, dict[str, str]]]:
        """id -> question -> stored choice name -> the name the indicators count it as: the oldest name of a
        renamed choice, which is the name PRODUCT.md fixes for the indicators' fields."""
        out: dict[str, dict[str, dict[str, str]]] = {}
        for qid, form in self.current.items():
            for q in form.questions:
                for choice in q.choices:
                    if choice.renamed_from:
                        oldest = choice.renamed_from[0]
                        names = out.setdefault(qid, {}).setdefault(q.name, {})
                        for name in (choice.name, *choice.renamed_from):
                            names[name] = oldest
        return out


def open_catalog(instance_path: Path | str, current: Mapping[str, Questionnaire]) -> Catalog:
    """Read the kept versions, check the current definitions against them, then keep the current ones.

    Raises ``VersionError`` (nothing written) when the change would make stored answers unreadable.
    """
    archive = Path(instance_path) / ARCHIVE
    kept = _read_kept(archive)
    for qid, form in current.items():
        if not VERSION_RE.fullmatch(form.version):
            raise VersionError(f"{form.path}: la versión «{form.version}» debe tener solo letras, dígitos, "
                               "puntos, guiones y guiones bajos (hasta 40).")
        _same_version_same_content(archive, form, kept.get(qid, {}))
    problems = [p for qid, form in current.items() for p in changes(form, kept.get(qid, {}).values())]
    if problems:
        refused = _with_answers(Path(instance_path), problems)
        if refused:
            raise VersionError(refusal(refused))
    for qid, form in current.items():
        if form.version not in kept.get(qid, {}):
            _keep(archive, form)
            kept.setdefault(qid, {})[form.version] = form
    return Catalog(dict(current), kept)


def _read_kept(archive: Path) -> dict[str, dict[str, Questionnaire]]:
    kept: dict[str, dict[str, Questionnaire]] = {}
    if not archive.is_dir():
        return kept
    for folder in sorted(p for p in archive.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.yaml")):
            form = load_questionnaire(path)
            kept.setdefault(form.id, {})[folder.name] = form
    return kept


def _content(path: Path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)


def _same_version_same_content(archive: Path, form: Questionnaire, kept: Mapping[str, Questionnaire]) -> None:
    if form.version in kept and _content(form.path) != _content(archive / form.version / f"{form.id}.yaml"):
        raise VersionError(
            f"No se puede iniciar el portal: el cuestionario «{form.id}» ({form.path}) cambió pero conserva la "
            f"versión «{form.version}», que el portal ya guardó con otro contenido en "
            f"{archive / form.version / (form.id + '.yaml')}. Las respuestas guardadas con esa versión se leerían "
            "con otra definición. Ponga una versión nueva en el archivo (por ejemplo «version: "
            f"\"{_next(form.version)}\"») y vuelva a iniciar el portal.")


def _keep(archive: Path, form: Questionnaire) -> None:
    from .storage import write_atomically

    (archive / form.version).mkdir(parents=True, exist_ok=True)
    write_atomically(archive / form.version / f"{form.id}.yaml", form.path.read_bytes())


# ----------------------------------------------------------------------------- what a change does to old answers

@dataclass(frozen=True)
class Problem:
    """A change that would leave stored answers unreadable, if any answer is concerned."""

    qid: str
    question: str
    kind: str  # "type" or "choice"
    old: str  # the old type, or the choice that is gone
    new: str  # the new type ("" for a choice)
    versions: tuple[str, ...]  # the kept versions that had it


def changes(form: Questionnaire, kept: Iterator[Questionnaire]) -> list[Problem]:
    """Every question of a kept version whose type changed, every choice that is gone without a declaration."""
    found: dict[tuple, set[str]] = {}
    current = {q.name: q for q in form.questions}
    for old_form in kept:
        if old_form.version == form.version:
            continue
        for old in old_form.questions:
            q = current.get(old.name)
            if q is None:
                continue  # retired or deleted: the kept version still reads its answers
            if _kind(old) != _kind(q):
                found.setdefault((old.name, "type", _kind(old), _kind(q)), set()).add(old_form.version)
                continue
            known = {c.name for c in q.choices} | {n for c in q.choices for n in c.renamed_from}
            for choice in old.choices:
                if choice.name not in known:
                    found.setdefault((old.name, "choice", choice.name, ""), set()).add(old_form.version)
    return [Problem(form.id, name, kind, old, new, tuple(sorted(v, key=_natural)))
            for (name, kind, old, new), v in found.items()]


def _kind(q: Question) -> str:
    return q.type


def _with_answers(instance: Path, problems: list[Problem]) -> list[tuple[Problem, list[str]]]:
    """The problems some stored answer is concerned by, each with those answers named."""
    from .storage import StoreError, store_for_site

    concerned: dict[Problem, list[str]] = {p: [] for p in problems}
    for path in sorted((instance / "sites").glob("*.json")):
        try:
            snapshot = store_for_site(instance, path.stem).read()
        except (StoreError, ValueError):
            continue  # a damaged file is reported by the pages that use it; it cannot be checked here
        for r in snapshot.with_withdrawn().all("responses"):
            for p in problems:
                if r["questionnaire"] == p.qid and _uses(p, r["answers"].get(p.question)):
                    concerned[p].append(f"{r['participant_code']} (sitio {path.stem}, versión {r.get('version')})")
    return [(p, answers) for p, answers in concerned.items() if answers]


def _uses(problem: Problem, value) -> bool:
    if value is None or value == "" or value == []:
        return False
    if problem.kind == "type":
        return True
    return problem.old in (value if isinstance(value, list) else str(value).split())


def refusal(refused: list[tuple[Problem, list[str]]]) -> str:
    lines = ["No se puede iniciar el portal: un cambio en forms/ dejaría respuestas guardadas sin poder leerse. "
             "No se cambió nada."]
    for p, answers in refused:
        shown = ", ".join(answers[:SHOWN_ANSWERS]) + (f" y {len(answers) - SHOWN_ANSWERS} más"
                                                      if len(answers) > SHOWN_ANSWERS else "")
        count = f"{len(answers)} respuesta guardada" if len(answers) == 1 else f"{len(answers)} respuestas guardadas"
        if p.kind == "type":
            lines.append(
                f"- Cuestionario «{p.qid}», pregunta «{p.question}»: cambió de tipo ({p.old} en la versión "
                f"{', '.join(p.versions)}; {p.new} ahora) y {count} la contestaron: {shown}. Una pregunta nueva "
                "necesita un nombre nuevo; retire la anterior con «retired: true».")
        else:
            lines.append(
                f"- Cuestionario «{p.qid}», pregunta «{p.question}»: ya no tiene la opción «{p.old}» (versión "
                f"{', '.join(p.versions)}) y {count} la usan: {shown}. Vuelva a ponerla con «retired: true» (ya no "
                "se ofrece y sus respuestas se siguen leyendo), o declare su nombre nuevo con «renamed_from: "
                f"\"{p.old}\"» en la opción que la reemplaza.")
    return "\n".join(lines)


def _natural(text: str) -> list:
    return [(int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", text)]


def _next(version: str) -> str:
    parts = re.split(r"(\d+)$", version)
    return f"{parts[0]}{int(parts[1]) + 1}" if len(parts) > 1 else version + ".1"
