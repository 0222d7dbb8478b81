"""The storage guarantees: nothing lost, nothing torn, nothing silently overwritten."""
import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from fixtures import make_app

from portal import storage
from portal.storage import CorruptStoreError, InvalidSiteCode, SiteStore, StoreWriteError

ROOT = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent("""
    import sys
    from portal.storage import SiteStore
    store = SiteStore(sys.argv[1])
    tag, count = sys.argv[2], int(sys.argv[3])
    for i in range(count):
        store.write(lambda tx: tx.insert("responses", {"writer": tag, "n": i, "answers": {"age": 30 + i % 50}}),
                    user=tag)
        print(f"{tag}:{i}", flush=True)
""")


def run_writers(path, tags, count):
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, str(count)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) for tag in tags]
    for proc in procs:
        with proc:
            proc.communicate(timeout=120)
        assert proc.returncode == 0


def test_four_processes_lose_no_submission(tmp_path):
    path = tmp_path / "sites" / "SITE-A.json"
    run_writers(path, ["p1", "p2", "p3", "p4"], 100)
    data = json.loads(path.read_text(encoding="utf-8"))  # the file parses as plain JSON
    responses = list(data["responses"].values())
    assert len(responses) == 400
    assert {(r["writer"], r["n"]) for r in responses} == {(f"p{w}", n) for w in range(1, 5) for n in range(100)}
    assert len(data["responses"]) == len(set(data["responses"]))  # ids unique
    assert len(data["_audit"]) == 400


def test_threads_in_one_process_lose_nothing_and_share_writes(tmp_path):
    store = SiteStore(tmp_path / "S.json")
    errors = []

    def work(tag):
        try:
            for i in range(50):
                store.write(lambda tx: tx.insert("responses", {"t": tag, "i": i}))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert store.read().count("responses") == 400
    assert store.write_count < 400  # concurrent writers were committed together


def test_killed_writer_leaves_a_parsable_file_with_every_acknowledged_write(tmp_path):
    path = tmp_path / "SITE-K.json"
    # make each write cost something, so the kill lands in the middle of one
    SiteStore(path).write(lambda tx: [tx.insert("padding", {"text": "x" * 200, "k": k}) for k in range(3000)])
    with subprocess.Popen([sys.executable, "-c", WRITER, str(path), "k", "100000"], cwd=ROOT,
                          stdout=subprocess.PIPE, text=True) as proc:
        acknowledged = []
        deadline = time.monotonic() + 60
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            acknowledged.append(proc.stdout.readline().strip())
        time.sleep(0.013)
        proc.send_signal(signal.SIGKILL)
        acknowledged += [line.strip() for line in proc.stdout.read().splitlines() if line.strip()]
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 40
    data = json.loads(path.read_text(encoding="utf-8"))
    stored = {f"{r['writer']}:{r['n']}" for r in data["responses"].values()}
    assert set(acknowledged) <= stored
    assert len(data["padding"]) == 3000


def test_corrupt_file_is_refused_and_left_byte_for_byte(tmp_path):
    path = tmp_path / "SITE-C.json"
    store = SiteStore(path)
    store.write(lambda tx: tx.insert("participants", {"code": "SITE-C-2026-0001"}))
    broken = path.read_bytes()[:-20]  # a torn file, as a crash with the old storage would leave
    path.write_bytes(broken)
    fresh = SiteStore(path)
    with pytest.raises(CorruptStoreError) as info:
        fresh.read()
    assert "SITE-C.json" in str(info.value) and "JSON" in str(info.value)
    with pytest.raises(CorruptStoreError):
        fresh.write(lambda tx: tx.insert("participants", {"code": "SITE-C-2026-0002"}))
    assert path.read_bytes() == broken


def test_site_codes_are_validated_before_touching_a_path(tmp_path):
    for bad in ["../x", "..", "a", "site-a", "A/B", "ABC\x00", "X" * 17, "", "-AB", "AB.json"]:
        with pytest.raises(InvalidSiteCode):
            storage.site_path(tmp_path, bad)
    assert storage.site_path(tmp_path, "CDMX-01") == (tmp_path / "sites" / "CDMX-01.json").resolve()
    assert not (tmp_path / "x.json").exists()


def test_reads_do_not_parse_an_unchanged_file(tmp_path):
    path = tmp_path / "S.json"
    writer = SiteStore(path)
    writer.write(lambda tx: tx.insert("participants", {"code": "S-1"}))
    reader = SiteStore(path)
    for _ in range(20):
        assert reader.read().count("participants") == 1
    assert reader.parse_count == 1
    writer.write(lambda tx: tx.insert("participants", {"code": "S-2"}))  # another "process" changes it
    assert reader.read().count("participants") == 2
    assert reader.parse_count == 2
    assert writer.parse_count == 0  # the writer trusts what it wrote without reading it back


