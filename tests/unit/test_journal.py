"""The journal file: round trip, only written when needed, and a bad file is one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.engine.journal import UNREGISTERED, UNSYNCED, Journal, JournalError


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
