"""Rules the JSON Schema cannot express: secrets kept out of YAML, callback URLs, phone numbers valid for
their country, and uniqueness across every file.

Each rule reads the plain data defensively (the schema may have found the same value malformed; a rule
then stays silent rather than report it twice) and returns ``Problem``s, never raises.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

from reconciler import kinds as catalogue
from reconciler.common.masking import mask_url
from reconciler.config import env_refs
from reconciler.config.errors import Problem
from reconciler.config.loader import LoadedFile, Mark, Path, format_path
from reconciler.config.schema import did_you_mean
from reconciler.core import boundaries
from reconciler.core.defaults import DEFAULT_ACCOUNT
from reconciler.core.secret_url import REF
from reconciler.core.store_url import s3_options

FORMAT_VERSION = 1
URL_RE = re.compile(r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+[^\s]*$")  # the schema's URL pattern
#: the kinds with URL fields, checked offline (https, no credentials, ...)
_URL_KINDS = tuple(k for k in catalogue.kinds() if any(f.url for f in k.fields))
_SPACE_KINDS = catalogue.space_kinds()
_NUMBER_URL_KINDS = tuple(k for k in _URL_KINDS if k.scope is catalogue.Scope.NUMBER)
_VERIFY_CODE_KEYS = frozenset({"verifycode", "verificationcode", "migrationcode", "migrationverifycode"})
_CODE_LIKE = re.compile(r"^[\d\s-]+$")

VERIFY_CODE_ADVICE = ("a migration verify code is a short-lived secret and must never be written in YAML "
                      "(it would stay in the repository's history); put it in a CI secret or environment "
                      "variable and name that variable instead: `migration: {verify_code_env: CAMS_SECRET_ACME_MIGRATION_CODE}`")


@dataclass(frozen=True)
class DeclaredNumber:
    """A phone number that passed the rules, with where it was declared."""

    e164: str  # digits without "+"
    declared_as: str
    file: str
    mark: Mark
    space_name: str | None
    path: Path


def _problem(loaded: LoadedFile, mark: Mark, message: str, path: Path) -> Problem:
    return Problem(loaded.file, mark[0], mark[1], message, format_path(path))


def version_problems(loaded: LoadedFile) -> list[Problem]:
    """``version`` must be 1. A file with another version is not read further: its other keys may mean
    something else, and reporting them would only bury the one line that matters."""
    data, pos = loaded.data, loaded.positions
    if "version" not in data:
        return [_problem(loaded, pos.at(()), "missing required key 'version': start the file with "
                                             f"`version: {FORMAT_VERSION}`", ("version",))]
    version = data["version"]
    path: Path = ("version",)
    if isinstance(version, bool) or not isinstance(version, (int, str)):
        return [_problem(loaded, pos.at(path), f"'version' must be {FORMAT_VERSION} (write `version: "
                                               f"{FORMAT_VERSION}`)", path)]
    if isinstance(version, str):
        hint = f"write it as a number: `version: {FORMAT_VERSION}`" if version.strip() == str(FORMAT_VERSION) \
            else f"this cams-reconciler reads format version {FORMAT_VERSION}"
        return [_problem(loaded, pos.at(path), f"'version' must be the number {FORMAT_VERSION}, not a "
                                               f"string ({hint})", path)]
    if version != FORMAT_VERSION:
        advice = ("upgrade cams-reconciler to read it" if version > FORMAT_VERSION
                  else f"the first format version is {FORMAT_VERSION}")
        return [_problem(loaded, pos.at(path), f"format version {version} is not supported: this "
                                               f"cams-reconciler reads version {FORMAT_VERSION} ({advice})", path)]
    return []


def _value_at(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def secret_problems(loaded: LoadedFile) -> list[Problem]:
    """A verify code written in YAML, under any key that means it or as the value of ``verify_code_env``.

    The messages never echo the value. The paths reported are added to ``loaded.suppressed`` so the schema
    check does not also call them unknown keys or bad patterns (which might show the value)."""
    problems: list[Problem] = []
    pos = loaded.positions
    for path in loaded.code_keys:  # every key that mentions "code", found while composing
        key = path[-1]
        assert isinstance(key, str)
        value = _value_at(loaded.data, path)
        norm = key.lower().replace("_", "").replace("-", "")
        if norm in _VERIFY_CODE_KEYS:
            problems.append(_problem(loaded, pos.key_at(path), f"{key!r}: {VERIFY_CODE_ADVICE}", path))
            loaded.suppressed.add(path)
        elif key == "verify_code_env" and not isinstance(value, bool) and (
                isinstance(value, (int, float)) or (isinstance(value, str) and _CODE_LIKE.match(value))):
            problems.append(_problem(loaded, pos.at(path),
                                     "'verify_code_env' must name an environment variable, but it holds "
                                     f"digits (the value is not shown): {VERIFY_CODE_ADVICE}", path))
            loaded.suppressed.add(path)
    return problems


def normalise_phone(text: str) -> tuple[str | None, str | None]:
    """(E.164 digits without "+", None) or (None, why the number is not valid). Parsed as international
    ("+" added when missing) and checked against the country's numbering plan."""
    candidate = text.strip()
    if not candidate.startswith("+"):
        candidate = "+" + candidate
    try:
        number = phonenumbers.parse(candidate, None)
    except NumberParseException as exc:
        return None, f"it cannot be read as an international number ({exc._msg.rstrip('.')})"
    if phonenumbers.is_valid_number(number):
        return f"{number.country_code}{phonenumbers.national_significant_number(number)}", None
    region = phonenumbers.region_code_for_country_code(number.country_code or 0)
    reason = phonenumbers.is_possible_number_with_reason(number)
    where = f"+{number.country_code} ({region})" if region != "ZZ" else f"+{number.country_code}"
    if reason == ValidationResult.INVALID_COUNTRY_CODE or region == "ZZ":
        return None, f"+{number.country_code} is not a country calling code"
    if reason == ValidationResult.TOO_SHORT:
        return None, f"it is too short for {where}"
    if reason in (ValidationResult.TOO_LONG, ValidationResult.INVALID_LENGTH):
        return None, f"it has the wrong number of digits for {where}"
    return None, f"it is not a valid number for {region} (+{number.country_code})"


