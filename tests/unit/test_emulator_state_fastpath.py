"""The state file's fast loader (``_fast_load``: data straight from the parser's events) must give exactly what
the full path (``_parse``: node tree, ``_check_nodes``, SafeConstructor) gives — the same data, with the same
types — or hand the file to the full path, so every error stays the full path's own, line included.

Compared here on hand-picked YAML corners and on generated documents and punctuation; and the fast path must
really be taken for the shapes state files have (it is what makes 20,000 numbers load in a few seconds:
``benchmarks/emulator_state_load.py``)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.emulator import StateFileError, load_state
from reconciler.emulator import state as state_module
from reconciler.emulator.state import _fast_load, _load_yaml, _NotFast, _parse

REPO = Path(__file__).resolve().parents[2]


def full_path(text: str) -> tuple[str, str]:
    try:
        return "data", repr(_parse(text, "f.yaml")[1])  # repr: 1, 1.0 and True are equal, their reprs are not
    except StateFileError as exc:
        return "error", str(exc)


def loaded(text: str) -> tuple[str, str]:
    try:
        return "data", repr(_load_yaml(text, "f.yaml"))
    except StateFileError as exc:
        return "error", str(exc)


def fast_taken(text: str) -> bool:
    try:
        _fast_load(text)
    except _NotFast:
        return False
    return True


CORNERS = [
    "", "# only a comment\n", "---\n", "--- 1\n", "a: 1\n---\nb: 2\n", "[1, 2]\n", "x\n",
    "a: 1\nb: '1'\nc: 1.0\nd: true\ne: ~\nf: null\ng: yes\nh: 0x1F\ni: 0o17\nj: 1_000\nk: 190:20:30\nl: .inf\n"
    "m: -.NaN\nn: +1\no: 1e5\np: 1.5e5\nq: ''\nr:\ns: '~'\nt: No\nu: Y\nv: -1\nw: .\nx: 0\n",
    "v: -\n",
    "a: 2001-12-14\n", "a: 2001-12-14t21:59:43.10-05:00\n", "a: !!str 1\n", "a: !!binary aGVsbG8=\n",
    "a: !!set {x, y}\n", "a: !custom x\n", "a: ! x\n", "!!map {a: 1}\n", "--- !!omap [a: 1]\n",
    "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n", "a: =\n", "=: a\n",
    "a: &x [1, 2]\nb: *x\nc: *x\n", "a: &s word\nb: *s\n", "a: *undefined\n", "a: &r [*r]\n",
    "a: &k key\n*k : v\n", "? [1, 2]\n: v\n", "? {a: 1}\n: v\n", "a: &d 1\nb: &d 2\n", "a: &d [&d 1]\n",
    "a: 1\na: 2\n", "1: x\n'1': y\n", "'1': y\n1: x\n", "1: x\n0x1: y\n", "1: x\n1.0: y\ntrue: z\n",
    "null: a\n~: b\n", "~: b\n'~': c\n", ": v\n", "a: 1\nb:\n  a: 1\n  a: 2\n", "{a: 1, a: 1}\n",
    "keys: [\n", "a: b: c\n", "\tkeys: []\n", "a: 'unterminated\n", "- a\n b\n", "%YAML 1.1\n---\na: 1\n",
    "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n", "a: |\n  block\n  text\nb: >-\n  folded\n",
    "a: \"\\u00e9\\n\"\nb: 'it''s'\n", "[a, [b, [c, {d: [e]}]]]\n", "{}\n", "[]\n", "a: {}\nb: []\n",
    "spaces:\n  293483938849001:\n    phone_numbers:\n      - PhoneNumber: 8613800001234\n",
]


@pytest.mark.parametrize("text", CORNERS)
def test_every_corner_loads_as_the_full_path_loads_it(text: str) -> None:
    assert loaded(text) == full_path(text)


@pytest.mark.parametrize("levels", [197, 198, 199, 200, 201, 202, 400])
@pytest.mark.parametrize("shape", ["flow-seq", "flow-map", "block"])
def test_nesting_near_the_depth_limit(levels: int, shape: str) -> None:
    if shape == "flow-seq":
        text = "[" * levels + "x" + "]" * levels + "\n"
    elif shape == "flow-map":
        text = "{a: " * levels + "x" + "}" * levels + "\n"
    else:
        text = "".join("  " * i + "a:\n" for i in range(levels)) + "  " * levels + "x\n"
    assert loaded(text) == full_path(text)


@pytest.mark.parametrize("depth", [150, 195, 199])
def test_an_alias_that_reaches_past_the_depth_limit(depth: int) -> None:
    """The full path may walk an anchored tree through its alias first, at the alias's depth."""
    deep = "[" * 60 + "x" + "]" * 60
    text = f"a: &d {deep}\nb: " + "[" * depth + "*d" + "]" * depth + "\n"
    assert loaded(text) == full_path(text)


def test_alias_expansion_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state_module, "MAX_EXPANDED_VALUES", 61)
    laughs = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\n"
    assert loaded(laughs) == full_path(laughs) and loaded(laughs)[0] == "data"  # 1 + 3 keys + 4 + 13 + 40 = 61 values
    more = laughs + "d: [*c]\n"
    assert loaded(more) == full_path(more) and "expand to more than 61" in loaded(more)[1]


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, width=32),
    st.text(st.sampled_from("ab1 :-#'\"{}[],&*!|>%@`~.0x_=<\t\né"), max_size=8),
    st.sampled_from(["yes", "No", "on", "~", "null", "0o7", "0x1A", "1_0", "1:30", "1e3", ".5", "+.inf", "2001-01-01",
                     "<<", "=", "8613800001234", "293483938849001"]))
DATA = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(SCALARS, inner, max_size=4)), max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=DATA, flow=st.sampled_from([None, True, False]))
def test_generated_documents_load_as_the_full_path_loads_them(data: Any, flow: bool | None) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    assert loaded(text) == full_path(text)


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from("a1 :-#'\"{}[],&*!|>?\n\t~.=<"), max_size=40))
def test_yaml_punctuation_loads_as_the_full_path_loads_it(text: str) -> None:
    assert loaded(text) == full_path(text)


def test_the_shapes_of_state_files_take_the_fast_path() -> None:
    assert fast_taken((REPO / "examples" / "emulator-state.yaml").read_text(encoding="utf-8"))
    from benchmarks.emulator_state_load import build_state
    assert fast_taken(yaml.safe_dump(build_state(40, 2), sort_keys=False))
    assert fast_taken("a: &p {About: x}\nb: *p\nc: [*p]\n")  # anchors for repeated blocks too
    assert not fast_taken("a: 1\na: 2\n")  # the full path names the duplicate


def test_a_validation_error_still_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    path.write_text(textwrap.dedent("""\
        keys:
          - {access_key_id: demo, access_key_secret: s}
        spaces:
          '1':
            phone_numbers:
              - {PhoneNumber: '5', Statuss: CONNECTED}
        """))
    with pytest.raises(StateFileError) as info:
        load_state(path)
    assert str(info.value) == (f"{path}:6: unknown field 'Statuss' (expected one of: " + ", ".join(
        sorted(state_module.NUMBER_FIELDS)) + ") (spaces.1.phone_numbers[0].Statuss)")
