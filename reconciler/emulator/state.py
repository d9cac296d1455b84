"""Loading and validating the emulator's state file.

The state file is YAML in the API's own field names (see docs/emulator.md and examples/emulator-state.yaml).
It is validated strictly — unknown fields, wrong types, duplicate numbers, references to keys that do not
exist — because a typo in a state file would otherwise silently produce a CAMS that behaves differently from
what the author meant. Every problem becomes a ``StateFileError`` whose one-line message names the file, the
line (from PyYAML's node marks) and the field path. Secret values are never quoted in messages.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from reconciler.common.input_file import UnreadableFile, read_regular
from reconciler.emulator.catalog import ACTIONS
from reconciler.emulator.errors import StateFileError
from reconciler.emulator.flow_state import validate_space_flows
from reconciler.emulator.lifecycle_state import (
    LIFECYCLE_SPACE_FIELDS,
    PREVALIDATED_FIELD,
    validate_prevalidated,
    validate_space_lifecycle,
)
from reconciler.emulator.settings_state import SETTINGS_SPACE_FIELDS, validate_space_settings
from reconciler.emulator.state_invalid import Path_, StateInvalid, no_unknown
from reconciler.emulator.template_state import validate_space_templates

# Fields QueryChatappPhoneNumbers returns for a number.
VISIBLE_NUMBER_FIELDS = (
    "PhoneNumber", "VerifiedName", "Status", "QualityRating", "CodeVerificationStatus", "NameStatus",
    "NewNameStatus", "MessagingLimitTier", "StatusCallbackUrl", "UpCallbackUrl", "StatusQueue", "UpQueue",
)
# Kept for a number but not returned by QueryChatappPhoneNumbers: the webhook flags cannot be read back from
# the real API; MarketingPaused is what GetChatappPhoneNumberSetting returns; Id is the number's platform id.
HIDDEN_NUMBER_FIELDS = ("HttpFlag", "QueueFlag", "MarketingPaused", "Id")
NUMBER_FIELDS = frozenset(VISIBLE_NUMBER_FIELDS + HIDDEN_NUMBER_FIELDS)
MIGRATION_FIELDS = NUMBER_FIELDS | {"VerifyCode"}
PROFILE_FIELDS = frozenset({"Vertical", "About", "Address", "Description", "Email", "ProfilePictureUrl", "Websites"})
#: WhatsApp's limits of a business profile, in characters (the Cloud API's business-profile reference):
#: About 1-139, Address 256, Description 512, Email 128 (an address), at most 2 websites of 256 each.
PROFILE_MAX_CHARS = {"About": 139, "Address": 256, "Description": 512, "Email": 128}
PROFILE_MAX_WEBSITES = 2
WEBSITE_MAX_CHARS = 256
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ACCOUNT_FIELDS = frozenset({"Mpk", "LoginEmail", "HostingStatus", "AccountType", "CreditLimitStatus", "IsCertified"})
KEY_FIELDS = frozenset({"access_key_id", "access_key_secret", "actions"})
SPACE_FIELDS = frozenset({
    "subscribed", "owner_keys", "phone_numbers", "business_profiles", "pending_sync", "pending_migrations",
    "verified_migrations",
    "templates", "template_settings", "deleted_templates",  # message templates: emulator/template_state.py
    "flows",  # WhatsApp Flows: emulator/flow_state.py
}) | SETTINGS_SPACE_FIELDS | LIFECYCLE_SPACE_FIELDS  # settings_state.py; lifecycle_state.py
#: ``prevalidated_numbers`` (numbers bought pre-validated, lifecycle_state.py) is optional
TOP_FIELDS = frozenset({"keys", "account", "spaces", PREVALIDATED_FIELD})
#: A state of several accounts: ``accounts: {ACCOUNT_ID: {keys, account, spaces}}`` instead of the three above.
ACCOUNTS_FIELD = "accounts"
#: The account id of a state file written without ``accounts:`` (today's single-account files).
DEFAULT_ACCOUNT_ID = "default"
NUMBER_LISTS = ("phone_numbers", "pending_sync", "pending_migrations")


def load_state(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Read, validate and normalise a state file (path) or an already-parsed state dict.

    Returns a new dict (the caller's dict is never aliased): space ids and phone numbers as strings, every
    optional section present. Raises ``StateFileError`` on any problem.
    """
    text: str | None = None
    if isinstance(source, Mapping):
        label, data = "<state dict>", copy.deepcopy(dict(source))
    else:
        label = str(source)
        text = _read_state_text(label)
        data = _load_yaml(text, label)
    try:
        return _validate(data)
    except StateInvalid as exc:
        # Positions are looked up only now, from the node tree of a second read: a file that loads cleanly
        # never pays for building it (the fast path keeps no positions).
        root_node = _compose(text) if text is not None else None
        line = _line_of(root_node, exc.path) if root_node is not None else None
        where = f"{label}:{line}" if line else label
        field = _format_path(exc.path)
        suffix = f" ({field})" if field else ""
        raise StateFileError(f"{where}: {exc.message}{suffix}") from None