# A URL whose host is a plain DNS name (no user, port or brackets) and that has nothing after the path
# but non-space text: ``urlsplit`` can neither fail on it nor find no host, so only the scheme matters.
# Nearly every URL in a repository has this shape; the general check below is for the rest.
_PLAIN_URL = re.compile(r"[Hh][Tt][Tt][Pp]([Ss]?)://[A-Za-z0-9._~-]+(?:[/?#]\S*)?\Z")
_HTTP_CALLBACK = ("must use https: callbacks carry customer messages (to allow plain http for a test "
                  "endpoint, set `allow_http_callbacks: true` on the space)")


def _url_problem(url: str, *, callback: bool, allow_http: bool) -> str | None:
    """Why ``url`` (which matched ``URL_RE``) is not acceptable, or None."""
    plain = _PLAIN_URL.match(url)
    if plain is not None:
        return _HTTP_CALLBACK if callback and not plain.group(1) and not allow_http else None
    return _url_problem_general(url, callback=callback, allow_http=allow_http)


def _url_problem_general(url: str, *, callback: bool, allow_http: bool) -> str | None:
    """``_url_problem`` for any URL, by ``urlsplit``."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "is not a valid URL"
    if not parts.hostname:
        return "has no host name"
    if callback and parts.scheme.lower() != "https" and not allow_http:
        return _HTTP_CALLBACK
    return None


def file_problems(loaded: LoadedFile, env: Mapping[str, str] | None = None) -> tuple[list[Problem], list[DeclaredNumber]]:
    """The per-file rules; also returns every number that passed them, for the cross-file rules."""
    problems: list[Problem] = []
    declared: list[DeclaredNumber] = []
    pos = loaded.positions
    if "spaces" not in loaded.data and "accounts" not in loaded.data:
        problems.append(_problem(loaded, pos.at(()), "missing required key 'spaces' (a file declares `spaces`, "
                                                     "`accounts`, or both)", ("spaces",)))
    problems += _account_shape_problems(loaded, os.environ if env is None else env)
    spaces = loaded.data.get("spaces")
    if not isinstance(spaces, list):
        return problems, declared

    def check_url(url: Any, path: Path, callback: bool, allow_http: bool) -> None:
        if isinstance(url, str) and callback and env_refs.has_reference(url):  # ${env:NAME} (config/env_refs.py)
            why = env_refs.reference_problem(url)
            if why:
                problems.append(_problem(loaded, pos.at(path), f"{mask_url(url)!r} {why}", path))
                return
            url = env_refs.placeholder_url(url)
        if isinstance(url, str) and URL_RE.match(url):
            why = _url_problem(url, callback=callback, allow_http=allow_http)
            if why:
                problems.append(_problem(loaded, pos.at(path), f"{mask_url(url)!r} {why}", path))

    def check_urls(kind: catalogue.AnyKind, block: Any, path: Path, allow_http: bool) -> None:
        """The URL fields the kind declares (``Field.url``), callback rules for callback URLs."""
        if not isinstance(block, dict):
            return
        for f in (f for f in kind.fields if f.url):
            value = block.get(f.name)
            if f.many:
                for i, item in enumerate(value if isinstance(value, list) else ()):
                    check_url(item, path + (f.name, i), f.callback, allow_http)
            else:
                check_url(value, path + (f.name,), f.callback, allow_http)

    for si, space in enumerate(spaces):
        if not isinstance(space, dict):
            continue
        spath: Path = ("spaces", si)
        allow_http = space.get("allow_http_callbacks") is True
        name = space.get("name") if isinstance(space.get("name"), str) else None
        safety = space.get("safety")
        if isinstance(safety, dict):
            frac = safety.get("max_webhook_update_fraction")
            if isinstance(frac, float) and math.isnan(frac):
                p = spath + ("safety", "max_webhook_update_fraction")
                problems.append(_problem(loaded, pos.at(p), "'max_webhook_update_fraction' must be a number "
                                                            "from 0 to 1, not .nan", p))
        for kind in _SPACE_KINDS:  # a kind's own offline rules (templates: placeholders, lengths, buttons)
            if isinstance(space.get(kind.name), dict):
                for sub, message in kind.rules.check(space[kind.name], loaded.file):
                    p = spath + (kind.name, *sub)
                    problems.append(_problem(loaded, pos.at(p), message, p))
        defaults = space.get("defaults")
        for kind in catalogue.number_kinds():  # a number kind's own offline rules, in defaults and numbers
            where = [(spath + ("defaults", kind.name), defaults.get(kind.name))] if isinstance(defaults, dict) else []
            if isinstance(space.get("numbers"), list):
                where += [(spath + ("numbers", ni, kind.name), n.get(kind.name))
                          for ni, n in enumerate(space["numbers"]) if isinstance(n, dict)]
            for bpath, block in where:
                if isinstance(block, dict):
                    for sub, message in kind.rules.check(block, loaded.file):
                        problems.append(_problem(loaded, pos.at(bpath + sub), message, bpath + sub))
        for kind in _URL_KINDS:
            if kind.scope is catalogue.Scope.SPACE:
                check_urls(kind, space.get(kind.name), spath + (kind.name,), allow_http)
            elif kind.rules.inheritable and isinstance(defaults, dict):
                check_urls(kind, defaults.get(kind.name), spath + ("defaults", kind.name), allow_http)
        numbers = space.get("numbers")
        if not isinstance(numbers, list):
            continue
        for ni, number in enumerate(numbers):
            if not isinstance(number, dict):
                continue
            npath = spath + ("numbers", ni)
            for kind in _NUMBER_URL_KINDS:
                check_urls(kind, number.get(kind.name), npath + (kind.name,), allow_http)
            phone = number.get("phone_number")
            ppath = npath + ("phone_number",)
            if not isinstance(phone, str) or not _PHONE_SHAPE.match(phone):
                continue  # the schema reports it
            e164, why = normalise_phone(phone)
            if e164 is None:
                problems.append(_problem(loaded, pos.at(ppath), f"{phone!r} is not a valid phone number: {why} "
                                                                "(write it in international form with the "
                                                                "country code, e.g. \"+86 138 0000 1234\")", ppath))
                continue
            declared.append(DeclaredNumber(e164, phone, loaded.file, pos.at(ppath), name, ppath))
    return problems, declared


_PHONE_SHAPE = re.compile(r"^\+?[0-9][0-9 ()./-]{3,30}$")  # the schema's phone_number pattern


def state_store_problems(files: list[LoadedFile], env: Mapping[str, str] | None = None) -> list[Problem]:
    """At most one ``state_store:`` value across the repository's files (two would be two stores), and an S3
    endpoint in it inside the endpoint allow-list (the YAML is what a pull request changes)."""
    first: tuple[LoadedFile, str] | None = None
    problems: list[Problem] = []
    for loaded in files:
        value = loaded.data.get("state_store")
        if not isinstance(value, str):
            continue
        endpoint = (s3_options(value) or {}).get("endpoint")
        why = boundaries.endpoint_problem(endpoint, os.environ if env is None else env) if endpoint else None
        if why:
            problems.append(_problem(loaded, loaded.positions.at(("state_store",)), f"state_store: {why}",
                                     ("state_store",)))
        if first is None:
            first = (loaded, value)
        elif value != first[1]:
            problems.append(_problem(loaded, loaded.positions.at(("state_store",)),
                                     f"state_store differs from the one in {first[0].file} (one store per repository)",
                                     ("state_store",)))
    return problems


def cross_file_problems(files: list[LoadedFile], numbers: list[DeclaredNumber]) -> list[Problem]:
    """Space names, space ids and phone numbers are each declared once across all files. The second
    declaration is the one reported, and the message names the first."""
    problems: list[Problem] = []
    names: dict[str, tuple[str, Mark]] = {}
    ids: dict[str, tuple[str, Mark, str]] = {}
    for loaded in files:
        spaces = loaded.data.get("spaces")
        if not isinstance(spaces, list):
            continue
        for si, space in enumerate(spaces):
            if not isinstance(space, dict):
                continue
            name, csid = space.get("name"), space.get("cust_space_id")
            if isinstance(name, str):
                path: Path = ("spaces", si, "name")
                mark = loaded.positions.at(path)
                if name in names:
                    f, m = names[name]
                    problems.append(_problem(loaded, mark, f"space name {name!r} is already used at "
                                                           f"{f}:{m[0]}:{m[1]}: space names must be unique", path))
                else:
                    names[name] = (loaded.file, mark)
            if isinstance(csid, str):
                path = ("spaces", si, "cust_space_id")
                mark = loaded.positions.at(path)
                if csid in ids:
                    f, m, first = ids[csid]
                    problems.append(_problem(loaded, mark, f"cust_space_id {csid!r} is already declared by space "
                                                           f"{first!r} at {f}:{m[0]}:{m[1]}: a space is declared "
                                                           "once", path))
                else:
                    ids[csid] = (loaded.file, mark, name if isinstance(name, str) else "?")
    by_number: dict[str, DeclaredNumber] = {}
    for n in numbers:
        earlier = by_number.get(n.e164)
        if earlier is None:
            by_number[n.e164] = n
            continue
        problems.append(Problem(
            n.file, n.mark[0], n.mark[1],
            f"phone number +{n.e164} (written {n.declared_as!r}, space {n.space_name or '?'!r}) is already "
            f"declared at {earlier.file}:{earlier.mark[0]}:{earlier.mark[1]} (written {earlier.declared_as!r}, "
            f"space {earlier.space_name or '?'!r}): a number is declared once, in one space",
            format_path(n.path)))
    return problems


_ENV_KEYS = ("access_key_id_env", "access_key_secret_env")
_ACCOUNT_KEYS = frozenset({"name", "profile", *_ENV_KEYS, "security_token_env", "region", "endpoint"})
_CREDENTIALS_ADVICE = ("`profile: NAME` (an aliyun CLI profile in ~/.aliyun/config.json) or "
                       "`access_key_id_env` and `access_key_secret_env` (the names of environment variables)")


def _account_shape_problems(loaded: LoadedFile, env: Mapping[str, str]) -> list[Problem]:
    """Each declared account says where its credentials come from, in exactly one way."""
    problems: list[Problem] = []
    accounts = loaded.data.get("accounts")
    if not isinstance(accounts, list):
        return problems
    pos = loaded.positions
    for i, account in enumerate(accounts):
        if not isinstance(account, dict):
            continue
        path: Path = ("accounts", i)
        label = repr(account["name"]) if isinstance(account.get("name"), str) else f"#{i + 1}"
        given_env = [k for k in (*_ENV_KEYS, "security_token_env") if k in account]
        if "profile" in account and given_env:
            problems.append(_problem(loaded, pos.key_at(path + (given_env[0],)),
                                     f"account {label} gives both `profile` and `{given_env[0]}`: its "
                                     f"credentials come from one place, {_CREDENTIALS_ADVICE}", path + (given_env[0],)))
        elif "profile" not in account and not given_env and not set(account) - _ACCOUNT_KEYS:
            # (with an unknown key, likely a misspelt `profile`, the schema's "did you mean" says it all)
            problems.append(_problem(loaded, pos.at(path), f"account {label} does not say where its credentials "
                                                           f"come from: give {_CREDENTIALS_ADVICE}", path))
        elif given_env:
            for key in _ENV_KEYS:
                if key not in account:
                    other = next(k for k in given_env if k != key)
                    problems.append(_problem(loaded, pos.key_at(path + (other,)),
                                             f"account {label} names `{other}` but not `{key}`: an access key "
                                             "needs both the id and the secret variable", path + (key,)))
        endpoint = account.get("endpoint")
        if isinstance(endpoint, str):
            why = None if URL_RE.match(endpoint) else "is not an http(s):// URL"
            why = why or _url_problem(endpoint, callback=False, allow_http=True)
            why = why or boundaries.endpoint_problem(endpoint, env)
            if why:
                p = path + ("endpoint",)
                problems.append(_problem(loaded, pos.at(p), f"{mask_url(endpoint)!r} {why}", p))
    return problems


def account_problems(files: list[LoadedFile]) -> list[Problem]:
    """Account names are unique across every file, and every space's ``account:`` names a declared one
    (``default`` needs no declaration: it is the ambient account unless declared)."""
    problems: list[Problem] = []
    declared: dict[str, tuple[str, Mark]] = {}
    for loaded in files:
        accounts = loaded.data.get("accounts")
        for i, account in enumerate(accounts if isinstance(accounts, list) else ()):
            name = account.get("name") if isinstance(account, dict) else None
            if not isinstance(name, str):
                continue
            path: Path = ("accounts", i, "name")
            mark = loaded.positions.at(path)
            if name in declared:
                f, m = declared[name]
                problems.append(_problem(loaded, mark, f"account name {name!r} is already declared at "
                                                       f"{f}:{m[0]}:{m[1]}: account names must be unique", path))
            else:
                declared[name] = (loaded.file, mark)
    for loaded in files:
        spaces = loaded.data.get("spaces")
        for i, space in enumerate(spaces if isinstance(spaces, list) else ()):
            name = space.get("account") if isinstance(space, dict) else None
            if not isinstance(name, str) or name in declared or name == DEFAULT_ACCOUNT:
                continue
            path = ("spaces", i, "account")
            known = sorted(declared)
            guess = did_you_mean(name, known)
            hint = f"did you mean {guess!r}? " if guess else ""
            listed = f"declared: {', '.join(known)}" if known else "no file declares `accounts:`"
            problems.append(_problem(loaded, loaded.positions.at(path),
                                     f"account {name!r} is not declared ({hint}{listed}; without `account:` a "
                                     f"space uses the {DEFAULT_ACCOUNT!r} account)", path))
    return problems


def env_name_problems(files: list[LoadedFile], env: Mapping[str, str]) -> list[Problem]:
    """Every ``${env:NAME}`` and ``verify_code_env: NAME`` outside the boundary ``reconciler.core.boundaries``
    sets from the environment (the prefix; never the tool's own or an account's credential variables), at
    its file:line:col. Offline: no variable's value is read or shown."""
    account_variables: set[str] = set()
    for loaded in files:
        accounts = loaded.data.get("accounts")
        for account in accounts if isinstance(accounts, list) else ():
            if isinstance(account, dict):
                account_variables.update(v for k, v in account.items()
                                         if k.endswith("_env") and isinstance(v, str))
    problems: list[Problem] = []
    prefix_problem = boundaries.env_prefix_problem(env)
    for loaded in files:
        for path, name, how in _env_names(loaded.data.get("spaces"), ("spaces",)):
            if path in loaded.suppressed:
                continue
            why = prefix_problem or boundaries.env_name_problem(name, env, account_variables)
            if why:
                problems.append(_problem(loaded, loaded.positions.at(path), f"{how} {why}", path))
    return problems


def _env_names(node: Any, path: Path) -> list[tuple[Path, str, str]]:
    """(path, variable name, what names it) for every reference under ``node``."""
    found: list[tuple[Path, str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = path + (key,)
            if key == "verify_code_env" and isinstance(value, str) and env_refs.REF_NAME.fullmatch(value):
                found.append((here, value, "'verify_code_env'"))
            else:
                found += _env_names(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _env_names(value, path + (i,))
    elif isinstance(node, str) and "${env:" in node:
        found += [(path, m.group(1), "${env:" + m.group(1) + "}") for m in REF.finditer(node)]
    return found
