"""The live case session's store (issue 25, the data layer): ``casekit.live``.

One SQLite file per class folder. What a class relies on: a folder that is not a class store is
refused and left untouched; two classes never mix; a student is one voter across reloads and
kernels; a vote counts only while voting is open; the split and the reasons add up; 60 students
writing at once lose nothing and double nothing; a server restart or a killed kernel loses no
committed vote; what students wrote stays text (escaped for HTML, defused for spreadsheets); every
refusal is one short message in both languages.
"""
from __future__ import annotations

import csv
import io
import multiprocessing as mp
import os
import re
import shutil
import signal
import sqlite3
import stat
import tempfile
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import casekit
from casekit import decision_cases as dc
from casekit import live
from casekit.live import ClassStore, LiveError

HAN = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3}")
FORK = mp.get_context("fork")

UNIT = "demo"
OPTIONS = {"launch": ["now", "later", "never"], "guess": ["up", "down"]}
CASES = {UNIT: [
    dc.DecisionPoint(id="launch", kind="decision", question_zh="现在推出新产品吗？", question_en="Launch the product now?",
                     options=[{"id": "now", "zh": "现在推出", "en": "launch now"},
                              {"id": "later", "zh": "一年后推出", "en": "launch in a year"},
                              {"id": "never", "zh": "不推出", "en": "do not launch"}]),
    dc.DecisionPoint(id="guess", kind="prediction", question_zh="成本会怎样变化？", question_en="Where will costs go?",
                     options=[{"id": "up", "zh": "上升", "en": "up"}, {"id": "down", "zh": "下降", "en": "down"}]),
], "empty": []}


def sql(path, query: str) -> list[tuple]:
    """A raw read of the store file, its connection closed at once (an open one must not cross a fork)."""
    con = sqlite3.connect(path)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def bilingual(exc: BaseException) -> bool:
    text = str(exc)
    return bool(HAN.search(text) and LATIN.search(text)) and len(text) < 600 and "Traceback" not in text


