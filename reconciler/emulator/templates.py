"""WhatsApp message templates in the emulator: the six template actions and their review lifecycle.

A mixin of ``CamsBackend`` (which provides ``_space``, ``_backends``, ``region`` and the lock ``call``
holds while an action runs). A template lives in its space's ``templates`` list, one entry per name +
language, in the API's field names (emulator/template_state.py). The lifecycle, as Meta runs it:

- CreateChatappTemplate submits the template for review: ``AuditStatus: auditing``. The space's
  ``template_settings.review`` says how review ends: ``immediate`` (decided within the create),
  ``delayed`` (decided ``review_delay_ms`` later, seen by the next template call), or ``manual`` (the
  default: a test decides with ``review_template``). The decision is ``review_outcome`` (``pass``, or
  ``fail`` with ``review_reason``).
- ModifyChatappTemplate sends the template back to review. An approved template may be edited at most once
  in 24 hours and ten times in 30 days (Meta's rule), and its category cannot change; a rejected, paused or
  never-reviewed template may be edited freely; one in review or disabled cannot be edited.
- The platform pauses or disables templates and moves their quality by itself: ``set_template_fields``.
- A space holds at most ``max_templates`` templates and takes at most ``max_creates_per_hour`` creations in
  an hour; a deleted name + language cannot be created again for 30 days.

Time is the wall clock plus an offset tests move with ``advance_template_clock`` (no sleeping).

The API's codes for these refusals are not in the public docs; they are named in the documented
``Family.Reason`` style under ``Template.`` (docs/emulator.md lists them).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.common import template_rules as rules
from reconciler.emulator.answer_shapes import REQUEST_COMPONENT
from reconciler.emulator.errors import EmulatorApiError
from reconciler.emulator.template_state import template_code

Params = Mapping[str, str]
Body = dict[str, Any]

_OK = {"Code": "OK", "Message": "SUCCESS", "Success": True}
DAY_MS = 24 * 3600 * 1000
EDITS_PER_DAY = 1
EDITS_PER_30_DAYS = 10
NAME_REUSE_MS = 30 * DAY_MS
PAGE_SIZE_DEFAULT = 10  # the SDK's documented default
PAGE_SIZE_MAX = 100     # not documented: the emulator refuses larger pages (the stricter reading)
EDITABLE = frozenset({"pass", "fail", "paused", "unaudit"})
ARCHIVE_TYPES = ("ARCHIVED", "NOT_ARCHIVED")
_LIST_FIELDS = ("AuditStatus", "Category", "Language", "LastUpdateTime", "Reason", "TemplateCode", "TemplateType")


def _invalid(message: str) -> EmulatorApiError:
    return EmulatorApiError("InvalidParameter", message)


def _missing(name: str) -> EmulatorApiError:
    return EmulatorApiError(
        "MissingParameter", f'The input parameter "{name}" that is mandatory for processing this request is not supplied.')


def _not_found(what: str) -> EmulatorApiError:
    return EmulatorApiError("Template.NotFound", f"The template {what} does not exist.")


def _json(params: Params, name: str, kind: type, wanted: str) -> Any:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise _invalid(f"{name} must be {wanted} (JSON).") from None
    if not isinstance(value, kind):
        raise _invalid(f"{name} must be {wanted} (JSON).")
    return value


def _bool(params: Params, name: str) -> bool | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise _invalid(f"{name} must be true or false.")


def _int(params: Params, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.strip().lstrip("-").isdigit():
        raise _invalid(f"{name} must be an integer.")
    return int(raw)


def _unknown_field(value: Any, shape: Any, where: str) -> str | None:
    """The first field of ``value`` the request model (``shape``) does not have, as ``Components[0].X``."""
    if isinstance(shape, dict) and isinstance(value, Mapping):
        for key, item in value.items():
            if key not in shape:
                return f"{where}.{key}"
            if (found := _unknown_field(item, shape[key], f"{where}.{key}")) is not None:
                return found
    elif isinstance(shape, list) and isinstance(value, list):
        for i, item in enumerate(value):
            if (found := _unknown_field(item, shape[0], f"{where}[{i}]")) is not None:
                return found
    return None


def _first_problem(found: list[rules.Problem]) -> EmulatorApiError | None:
    if not found:
        return None
    path, message = found[0]
    field = ""
    for part in path:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    field = field.replace("components", "Components", 1).replace("example", "Example", 1)
    return _invalid(f"{field}: {message}.")


class TemplatesMixin:
    """The template actions of the emulated CAMS (see the module docstring)."""

    region: str
    _lock: threading.Lock
    _space: Callable[..., dict[str, Any]]
    _check_flow_buttons: Callable[[dict[str, Any], list[Any]], None]  # FlowsMixin (emulator/flows.py)

    # --- time and review ---------------------------------------------------------------------------------

    def _template_now(self) -> int:
        return int(time.time() * 1000) + getattr(self, "_template_clock_offset_ms", 0)

    def advance_template_clock(self, seconds: float) -> None:
        """Test hook: move the templates' clock forward (review delays, edit limits, name reuse)."""
        with self._lock:
            self._template_clock_offset_ms = getattr(self, "_template_clock_offset_ms", 0) + int(seconds * 1000)

    def _submit(self, space: dict[str, Any], entry: dict[str, Any], now: int) -> None:
        entry.update(AuditStatus="auditing", Reason="", ReviewDueAt=None, LastUpdateTime=now)
        settings = space["template_settings"]
        if settings["review"] == "immediate":
            self._decide(space, entry)
        elif settings["review"] == "delayed":
            entry["ReviewDueAt"] = now + settings["review_delay_ms"]

    @staticmethod
    def _decide(space: dict[str, Any], entry: dict[str, Any], outcome: str | None = None,
                reason: str | None = None) -> None:
        settings = space["template_settings"]
        outcome = outcome or settings["review_outcome"]
        entry["AuditStatus"] = outcome
        entry["Reason"] = (reason if reason is not None else settings["review_reason"] or "INVALID_FORMAT") \
            if outcome == "fail" else ""
        entry["ReviewDueAt"] = None

    def _settle(self, space: dict[str, Any]) -> int:
        """Finish the delayed reviews that are due; return the time now."""
        now = self._template_now()
        for entry in space["templates"]:
            due = entry.get("ReviewDueAt")
            if entry["AuditStatus"] == "auditing" and due is not None and due <= now:
                self._decide(space, entry)
        return now

    # --- test hooks (the platform acting by itself) -------------------------------------------------------

    def _hook_entry(self, space_id: str, name: str, language: str) -> tuple[dict[str, Any], dict[str, Any]]:
        # CamsBackend's account index (``BackendDict``), read without naming its type: backend.py imports this.
        backends: Mapping[str, Mapping[str, Mapping[str, Any]]] = vars(self)["_backends"]
        for regions in backends.values():
            space: dict[str, Any] | None = regions[self.region]["spaces"].get(space_id)
            if space is None:
                continue
            for entry in space["templates"]:
                if entry["Name"] == name and entry["Language"] == language:
                    return space, entry
        raise KeyError(f"template {name}/{language} is not in space {space_id}")

    def review_template(self, space_id: str, name: str, language: str, outcome: str = "pass",
                        reason: str | None = None) -> None:
        """Test hook: Meta's review of a template in review ends with ``outcome`` (``pass`` or ``fail``)."""
        if outcome not in ("pass", "fail"):
            raise ValueError("outcome must be pass or fail")
        with self._lock:
            space, entry = self._hook_entry(space_id, name, language)
            if entry["AuditStatus"] != "auditing":
                raise ValueError(f"template {name}/{language} is not in review ({entry['AuditStatus']})")
            self._decide(space, entry, outcome, reason)

    def set_template_fields(self, space_id: str, name: str, language: str, **fields: Any) -> None:
        """Test hook: the platform changes a template by itself (pauses or disables it, moves its quality
        score, re-categorises it), with no API call."""
        with self._lock:
            _, entry = self._hook_entry(space_id, name, language)
            entry.update(fields)

    # --- lookups -------------------------------------------------------------------------------------------

    @staticmethod
    def _matches(entry: Mapping[str, Any], params: Params) -> bool:
        code, name = params.get("TemplateCode"), params.get("TemplateName")
        if code and entry["TemplateCode"] != code:
            return False
        if name and entry["Name"] != name:
            return False
        kind = params.get("TemplateType")
        return not kind or entry["TemplateType"] == kind

    def _one(self, space: dict[str, Any], params: Params) -> dict[str, Any]:
        if not params.get("TemplateCode") and not params.get("TemplateName"):
            raise _missing("TemplateCode")
        language = params["Language"]
        entry: dict[str, Any]
        for entry in space["templates"]:
            if entry["Language"] == language and self._matches(entry, params):
                return entry
        what = params.get("TemplateCode") or params.get("TemplateName")
        raise _not_found(f"{what} ({language})")

    # --- reads ---------------------------------------------------------------------------------------------

    def ListChatappTemplate(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        self._settle(space)
        page = _json(params, "Page", dict, "an object {\"Index\": N, \"Size\": N}")
        index, size = 1, PAGE_SIZE_DEFAULT
        if page is not None:
            for key in ("Index", "Size"):
                value = page.get(key)
                if isinstance(value, bool) or not isinstance(value, int):
                    raise _invalid(f"Page.{key} is required and must be an integer.")
            index, size = page["Index"], page["Size"]
            if index < 1:
                raise _invalid("Page.Index must be 1 or more.")
            if not 1 <= size <= PAGE_SIZE_MAX:
                raise _invalid(f"Page.Size must be 1 to {PAGE_SIZE_MAX}.")
        filters = {"Name": "Name", "Code": "TemplateCode", "Language": "Language", "AuditStatus": "AuditStatus",
                   "Category": "Category", "TemplateType": "TemplateType"}
        found = [e for e in space["templates"]
                 if all(not params.get(p) or str(e[f]) == params[p] for p, f in filters.items())]
        start = (index - 1) * size
        items = [{**{f: e[f] for f in _LIST_FIELDS}, "TemplateName": e["Name"]} for e in found[start:start + size]]
        return {**_OK, "ListTemplate": items, "Total": len(found)}

    def GetChatappTemplateDetail(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        self._settle(space)
        entry = self._one(space, params)
        data = {f: entry[f] for f in ("AllowSend", "AuditStatus", "Category", "CategoryChangePaused", "Example",
                                      "Language", "Name", "QualityScore", "Reason", "TemplateCode", "TemplateType")}
        if entry.get("MessageSendTtlSeconds") is not None:
            data["MessageSendTtlSeconds"] = entry["MessageSendTtlSeconds"]
        # The response model spells the offer-expiry flag hasExpiration (the request model: HasExpiration).
        data["Components"] = [{("hasExpiration" if k == "HasExpiration" else k): v for k, v in c.items()}
                              for c in json.loads(json.dumps(entry["Components"]))]
        data["Example"] = dict(entry["Example"])
        return {**_OK, "Data": data}

    # --- writes --------------------------------------------------------------------------------------------

    def _checked_content(self, params: Params, category: str, example_default: Any) -> tuple[list[Any], Any]:
        kind = params.get("TemplateType")
        if kind and kind != "WHATSAPP":
            raise _invalid(f"TemplateType {kind!r}: the emulator serves WHATSAPP templates only.")
        components = _json(params, "Components", list, "a list of components")
        if components is None:
            raise _missing("Components")
        # Only what the request model has (a field of the detail answer, such as Latitude, is not one).
        if (unknown := _unknown_field(components, [REQUEST_COMPONENT], "Components")) is not None:
            raise _invalid(f"{unknown} is not a field of a template component.")
        example = _json(params, "Example", dict, "an object of placeholder examples")
        if example is None:
            example = example_default
        problem = _first_problem(rules.problems(category, components, example))
        if problem is not None:
            raise problem
        ttl = _int(params, "MessageSendTtlSeconds")
        problem = _first_problem(rules.check_ttl(category, ttl, ("MessageSendTtlSeconds",)))
        if problem is not None:
            raise problem
        return components, example

    def CreateChatappTemplate(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        now = self._settle(space)
        name, language, category = params["Name"], params["Language"], params["Category"]
        problem = _first_problem(rules.check_name(name, ("Name",)) + rules.check_language(language, ("Language",)))
        if problem is not None:
            raise problem
        if category not in rules.CATEGORIES:
            raise _invalid(f"Category {category!r} is not one of {', '.join(rules.CATEGORIES)}.")
        components, example = self._checked_content(params, category, {})
        self._check_flow_buttons(space, components)
        allow_change, paused = _bool(params, "AllowCategoryChange"), _bool(params, "CategoryChangePaused")
        templates = space["templates"]
        if any(e["Name"] == name and e["Language"] == language for e in templates):
            raise EmulatorApiError("Template.AlreadyExists", f"The template {name} ({language}) already exists.")
        for gone in space["deleted_templates"]:
            if gone["Name"] == name and gone["Language"] == language and now - gone["DeletedAt"] < NAME_REUSE_MS:
                raise EmulatorApiError("Template.NameRecentlyDeleted",
                                       f"The template {name} ({language}) was deleted less than 30 days ago; "
                                       "its name cannot be used again yet.")
        settings = space["template_settings"]
        if len(templates) >= settings["max_templates"]:
            raise EmulatorApiError("Template.CountLimitExceeded",
                                   f"The account holds {len(templates)} templates, the most it may hold.")
        recent = sum(1 for e in templates if now - e.get("CreatedAt", 0) < 3600 * 1000)
        if recent >= settings["max_creates_per_hour"]:
            raise EmulatorApiError("Template.CreateLimitExceeded",
                                   f"{recent} templates were created in the last hour, the most allowed.")
        code = next((e["TemplateCode"] for e in templates if e["Name"] == name),
                    template_code(str(params["CustSpaceId"]), name))
        entry: dict[str, Any] = {
            "TemplateCode": code, "Name": name, "Language": language, "Category": category,
            "TemplateType": "WHATSAPP", "AuditStatus": "auditing", "Reason": "", "QualityScore": "UNKNOWN",
            "AllowSend": True, "CategoryChangePaused": bool(paused), "Components": components, "Example": example,
            "LastUpdateTime": now, "AllowCategoryChange": bool(allow_change), "ReviewDueAt": None,
            "CreatedAt": now, "Edits": [],
        }
        ttl = _int(params, "MessageSendTtlSeconds")
        if ttl is not None:
            entry["MessageSendTtlSeconds"] = ttl
        templates.append(entry)
        self._submit(space, entry, now)
        return {**_OK, "Data": {"TemplateCode": code, "TemplateName": name}}

    def ModifyChatappTemplate(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        now = self._settle(space)
        entry = self._one(space, params)
        status = entry["AuditStatus"]
        if entry.get("Archived"):
            raise EmulatorApiError("Template.Archived", f"The template {entry['Name']} ({entry['Language']}) is "
                                                        "archived: unarchive it before editing it.")
        if status not in EDITABLE:
            state = "in review" if status == "auditing" else status
            raise EmulatorApiError("Template.NotEditable",
                                   f"The template {entry['Name']} ({entry['Language']}) is {state} and cannot be edited.")
        category = params.get("Category") or entry["Category"]
        if category not in rules.CATEGORIES:
            raise _invalid(f"Category {category!r} is not one of {', '.join(rules.CATEGORIES)}.")
        if status == "pass":
            if category != entry["Category"]:
                raise EmulatorApiError("Template.CategoryNotModifiable",
                                       "The category of an approved template cannot be changed.")
            edits = entry["Edits"]
            if sum(1 for t in edits if now - t < DAY_MS) >= EDITS_PER_DAY or \
                    sum(1 for t in edits if now - t < 30 * DAY_MS) >= EDITS_PER_30_DAYS:
                raise EmulatorApiError(
                    "Template.EditLimitExceeded",
                    f"An approved template may be edited {EDITS_PER_DAY} time in 24 hours and {EDITS_PER_30_DAYS} "
                    "times in 30 days.")
        components, example = self._checked_content(params, category, entry["Example"])
        self._check_flow_buttons(space, components)
        paused = _bool(params, "CategoryChangePaused")
        ttl = _int(params, "MessageSendTtlSeconds")
        if status == "pass":
            entry["Edits"] = [t for t in entry["Edits"] if now - t < 30 * DAY_MS] + [now]
        entry.update(Category=category, Components=components, Example=example)
        if paused is not None:
            entry["CategoryChangePaused"] = paused
        if ttl is not None:
            entry["MessageSendTtlSeconds"] = ttl
        self._submit(space, entry, now)
        return {**_OK, "Data": {"TemplateCode": entry["TemplateCode"], "TemplateName": entry["Name"]}}

    def ModifyChatappTemplateProperties(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        self._settle(space)
        entry = self._one(space, params)
        allow_send, paused = _bool(params, "AllowSend"), _bool(params, "CategoryChangePaused")
        if allow_send is not None:
            entry["AllowSend"] = allow_send
        if paused is not None:
            entry["CategoryChangePaused"] = paused
        model = {"TemplateCode": entry["TemplateCode"], "Language": entry["Language"],
                 "AllowSend": entry["AllowSend"], "CategoryChangePaused": entry["CategoryChangePaused"]}
        return {**_OK, "Model": model}

    def DeleteChatappTemplate(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        now = self._settle(space)
        if not params.get("TemplateCode") and not params.get("TemplateName"):
            raise _missing("TemplateCode")
        language = params.get("Language")
        if language and not params.get("TemplateType"):
            raise _missing("TemplateType")  # the SDK: required when deleting one language
        gone = [e for e in space["templates"]
                if self._matches(e, params) and (not language or e["Language"] == language)]
        if not gone:
            what = params.get("TemplateCode") or params.get("TemplateName")
            raise _not_found(f"{what}" + (f" ({language})" if language else ""))
        space["templates"] = [e for e in space["templates"] if all(e is not g for g in gone)]
        space["deleted_templates"].extend({"Name": e["Name"], "Language": e["Language"], "DeletedAt": now}
                                          for e in gone)
        return dict(_OK)

    def ArchiveChatappTemplate(self, caller: Any, params: Params) -> Body:
        """``ArchiveType`` ARCHIVED or NOT_ARCHIVED for every ``{TemplateCode, Language}`` of ``TemplateList``:
        all or none (every item is checked before any changes). Setting the state a template already has is
        accepted (the call names a state, not a toggle). A template in review cannot be archived (the
        stricter reading). No read shows the flag: the SDK's list and detail models have no field for it."""
        space = self._space(caller, params)
        self._settle(space)
        if params["ChannelType"] != "WHATSAPP":
            raise _invalid("ChannelType must be WHATSAPP.")
        archive_type = params["ArchiveType"]
        if archive_type not in ARCHIVE_TYPES:
            raise _invalid(f"ArchiveType must be one of {', '.join(ARCHIVE_TYPES)}.")
        items = _json(params, "TemplateList", list, "a list of {\"TemplateCode\", \"Language\"}")
        if not items:
            raise _invalid("TemplateList must name at least one template.")
        chosen: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            if not isinstance(item, dict) or set(item) - {"TemplateCode", "Language"} or \
                    not all(isinstance(item.get(k), str) and item[k] for k in ("TemplateCode", "Language")):
                raise _invalid(f"TemplateList[{i}] must be {{\"TemplateCode\": ..., \"Language\": ...}}.")
            found = [e for e in space["templates"]
                     if e["TemplateCode"] == item["TemplateCode"] and e["Language"] == item["Language"]]
            if not found:
                raise _not_found(f"{item['TemplateCode']} ({item['Language']})")
            if archive_type == "ARCHIVED" and found[0]["AuditStatus"] == "auditing":
                raise EmulatorApiError("Template.NotArchivable", f"The template {found[0]['Name']} "
                                       f"({found[0]['Language']}) is in review and cannot be archived.")
            chosen.append(found[0])
        for entry in chosen:
            if archive_type == "ARCHIVED":
                entry["Archived"] = True
            else:
                entry.pop("Archived", None)
        return {**_OK, "Data": dict(_OK)}
