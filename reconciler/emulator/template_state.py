"""The message-template part of a space in the emulator's state file: what it may hold, checked strictly.

A space may hold ``templates`` (one entry per name + language, in the API's field names, as
GetChatappTemplateDetail returns them, plus a few hidden fields the platform keeps), ``template_settings``
(how review behaves and the platform's limits) and ``deleted_templates`` (names that cannot be reused yet).
``validate_space_templates`` checks and normalises them; a problem is a ``StateInvalid`` with a path
relative to the space, which ``state.py`` turns into its file:line message. Kept apart from ``state.py`` so
the loader stays small (and its rewrite for speed does not collide with this).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from typing import Any

from reconciler.emulator.state_invalid import Path_, StateInvalid, no_unknown

AUDIT_STATUSES = ("pass", "fail", "auditing", "unaudit", "paused", "disabled")
QUALITY_SCORES = ("GREEN", "YELLOW", "RED", "UNKNOWN")
TEMPLATE_TYPES = ("WHATSAPP",)
CATEGORIES = ("UTILITY", "MARKETING", "AUTHENTICATION")
REVIEW_MODES = ("manual", "immediate", "delayed")
#: A default ``LastUpdateTime`` (ms) for entries that give none: fixed, so a state file plans the same every run.
DEFAULT_UPDATE_MS = 1_764_547_200_000

VISIBLE_TEMPLATE_FIELDS = (
    "TemplateCode", "Name", "Language", "Category", "TemplateType", "AuditStatus", "Reason", "QualityScore",
    "AllowSend", "CategoryChangePaused", "MessageSendTtlSeconds", "Components", "Example", "LastUpdateTime",
)
#: Kept by the platform, never returned: what was asked at creation, when a pending review ends, when the
#: template was created and when an approved template was edited (Meta's edit limits count those), and whether
#: it is archived (ArchiveChatappTemplate; no read returns it: docs/emulator.md).
HIDDEN_TEMPLATE_FIELDS = ("AllowCategoryChange", "ReviewDueAt", "CreatedAt", "Edits", "Archived")
TEMPLATE_FIELDS = frozenset(VISIBLE_TEMPLATE_FIELDS + HIDDEN_TEMPLATE_FIELDS)

DEFAULT_SETTINGS: Mapping[str, Any] = {
    "review": "manual",        # manual: a test hook decides; immediate: decided at once; delayed: after review_delay_ms
    "review_delay_ms": 0,
    "review_outcome": "pass",  # what an automatic review decides
    "review_reason": "",       # the rejection reason when it decides fail
    "max_templates": 250,      # Meta's limit for a WABA of a business that is not verified (6,000 once verified)
    "max_creates_per_hour": 100,
}
SETTINGS_FIELDS = frozenset(DEFAULT_SETTINGS)
DELETED_FIELDS = frozenset({"Name", "Language", "DeletedAt"})


def template_code(space_id: str, name: str) -> str:
    """The platform code of a template name in a space (all its languages share it): derived, stable."""
    return hashlib.sha256(f"{space_id}:template:{name}".encode()).hexdigest()[:32]


def validate_space_templates(space: Mapping[str, Any], space_id: str) -> dict[str, Any]:
    """``{"templates": [...], "template_settings": {...}, "deleted_templates": [...]}``, normalised."""
    settings = _settings(space.get("template_settings"))
    templates = []
    seen: dict[tuple[str, str], int] = {}
    codes: dict[str, str] = {}
    items = space.get("templates") or []
    if not isinstance(items, list):
        raise StateInvalid(("templates",), "'templates' must be a list of templates")
    for i, item in enumerate(items):
        entry = _template(item, ("templates", i), space_id)
        key = (entry["Name"], entry["Language"])
        if key in seen:
            raise StateInvalid(("templates", i), f"template {key[0]}/{key[1]} is also templates[{seen[key]}]")
        seen[key] = i
        other = codes.setdefault(entry["Name"], entry["TemplateCode"])
        if other != entry["TemplateCode"]:
            raise StateInvalid(("templates", i, "TemplateCode"),
                                       f"the languages of template {entry['Name']} share one TemplateCode ({other})")
        templates.append(entry)
    deleted = []
    given = space.get("deleted_templates") or []
    if not isinstance(given, list):
        raise StateInvalid(("deleted_templates",), "'deleted_templates' must be a list")
    for i, item in enumerate(given):
        path = ("deleted_templates", i)
        if not isinstance(item, dict):
            raise StateInvalid(path, "a deleted template is a mapping with Name, Language and DeletedAt")
        no_unknown(item, DELETED_FIELDS, path)
        for field in ("Name", "Language"):
            if not isinstance(item.get(field), str) or not item[field]:
                raise StateInvalid(path + (field,), f"'{field}' must be a non-empty string")
        deleted.append({"Name": item["Name"], "Language": item["Language"],
                        "DeletedAt": _int(item.get("DeletedAt"), path + ("DeletedAt",), "a time in ms")})
    return {"templates": templates, "template_settings": settings, "deleted_templates": deleted}


def _settings(given: Any) -> dict[str, Any]:
    out = dict(DEFAULT_SETTINGS)
    if given is None:
        return out
    path: Path_ = ("template_settings",)
    if not isinstance(given, dict):
        raise StateInvalid(path, "'template_settings' must be a mapping")
    no_unknown(given, SETTINGS_FIELDS, path)
    for field, value in given.items():
        if field == "review":
            _one_of(value, REVIEW_MODES, path + (field,))
        elif field == "review_outcome":
            _one_of(value, ("pass", "fail"), path + (field,))
        elif field == "review_reason":
            if not isinstance(value, str):
                raise StateInvalid(path + (field,), "'review_reason' must be a string")
        else:
            value = _int(value, path + (field,), "a whole number")
            if value < 0:
                raise StateInvalid(path + (field,), f"'{field}' must not be negative")
        out[field] = value
    return out


def _template(item: Any, path: Path_, space_id: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise StateInvalid(path, "a template must be a mapping with Name, Language, Category, Components")
    no_unknown(item, TEMPLATE_FIELDS, path)
    for field in ("Name", "Language"):
        if not isinstance(item.get(field), str) or not item[field]:
            raise StateInvalid(path + (field,), f"'{field}' is required and must be a non-empty string")
    out: dict[str, Any] = {
        "TemplateCode": template_code(space_id, item["Name"]), "Name": item["Name"], "Language": item["Language"],
        "Category": None, "TemplateType": "WHATSAPP", "AuditStatus": "pass", "Reason": "", "QualityScore": "UNKNOWN",
        "AllowSend": True, "CategoryChangePaused": False, "Components": None, "Example": {},
        "LastUpdateTime": DEFAULT_UPDATE_MS, "AllowCategoryChange": False, "ReviewDueAt": None, "Edits": [],
    }
    for field, value in item.items():
        at = path + (field,)
        if field in ("TemplateCode", "Reason"):
            if not isinstance(value, str):
                raise StateInvalid(at, f"'{field}' must be a string")
        elif field == "Category":
            _one_of(value, CATEGORIES, at)
        elif field == "TemplateType":
            _one_of(value, TEMPLATE_TYPES, at)
        elif field == "AuditStatus":
            _one_of(value, AUDIT_STATUSES, at)
        elif field == "QualityScore":
            _one_of(value, QUALITY_SCORES, at)
        elif field in ("AllowSend", "CategoryChangePaused", "AllowCategoryChange", "Archived"):
            if not isinstance(value, bool):
                raise StateInvalid(at, f"'{field}' must be true or false")
        elif field in ("MessageSendTtlSeconds", "LastUpdateTime", "CreatedAt"):
            value = _int(value, at, "a whole number")
        elif field == "ReviewDueAt":
            value = None if value is None else _int(value, at, "a time in ms")
        elif field == "Edits":
            if not isinstance(value, list):
                raise StateInvalid(at, "'Edits' must be a list of times in ms")
            value = [_int(v, at + (j,), "a time in ms") for j, v in enumerate(value)]
        elif field == "Components":
            if not isinstance(value, list) or not value or not all(isinstance(c, dict) for c in value):
                raise StateInvalid(at, "'Components' must be a non-empty list of components (mappings)")
            value = copy.deepcopy(value)
        elif field == "Example":
            if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                      for k, v in value.items()):
                raise StateInvalid(at, "'Example' must map placeholders to strings (quote them)")
            value = dict(value)
        out[field] = value
    for field in ("Category", "Components"):
        if out[field] is None:
            raise StateInvalid(path, f"'{field}' is required")
    out.setdefault("CreatedAt", out["LastUpdateTime"])
    return out


def _one_of(value: Any, allowed: tuple[str, ...], path: Path_) -> None:
    if value not in allowed:
        raise StateInvalid(path, f"{value!r} is not one of {', '.join(allowed)}")


def _int(value: Any, path: Path_, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StateInvalid(path, f"must be {what}")
    return value