# --- reading ----------------------------------------------------------------------------------------------

#: Largest state file read: 20,000 numbers with every field are about 11 MB of YAML.
MAX_STATE_BYTES = 256 * 1024 * 1024
#: Most values a state file may hold once its aliases are expanded. YAML aliases share a node, so ten
#: nested lists of ten aliases ("billion laughs") are a few hundred nodes in the file and 10**9 values to
#: whatever walks them; a real state file has no reason to exceed its own size many times over.
MAX_EXPANDED_VALUES = 5_000_000


def _read_state_text(label: str) -> str:
    """The state file's text under the reconciler's own input rule (``reconciler.common.input_file``): a
    regular file only (a FIFO, ``/dev/zero`` or a directory is refused by ``stat`` before opening, and the
    open does not block), at most ``MAX_STATE_BYTES``, UTF-8."""
    try:
        raw = read_regular(label, MAX_STATE_BYTES, "the state file")
    except UnreadableFile as exc:
        raise StateFileError(f"{label}: {exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise StateFileError(f"{label}: cannot read the state file (not UTF-8 text)") from None


def _load_yaml(text: str, label: str) -> Any:
    """The state file's data: the fast path when it can tell the answer, else the full (slow) path, whose
    result and errors are then exactly those of ``_parse``."""
    try:
        return _fast_load(text)
    except Exception:  # _NotFast, a YAML error, anything: the full path then answers in its own words
        return _parse(text, label)[1]


def _compose(text: str) -> yaml.Node | None:
    """The node tree (with line marks) of a text that has already loaded: only to place a validation error."""
    loader = _LOADER(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _NotFast(Exception):
    """The fast path met something it leaves to the full path: an error, or a rarely used YAML feature."""


_STR_TAG = "tag:yaml.org,2002:str"
#: Implicit (plain-scalar) tags the fast path constructs, with SafeConstructor's own constructor for each.
_FAST_SCALAR_TAGS = {
    "tag:yaml.org,2002:int": yaml.SafeLoader.construct_yaml_int,
    "tag:yaml.org,2002:float": yaml.SafeLoader.construct_yaml_float,
    "tag:yaml.org,2002:bool": yaml.SafeLoader.construct_yaml_bool,
    "tag:yaml.org,2002:null": yaml.SafeLoader.construct_yaml_null,
}
_MAX_DEPTH = 200


def _fast_load(text: str) -> Any:
    """Build the data straight from the parser's events (libyaml's when PyYAML has it), without the node
    tree, the marks kept on it and the generic constructor: for 20,000 numbers the full path took 11-14 s,
    mostly in making and walking Python objects for ~700,000 nodes.

    It gives exactly what ``_parse`` would, or raises ``_NotFast``: it handles block and flow mappings and
    sequences, untagged scalars resolved as PyYAML's SafeLoader resolves them (str, int, float, bool, null,
    each built by SafeConstructor's own method), anchors and aliases (an alias shares the anchored value,
    as SafeConstructor does). Anything else — an explicit tag, a merge key (``<<``), a timestamp, an alias
    used as a key or to a collection still open, a collection as a key, several documents — and everything
    ``_check_nodes`` would refuse (a duplicate key, nesting past its depth, aliases expanding past
    ``MAX_EXPANDED_VALUES``) goes to the full path, which then gives its own answer or its own error."""
    loader = _LOADER(text)
    try:
        return _build_from_events(loader)
    finally:
        loader.dispose()


def _build_from_events(loader: yaml.SafeLoader) -> Any:
    resolvers = loader.yaml_implicit_resolvers
    if None in resolvers or loader.yaml_path_resolvers:  # resolution this loop does not do: none in SafeLoader
        raise _NotFast
    resolving_starts = frozenset(k for k in resolvers if k)  # first characters some implicit tag may match
    plain_cache: dict[str, Any] = {}
    anchors: dict[str, tuple[Any, int, int]] = {}  # anchor -> (value, expanded values, height)
    # One frame per open collection: [container, is_mapping, pending key or _NO_KEY, expanded count, height,
    # anchor, raw texts of the non-string keys so far (mappings)]
    stack: list[list[Any]] = []
    root: Any = None
    have_root = False
    get_event = loader.get_event
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    collection_end = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    passing = (yaml.StreamStartEvent, yaml.DocumentStartEvent)
    no_key = _NO_KEY

    while True:
        event = get_event()
        kind = type(event)
        if kind is scalar_event:
            if event.tag is not None:
                raise _NotFast
            value = event.value
            if event.implicit[0]:  # plain: resolved as SafeLoader resolves it
                if value and value[0] not in resolving_starts:
                    obj = value
                else:
                    obj = plain_cache.get(value, no_key)
                    if obj is no_key:
                        obj = plain_cache[value] = _construct_plain(loader, value)
            else:  # quoted or block scalar without a tag: always a string
                obj = value
            raw, is_str, count, height = value, obj is value or type(obj) is str, 1, 0
            if event.anchor is not None:
                _new_anchor(anchors, event.anchor, (obj, 1, 0))
        elif kind is alias_event:
            if event.anchor not in anchors:
                raise _NotFast  # undefined, or its collection is still open (a recursive alias)
            obj, count, height = anchors[event.anchor]
            if stack and stack[-1][1] and stack[-1][2] is no_key:
                raise _NotFast  # an alias as a mapping key
            raw, is_str = None, False
            if len(stack) + 1 + height > _MAX_DEPTH:
                raise _NotFast  # _check_nodes may reach the anchored nodes through this alias: its depth
        elif kind is mapping_start or kind is sequence_start:
            if event.tag is not None or len(stack) + 1 >= _MAX_DEPTH:
                raise _NotFast  # (at the deepest depth allowed, its children would be one past it)
            if stack and stack[-1][1] and stack[-1][2] is no_key:
                raise _NotFast  # a collection as a mapping key: the full path names it unhashable
            if event.anchor is not None and event.anchor in anchors:
                raise _NotFast  # a duplicate anchor
            is_map = kind is mapping_start
            stack.append([{} if is_map else [], is_map, no_key, 1, 1, event.anchor, None])
            continue
        elif kind in collection_end:
            container, _, _, count, height, anchor, _ = stack.pop()
            if count > MAX_EXPANDED_VALUES:
                raise _NotFast
            obj, raw, is_str = container, None, False
            if anchor is not None:
                _new_anchor(anchors, anchor, (obj, count, height))
        elif kind in passing:
            if kind is yaml.DocumentStartEvent and have_root:
                raise _NotFast  # a second document
            continue
        elif kind is yaml.DocumentEndEvent:
            continue
        elif kind is yaml.StreamEndEvent:
            return root
        else:
            raise _NotFast

        if not stack:
            root, have_root = obj, True
            continue
        frame = stack[-1]
        frame[3] += count
        if height + 1 > frame[4]:
            frame[4] = height + 1
        if not frame[1]:
            frame[0].append(obj)
        elif frame[2] is no_key:  # a key
            if raw is None:
                raise _NotFast
            container, nonstr = frame[0], frame[6]
            if is_str:
                if obj in container or (nonstr is not None and obj in nonstr):
                    raise _NotFast  # a duplicate key
            else:
                if raw in container or (nonstr is not None and raw in nonstr):
                    raise _NotFast  # the same text twice as a key, written once quoted and once not
                if nonstr is None:
                    nonstr = frame[6] = set()
                nonstr.add(raw)
            frame[2] = obj
        else:
            frame[0][frame[2]] = obj
            frame[2] = no_key


_NO_KEY = object()


def _new_anchor(anchors: dict[str, tuple[Any, int, int]], name: str, entry: tuple[Any, int, int]) -> None:
    if name in anchors:
        raise _NotFast  # a duplicate anchor: the composer refuses it
    anchors[name] = entry


def _construct_plain(loader: yaml.SafeLoader, value: str) -> Any:
    tag = loader.resolve(yaml.ScalarNode, value, (True, False))
    if tag == _STR_TAG:
        return value
    construct = _FAST_SCALAR_TAGS.get(tag)
    if construct is None:
        raise _NotFast  # a timestamp, a merge key, '=': the full path's SafeConstructor handles them
    return construct(loader, yaml.ScalarNode(tag, value))


def _parse(text: str, label: str) -> tuple[yaml.Node | None, Any]:
    """Compose once (libyaml when PyYAML has it: pure-Python scanning was 35-130 s for 20,000 numbers), check
    the node tree (duplicate keys, alias expansion), then construct the data from the same nodes."""
    loader = _LOADER(text)
    try:
        try:
            root_node = loader.get_single_node()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{label}:{mark.line + 1}" if mark is not None else label
            problem = getattr(exc, "problem", None) or "invalid YAML"
            if "nesting depth" in problem:  # libyaml's own limit, in its words
                problem = "nested too deeply to be a state file"
            raise StateFileError(f"{where}: invalid YAML: {problem}") from None
        except RecursionError:  # PyYAML composes recursively: `[[[[...` thousands deep exhausts the stack
            raise StateFileError(f"{label}: invalid YAML: nested too deeply to be a state file") from None
        if root_node is None:
            return None, None
        _check_nodes(root_node, label)
        try:
            return root_node, loader.construct_document(root_node)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{label}:{mark.line + 1}" if mark is not None else label
            raise StateFileError(f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
        except RecursionError:
            raise StateFileError(f"{label}: invalid YAML: nested too deeply to be a state file") from None
    finally:
        loader.dispose()


def _check_nodes(root: yaml.Node, label: str) -> None:
    """One pass over the distinct nodes (an alias is visited once): duplicate keys (PyYAML keeps the last
    silently; in a state file that is almost surely a mistake), nesting depth, and how many values the
    aliases expand to (each node's expanded size, memoised)."""
    expanded: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > 200:
            raise StateFileError(f"{label}:{node.start_mark.line + 1}: invalid YAML: nested too deeply to be a "
                                 "state file")
        key = id(node)
        if isinstance(node, yaml.ScalarNode):
            expanded[key] = 1
            continue
        children = ([c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value))
        if done:
            total = 1 + sum(expanded.get(id(c), 1) for c in children)
            if total > MAX_EXPANDED_VALUES:
                raise StateFileError(f"{label}:{node.start_mark.line + 1}: its aliases expand to more than "
                                     f"{MAX_EXPANDED_VALUES:,} values; a state file needs no such expansion")
            expanded[key] = total
            continue
        if key in expanded:
            continue
        expanded[key] = 1  # in progress: a recursive alias counts once instead of looping
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in seen:
                        raise StateFileError(f"{label}:{key_node.start_mark.line + 1}: duplicate key "
                                             f"{key_node.value!r}")
                    seen.add(key_node.value)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in expanded)


# --- validation -------------------------------------------------------------------------------------------

def _validate(data: Any) -> dict[str, Any]:
    if data is None:
        raise StateInvalid((), "the state file is empty; it needs at least a 'keys' list")
    if not isinstance(data, dict):
        raise StateInvalid((), "the state must be a mapping with 'keys', 'account' and 'spaces'")
    if ACCOUNTS_FIELD in data:
        return _validate_accounts(data)
    no_unknown(data, TOP_FIELDS, ())
    return _validate_one_account(data)


def _validate_accounts(data: dict[str, Any]) -> dict[str, Any]:
    """``accounts: {ID: {keys, account, spaces}}``: each account as a single-account state, plus what must
    hold across them (an access key and a space belong to one account)."""
    mixed = sorted(k for k in data if k in TOP_FIELDS)
    if mixed:
        raise StateInvalid((mixed[0],), f"'{mixed[0]}' beside 'accounts': a state file lists either one account "
                                    "('keys', 'account', 'spaces' at the top) or several (under 'accounts')")
    no_unknown(data, frozenset({ACCOUNTS_FIELD}), ())
    given = data[ACCOUNTS_FIELD]
    if not isinstance(given, dict) or not given:
        raise StateInvalid((ACCOUNTS_FIELD,), "'accounts' must be a non-empty mapping of account id to account")
    accounts: dict[str, Any] = {}
    key_owner: dict[str, str] = {}
    space_owner: dict[str, str] = {}
    for raw_id, account in given.items():
        path: Path_ = (ACCOUNTS_FIELD, raw_id)
        account_id = _id_string(raw_id, path, "account id")
        if account_id in accounts:
            raise StateInvalid(path, f"account {account_id} is listed twice")
        if not isinstance(account, dict):
            raise StateInvalid(path, "an account must be a mapping with 'keys', 'account' and 'spaces'")
        no_unknown(account, TOP_FIELDS, path)
        try:
            one = _validate_one_account(account)
        except StateInvalid as exc:
            raise StateInvalid(path + exc.path, exc.message) from None
        for i, key in enumerate(one["keys"]):
            other = key_owner.setdefault(key["access_key_id"], account_id)
            if other != account_id:
                raise StateInvalid(path + ("keys", i, "access_key_id"),
                               f"access key {key['access_key_id']!r} also belongs to account {other}")
        for space_id in one["spaces"]:
            other = space_owner.setdefault(space_id, account_id)
            if other != account_id:
                raise StateInvalid(path + ("spaces", space_id), f"space {space_id} also belongs to account {other}: "
                                                           "a space belongs to one account")
        accounts[account_id] = one
    return {ACCOUNTS_FIELD: accounts}


def accounts_of(state: Mapping[str, Any]) -> dict[str, Any]:
    """Account id → that account's state, for either shape of a loaded state."""
    if ACCOUNTS_FIELD in state:
        return dict(state[ACCOUNTS_FIELD])
    return {DEFAULT_ACCOUNT_ID: dict(state)}


def _validate_one_account(data: dict[str, Any]) -> dict[str, Any]:
    keys = _validate_keys(data.get("keys"))
    key_ids = {k["access_key_id"] for k in keys}
    account = data.get("account")
    if account is not None:
        account = _validate_account(account)
    spaces_in = data.get("spaces")
    if spaces_in is None:
        spaces_in = {}
    if not isinstance(spaces_in, dict):
        raise StateInvalid(("spaces",), "'spaces' must be a mapping of space id to space")
    spaces: dict[str, Any] = {}
    for raw_id, space in spaces_in.items():
        space_id = _id_string(raw_id, ("spaces", raw_id), "space id")
        if space_id in spaces:
            raise StateInvalid(("spaces", raw_id), f"space {space_id} is listed twice")
        spaces[space_id] = _validate_space(space, ("spaces", raw_id), key_ids)
    out = {"keys": keys, "account": account, "spaces": spaces}
    if data.get(PREVALIDATED_FIELD) is not None:  # only when given: a snapshot keeps the file's shape
        out[PREVALIDATED_FIELD] = validate_prevalidated(data[PREVALIDATED_FIELD])
    return out


def _validate_keys(keys: Any) -> list[dict[str, Any]]:
    if not isinstance(keys, list) or not keys:
        raise StateInvalid(("keys",), "'keys' must be a non-empty list of access keys")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, key in enumerate(keys):
        path = ("keys", i)
        if not isinstance(key, dict):
            raise StateInvalid(path, "each key must be a mapping with access_key_id and access_key_secret")
        no_unknown(key, KEY_FIELDS, path)
        for field in ("access_key_id", "access_key_secret"):
            value = key.get(field)
            if not isinstance(value, str) or not value:
                raise StateInvalid(path + (field,), f"'{field}' is required and must be a non-empty string")
        if key["access_key_id"] in seen:
            raise StateInvalid(path + ("access_key_id",), f"access key {key['access_key_id']!r} is listed twice")
        seen.add(key["access_key_id"])
        entry: dict[str, Any] = {"access_key_id": key["access_key_id"], "access_key_secret": key["access_key_secret"]}
        if key.get("actions") is not None:
            actions = key["actions"]
            if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
                raise StateInvalid(path + ("actions",), "'actions' must be a list of API action names")
            for j, action in enumerate(actions):
                if action not in ACTIONS:
                    known = ", ".join(sorted(ACTIONS))
                    raise StateInvalid(path + ("actions", j), f"unknown action {action!r} (known: {known})")
            entry["actions"] = list(actions)
        out.append(entry)
    return out


def _validate_account(account: Any) -> dict[str, Any]:
    path: Path_ = ("account",)
    if not isinstance(account, dict):
        raise StateInvalid(path, "'account' must be a mapping (GetCustomerAccountInfo's Data)")
    no_unknown(account, ACCOUNT_FIELDS, path)
    if "Mpk" in account and (not isinstance(account["Mpk"], int) or isinstance(account["Mpk"], bool)):
        raise StateInvalid(path + ("Mpk",), "'Mpk' must be an integer account id")
    if "IsCertified" in account and not isinstance(account["IsCertified"], bool):
        raise StateInvalid(path + ("IsCertified",), "'IsCertified' must be true or false")
    for field in ("LoginEmail", "HostingStatus", "AccountType", "CreditLimitStatus"):
        if field in account and not isinstance(account[field], str):
            raise StateInvalid(path + (field,), f"'{field}' must be a string (quote it)")
    return dict(account)


def _validate_space(space: Any, path: Path_, key_ids: set[str]) -> dict[str, Any]:
    if space is None:
        space = {}
    if not isinstance(space, dict):
        raise StateInvalid(path, "a space must be a mapping")
    no_unknown(space, SPACE_FIELDS, path)
    subscribed = space.get("subscribed", True)
    if not isinstance(subscribed, bool):
        raise StateInvalid(path + ("subscribed",), "'subscribed' must be true or false")
    out: dict[str, Any] = {"subscribed": subscribed}
    owners = space.get("owner_keys")
    if owners is not None:
        if not isinstance(owners, list) or not all(isinstance(o, str) for o in owners):
            raise StateInvalid(path + ("owner_keys",), "'owner_keys' must be a list of access key ids")
        for j, owner in enumerate(owners):
            if owner not in key_ids:
                raise StateInvalid(path + ("owner_keys", j), f"owner key {owner!r} is not in 'keys'")
        out["owner_keys"] = list(owners)
    seen: dict[str, str] = {}
    for list_name in NUMBER_LISTS:
        items = space.get(list_name) or []
        if not isinstance(items, list):
            raise StateInvalid(path + (list_name,), f"'{list_name}' must be a list of numbers")
        allowed = MIGRATION_FIELDS if list_name == "pending_migrations" else NUMBER_FIELDS
        numbers = []
        for i, item in enumerate(items):
            number = _validate_number(item, path + (list_name, i), allowed)
            pn = number["PhoneNumber"]
            if pn in seen:
                raise StateInvalid(path + (list_name, i, "PhoneNumber"), f"number {pn} is also listed in '{seen[pn]}'")
            seen[pn] = list_name
            if list_name == "pending_migrations" and "VerifyCode" not in number:
                raise StateInvalid(path + (list_name, i), "a pending migration needs a 'VerifyCode' (a quoted string)")
            numbers.append(number)
        out[list_name] = numbers
    profiles = space.get("business_profiles") or {}
    if not isinstance(profiles, dict):
        raise StateInvalid(path + ("business_profiles",), "'business_profiles' must map phone numbers to profiles")
    out["business_profiles"] = {}
    for raw_pn, profile in profiles.items():
        ppath = path + ("business_profiles", raw_pn)
        pn = _id_string(raw_pn, ppath, "phone number")
        if pn not in seen:
            raise StateInvalid(ppath, f"business profile for {pn}, which is not a number of this space")
        out["business_profiles"][pn] = _validate_profile(profile, ppath)
    verified = space.get("verified_migrations") or []
    if not isinstance(verified, list):
        raise StateInvalid(path + ("verified_migrations",), "'verified_migrations' must be a list of phone numbers")
    out["verified_migrations"] = []
    for i, raw_pn in enumerate(verified):
        pn = _id_string(raw_pn, path + ("verified_migrations", i), "phone number")
        if seen.get(pn) != "phone_numbers":
            raise StateInvalid(path + ("verified_migrations", i), f"{pn} must also be listed in 'phone_numbers'")
        out["verified_migrations"].append(pn)
    try:  # the per-area checks name paths inside the space
        out.update(validate_space_settings(space, seen))
        out.update(validate_space_lifecycle(space, [pn for pn, where in seen.items() if where == "phone_numbers"]))
        out.update(validate_space_templates(space, str(path[-1]).strip()))
        out.update(validate_space_flows(space, str(path[-1]).strip()))
    except StateInvalid as exc:
        raise StateInvalid(path + exc.path, exc.message) from None
    return out


def _validate_number(item: Any, path: Path_, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise StateInvalid(path, "a number must be a mapping with at least 'PhoneNumber'")
    no_unknown(item, allowed, path)
    if "PhoneNumber" not in item:
        raise StateInvalid(path, "'PhoneNumber' is required")
    out = dict(item)
    out["PhoneNumber"] = _id_string(item["PhoneNumber"], path + ("PhoneNumber",), "phone number")
    for field, value in item.items():
        if field == "PhoneNumber":
            continue
        if field == "VerifyCode":
            # Unquoted, YAML would turn 012345 into an (octal!) integer: insist on a string.
            if not isinstance(value, str) or not value:
                raise StateInvalid(path + (field,), "'VerifyCode' must be a quoted string")
        elif field == "Id":
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise StateInvalid(path + (field,), "'Id' must be a string")
            out[field] = str(value)
        elif not isinstance(value, str):
            raise StateInvalid(path + (field,), f"'{field}' must be a string")
    for flag in ("HttpFlag", "QueueFlag", "MarketingPaused"):
        if flag in out and out[flag] not in ("Y", "N"):
            raise StateInvalid(path + (flag,), f"'{flag}' must be \"Y\" or \"N\"")
    return out


def _validate_profile(profile: Any, path: Path_) -> dict[str, Any]:
    if profile is None:
        return {}
    if not isinstance(profile, dict):
        raise StateInvalid(path, "a business profile must be a mapping")
    no_unknown(profile, PROFILE_FIELDS, path)
    for field, value in profile.items():
        if field == "Websites":
            if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
                raise StateInvalid(path + (field,), "'Websites' must be a list of URLs")
        elif not isinstance(value, str):
            raise StateInvalid(path + (field,), f"'{field}' must be a string")
        if (problem := profile_problem(field, value)) is not None:  # only what the API could have stored
            raise StateInvalid(path + (field,), problem.rstrip("."))
    return copy.deepcopy(dict(profile))


def profile_problem(field: str, value: Any) -> str | None:
    """Why a profile value is over WhatsApp's limits (None when it is not): what ModifyPhoneBusinessProfile
    refuses, and what a state file may not hold. ``Vertical`` is not judged here (a state may hold any), nor
    an empty ``About`` (what a profile shows when nobody set one; only a write of "" is refused)."""
    if field == "Websites":
        if len(value) > PROFILE_MAX_WEBSITES:
            return f"Websites holds at most {PROFILE_MAX_WEBSITES} URLs ({len(value)} given)."
        for i, url in enumerate(value):
            if len(url) > WEBSITE_MAX_CHARS:
                return f"Websites[{i}] has at most {WEBSITE_MAX_CHARS} characters ({len(url)} given)."
            if not url.lower().startswith(("http://", "https://")):
                return f"Websites[{i}] must be an http or https URL."
        return None
    limit = PROFILE_MAX_CHARS.get(field)
    if limit is not None and len(value) > limit:
        return f"{field} has at most {limit} characters ({len(value)} given)."
    if field == "Email" and value and not _EMAIL.fullmatch(value):
        return "Email must be an email address."
    return None



def _id_string(value: Any, path: Path_, what: str) -> str:
    """Space ids and phone numbers may be written unquoted (YAML ints); they are strings on the wire."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise StateInvalid(path, f"a {what} must be a string of digits")
    text = str(value).strip()
    if not text:
        raise StateInvalid(path, f"a {what} must not be empty")
    return text


# --- locating problems in the YAML ------------------------------------------------------------------------

def _line_of(root: yaml.Node | None, path: Path_) -> int | None:
    """The 1-based line of the deepest node along ``path`` that exists."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _format_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
