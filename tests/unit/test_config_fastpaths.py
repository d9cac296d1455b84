"""The loader's fast paths give exactly what the general paths give.

For speed (10,000 numbers must validate well under 2 s), the composer places common events inline, plain
URLs skip ``urlsplit``, and a load pauses the cyclic garbage collector. Each shortcut has a general
implementation next to it; these tests run both on the same input and require the same result, so a
shortcut that drifts from the general path fails here rather than in a user's plan.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.config import ConfigError, load_desired_state
from reconciler.config.loader import LoadedFile, parse_yaml
from reconciler.config.rules import URL_RE, _url_problem, _url_problem_general

REPO = Path(__file__).resolve().parents[2]


def _snapshot(result: tuple[LoadedFile | None, list[Any]]) -> tuple[Any, ...]:
    loaded, problems = result
    text = [str(p) for p in problems]
    if loaded is None:
        return (None, text)
    pos = loaded.positions
    return (repr(loaded.data), dict(pos.values), dict(pos.keys), dict(pos.raw), sorted(map(repr, loaded.suppressed)),
            list(loaded.code_keys), text)


def _same_both_ways(text: str) -> None:
    assert _snapshot(parse_yaml(text, "f.yaml")) == _snapshot(parse_yaml(text, "f.yaml", inline=False))


def _repository_yaml() -> list[Path]:
    found = [*REPO.glob("examples/**/*.yaml"), *REPO.glob("tests/fixtures/**/*.yaml"),
             *REPO.glob("tests/reliability/corpus/desired/*.yaml")]
    return sorted(p for p in found if p.stat().st_size < 100_000)


@pytest.mark.parametrize("path", _repository_yaml(), ids=lambda p: p.name)
def test_inline_composer_matches_general_path_on_repository_files(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    _same_both_ways(text)


# Values that make YAML type, tag, alias or reject a scalar, and keys that the secret rules look at.
_ODD = ["yes", "no", "~", "null", "0x1F", "0o17", "1e3", ".nan", "-.inf", "1_000", "2024-01-01", "!!int 5",
        "!!str 5", "!custom x", "&a 1", "*a", "[1, 2]", "{a: 1}", "? [a]\n  : 1", "!!bool maybe", "'q'", '""',
        "<<: {a: 1}", "=", "- - x", "!!float 1", "TIER_10K", "True", "verify_code: 123456", "---\nb: 2"]

_scalars = st.one_of(st.text(alphabet="abcXYZ019 +-.:/_?=&#", max_size=12), st.integers(), st.booleans(),
                     st.none(), st.sampled_from(["yes", "GREEN", "https://a.example/x?token=t", "+86 138 0000 1234"]))
_keys = st.one_of(st.sampled_from(["version", "spaces", "numbers", "phone_number", "webhooks", "verify_code_env",
                                   "VerifyCode", "migration", "expect", "code"]),
                  st.text("abcde_", min_size=1, max_size=6))
_documents = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                             st.dictionaries(_keys, inner, max_size=4)),
                          max_leaves=25)


@settings(max_examples=150, deadline=None)
@given(doc=_documents, flow=st.sampled_from([None, True, False]),
       edits=st.lists(st.tuples(st.integers(0, 1000), st.sampled_from(_ODD), st.booleans()), max_size=3))
def test_inline_composer_matches_general_path_on_random_yaml(doc: Any, flow: bool | None,
                                                              edits: list[tuple[int, str, bool]]) -> None:
    lines = yaml.safe_dump(doc, default_flow_style=flow, sort_keys=False).split("\n")
    for at, snippet, as_value in edits:  # hand edits: an odd value after a key, or a whole odd line
        i = at % len(lines)
        key, colon, _ = lines[i].partition(":")
        lines[i] = f"{key}: {snippet}" if as_value and colon else lines[i] + " " + snippet
    _same_both_ways("\n".join(lines))


def test_inline_composer_matches_general_path_on_duplicates_and_discards() -> None:
    for text in ["a: 1\na: 2\n", "a: {b: 1, b: 2}\n", "? [x]\n: {y: 1, z: [1, 2]}\nc: d\n",
                 "a: *x\nb: 1\n", "a: !!map {b: 1}\nc: [!!seq [1]]\n", "- a\n- b: c\n  b: d\n- [e, 1, yes]\n",
                 "a: !x {b: {c: 1}, d: [2]}\ne: f\n", "verify_code: 1\nx: {VerifyCode: 2, migration_code: '3'}\n"]:
        _same_both_ways(text)


_url_text = st.builds(
    lambda scheme, host, tail: f"{scheme}://{host}{tail}",
    st.sampled_from(["http", "https", "HTTPS", "hTTp"]),
    st.text(alphabet="ab.-_~:@[]1%é", max_size=12),
    st.sampled_from(["", "/", "/p?q=1", "\n", "#f", ":80", ":99999", "/a b", "?x=[1]", "/é"]))


@settings(max_examples=400, deadline=None)
@given(url=_url_text, callback=st.booleans(), allow_http=st.booleans())
def test_plain_url_shortcut_matches_urlsplit(url: str, callback: bool, allow_http: bool) -> None:
    if URL_RE.match(url):
        assert _url_problem(url, callback=callback, allow_http=allow_http) == \
            _url_problem_general(url, callback=callback, allow_http=allow_http)


def test_load_restores_the_garbage_collector(tmp_path: Path) -> None:
    good = REPO / "examples" / "spaces"
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nspaces: [{name: a}]\n", encoding="utf-8")
    assert gc.isenabled()
    load_desired_state([good])
    assert gc.isenabled()
    with pytest.raises(ConfigError):
        load_desired_state([bad])
    assert gc.isenabled()
    gc.disable()
    try:
        load_desired_state([good])
        assert not gc.isenabled()  # someone else's choice is kept
    finally:
        gc.enable()
