"""Secrets out of YAML: a callback URL's token written as ``${env:NAME}``, resolved from the environment at
plan time and never shown.

``https://hooks.acme.example/status?token=${env:CAMS_SECRET_ACME_STATUS_TOKEN}`` declares the URL with its token in the
environment variable ``CAMS_SECRET_ACME_STATUS_TOKEN`` (a CI secret). A reference stands for a whole query value: the
one place of a URL that every log, plan and error masks (``common.masking.mask_url``), so the resolved token can never
be printed by accident elsewhere.

- ``validate`` (offline) checks the syntax (``reference_problem``): ``${env:`` + a variable name + ``}``,
  only as a query value;
- ``plan``/``drift``/``apply`` resolve every reference (``resolve_references``) before reading anything: an
  unset variable is a ``ConfigError`` at the reference's file:line and field;
- the resolved URL is a ``SecretUrl``: it compares and is sent as the real URL, and is shown as its template
  with a keyed fingerprint of the resolved value (``fingerprint``), so a reviewer sees *that* it changed.

The fingerprint is HMAC-SHA256 keyed by ``CAMS_RECONCILER_FINGERPRINT_KEY``, a secret the plan and apply
jobs share and the plan does not hold. A key anyone can derive from the plan (the variable's name, the
space id) would let anyone who reads a PR comment test guesses of a short token offline until the digest
matches; with a secret key the digest says nothing but "same or different". Without the key no fingerprint
is shown (``fingerprint: set CAMS_RECONCILER_FINGERPRINT_KEY``). With the key, a URL whose token is written
in the YAML as it is (``?token=abc``) is fingerprinted the same way, so a changed token never reads as
``token=*** → token=***``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from reconciler import kinds as catalogue
from reconciler.common.masking import mask_url
from reconciler.config.errors import ConfigError, Problem
from reconciler.core.model import DesiredState, Number, Space
from reconciler.core.secret_url import FINGERPRINT_KEY_ENV, REF, SecretUrl
from reconciler.core.source import Source

REF_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PLACEHOLDER = "ENVREF"


def callback_fields() -> dict[str, tuple[str, ...]]:
    """The number blocks and fields that may hold references: the callback URLs the catalogue declares."""
    return {k.name: names for k in catalogue.number_kinds() if (names := tuple(f.name for f in k.fields if f.callback))}


def space_callback_fields() -> dict[str, tuple[str, ...]]:
    """The same for the space's own blocks (the account webhook)."""
    return {k.name: names for k in catalogue.space_kinds() if (names := tuple(f.name for f in k.fields if f.callback))}


def _resolve_blocks(blocks: Mapping[str, object], fields: Mapping[str, tuple[str, ...]], where: str,
                    source_of: Callable[[str], Source], env: Mapping[str, str],
                    problems: list[Problem]) -> tuple[dict[str, object], bool]:
    """``blocks`` with every reference of their callback URLs resolved (unset ones added to ``problems``),
    and whether any URL was touched (not ``!=``: a fingerprinted URL equals the plain string it wraps)."""
    fingerprinted = bool(env.get(FINGERPRINT_KEY_ENV))
    out = dict(blocks)
    touched = False
    for block, names in fields.items():
        model = out.get(block)
        if model is None:
            continue
        values = {}
        for name in names:
            template = getattr(model, name, None)
            # A URL whose secret part is written in the YAML (``?token=abc``) gets a fingerprint too when the
            # key is set: masked, a changed token would read as no change at all.
            if isinstance(template, str) and not isinstance(template, SecretUrl) and (
                    REF.search(template) or (fingerprinted and mask_url(template) != template)):
                values[name] = _resolve(template, env, source_of(f"{block}.{name}"), f"{where}.{block}.{name}",
                                        problems)
        if values:
            out[block] = dataclasses.replace(model, **{k: v for k, v in values.items() if v is not None})  # type: ignore[type-var]
            touched = True
    return out, touched


def has_reference(text: str) -> bool:
    return "${" in text


