"""WhatsApp Flows in the emulator: the eleven Flow actions, the Flow lifecycle and the JSON upload.

A mixin of ``CamsBackend`` (which provides ``_space``, ``objects`` (the ``ObjectStore``) and the lock ``call``
holds while an action runs). A Flow lives in its space's ``flows`` list (``flow_state.py``), in the API's
field names plus ``JSON``, the platform's copy of the uploaded Flow JSON (text). The lifecycle, as WhatsApp
runs it:

- ``CreateFlow`` makes a ``DRAFT``; names are unique per space, whatever the state of the Flow holding them
  (a deprecated Flow keeps its name), categories are WhatsApp's.
- ``GetChatappUploadAuthorization`` issues temporary object-storage credentials for one directory
  (``object_store.py``); ``UpdateFlowJSONAsset`` takes the key of an object uploaded there and makes it the
  draft's JSON. Any JSON document is accepted as a draft (the builder saves drafts with errors too); a file
  that is not JSON is refused.
- ``PublishFlow`` publishes a draft only when its JSON passes the Flow JSON rules
  (``reconciler.common.flow_json``, the same tables the product validates with offline); otherwise
  ``Flow.JsonInvalid`` whose message lists every problem as ``POINTER: message``.
- A published Flow's JSON and metadata cannot change (``Flow.StatusNotAllowed``); it can only be deprecated.
  ``DeprecateFlow`` takes only a published Flow, ``DeleteFlow`` only a draft.
- ``GetFlowPreviewUrl`` answers a preview link valid for ``PREVIEW_DAYS`` and its expiry (epoch ms), the
  same link on every call until it expires;
  ``GetFlowJSONAssest`` answers a download link of the platform's copy (``object_store.download_link``).

The API's codes for these refusals are not in the public docs; they are named in the documented
``Family.Reason`` style under ``Flow.`` (docs/emulator.md lists them).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.common import flow_json
from reconciler.emulator.errors import EmulatorApiError
from reconciler.emulator.flow_state import CATEGORIES, DEPRECATED, DRAFT, PUBLISHED
from reconciler.emulator.object_store import ObjectStore

Params = Mapping[str, str]
Body = dict[str, Any]

_OK = {"Code": "OK", "Message": "SUCCESS"}
PAGE_SIZE_DEFAULT = 10
PAGE_SIZE_MAX = 100  # not documented: larger pages are refused (the stricter reading)
PREVIEW_DAYS = 30
FLOW_NAME_MAX = 200


def _invalid(message: str) -> EmulatorApiError:
    return EmulatorApiError("InvalidParameter", message)


def _missing(name: str) -> EmulatorApiError:
    return EmulatorApiError(
        "MissingParameter", f'The input parameter "{name}" that is mandatory for processing this request is not supplied.')


def _status_error(flow: Mapping[str, Any], wanted: str, verb: str) -> EmulatorApiError:
    return EmulatorApiError("Flow.StatusNotAllowed",
                            f"The flow {flow['FlowId']} is {flow['Status']}: only a {wanted} flow can be {verb}.")


def _categories(params: Params) -> list[str]:
    raw = params.get("Categories") or ""
    try:
        value = json.loads(raw)
    except ValueError:
        raise _invalid("Categories must be a JSON array of categories.") from None
    if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
        raise _invalid("Categories must be a non-empty JSON array of categories.")
    unknown = [c for c in value if c not in CATEGORIES]
    if unknown:
        raise _invalid(f"Categories: unknown category {unknown[0]!r} (known: {', '.join(CATEGORIES)}).")
    return list(dict.fromkeys(value))


def _name(params: Params) -> str:
    name = params.get("FlowName") or ""
    if not name.strip() or len(name) > FLOW_NAME_MAX:
        raise _invalid(f"FlowName must be 1 to {FLOW_NAME_MAX} characters.")
    return name


def _endpoint(params: Params) -> str:
    uri = params.get("EndpointUri") or ""
    if uri and not uri.startswith("https://"):
        raise _invalid("EndpointUri must be an https:// URL.")
    return uri


class FlowsMixin:
    """The Flow actions of the emulated CAMS (see the module docstring)."""

    _lock: threading.Lock
    _space: Callable[..., dict[str, Any]]
    objects: ObjectStore

    # --- helpers -------------------------------------------------------------------------------------------

    def _flow(self, space: dict[str, Any], params: Params) -> dict[str, Any]:
        flow_id = params.get("FlowId") or ""
        if not flow_id:
            raise _missing("FlowId")
        found: dict[str, Any] | None = next((f for f in space["flows"] if f["FlowId"] == flow_id), None)
        if found is None:
            raise EmulatorApiError("Flow.NotFound", f"The flow {flow_id} does not exist.")
        return found

    @staticmethod
    def _name_taken(space: dict[str, Any], name: str, other_than: str = "") -> None:
        if any(f["FlowName"] == name and f["FlowId"] != other_than for f in space["flows"]):
            raise EmulatorApiError("Flow.NameDuplicate", f"A flow named {name!r} already exists in this space.")

    @staticmethod
    def _new_flow_id(space_id: str, name: str) -> str:
        digest = hashlib.sha256(f"{space_id}:flow:{name}:{secrets.token_hex(4)}".encode()).hexdigest()
        return str(int(digest[:13], 16))[:16]

    def _check_flow_buttons(self, space: dict[str, Any], components: list[Any]) -> None:
        """A template's FLOW button names a published Flow of the space by ``FlowId``, and its
        ``NavigateScreen``, when given, is a screen of that Flow's JSON (the stricter reading: whether the
        platform takes a draft Flow in a template is not documented)."""
        for ci, comp in enumerate(components):
            buttons = comp.get("Buttons") if isinstance(comp, dict) else None
            for bi, button in enumerate(buttons if isinstance(buttons, list) else []):
                if not isinstance(button, dict) or str(button.get("Type", "")).upper() != "FLOW":
                    continue
                where = f"Components[{ci}].Buttons[{bi}]"
                flow_id = str(button.get("FlowId") or "")
                flow = next((f for f in space["flows"] if f["FlowId"] == flow_id), None)
                if flow is None or flow["Status"] != PUBLISHED:
                    state = "does not exist" if flow is None else f"is {flow['Status']}"
                    raise _invalid(f"{where}.FlowId: a FLOW button needs a published flow of this space "
                                   f"(flow {flow_id!r} {state}).")
                screen = button.get("NavigateScreen")
                if screen and screen not in flow_json.screens_of(_parsed(flow.get("JSON"))):
                    raise _invalid(f"{where}.NavigateScreen: flow {flow_id} has no screen {screen!r}.")

    # --- reads ---------------------------------------------------------------------------------------------

    def ListFlow(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        index, size = 1, PAGE_SIZE_DEFAULT
        if params.get("Page"):
            try:
                page = json.loads(params["Page"])
            except ValueError:
                page = None
            if not isinstance(page, dict):
                raise _invalid('Page must be an object {"Index": N, "Size": N} (JSON).')
            index, size = page.get("Index", 1), page.get("Size", PAGE_SIZE_DEFAULT)
            if not isinstance(index, int) or index < 1:
                raise _invalid("Page.Index must be an integer, 1 or more.")
            if not isinstance(size, int) or not 1 <= size <= PAGE_SIZE_MAX:
                raise _invalid(f"Page.Size must be an integer from 1 to {PAGE_SIZE_MAX}.")
        wanted = params.get("FlowName") or ""
        flows = [f for f in space["flows"] if wanted in f["FlowName"]]
        page_of = flows[(index - 1) * size: index * size]
        return {**_OK, "Data": [{"FlowId": f["FlowId"], "FlowName": f["FlowName"],
                                 "Categories": list(f["Categories"])} for f in page_of]}

    def GetFlow(self, caller: Any, params: Params) -> Body:
        flow = self._flow(self._space(caller, params), params)
        data = {k: flow[k] for k in ("FlowId", "FlowName", "Status", "EndpointUri")}
        data["Categories"] = list(flow["Categories"])
        doc = _parsed(flow.get("JSON"))
        if isinstance(doc, dict):
            data["JSONVersion"] = str(doc.get("version", ""))
            data["DataApiVersion"] = str(doc.get("data_api_version", "") or "")
        return {**_OK, "Data": data}

    def GetFlowJSONAssest(self, caller: Any, params: Params) -> Body:
        flow = self._flow(self._space(caller, params), params)
        data: dict[str, Any] = {"FlowId": flow["FlowId"]}
        if flow.get("JSON") is not None:
            key = f"assets/{flow['FlowId']}/flow.json"
            self.objects.keep(key, flow["JSON"].encode("utf-8"))
            data["FilePath"] = self.objects.download_link(key)
        return {**_OK, "Data": data}

    def GetFlowPreviewUrl(self, caller: Any, params: Params) -> Body:
        flow = self._flow(self._space(caller, params), params)
        now = int(time.time() * 1000)
        if not flow.get("PreviewToken") or int(flow.get("PreviewExpires") or 0) <= now:
            # one link until it expires, as WhatsApp keeps a preview link (a fresh one only after expiry)
            flow["PreviewToken"] = secrets.token_urlsafe(16)
            flow["PreviewExpires"] = now + PREVIEW_DAYS * 24 * 3600 * 1000
        url = f"{self.objects.endpoint}/flows/preview/{flow['FlowId']}?token={flow['PreviewToken']}"
        return {**_OK, "Data": {"FlowId": flow["FlowId"], "PreviewUrl": url,
                                "PreviewUrlExpires": flow["PreviewExpires"]}}

    def GetChatappUploadAuthorization(self, caller: Any, params: Params) -> Body:
        self._space(caller, params)  # the caller's own space, subscribed
        grant = self.objects.issue(caller.account, params["CustSpaceId"])
        return {**_OK, "Data": {
            "AccessKeyId": grant.access_key_id, "AccessKeySecret": grant.access_key_secret,
            "SecurityToken": grant.security_token, "BucketName": self.objects.bucket, "Dir": grant.directory,
            "EndPoint": self.objects.endpoint, "Expire": int(grant.expires_at)}}

    # --- writes --------------------------------------------------------------------------------------------

    def CreateFlow(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        name, categories, endpoint = _name(params), _categories(params), _endpoint(params)
        self._name_taken(space, name)
        flow = {"FlowId": self._new_flow_id(params["CustSpaceId"], name), "FlowName": name,
                "Categories": categories, "EndpointUri": endpoint, "Status": DRAFT, "JSON": None}
        space["flows"].append(flow)
        return {**_OK, "Data": {"FlowId": flow["FlowId"], "FlowName": name, "Categories": categories}}

    def ModifyFlow(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        flow = self._flow(space, params)
        if flow["Status"] != DRAFT:
            raise _status_error(flow, "draft", "modified")
        name, categories = _name(params), _categories(params)
        self._name_taken(space, name, other_than=flow["FlowId"])
        flow.update(FlowName=name, Categories=categories)
        if "EndpointUri" in params:
            flow["EndpointUri"] = _endpoint(params)
        return {**_OK, "Data": {k: flow[k] for k in ("FlowId", "FlowName", "Categories", "EndpointUri")}}

    def UpdateFlowJSONAsset(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        flow = self._flow(space, params)
        if flow["Status"] != DRAFT:
            raise _status_error(flow, "draft", "changed (a published flow's JSON cannot change)")
        data = self.objects.uploaded(params["FilePath"], caller.account, params["CustSpaceId"])
        if data is None:
            raise _invalid(f"FilePath {params['FilePath']!r} is not a file uploaded with this space's "
                           "upload authorization.")
        try:
            text = data.decode("utf-8")
            json.loads(text)
        except ValueError:
            raise _invalid("The uploaded file is not a JSON document.") from None
        flow["JSON"] = text
        return {**_OK, "Data": {"FlowId": flow["FlowId"]}}

    def PublishFlow(self, caller: Any, params: Params) -> Body:
        flow = self._flow(self._space(caller, params), params)
        if flow["Status"] != DRAFT:
            raise _status_error(flow, "draft", "published")
        if flow.get("JSON") is None:
            raise EmulatorApiError("Flow.JsonInvalid", f"The flow {flow['FlowId']} has no Flow JSON uploaded.")
        found = flow_json.problems(_parsed(flow["JSON"]), endpoint=bool(flow["EndpointUri"]))
        if found:
            listed = "; ".join(f"{p.pointer or '/'}: {p.message}" for p in found)
            raise EmulatorApiError("Flow.JsonInvalid", f"The Flow JSON is not valid: {listed}")
        flow["Status"] = PUBLISHED
        return dict(_OK)

    def DeprecateFlow(self, caller: Any, params: Params) -> Body:
        flow = self._flow(self._space(caller, params), params)
        if flow["Status"] != PUBLISHED:
            raise _status_error(flow, "published", "deprecated")
        flow["Status"] = DEPRECATED
        return dict(_OK)

    def DeleteFlow(self, caller: Any, params: Params) -> Body:
        space = self._space(caller, params)
        flow = self._flow(space, params)
        if flow["Status"] != DRAFT:
            raise _status_error(flow, "draft", "deleted")
        space["flows"].remove(flow)
        return dict(_OK)


def _parsed(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
