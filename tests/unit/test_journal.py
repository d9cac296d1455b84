"""The journal file: round trip, only written when needed, and a bad file is one clear line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reconciler.engine.journal import UNREGISTERED, UNSYNCED, Journal, JournalError
from reconciler.kinds.username_refusals import Refusal, refusal


def test_round_trip_and_clear(tmp_path: Path) -> None:
    path = tmp_path / "j" / "journal.json"
    journal = Journal.load(path)
    journal.record(UNSYNCED, "retail", "1001", "8613800000007", "not registered upstream")
    journal.record(UNREGISTERED, "travel", "1002", "8613800009999", "verified")
    journal.save()
    again = Journal.load(path)
    assert set(again.for_space(UNSYNCED, "retail")) == {"8613800000007"}
    assert again.for_space(UNREGISTERED, "travel")["8613800009999"].detail == "verified"
    again.clear(UNSYNCED, "retail", ["8613800000007"])
    again.save()
    assert Journal.load(path).for_space(UNSYNCED, "retail") == {}


def test_nothing_is_written_while_nothing_was_needed(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    journal = Journal.load(path)
    journal.record(UNSYNCED, "retail", "1001", "8613800000007", "x")
    journal.clear(UNSYNCED, "retail", ["8613800000007"])
    journal.save()
    assert not path.exists()


@pytest.mark.parametrize("content", ["{", "[]", '{"format_version": 2, "entries": []}',
                                     '{"format_version": 1, "entries": [{"kind": "other"}]}'])
def test_a_bad_journal_is_one_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "journal.json"
    path.write_text(content)
    with pytest.raises(JournalError) as exc:
        Journal.load(path)
    assert str(path) in str(exc.value) and "\n" not in str(exc.value)


def test_a_directory_is_not_a_journal(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="regular file"):
        Journal.load(tmp_path)
    assert json.loads(json.dumps(Journal(None).to_dict())) == {"format_version": 1, "entries": []}


ENTRY = {"kind": "unsynced", "space": "retail", "cust_space_id": "1001", "phone_number": "8613800000007",
         "at": "2026-12-02T05:00:00Z", "detail": "not registered upstream"}


REFUSED = {**ENTRY, "kind": "username-refused"}


def _refused(**fields: object) -> str:
    return json.dumps({"name": "acmesupport", "code": "147001", "request_id": None, "suggestions": ["acme1"],
                       "left_out": 0, **fields})


def _journal(*entries: object, **top: object) -> str:
    return json.dumps({"format_version": 1, "entries": list(entries), **top}, indent=2)


@pytest.mark.parametrize(("content", "named"), [
    ("{\n  \"format_version\": 1,\n  \"entries\": [\n", ":4:1: not a cams-reconciler journal: invalid JSON"),
    ('{"format_version": 1, "format_version": 1, "entries": []}', "duplicate key 'format_version'"),
    ('{"format_version": true, "entries": []}', "format_version 1 expected, found true"),
    ('{"format_version": 1, "entries": {}}', "entries must be a list"),
    (_journal(colour="blue"), "unknown field 'colour'"),
    (_journal(ENTRY, {**ENTRY, "kind": "lost"}), "entries[1].kind: one of unregistered, unsynced, verifying, spent, code-requested, onboard-verifying, onboard-spent, username-refused expected"),
    (_journal({**ENTRY, "phone_number": 8613800000007}), "entries[0].phone_number: a string expected"),
    (_journal({k: v for k, v in ENTRY.items() if k != "space"}), "entries[0].space: a string expected"),
    (_journal({**ENTRY, "space": ""}), "entries[0].space: must not be empty"),
    (_journal({**ENTRY, "detail": ["x"]}), "entries[0].detail: a string expected"),
    (_journal({**ENTRY, "detail": "\x1b[2Jcleared"}), "entries[0].detail: holds a control character"),
    (_journal({**ENTRY, "at": "yesterday"}), "entries[0].at: a UTC time"),
    (_journal({**ENTRY, "extra": 1}), "entries[0].extra: unknown field"),
    (_journal(ENTRY, ENTRY), "entries[1] has the kind, space and phone_number of entries[0]"),
    (_journal("x"), "entries[0]: an object expected"),
    (_journal({**REFUSED, "detail": "taken"}), "entries[0].detail: not a username refusal (JSON expected)"),
    (_journal({**REFUSED, "detail": _refused(suggestions=["ok.name", "x\\n::set-output name=a::b"])}),
     "entries[0].detail: suggestions: at most 5 well-formed usernames expected"),
    (_journal({**REFUSED, "detail": _refused(code="Throttling")}), "entries[0].detail: code: one of 147001, 147005"),
    (_journal({**REFUSED, "detail": _refused(request_id="a b")}), "entries[0].detail: request_id: a request id"),
    (_journal({**REFUSED, "detail": _refused(colour="blue")}), "entries[0].detail: a username refusal holds exactly"),
    ("[" * 100_000, "nested too deeply"),
    ('{"format_version": 1, "entries": [], "n": ' + "9" * 5000 + "}", "not a cams-reconciler journal"),
])
def test_a_bad_journal_names_the_line_or_field_and_is_left_as_it_is(tmp_path: Path, content: str,
                                                                     named: str) -> None:
    path = tmp_path / "journal.json"
    path.write_text(content)
    with pytest.raises(JournalError) as exc:
        Journal.load(path)
    message = str(exc.value)
    assert message.startswith(str(path)) and named in message and "\n" not in message, message
    assert "left as it is" in message
    assert path.read_text() == content


def test_bytes_that_are_not_utf8_are_not_a_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    path.write_bytes(b'{"format_version": 1, "entries": ["\xff"]}')
    with pytest.raises(JournalError, match="not UTF-8 text"):
        Journal.load(path)


def test_a_symlinked_journal_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text(_journal(ENTRY))
    link = tmp_path / "journal.json"
    link.symlink_to(target)
    with pytest.raises(JournalError, match=r"symbolic link \(to .*elsewhere.json\); .*give the real path"):
        Journal.load(link)
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "missing.json")  # not "no journal yet": saving would replace the link
    with pytest.raises(JournalError, match="symbolic link"):
        Journal.load(dangling)
    assert target.read_text() == _journal(ENTRY)


def test_special_and_oversized_files_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # a FIFO with no writer: opening it to read would block
    with pytest.raises(JournalError, match="FIFO"):
        Journal.load(fifo)
    with pytest.raises(JournalError, match="device"):
        Journal.load("/dev/zero")
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(5 * 1024 * 1024)
    with pytest.raises(JournalError, match="over the limit"):
        Journal.load(big)


def test_a_username_refusal_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    path.write_text(_journal({**REFUSED, "detail": _refused(request_id="CA6F-01")}))
    (entry,) = Journal.load(path).entries.values()
    last = Refusal.parse(entry.detail, entry.at)
    assert (last.name, last.code, last.suggestions, last.request_id) == ("acmesupport", "147001", ("acme1",), "CA6F-01")
    assert Refusal.parse(last.detail(), entry.at) == last


def test_a_refusal_keeps_only_well_formed_suggestions_and_request_ids() -> None:
    answered = ["acme1", "x\n::set-output name=a::b", "[a](https://e.example)", 7, "acme1", "acme2", "acme3",
                "acme4", "acme5"]
    last = refusal("acmesupport", "147001", answered, "id\n::error::x")
    assert last.suggestions == ("acme1", "acme2", "acme3", "acme4", "acme5") and last.left_out == 4, last
    assert last.request_id is None and refusal("acme", "147001", {"not": "a list"}, "AB-12").suggestions == ()


def test_a_good_journal_still_loads_every_entry(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    other = {**ENTRY, "kind": "unregistered", "detail": ""}
    path.write_text(_journal(ENTRY, {k: v for k, v in other.items() if k != "detail"}))
    journal = Journal.load(path)
    assert set(journal.for_space(UNSYNCED, "retail")) == {"8613800000007"}
    assert journal.for_space(UNREGISTERED, "retail")["8613800000007"].detail == ""
