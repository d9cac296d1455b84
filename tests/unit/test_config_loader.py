"""The loader: paths, positions, defaults merged with sources, normalisation, and the examples."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.config import ConfigError, discover_files, load_desired_state
from reconciler.config.loader import parse_yaml
from reconciler.core.source import Source

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "spaces"

SPACE = """\
version: 1
spaces:
  - name: s1
    cust_space_id: "100"
    defaults:
      webhooks:
        status_callback_url: https://hooks.example/status
        up_callback_url: https://hooks.example/inbound
      expect:
        status: [CONNECTED]
    numbers:
      - phone_number: "+86 138 0000 1234"
        webhooks:
          up_callback_url: https://hooks.example/own
      - phone_number: "8613800001235"
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_sources_point_at_defaults_when_inherited(tmp_path: Path) -> None:
    f = write(tmp_path, "s.yaml", SPACE)
    state = load_desired_state([f])
    first, second = state.spaces[0].numbers
    assert first.phone_number == "8613800001234" and first.declared_as == "+86 138 0000 1234"
    assert first.block("webhooks") is not None
    assert first.block("webhooks").status_callback_url == "https://hooks.example/status"  # inherited
    assert first.block("webhooks").up_callback_url == "https://hooks.example/own"  # own value wins
    assert first.source_of("webhooks.status_callback_url") == Source(f, 7, 30)  # the defaults line
    assert first.source_of("webhooks.up_callback_url") == Source(f, 14, 28)  # the number's own line
    assert first.source_of("expect.status") == Source(f, 10, 9)  # a list: its key
    assert first.source_of("webhooks") == Source(f, 13, 9)  # a block: its key line
    assert first.source == Source(f, 12, 9)
    assert second.source_of("webhooks.up_callback_url") == Source(f, 8, 26)
    assert second.source_of("business_profile.about") == second.source  # undeclared: the number's entry
    assert second.block("business_profile") is None and second.block("queues") is None and second.migration is None
    assert state.spaces[0].source == Source(f, 3, 5)
    assert state.spaces[0].sources["cust_space_id"] == Source(f, 4, 20)


def test_examples_validate_and_match_the_scenario() -> None:
    state = load_desired_state([str(EXAMPLES)])
    assert [s.name for s in state.spaces] == ["acme-retail", "acme-travel", "globex-support"]
    assert [s.cust_space_id for s in state.spaces] == ["293483938849001", "293483938849002", "293483938849003"]
    assert [s.unmanaged_numbers for s in state.spaces] == ["report", "error", "ignore"]
    retail, travel, globex = state.spaces
    assert [n.phone_number for n in retail.numbers] == [
        "8613800001234", "8613800001235", "8613800001236", "8613800001237", "8613800005678"]
    assert [n.phone_number for n in travel.numbers] == ["6591234567", "6591234568", "8613800009999"]
    assert [n.phone_number for n in globex.numbers] == ["14155550123", "14155552671", "12025550143"]
    n1236 = retail.number("8613800001236")
    assert n1236 is not None and n1236.block("business_profile") is not None
    assert n1236.block("business_profile").about == "Acme Retail, open 9 to 9"
    assert n1236.block("business_profile").websites == ("https://acme.example", "https://shop.acme.example")
    n1237 = retail.number("8613800001237")
    assert n1237 is not None and n1237.block("expect") is not None and n1237.block("expect").quality_rating == ("GREEN",)
    n9999 = travel.number("8613800009999")
    assert n9999 is not None and n9999.migration is not None
    assert n9999.migration.verify_code_env == "CAMS_SECRET_ACME_MIGRATION_CODE"
    q = travel.number("6591234568")
    assert q is not None and q.block("queues") is not None and q.block("queues").status_queue == "Alicom-Queue-2-ChatAppStatus"
    assert all(n.block("webhooks") and n.block("webhooks").status_callback_url ==
               "https://hooks.acme.example/travel/status?token=tr4vel-s3cret" for n in travel.numbers)
    assert state.files == tuple(str(EXAMPLES / f) for f in
                                ("acme-retail.yaml", "acme-travel.yaml", "globex-support.yaml"))
    for path in state.files:
        first = Path(path).read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/cams-desired-state.schema.json"
        assert (Path(path).parent / "../schemas/cams-desired-state.schema.json").resolve().is_file()