def reference_problem(url: str) -> str | None:
    """Why the references in ``url`` are malformed (offline), or None."""
    rest = REF.sub(PLACEHOLDER, url)
    if "${" in rest:
        return "has a malformed reference: write ${env:NAME} (letters, digits and _; not starting with a digit)"
    try:
        query = urlsplit(url).query
        before_query = url.split("?", 1)[0]
    except ValueError:
        return None  # the URL rules say what is wrong
    if REF.search(before_query) or "#" in url and REF.search(url.split("#", 1)[1]):
        return "may hold ${env:NAME} only as a query value (e.g. ?token=${env:CAMS_SECRET_ACME_TOKEN}), where it is always masked"
    for piece in query.split("&"):
        value = piece.partition("=")[2]
        if REF.search(value) and REF.fullmatch(value) is None:
            return "may hold ${env:NAME} only as a whole query value (?token=${env:CAMS_SECRET_ACME_TOKEN})"
    return None


def placeholder_url(url: str) -> str:
    """``url`` with every reference replaced, for the URL rules."""
    return REF.sub(PLACEHOLDER, url)


def _resolve(template: str, env: Mapping[str, str], where: Source, path: str,
             problems: list[Problem]) -> str | None:
    missing = [m.group(1) for m in REF.finditer(template) if not env.get(m.group(1))]
    if missing:
        problems.append(Problem(where.file, where.line, where.col,
                                f"environment variable {', '.join(dict.fromkeys(missing))} is not set (referenced "
                                "by this callback URL; set it in the job's environment, e.g. from a secret)", path))
        return None
    value = REF.sub(lambda m: env[m.group(1)], template)
    key = env.get(FINGERPRINT_KEY_ENV)
    return SecretUrl(value, template, key.encode() if key else None)


def resolve_references(desired: DesiredState, env: Mapping[str, str]) -> DesiredState:
    """``desired`` with every ``${env:NAME}`` resolved; ``ConfigError`` naming each unset variable's place."""
    problems: list[Problem] = []
    spaces = []
    changed_any = False
    number_fields, space_fields = callback_fields(), space_callback_fields()
    for si, space in enumerate(desired.spaces):
        numbers = []
        changed = False
        for ni, number in enumerate(space.numbers):
            blocks, touched = _resolve_blocks(number.blocks, number_fields, f"spaces[{si}].numbers[{ni}]",
                                              number.source_of, env, problems)
            if touched:
                number = _with_blocks(number, blocks)
                changed = True
            numbers.append(number)
        own, touched = _resolve_blocks(space.blocks, space_fields, f"spaces[{si}]", _space_source(space), env,
                                       problems)
        if changed or touched:
            space = dataclasses.replace(space, numbers=tuple(numbers), blocks=own)
            changed_any = True
        spaces.append(space)
    if problems:
        raise ConfigError(problems, desired.files)
    return dataclasses.replace(desired, spaces=tuple(spaces)) if changed_any else desired


def _space_source(space: Space) -> Callable[[str], Source]:
    def source_of(path: str) -> Source:
        return space.sources.get(path) or space.source
    return source_of


def _with_blocks(number: Number, blocks: dict[str, object]) -> Number:
    return dataclasses.replace(number, blocks=blocks)


def referenced_values(desired: DesiredState, spaces: set[str] | None = None) -> dict[str, str]:
    """Variable name → resolved value for every ``${env:NAME}`` the (named) spaces reference, read from
    the resolved URLs themselves (no second look at the environment). For a keyed digest only: never shown."""
    out: dict[str, str] = {}
    for space in desired.spaces:
        if spaces is not None and space.name not in spaces:
            continue
        for number in space.numbers:
            for block, names in callback_fields().items():
                model = number.blocks.get(block)
                for name in names:
                    value = getattr(model, name, None) if model is not None else None
                    if isinstance(value, SecretUrl):
                        for variable, resolved in _bindings(value.template, str.__str__(value)).items():
                            out[variable] = resolved
    return out


def _bindings(template: str, value: str) -> dict[str, str]:
    """The value each reference of ``template`` took in ``value`` (the template with references resolved)."""
    pattern = "".join(f"(?P<v{i}>.*?)" if i % 2 else re.escape(part)
                      for i, part in enumerate(REF.split(template)))
    match = re.fullmatch(pattern, value, re.S)
    if match is None:
        return {}
    names = REF.findall(template)
    return {name: match.group(f"v{2 * i + 1}") for i, name in enumerate(names)}
