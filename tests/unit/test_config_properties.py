"""Property tests: no input makes the loader raise anything but ConfigError, and the fast schema pre-check
never accepts what jsonschema rejects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from reconciler.config import ConfigError, load_desired_state
from reconciler.config.fastcheck import compile_schema
from reconciler.config.schema import inline_refs, load_schema

KEYS = ["version", "spaces", "name", "cust_space_id", "numbers", "phone_number", "webhooks", "defaults",
        "status_callback_url", "up_callback_url", "expect", "status", "quality_rating", "migration",
        "verify_code_env", "verify_code", "business_profile", "websites", "about", "vertical", "queues",
        "safety", "min_numbers", "allow_http_callbacks", "unmanaged_numbers"]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
    st.sampled_from(["+86 138 0000 1234", "8613800001234", "https://h.example/x?token=t", "http://h.example",
                     "CONNECTED", "GREEN", "RETAIL", "report", "1", "828712", "ACME_CODE", ""]),
)
KEY = st.one_of(st.sampled_from(KEYS), st.text(max_size=8))
DOCS = st.recursive(SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                    st.dictionaries(KEY, kids, max_size=6)), max_leaves=30)
# Documents shaped like the format, so the deeper rules run too.
NUMBER = st.fixed_dictionaries({"phone_number": SCALARS}, optional={k: DOCS for k in ("webhooks", "expect",
                                                                                       "migration", "queues")})
SPACE = st.fixed_dictionaries({"name": SCALARS, "cust_space_id": SCALARS},
                              optional={"numbers": st.lists(NUMBER, max_size=3), "defaults": DOCS,
                                        "allow_http_callbacks": SCALARS})
SHAPED = st.fixed_dictionaries({"version": st.sampled_from([1, 1, 2, "1"]), "spaces": st.lists(SPACE, max_size=3)})

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_only_config_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "random.yaml"
    path.write_bytes(data)
    try:
        load_desired_state([str(path)])
    except ConfigError:
        pass


@SETTINGS
@given(st.one_of(DOCS, SHAPED))
def test_random_documents_only_config_error(tmp_path: Path, doc: Any) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    try:
        load_desired_state([str(path)])
    except ConfigError:
        pass


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list("{}[]:,-?&*!|>'\"#%@` \n\tab1.~")), max_size=80))
def test_random_yaml_punctuation_only_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "punct.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_desired_state([str(path)])
    except ConfigError:
        pass


_SCHEMA = inline_refs(load_schema())
_FAST = compile_schema(_SCHEMA)
_VALIDATOR = Draft202012Validator(_SCHEMA)


@settings(max_examples=400, deadline=None)
@given(st.one_of(DOCS, SHAPED))
def test_fast_precheck_never_accepts_what_jsonschema_rejects(doc: Any) -> None:
    assert _FAST is not None
    if _FAST(doc):
        assert _VALIDATOR.is_valid(doc)


def test_fast_precheck_accepts_the_examples() -> None:
    repo = Path(__file__).resolve().parents[2]
    for f in sorted((repo / "examples" / "spaces").glob("*.yaml")):
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        assert _FAST is not None and _FAST(doc) and _VALIDATOR.is_valid(doc)
    assert compile_schema({"type": "object", "oneOf": []}) is None  # unknown keyword: always use jsonschema
    # 2020-12 only: fastjsonschema (drafts 4-7) would ignore it, which would make the pre-check looser
    assert compile_schema({"type": "array", "prefixItems": [{"type": "string"}]}) is None


def test_fast_precheck_is_not_fooled_by_python_equalities() -> None:
    # True == 1 and 1.0 == 1 in Python; JSON Schema's const/enum/type tell them apart.
    repo = Path(__file__).resolve().parents[2]
    doc = yaml.safe_load((repo / "examples" / "spaces" / "acme-retail.yaml").read_text(encoding="utf-8"))
    assert _FAST is not None
    for bad in (True, "1", [1]):
        assert not _FAST({**doc, "version": bad}) and not _VALIDATOR.is_valid({**doc, "version": bad})