def test_directory_discovery_is_sorted_recursive_and_skips_hidden(tmp_path: Path) -> None:
    for i, rel in enumerate(["b.yaml", "a.yml", "sub/c.yaml", ".hidden/x.yaml", "notes.txt"]):
        body = (SPACE.replace("s1", f"s{i}").replace('"100"', f'"{100 + i}"')
                .replace("+86 138 0000 1234", f"+86 138 0000 200{i}").replace("8613800001235", f"861380000300{i}"))
        write(tmp_path, rel, body)
    files = discover_files([str(tmp_path)])
    assert files == [os.path.join(str(tmp_path), p) for p in ("a.yml", "b.yaml", os.path.join("sub", "c.yaml"))]
    assert load_desired_state([str(tmp_path)]).files == tuple(files)
    # a file given twice (directly and through its directory) is read once
    assert discover_files([files[0], str(tmp_path)]) == files


def test_path_problems(tmp_path: Path) -> None:
    (tmp_path / "empty-dir").mkdir()
    with pytest.raises(ConfigError) as info:
        load_desired_state([str(tmp_path / "nope.yaml"), str(tmp_path / "empty-dir")])
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path / 'nope.yaml'}: error: no such file or directory",
        f"{tmp_path / 'empty-dir'}: error: no *.yaml or *.yml file in this directory",
    ]


def test_relative_paths_stay_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "spaces/x.yaml", SPACE.replace("CONNECTED", "CONECTED"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_desired_state(["spaces"])
    assert str(info.value).startswith(os.path.join("spaces", "x.yaml") + ":10:18: error: ")


@pytest.mark.parametrize("text, message", [
    ("a: 1\nb: [x, {c: 2}]\nb: 3\n", "duplicate key 'b'"),
    ("? [a]\n: 1\n", "a mapping key must be a plain name"),
    ("x: !!binary aGVsbG8=\n", "unsupported YAML tag '!!binary'"),
    ("x: !Ref y\n", "unsupported YAML tag '!Ref'"),
    ("a: \x07\n", "control character (#x0007)"),
    ("~\n", "the document is empty"),
    ("'just text'\n", "the document is a single value"),
])
def test_yaml_level_problems(text: str, message: str) -> None:
    loaded, problems = parse_yaml(text, "f.yaml")
    assert problems and message in problems[0].message, problems


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    depth = 200_000  # libyaml's own recursive composer segfaults on this
    loaded, problems = parse_yaml("[" * depth + "]" * depth, "deep.yaml")
    # Ours or the YAML library's nesting limit may fire first (PyYAML >= 6.0.4 has one of its own): either
    # way it is one positioned problem of the file, not a crash or a problem per level.
    assert loaded is None and len(problems) == 1
    assert problems[0].file == "deep.yaml" and problems[0].line == 1 and problems[0].col > 1


def test_positions_and_typed_scalars() -> None:
    loaded, problems = parse_yaml("a: 0123\nd: 2024-01-01\nflow: {x: [1, yes]}\n", "f.yaml")
    assert not problems and loaded is not None
    assert loaded.data == {"a": 83, "d": "2024-01-01", "flow": {"x": [1, True]}}
    assert loaded.positions.at(("flow", "x", 1)) == (3, 15)
    assert loaded.positions.key_at(("flow", "x")) == (3, 8)
    assert loaded.positions.raw[("a",)] == "0123"  # the text, for "quote it" advice


@pytest.mark.parametrize("snippet, message", [
    ("version: '1'\nspaces: []\n", "must be the number 1, not a string"),
    ("spaces: []\n", "missing required key 'version'"),
    ("version: 1\nspaces:\n  - name: x\n    cust_space_id: '1'\n    allow_http_callbacks: true\n"
     "    defaults: {webhooks: {status_callback_url: 'http://h.example/s'}}\n", None),
    ("version: 1\nspaces:\n  - name: x\n    cust_space_id: '1'\n    safety: {max_webhook_update_fraction: .nan}\n",
     "not .nan"),
    ("version: 1\nspaces:\n  - name: x\n    cust_space_id: '1'\n    numbers:\n      - phone_number: '+86 138 0000 1234'\n"
     "        migration: {verify_code_env: '1ABC'}\n", "must be the name of an environment variable"),
    ("version: 1\nname: x\nspaces: []\n", "the space's keys go inside a `spaces:` list item"),
    ("version: 1\nspaces:\n  - {name: x, cust_space_id: '1', numbers: [{phone_number: '+86 138 0000 1234', "
     "webhooks: {status_callback_url: 'https://:80/x'}}]}\n", "has no host name"),
])
def test_rules(tmp_path: Path, snippet: str, message: str | None) -> None:
    f = write(tmp_path, "r.yaml", snippet)
    if message is None:
        state = load_desired_state([f])
        assert state.spaces[0].allow_http_callbacks is True
        return
    with pytest.raises(ConfigError) as info:
        load_desired_state([f])
    assert any(message in p.message for p in info.value.problems), str(info.value)