def test_every_change_is_audited_in_the_same_write(tmp_path):
    store = SiteStore(tmp_path / "S.json")
    doc_id = store.write(lambda tx: tx.insert("sessions", {"number": 1, "present": ["A"]}), user="ana")
    store.write(lambda tx: tx.update("sessions", doc_id, {"present": ["A", "B"]}), user="luis")
    store.write(lambda tx: tx.remove("sessions", doc_id), user="ana")
    audit = store.read().all("_audit")
    assert [(a["action"], a["user"], a["table"], a["record_id"]) for a in audit] == [
        ("create", "ana", "sessions", doc_id), ("update", "luis", "sessions", doc_id),
        ("delete", "ana", "sessions", doc_id)]
    assert audit[1]["changes"] == {"present": [["A"], ["A", "B"]]}
    assert audit[2]["changes"]["before"]["present"] == ["A", "B"]


def test_a_refused_operation_changes_nothing_and_spares_the_others(tmp_path):
    store = SiteStore(tmp_path / "S.json")
    store.write(lambda tx: tx.insert("participants", {"code": "S-1"}))

    def bad(tx):
        tx.insert("participants", {"code": "S-2"})
        raise ValueError("duplicado")

    with pytest.raises(ValueError):
        store.write(bad)
    snap = store.read()
    assert [p["code"] for p in snap.all("participants")] == ["S-1"]
    assert snap.count("_audit") == 1
    # a batch of threads, one of which fails, commits the others
    barrier = threading.Barrier(6)
    results = []

    def op(i):
        barrier.wait()
        try:
            store.write(bad if i == 3 else (lambda tx: tx.insert("participants", {"code": f"T-{i}"})))
            results.append(i)
        except ValueError:
            results.append(-i)

    threads = [threading.Thread(target=op, args=(i,)) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == [-3, 0, 1, 2, 4, 5]
    assert sorted(p["code"] for p in store.read().all("participants")) == ["S-1", "T-0", "T-1", "T-2", "T-4", "T-5"]


def test_a_full_disk_changes_nothing_and_is_reported(tmp_path, monkeypatch):
    path = tmp_path / "S.json"
    store = SiteStore(path)
    store.write(lambda tx: tx.insert("participants", {"code": "S-1"}))
    before = path.read_bytes()
    real_fsync = os.fsync

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreWriteError) as info:
        store.write(lambda tx: tx.insert("participants", {"code": "S-2"}))
    assert info.value.disk_full
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".S.json.*.tmp"))  # the temporary file was removed
    assert [p["code"] for p in store.read().all("participants")] == ["S-1"]  # the cache was not polluted
    store.write(lambda tx: tx.insert("participants", {"code": "S-3"}))
    assert [p["code"] for p in SiteStore(path).read().all("participants")] == ["S-1", "S-3"]


def test_file_is_tinydb_and_readable_by_a_person(tmp_path):
    from tinydb import TinyDB

    path = tmp_path / "S.json"
    store = SiteStore(path)
    store.write(lambda tx: tx.insert("responses", {"answers": {"comments": "Aprendí a respirar, señora"}}))
    text = path.read_text(encoding="utf-8")
    assert "Aprendí a respirar, señora" in text  # accents kept, not \\u escapes
    with TinyDB(path) as db:  # TinyDB itself reads it
        assert db.table("responses").all()[0]["answers"]["comments"] == "Aprendí a respirar, señora"


def test_snapshot_documents_do_not_change_the_store(tmp_path):
    store = SiteStore(tmp_path / "S.json")
    payload = {"present": ["A"]}
    doc_id = store.write(lambda tx: tx.insert("sessions", payload))
    payload["present"].append("Z")  # the caller's object is not the stored one
    assert store.read().get("sessions", doc_id)["present"] == ["A"]


def test_every_write_raises_the_revision_and_a_refused_one_does_not(tmp_path):
    store = SiteStore(tmp_path / "site.json")
    assert storage.revision(store.read()) == 0
    store.write(lambda tx: tx.insert("participants", {"code": "S-1"}))
    store.write(lambda tx: tx.insert("participants", {"code": "S-2"}))
    assert storage.revision(store.read()) == 2
    store.write(lambda tx: None)  # nothing changed: nothing written

    def refuse(tx):
        tx.insert("participants", {"code": "S-3"})
        raise ValueError("no")

    with pytest.raises(ValueError):
        store.write(refuse)
    assert storage.revision(store.read()) == 2
    assert storage.revision(SiteStore(tmp_path / "site.json").read()) == 2  # read back from the file


def test_temporary_files_of_a_killed_write_are_removed_when_the_portal_starts(tmp_path):
    instance = tmp_path / "instance"
    (instance / "sites").mkdir(parents=True)
    stale = instance / "sites" / ".SITE-A.json.abc123.tmp"
    stale.write_text('{"participants": {"1": {"code": "SITE-A-2026-0001"}}}', encoding="utf-8")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = instance / "sites" / ".SITE-A.json.def456.tmp"  # another process may be writing it now
    fresh.write_text("{}", encoding="utf-8")
    keep = instance / "sites" / "SITE-A.json"
    keep.write_text("{}", encoding="utf-8")
    make_app(instance)
    assert not stale.exists() and fresh.exists() and keep.exists()