def refused(code: str, fn, *args, **kwargs) -> LiveError:
    with pytest.raises(LiveError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, (info.value.code, str(info.value))
    assert bilingual(info.value), str(info.value)
    return info.value


@pytest.fixture
def store(tmp_path):
    s = ClassStore(tmp_path, class_name="MBA A", cases=CASES)
    yield s
    s.close()


# ------------------------------------------------------------------------------------- opening
def test_a_new_store_is_sqlite_in_wal_mode_with_its_schema_version_and_private(tmp_path):
    s = ClassStore(tmp_path, class_name="MBA A", cases=CASES)
    assert s.path == tmp_path.absolute() / "casekit-live.sqlite3" and s.path.is_file()
    assert sql(s.path, "PRAGMA journal_mode") == [("wal",)]
    assert sql(s.path, "SELECT app, version FROM casekit_schema") == [("casekit-live", live.SCHEMA_VERSION)]
    assert s._connection().execute("PRAGMA busy_timeout").fetchone()[0] == int(live.BUSY_SECONDS * 1000)
    assert stat.S_IMODE(s.path.stat().st_mode) == 0o600
    assert s.class_name == "MBA A" and re.fullmatch(r"[0-9a-f]{12}", s.class_id)
    assert "MBA A" in repr(s) and s.class_id in repr(s)
    s.close()


def test_a_second_opening_sees_the_same_class_and_two_folders_are_two_classes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    first = ClassStore(a, cases=CASES)
    again = ClassStore(a, create=False, cases=CASES)
    other = ClassStore(b, cases=CASES)
    assert again.class_id == first.class_id != other.class_id
    sid = first.issue_student()
    assert again.verify_student(sid) and not other.verify_student(sid)
    first.open_voting(UNIT, "launch"), other.open_voting(UNIT, "launch")
    first.vote(sid, UNIT, "launch", "now")
    refused("bad_student", other.vote, sid, UNIT, "launch", "now")    # a student of class a cannot vote in b
    assert other.split(UNIT, "launch").total == 0 and again.split(UNIT, "launch").total == 1
    for s in (first, again, other):
        s.close()


def _open_and_report(folder, out):
    out.put(ClassStore(folder, cases=CASES).class_id)


def test_processes_opening_a_new_folder_at_once_agree_on_one_class(tmp_path):
    out = FORK.Queue()
    procs = [FORK.Process(target=_open_and_report, args=(str(tmp_path), out)) for _ in range(8)]
    for p in procs:
        p.start()
    ids = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert len(set(ids)) == 1 and ClassStore(tmp_path, cases=CASES).class_id == ids[0]


def test_what_is_not_a_class_store_is_refused_and_left_untouched(tmp_path):
    refused("no_folder", ClassStore, tmp_path / "missing")
    assert not (tmp_path / "missing").exists()
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    refused("not_a_folder", ClassStore, a_file)
    for junk in (None, 3, "", b"bytes", "a\x00b", ["x"]):
        refused("bad_folder", ClassStore, junk)
    refused("no_store", ClassStore, tmp_path, create=False)
    assert not (tmp_path / live.STORE_NAME).exists()

    text = tmp_path / "text"
    text.mkdir()
    (text / live.STORE_NAME).write_bytes(b"name,score\nli,3\n")
    refused("not_a_store", ClassStore, text)
    assert (text / live.STORE_NAME).read_bytes() == b"name,score\nli,3\n"

    other_db = tmp_path / "other"
    other_db.mkdir()
    con = sqlite3.connect(other_db / live.STORE_NAME)
    con.execute("CREATE TABLE grades (student TEXT, mark INTEGER)")
    con.commit(), con.close()
    before = (other_db / live.STORE_NAME).read_bytes()
    refused("not_a_store", ClassStore, other_db)
    assert (other_db / live.STORE_NAME).read_bytes() == before

    dir_named = tmp_path / "dir"
    (dir_named / live.STORE_NAME).mkdir(parents=True)
    refused("not_a_store", ClassStore, dir_named)


def test_a_store_of_another_schema_version_is_refused(tmp_path):
    ClassStore(tmp_path, cases=CASES).close()
    con = sqlite3.connect(tmp_path / live.STORE_NAME)
    con.execute("UPDATE casekit_schema SET version = 99")
    con.commit(), con.close()
    err = refused("schema_version", ClassStore, tmp_path, cases=CASES)
    assert "99" in str(err)


def test_a_server_started_for_another_class_or_setting_is_refused(tmp_path):
    ClassStore(tmp_path, class_name="MBA A", cases=CASES).close()
    err = refused("other_class", ClassStore, tmp_path, class_name="MBA B", cases=CASES)
    assert "MBA A" in str(err) and "MBA B" in str(err)
    refused("names_differ", ClassStore, tmp_path, names=True, cases=CASES)
    assert ClassStore(tmp_path, class_name="MBA A", names=False, cases=CASES).class_name == "MBA A"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere: permissions cannot be tested as root")
def test_a_read_only_folder_is_refused_with_a_message(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(LiveError) as info:
            ClassStore(ro, cases=CASES)
        assert bilingual(info.value)
    finally:
        ro.chmod(0o700)


def test_sqlite_failures_become_refusals_that_say_what_to_do(tmp_path):
    for text, code in (("database is locked", "busy"), ("attempt to write a readonly database", "read_only"),
                       ("file is not a database", "not_a_store"), ("disk I/O error", "store_error")):
        err = live._sqlite_error(sqlite3.OperationalError(text), tmp_path / live.STORE_NAME)
        assert err.code == code and bilingual(err)


def test_a_write_held_up_too_long_is_refused_as_busy_and_a_lost_turn_only_costs_time(store, tmp_path, monkeypatch):
    monkeypatch.setattr(live, "BUSY_SECONDS", 0.3)
    sid = store.issue_student()
    store.open_voting(UNIT, "launch")
    store.close()                                   # reconnect with the short busy timeout
    blocker = sqlite3.connect(store.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")              # another writer that does not let go
    try:
        t0 = time.perf_counter()
        refused("busy", store.vote, sid, UNIT, "launch", "now")
        assert 0.25 < time.perf_counter() - t0 < 5
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    holder = ClassStore(tmp_path, cases=CASES)      # another process's turn that is never given back
    assert holder._turns.acquire(1)
    try:
        t0 = time.perf_counter()
        assert store.vote(sid, UNIT, "launch", "later").option == "later"   # goes ahead: SQLite still guards
        assert time.perf_counter() - t0 >= 0.25
    finally:
        holder._turns.release()
        holder.close()


def test_the_language_of_the_session_comes_first_and_the_other_follows(store):
    casekit.set_language("zh")
    try:
        err = refused("bad_student", store.vote, "forged.id", UNIT, "launch", "now")
    finally:
        casekit.set_language("en")
    first, second = str(err).split("\n")
    assert HAN.search(first) and not HAN.search(second) and (err.zh, err.en) == (first, second)


# ------------------------------------------------------------------------------------- students
def test_student_ids_are_opaque_signed_and_checked(store):
    ids = {store.issue_student() for _ in range(200)}
    assert len(ids) == 200 and all(store.verify_student(s) for s in ids)
    sid = next(iter(ids))
    value, sig = sid.rsplit(".", 1)
    tampered = [sid[:-1] + ("A" if sid[-1] != "A" else "B"), value, f"{value}.", f"x{sid}", sid.upper(),
                f"{value}.{sig[:-2]}", sid + "x" * 300, None, 7, b"x", ["x"], "", "."]
    assert not any(store.verify_student(t) for t in tampered)
    assert store.verify(store.sign("room 3"), "value") and not store.verify(store.sign("room 3"), "student")
    assert not store.verify_student(store.sign(value))         # signed for another purpose


def test_a_student_is_one_voter_across_reloads_and_kernels(store, tmp_path):
    sid = store.issue_student()
    store.open_voting(UNIT, "launch")
    store.vote(sid, UNIT, "launch", "now", reason="first thought")
    kernel2 = ClassStore(tmp_path, cases=CASES)                # another kernel, the same page reloaded
    ballot = kernel2.vote(sid, UNIT, "launch", "later", reason="second thought")
    assert (ballot.option, ballot.changes) == ("later", 1)
    assert kernel2.my_vote(sid, UNIT, "launch").reason == "second thought"
    assert store.split(UNIT, "launch").counts == {"now": 0, "later": 1, "never": 0}
    rows = sql(store.path, "SELECT COUNT(*), MAX(voter) FROM votes")[0]
    assert rows[0] == 1 and sid not in rows[1] and sid.split(".")[0] not in rows[1]   # the id itself is never kept
    with pytest.raises(sqlite3.IntegrityError):       # the UNIQUE constraint itself refuses a second row
        sql(store.path, "INSERT INTO votes SELECT unit, point, round, voter, 'now', '', NULL, at, at, 0 FROM votes")
    kernel2.close()


# ------------------------------------------------------------------------------------- sessions
def test_the_session_moves_closed_open_closed_and_the_version_moves_with_every_change(store):
    versions = [store.version(UNIT)]
    st0 = store.state(UNIT)
    assert versions == [0] and not st0.released and [p.status for p in st0.points] == ["closed", "closed"]
    assert st0.point("launch").kind == "decision" and st0.point("guess").kind == "prediction"
    sid = store.issue_student()
    refused("closed", store.vote, sid, UNIT, "launch", "now")
    err = refused("closed", store.vote, sid, UNIT, "launch", "now")
    assert "voting is closed" in err.en.lower() and "投票已关闭" in err.zh

    s = store.open_voting(UNIT, "launch")
    assert s.point("launch").open and s.version > versions[-1]
    versions.append(s.version)
    assert store.open_voting(UNIT, "launch").version == versions[-1]       # opening twice changes nothing
    versions.append(store.vote(sid, UNIT, "launch", "now").version)
    versions.append(store.vote(sid, UNIT, "launch", "never").version)     # a change is a change too
    versions.append(store.close_voting(UNIT, "launch").version)
    refused("closed", store.vote, sid, UNIT, "launch", "later")
    assert store.version(UNIT) == versions[-1]                            # a refused vote changes nothing
    versions.append(store.open_voting(UNIT, "launch").version)            # reopened: the vote stands
    assert store.my_vote(sid, UNIT, "launch").option == "never"
    versions.append(store.show_split(UNIT, "launch").version)
    assert store.state(UNIT).point("launch").shown
    versions.append(store.show_split(UNIT, "launch", shown=False).version)
    assert versions == sorted(set(versions)), versions                    # strictly increasing
    assert store.state(UNIT).point("launch").votes == 1
    assert store.state(UNIT).as_dict()["points"][0]["status"] == "open"


def test_releasing_the_b_case_closes_voting_and_keeps_it_closed(store):
    sid = store.issue_student()
    store.open_voting(UNIT, "launch"), store.open_voting(UNIT, "guess")
    store.vote(sid, UNIT, "guess", "up")
    s = store.release_b(UNIT)
    assert s.released and not any(p.open for p in s.points)
    refused("closed", store.vote, sid, UNIT, "guess", "down")
    err = refused("released", store.open_voting, UNIT, "guess")
    assert "release_b" in str(err)
    assert store.release_b(UNIT).version == s.version                   # releasing twice changes nothing
    assert not store.release_b(UNIT, released=False).released
    assert store.open_voting(UNIT, "guess").point("guess").open
    assert store.split(UNIT, "guess").counts == {"up": 1, "down": 0}
    actions = [e["action"] for e in store.history(UNIT)]
    assert actions == ["open", "open", "close", "close", "release", "withdraw", "open"]


def test_a_reset_clears_one_point_keeps_a_record_and_starts_a_new_round(store):
    a, b = store.issue_student(), store.issue_student()
    store.open_voting(UNIT, "launch"), store.open_voting(UNIT, "guess")
    for sid in (a, b):
        store.vote(sid, UNIT, "launch", "now", reason="fast")
        store.vote(sid, UNIT, "guess", "down")
    before = store.version(UNIT)
    s = store.reset(UNIT, "launch")
    p = s.point("launch")
    assert (p.status, p.shown, p.round, p.resets, p.votes) == ("closed", False, 2, 1, 0) and s.version > before
    assert store.split(UNIT, "launch").total == 0 and store.split(UNIT, "launch").round == 2
    assert store.reasons(UNIT, "launch") == [] and store.my_vote(a, UNIT, "launch") is None
    assert store.split(UNIT, "guess").total == 2                          # the other point is untouched
    assert store.history(UNIT)[-1] | {"at": None, "seq": None} == {
        "at": None, "seq": None, "unit": UNIT, "point": "launch", "action": "reset", "detail": "round=1 cleared=2"}
    store.open_voting(UNIT, "launch")
    assert store.vote(a, UNIT, "launch", "later").changes == 0           # a fresh vote in the new round


# ------------------------------------------------------------------------------------- votes
def test_a_vote_names_a_point_and_an_option_that_exist(store):
    sid = store.issue_student()
    store.open_voting(UNIT, "launch")
    err = refused("unknown_option", store.vote, sid, UNIT, "launch", "maybe")
    for o in CASES[UNIT][0].options:
        assert o.id in err.en and o.en in err.en and o.zh in err.zh
    err = refused("unknown_point", store.vote, sid, UNIT, "timing", "now")
    assert "launch" in str(err) and "guess" in str(err)
    err = refused("unknown_unit", store.vote, sid, "keda_zhongtu", "launch", "now")
    assert "demo" in str(err)
    refused("no_points", store.vote, sid, "empty", "launch", "now")
    for bad in (None, 3, b"now", ["now"]):
        refused("unknown_option", store.vote, sid, UNIT, "launch", bad)
    assert store.vote(sid, " Demo ", "LAUNCH", " Now ").option == "now"    # spacing and case forgiven
    assert store.split(UNIT, "launch").total == 1


def test_reasons_are_cleaned_limited_and_stay_text(store):
    sid = store.issue_student()
    store.open_voting(UNIT, "launch")
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert store.vote(sid, UNIT, "launch", "now", reason=script).reason == script          # stored raw
    assert "<" not in live.escape_reason(script) and "&lt;script&gt;" in live.escape_reason(script)
    exactly = "理" * live.REASON_LIMIT
    padded = "\x00\u202e" * 100 + exactly + "\x07" * 50 + "   "
    assert store.vote(sid, UNIT, "launch", "now", reason=padded).reason == exactly
    err = refused("reason_too_long", store.vote, sid, UNIT, "launch", "later", reason=exactly + "!")
    assert "301" in err.en and "301" in err.zh
    assert store.my_vote(sid, UNIT, "launch").option == "now"                       # the refused vote left no trace
    refused("reason_too_long", store.vote, sid, UNIT, "launch", "later", reason="x" * 10 ** 6)
    refused("bad_reason", store.vote, sid, UNIT, "launch", "later", reason=["why"])
    assert store.vote(sid, UNIT, "launch", "later", reason=None).reason == ""
    assert store.vote(sid, UNIT, "launch", "later", reason="a\nb\tc\ud800").reason == "a b c"


def test_names_only_when_the_class_chose_them(tmp_path, store):
    sid = store.issue_student()
    store.open_voting(UNIT, "launch")
    assert store.vote(sid, UNIT, "launch", "now", reason="r", name="Li Lei").name is None     # dropped
    assert store.vote(sid, UNIT, "launch", "now", reason="r", name=["not", "text"]).name is None
    assert store.reasons(UNIT, "launch") == [live.Reason("now", "r", None)]

    named_dir = tmp_path / "named"
    named_dir.mkdir()
    named = ClassStore(named_dir, names=True, cases=CASES)
    n = named.issue_student()
    named.open_voting(UNIT, "launch")
    assert named.vote(n, UNIT, "launch", "now", reason="r", name=" 李雷\n").name == "李雷"
    assert named.vote(n, UNIT, "launch", "later", reason="r2").name == "李雷"              # kept when not given again
    refused("name_too_long", named.vote, n, UNIT, "launch", "now", name="x" * 41)
    assert named.reasons(UNIT, "launch") == [live.Reason("later", "r2", "李雷")]
    named.set_names(False)                                     # anonymity chosen later: the names go
    assert named.reasons(UNIT, "launch") == [live.Reason("later", "r2", None)]
    assert sql(named.path, "SELECT COUNT(*) FROM votes WHERE name IS NOT NULL") == [(0,)]
    named.close()


def test_the_split_lists_every_option_and_the_reasons_are_anonymous_and_unordered_by_time(store):
    store.open_voting(UNIT, "launch")
    picks = [("later", "zeta"), ("now", "beta"), ("later", ""), ("later", "alpha")]
    for option, reason in picks:
        store.vote(store.issue_student(), UNIT, "launch", option, reason=reason)
    sp = store.split(UNIT, "launch")
    assert list(sp.counts) == ["now", "later", "never"] and sp.counts == {"now": 1, "later": 3, "never": 0}
    assert sp.total == 4 and sp.shares()["later"] == 0.75 and store.split(UNIT, "guess").shares() == {"up": 0.0, "down": 0.0}
    assert store.reasons(UNIT, "launch") == [live.Reason("now", "beta", None), live.Reason("later", "alpha", None),
                                             live.Reason("later", "zeta", None)]


# ------------------------------------------------------------------------------------- export
def _read_csv(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_csv_export_opens_in_excel_defuses_formulas_and_never_holds_student_ids(store, tmp_path):
    a, b = store.issue_student(), store.issue_student()
    store.open_voting(UNIT, "launch"), store.open_voting(UNIT, "guess")
    store.vote(a, UNIT, "launch", "now", reason='=HYPERLINK("http://evil","点我")', name="ignored")
    store.vote(a, UNIT, "guess", "up", reason="+1 成本上升")
    store.vote(b, UNIT, "launch", "never", reason="-@ 风险太大, 还有\"引号\"")
    out = tmp_path / "exports" / "votes.csv"
    assert store.export_csv(out) == 3
    data = out.read_bytes()
    rows = _read_csv(data)
    assert "name" not in rows[0] and a not in data.decode("utf-8-sig") and b.split(".")[0] not in data.decode("utf-8-sig")
    assert sorted(r["reason"] for r in rows if r["point"] == "launch") == sorted(
        ["'=HYPERLINK(\"http://evil\",\"点我\")", "'-@ 风险太大, 还有\"引号\""])
    assert [r["reason"] for r in rows if r["point"] == "guess"] == ["'+1 成本上升"]
    assert all(not r[k].lstrip(" ").startswith(("=", "+", "-", "@")) for r in rows for k in r)
    by_point = {(r["voter"], r["point"]): r for r in rows}
    va = {v for v, p in by_point if p == "guess"}.pop()
    assert (va, "launch") in by_point                                          # one voter code across points
    first = by_point[(va, "launch")]
    assert (first["option_zh"], first["option_en"], first["kind"], first["class_name"]) == \
        ("现在推出", "launch now", "decision", "MBA A")

    text, raw = io.StringIO(), io.BytesIO()
    assert store.export_csv(text, unit=UNIT) == 3 and store.export_csv(raw, unit="demo") == 3
    assert text.getvalue().encode("utf-8") == raw.getvalue() == data
    assert store.export_csv(io.BytesIO(), unit="empty") == 0
    refused("bad_target", store.export_csv, 42)
    with pytest.raises(casekit.CasekitError):
        store.export_csv(tmp_path / "votes.xlsx")


def test_the_export_has_names_only_when_the_class_chose_them(tmp_path):
    s = ClassStore(tmp_path, names=True, cases=CASES)
    s.open_voting(UNIT, "launch")
    s.vote(s.issue_student(), UNIT, "launch", "now", name="@王芳")
    buf = io.BytesIO()
    s.export_csv(buf)
    assert _read_csv(buf.getvalue())[0]["name"] == "'@王芳"
    s.close()


# ------------------------------------------------------------------------------------- retention
def test_a_class_is_deleted_only_with_its_id_and_only_its_files(tmp_path):
    s = ClassStore(tmp_path, class_name="MBA A", cases=CASES)
    s.open_voting(UNIT, "launch")
    s.vote(s.issue_student(), UNIT, "launch", "now")
    (tmp_path / "roster.csv").write_text("keep me")
    for wrong in (None, True, "yes", s.class_id.upper()):
        err = refused("confirm", live.delete_class, tmp_path, confirm=wrong)
        assert s.class_id in err.en and s.class_id in err.zh and "MBA A" in str(err)
    assert s.path.exists()
    s.close()
    removed = live.delete_class(tmp_path, confirm=s.class_id)
    assert live.STORE_NAME in {p.name for p in removed}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.csv"]
    refused("no_store", live.delete_class, tmp_path, confirm=s.class_id)
    (tmp_path / live.STORE_NAME).write_text("not a store")
    refused("not_a_store", live.delete_class, tmp_path, confirm="anything")
    assert (tmp_path / live.STORE_NAME).read_text() == "not a store"
    assert "until the instructor deletes it" in " ".join(live.__doc__.split()).lower()


# ------------------------------------------------------------------------------------- concurrency
def _student(folder: str, n: int, changes: int, barrier, out) -> None:
    s = ClassStore(folder, create=False, cases=CASES)
    sid = s.issue_student()
    barrier.wait(timeout=60)
    last = None
    for i in range(changes):
        last = OPTIONS["launch"][(n + i) % 3]
        s.vote(sid, UNIT, "launch", last, reason=f"student {n}, change {i}")
    out.put((sid, last))


@pytest.mark.timeout(60)
def test_sixty_students_changing_their_votes_at_once_lose_nothing_and_double_nothing(tmp_path):
    s = ClassStore(tmp_path, cases=CASES)
    s.open_voting(UNIT, "launch")
    barrier, out = FORK.Barrier(60), FORK.Queue()
    procs = [FORK.Process(target=_student, args=(str(tmp_path), n, 5, barrier, out)) for n in range(60)]
    for p in procs:
        p.start()
    results = [out.get(timeout=45) for _ in procs]
    for p in procs:
        p.join(timeout=10)
        assert p.exitcode == 0
    assert sql(s.path, "SELECT COUNT(*), SUM(changes) FROM votes") == [(60, 60 * 4)]
    for sid, last in results:
        assert s.my_vote(sid, UNIT, "launch").option == last
    sp = s.split(UNIT, "launch")
    assert sp.total == 60 and sp.counts == {o: sum(1 for _, last in results if last == o) for o in OPTIONS["launch"]}
    s.close()


def _steady_student(folder: str, n: int, stop) -> None:
    # Each student logs to a file of its own with single appends, so a kill mid-vote cannot garble
    # (or block) what the others report.
    s = ClassStore(folder, create=False, cases=CASES)
    sid = s.issue_student()
    fd = os.open(os.path.join(folder, f"log-{n}.txt"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.write(fd, f"sid {sid}\n".encode())
    i = 0
    while not stop.is_set() and i < 400:
        option = OPTIONS["launch"][(n + i) % 3]
        os.write(fd, f"try {option}\n".encode())
        s.vote(sid, UNIT, "launch", option)
        os.write(fd, f"ok {option}\n".encode())
        i += 1


@pytest.mark.timeout(60)
def test_a_server_restart_or_a_killed_kernel_mid_vote_loses_no_committed_vote(tmp_path):
    server = ClassStore(tmp_path, cases=CASES)
    server.open_voting(UNIT, "launch")
    stop = FORK.Event()
    procs = [FORK.Process(target=_steady_student, args=(str(tmp_path), n, stop)) for n in range(6)]
    for p in procs:
        p.start()
    logs = [tmp_path / f"log-{n}.txt" for n in range(6)]
    deadline = time.monotonic() + 30
    while not all(f.exists() and "ok " in f.read_text() for f in logs):   # every student is voting
        assert time.monotonic() < deadline, "the students did not start voting"
        time.sleep(0.05)
    time.sleep(0.2)
    server.close()                                   # the server goes down mid-vote ...
    time.sleep(0.2)
    os.kill(procs[0].pid, signal.SIGKILL)            # ... and one kernel dies mid-vote
    server = ClassStore(tmp_path, cases=CASES)       # ... and comes back
    time.sleep(0.4)
    stop.set()
    for p in procs:
        p.join(timeout=20)
    log: dict[int, list] = {}
    sids = {}
    for n in range(6):
        lines = (tmp_path / f"log-{n}.txt").read_text().splitlines()
        sids[n] = lines[0].split()[1]
        log[n] = [tuple(line.split()) for line in lines[1:] if len(line.split()) == 2]
    assert sql(server.path, "PRAGMA integrity_check") == [("ok",)]
    for n, events in log.items():
        mine = server.my_vote(sids[n], UNIT, "launch")
        acked = [i for i, (w, _) in enumerate(events) if w == "ok"]
        if n == 0:                 # killed: its last acknowledged vote or one it was sending when it died
            assert acked and mine.option in {o for w, o in events[acked[-1]:]}
        else:
            assert events[-1][0] == "ok" and mine.option == events[-1][1]
            assert mine.changes == len(acked) - 1    # every acknowledged change is there, none twice
    assert server.split(UNIT, "launch").total == len(log) == 6
    server.close()


def _use_inherited(store: ClassStore, out) -> None:
    store.open_voting(UNIT, "guess")
    out.put(store.vote(store.issue_student(), UNIT, "guess", "up").option)


def test_a_store_opened_before_a_fork_reconnects_in_the_child(store):
    store.state(UNIT)
    out = FORK.Queue()
    p = FORK.Process(target=_use_inherited, args=(store, out))
    p.start()
    assert out.get(timeout=30) == "up"
    p.join(timeout=30)
    assert store.split(UNIT, "guess").total == 1                # the parent's connection still works


def test_a_refusal_crosses_a_process_boundary_intact():
    import pickle

    err = LiveError("closed", "Voting is closed.", "投票已关闭。")
    back = pickle.loads(pickle.dumps(err))
    assert (back.code, back.en, back.zh, str(back)) == ("closed", "Voting is closed.", "投票已关闭。", str(err))


# ------------------------------------------------------------------------------------- properties
ops = st.lists(st.one_of(
    st.tuples(st.just("open"), st.sampled_from(list(OPTIONS))),
    st.tuples(st.just("close"), st.sampled_from(list(OPTIONS))),
    st.tuples(st.just("reset"), st.sampled_from(list(OPTIONS))),
    st.tuples(st.just("release"), st.booleans()),
    st.tuples(st.just("vote"), st.integers(0, 4), st.sampled_from(list(OPTIONS)), st.integers(0, 2)),
), max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_any_sequence_of_steps_leaves_a_split_that_adds_up(steps):
    """Model: per point, the last option of each student who voted while voting was open (since the
    last reset). The store's split equals it, totals equal the number of such students, and the
    version never goes back."""
    folder = tempfile.mkdtemp(prefix="casekit-live-prop-")
    try:
        s = ClassStore(folder, cases=CASES)
        sids = [s.issue_student() for _ in range(5)]
        is_open = {p: False for p in OPTIONS}
        released = False
        votes: dict[str, dict[int, str]] = {p: {} for p in OPTIONS}
        last_version = 0
        for step in steps:
            kind = step[0]
            if kind == "open":
                if released:
                    refused("released", s.open_voting, UNIT, step[1])
                else:
                    s.open_voting(UNIT, step[1])
                    is_open[step[1]] = True
            elif kind == "close":
                s.close_voting(UNIT, step[1])
                is_open[step[1]] = False
            elif kind == "reset":
                s.reset(UNIT, step[1])
                is_open[step[1]], votes[step[1]] = False, {}
            elif kind == "release":
                s.release_b(UNIT, released=step[1])
                released = step[1]
                if released:
                    is_open = {p: False for p in OPTIONS}
            else:
                _, who, point, k = step
                option = OPTIONS[point][k % len(OPTIONS[point])]
                if is_open[point]:
                    assert s.vote(sids[who], UNIT, point, option).option == option
                    votes[point][who] = option
                else:
                    refused("closed", s.vote, sids[who], UNIT, point, option)
            version = s.version(UNIT)
            assert version >= last_version
            last_version = version
        state = s.state(UNIT)
        for point, opts in OPTIONS.items():
            sp = s.split(UNIT, point)
            assert sp.counts == {o: sum(1 for v in votes[point].values() if v == o) for o in opts}
            assert sp.total == len(votes[point]) == state.point(point).votes
            assert state.point(point).open == is_open[point]
        assert state.released == released
        s.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


CONTROL = st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp"])


@settings(max_examples=200, deadline=None)
@given(st.text(st.one_of(st.characters(), CONTROL), max_size=400))
def test_cleaned_text_keeps_no_control_or_direction_characters(text):
    out = live.clean_text(text)
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]", out)
    assert out == out.strip() and live.clean_text(out) == out
    escaped = live.escape_reason(out)
    assert not re.search(r"[<>\"']", escaped)
    cell = live.safe_cell(out)
    assert not cell.lstrip(" ").startswith(("=", "+", "-", "@")) or cell.startswith("'")


def test_the_text_functions_are_linear_in_their_input():
    def timed(fn, text):
        t0 = time.perf_counter()
        fn(text)
        return time.perf_counter() - t0

    for fn in (live.clean_text, live.escape_reason, live.safe_cell):
        for unit in ("\u202e\n", "<&>\"", "  =", "理由 "):
            small, big = unit * 25_000, unit * 100_000
            t_small = min(timed(fn, small) for _ in range(3))
            t_big = min(timed(fn, big) for _ in range(3))
            assert t_big < 0.5 and t_big < 12 * t_small + 0.01, (fn.__name__, unit, t_small, t_big)


JUNK = [None, True, 1.5, float("nan"), -1, 10 ** 30, b"x", [], {}, ["demo"], object(), "", "\x00", "x" * 5000,
        "launch\u202e", "no/such/folder"]


def test_no_raw_exception_leaves_a_public_method(store):
    sid = store.issue_student()
    store.open_voting(UNIT, "launch")
    calls = [
        lambda j: store.vote(j, UNIT, "launch", "now"), lambda j: store.vote(sid, j, "launch", "now"),
        lambda j: store.vote(sid, UNIT, j, "now"), lambda j: store.vote(sid, UNIT, "launch", j),
        lambda j: store.vote(sid, UNIT, "launch", "now", reason=j), lambda j: store.vote(sid, UNIT, "launch", "now", name=j),
        lambda j: store.open_voting(j, "launch"), lambda j: store.close_voting(UNIT, j), lambda j: store.show_split(UNIT, "launch", j),
        lambda j: store.release_b(j), lambda j: store.release_b(UNIT, j), lambda j: store.reset(UNIT, j),
        lambda j: store.state(j), lambda j: store.split(UNIT, j), lambda j: store.reasons(j, "launch"),
        lambda j: store.my_vote(sid, UNIT, j), lambda j: store.export_csv(j), lambda j: store.sign(j),
        lambda j: store.set_names(j), lambda j: store.history(j), lambda j: store.version(j),
        lambda j: live.delete_class(j), lambda j: ClassStore(j), lambda j: ClassStore(store.folder, cases=j),
        lambda j: ClassStore(store.folder, class_name=j), lambda j: live.clean_text(j),
    ]
    for call in calls:
        for j in JUNK:
            try:
                call(j)
            except casekit.CasekitError as exc:
                assert len(str(exc)) < 700
            assert store.verify(j) in (True, False) and store.verify_student(j) in (True, False)
    assert store.split(UNIT, "launch").total <= 1


def test_the_bundled_cases_are_the_default(tmp_path):
    s = ClassStore(tmp_path)
    for unit in dc.case_units():
        assert [p.id for p in s.points(unit)] == [p.id for p in dc.load_case(unit).decision_points]
    assert s.state(2).unit == "keda_zhongtu"                                # a unit by its number
    err = refused("unknown_unit", s.state, 0)
    assert "keda_zhongtu" in str(err)
    refused("unknown_unit", s.state, "demo")
    with_points = [u for u in dc.case_units() if dc.load_case(u).decision_points]
    for unit in with_points[:1]:
        p = dc.load_case(unit).decision_points[0]
        sid = s.issue_student()
        s.open_voting(unit, p.id)
        s.vote(sid, unit, p.id, p.options[-1].id, reason="因为……")
        assert s.split(unit, p.id).counts[p.options[-1].id] == 1
    s.close()
