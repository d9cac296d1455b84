"""WhatsApp Flows in the emulator, driven by the official CAMS SDK and the official OSS SDK over loopback HTTP:
the lifecycle and its refusals, the JSON upload with temporary credentials (and every other upload refused),
the platform's own validation at publish, pagination, the 5/s actions, and our upload client end to end.
One emulator for the module, reset per test."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import alibabacloud_oss_v2 as oss
import httpx
import pytest
import yaml
from alibabacloud_cams20200606 import models as cams
from alibabacloud_cams20200606.client import Client as CamsSdk
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.utils_models import Config

from reconciler.client import CamsClient, Credentials
from reconciler.client.flow_assets import FlowAssetError
from reconciler.emulator import EmulatorHandle, start_emulator
from reconciler.emulator.ratelimit import make_limiter
from tests.helpers.paths import EXAMPLE_STATE_PATH, REPO_ROOT

SPACE = "293483938849001"
SIGNUP = (REPO_ROOT / "tests/fixtures/flows/signup.json").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def shared() -> Iterator[EmulatorHandle]:
    with start_emulator(yaml.safe_load(EXAMPLE_STATE_PATH.read_text(encoding="utf-8")), qps=0) as emu:
        yield emu


@pytest.fixture
def emu(shared: EmulatorHandle) -> EmulatorHandle:
    shared.reset(yaml.safe_load(EXAMPLE_STATE_PATH.read_text(encoding="utf-8")))
    return shared


def sdk(emu: EmulatorHandle) -> CamsSdk:
    key, secret = emu.credentials
    return CamsSdk(Config(access_key_id=key, access_key_secret=secret, endpoint=emu.endpoint, protocol="http"))


def code_of(call: Any) -> str:
    with pytest.raises(ClientException) as err:
        call()
    return str(err.value.code)


def create(client: CamsSdk, name: str = "signup", categories: tuple[str, ...] = ("SIGN_UP",)) -> str:
    body = client.create_flow(cams.CreateFlowRequest(cust_space_id=SPACE, flow_name=name,
                                                     categories=list(categories))).body
    return str(body.data.flow_id)


def authorization(client: CamsSdk) -> Any:
    return client.get_chatapp_upload_authorization(
        cams.GetChatappUploadAuthorizationRequest(cust_space_id=SPACE)).body.data


def oss_client(grant: Any, *, token: str | None = None, secret: str | None = None, version: str = "v4") -> Any:
    config = oss.config.load_default()
    config.credentials_provider = oss.credentials.StaticCredentialsProvider(
        grant.access_key_id, secret or grant.access_key_secret, token if token is not None else grant.security_token)
    config.region = "ap-southeast-1"
    config.endpoint = grant.end_point
    config.signature_version = version
    config.retry_max_attempts = 1
    return oss.Client(config)


def put(grant: Any, key: str, data: bytes, **options: Any) -> Any:
    return oss_client(grant, **options).put_object(oss.PutObjectRequest(bucket=grant.bucket_name, key=key, body=data))


def oss_code(call: Any) -> str:
    with pytest.raises(oss.exceptions.OperationError) as err:
        call()
    return str(err.value.unwrap().code)


def upload(client: CamsSdk, flow_id: str, text: str) -> None:
    grant = authorization(client)
    put(grant, grant.dir + "flow.json", text.encode())
    client.update_flow_jsonasset(cams.UpdateFlowJSONAssetRequest(cust_space_id=SPACE, flow_id=flow_id,
                                                                 file_path=grant.dir + "flow.json"))


def flow(client: CamsSdk, flow_id: str) -> Any:
    return client.get_flow(cams.GetFlowRequest(cust_space_id=SPACE, flow_id=flow_id)).body.data


def test_the_lifecycle_and_its_rules(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    flow_id = create(client)
    assert flow(client, flow_id).status == "DRAFT"
    # names are unique per space
    assert code_of(lambda: create(client)) == "Flow.NameDuplicate"
    # a draft's JSON is uploaded, read back as it was sent, and its version shows
    upload(client, flow_id, SIGNUP)
    assert flow(client, flow_id).jsonversion == "7.0"
    link = client.get_flow_jsonassest(cams.GetFlowJSONAssestRequest(cust_space_id=SPACE, flow_id=flow_id)).body.data
    assert httpx.get(link.file_path).text == SIGNUP
    # a draft's metadata changes; a draft cannot be deprecated
    client.modify_flow(cams.ModifyFlowRequest(cust_space_id=SPACE, flow_id=flow_id, flow_name="signup",
                                              categories=["SIGN_UP", "LEAD_GENERATION"]))
    assert flow(client, flow_id).categories == ["SIGN_UP", "LEAD_GENERATION"]
    assert code_of(lambda: client.deprecate_flow(cams.DeprecateFlowRequest(cust_space_id=SPACE, flow_id=flow_id))) \
        == "Flow.StatusNotAllowed"
    client.publish_flow(cams.PublishFlowRequest(cust_space_id=SPACE, flow_id=flow_id))
    assert flow(client, flow_id).status == "PUBLISHED"
    # a published Flow's JSON and metadata are immutable; it is never deleted, only deprecated
    assert code_of(lambda: upload(client, flow_id, SIGNUP)) == "Flow.StatusNotAllowed"
    assert code_of(lambda: client.modify_flow(cams.ModifyFlowRequest(
        cust_space_id=SPACE, flow_id=flow_id, flow_name="other", categories=["OTHER"]))) == "Flow.StatusNotAllowed"
    assert code_of(lambda: client.delete_flow(cams.DeleteFlowRequest(cust_space_id=SPACE, flow_id=flow_id))) \
        == "Flow.StatusNotAllowed"
    client.deprecate_flow(cams.DeprecateFlowRequest(cust_space_id=SPACE, flow_id=flow_id))
    assert flow(client, flow_id).status == "DEPRECATED"
    # the deprecated Flow keeps its name; a draft is deleted
    assert code_of(lambda: create(client)) == "Flow.NameDuplicate"
    draft = create(client, "signup_v2")
    client.delete_flow(cams.DeleteFlowRequest(cust_space_id=SPACE, flow_id=draft))
    assert code_of(lambda: flow(client, draft)) == "Flow.NotFound"
    preview = client.get_flow_preview_url(cams.GetFlowPreviewUrlRequest(cust_space_id=SPACE, flow_id=flow_id)).body.data
    assert preview.preview_url.startswith(emu.url) and preview.preview_url_expires > 0
    again = client.get_flow_preview_url(cams.GetFlowPreviewUrlRequest(cust_space_id=SPACE, flow_id=flow_id)).body.data
    assert (again.preview_url, again.preview_url_expires) == (preview.preview_url, preview.preview_url_expires)


def test_publish_refuses_invalid_json_and_lists_every_problem(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    flow_id = create(client)
    doc = json.loads(SIGNUP)
    doc["screens"][0]["layout"]["children"][-1]["on-click-action"]["next"]["name"] = "NOWHERE"
    doc["screens"][1]["terminal"] = False
    upload(client, flow_id, json.dumps(doc))
    with pytest.raises(ClientException) as err:
        client.publish_flow(cams.PublishFlowRequest(cust_space_id=SPACE, flow_id=flow_id))
    assert err.value.code == "Flow.JsonInvalid"
    assert "/screens/0/layout/children/3/on-click-action/next/name" in err.value.message
    assert "no screen is terminal" in err.value.message
    assert flow(client, flow_id).status == "DRAFT"
    # a file that is not JSON is refused as the draft's asset; no JSON at all is refused at publish
    other = create(client, "other")
    assert code_of(lambda: upload(client, other, "{not json")) == "InvalidParameter"
    assert code_of(lambda: client.publish_flow(cams.PublishFlowRequest(cust_space_id=SPACE, flow_id=other))) \
        == "Flow.JsonInvalid"
    # a retired version is refused by the platform too
    doc = json.loads(SIGNUP)
    doc["version"] = "3.0"
    upload(client, other, json.dumps(doc))
    with pytest.raises(ClientException) as err:
        client.publish_flow(cams.PublishFlowRequest(cust_space_id=SPACE, flow_id=other))
    assert "retired" in err.value.message


def test_the_object_storage_takes_only_the_issued_credentials(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    grant = authorization(client)
    assert grant.end_point == emu.url and grant.dir.startswith(f"flows/{SPACE}/")
    key = grant.dir + "signup.json"
    result = put(grant, key, SIGNUP.encode())  # the SDK checks the CRC-64 the store answers
    assert result.status_code == 200 and result.hash_crc64
    assert oss_code(lambda: put(grant, key, b"{}", token="not-the-token")) == "InvalidAccessKeyId"
    assert oss_code(lambda: put(grant, key, b"{}", secret="not-the-secret")) == "SignatureDoesNotMatch"
    assert oss_code(lambda: put(grant, key, b"{}", version="v1")) == "AccessDenied"
    assert oss_code(lambda: put(grant, f"flows/{SPACE}/elsewhere/x.json", b"{}")) == "AccessDenied"
    other = copy.copy(grant)
    other.bucket_name = "someone-elses"
    assert oss_code(lambda: put(other, key, b"{}")) == "NoSuchBucket"
    # a request not signed at all, and a download link with its signature changed
    assert httpx.put(f"{emu.url}/{grant.bucket_name}/{key}", content=b"{}").status_code == 403
    flow_id = create(client)
    client.update_flow_jsonasset(cams.UpdateFlowJSONAssetRequest(cust_space_id=SPACE, flow_id=flow_id, file_path=key))
    link = client.get_flow_jsonassest(cams.GetFlowJSONAssestRequest(cust_space_id=SPACE, flow_id=flow_id)).body.data
    assert httpx.get(link.file_path.replace("Signature=", "Signature=0")).status_code == 403
    # a key never uploaded, or uploaded under another space's grant, is not an asset of this space
    assert code_of(lambda: client.update_flow_jsonasset(cams.UpdateFlowJSONAssetRequest(
        cust_space_id=SPACE, flow_id=flow_id, file_path=grant.dir + "missing.json"))) == "InvalidParameter"
    # the credentials expire
    emu.backend.objects.advance_clock(3601)
    assert oss_code(lambda: put(grant, key, b"{}")) == "SecurityTokenExpired"


def test_list_flow_pages(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    for name in ("a_flow", "b_flow", "c_flow"):
        create(client, name)

    def page(index: int) -> list[str]:
        body = client.list_flow(cams.ListFlowRequest(cust_space_id=SPACE, page=cams.ListFlowRequestPage(
            index=index, size=2))).body
        return [f.flow_name for f in body.data]

    assert page(1) == ["a_flow", "b_flow"] and page(2) == ["c_flow"] and page(3) == []


def test_upload_and_publish_are_limited_to_five_a_second() -> None:
    """The emulator's flow control at the documented 5/s (arrival times given: no timing in the test)."""
    limiter = make_limiter(10.0, "window")
    for action, rate in (("UpdateFlowJSONAsset", 5), ("PublishFlow", 5), ("CreateFlow", 10)):
        allowed = [limiter.allow("acct", action, now=100.0 + i * 0.01) for i in range(rate + 1)]
        assert allowed == [True] * rate + [False], action


def test_our_upload_client_end_to_end_leaks_no_credential(emu: EmulatorHandle, caplog: pytest.LogCaptureFixture,
                                                          tmp_path: Path) -> None:
    client = sdk(emu)
    flow_id = create(client)
    caplog.set_level(logging.DEBUG)

    async def run() -> tuple[str, bytes | None, str]:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url, qps=1000) as ours:
            path = await ours.upload_flow_json(SPACE, flow_id, SIGNUP.encode())
            back = await ours.read_flow_json(SPACE, flow_id)
            # a refused upload: a Flow that is no longer a draft
            await ours.call("PublishFlow", {"CustSpaceId": SPACE, "FlowId": flow_id})
            try:
                await ours.upload_flow_json(SPACE, flow_id, SIGNUP.encode())
            except Exception as exc:  # noqa: BLE001 - its text is what is checked
                return path, back, f"{exc!s} {exc!r}"
            return path, back, ""

    path, back, refused = asyncio.run(run())
    assert back == SIGNUP.encode() and path.endswith("/flow.json")
    assert "Flow.StatusNotAllowed" in refused
    issued = [g for g in emu.backend.objects._grants.values()]
    assert len(issued) == 2
    seen = caplog.text + refused
    for grant in issued:
        assert grant.access_key_secret not in seen and grant.security_token not in seen


def test_an_oss_refusal_names_the_code_and_no_credential(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    flow_id = create(client)
    emu.backend.objects.region = "eu-central-1"  # the bucket is in another region than the client signs for

    async def run() -> FlowAssetError:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url, qps=1000) as ours:
            with pytest.raises(FlowAssetError) as err:
                await ours.upload_flow_json(SPACE, flow_id, b"{}")
            return err.value

    try:
        err = asyncio.run(run())
    finally:
        emu.backend.objects.region = emu.backend.region
    assert err.code == "InvalidArgument" and err.action == "PutObject" and err.http_status == 400
    for grant in emu.backend.objects._grants.values():
        assert grant.security_token not in str(err) and grant.access_key_secret not in repr(err)


def test_a_template_flow_button_needs_a_published_flow_and_its_screen(emu: EmulatorHandle) -> None:
    client = sdk(emu)
    flow_id = create(client)
    upload(client, flow_id, SIGNUP)

    def template(screen: str = "DETAILS", name: str = "join") -> Any:
        button = {"Type": "FLOW", "Text": "Sign up", "FlowId": flow_id, "FlowAction": "NAVIGATE",
                  "NavigateScreen": screen}
        components = [cams.CreateChatappTemplateRequestComponents().from_map(c) for c in (
            {"Type": "BODY", "Text": "Join Acme Rewards"}, {"Type": "BUTTONS", "Buttons": [button]})]
        return client.create_chatapp_template(cams.CreateChatappTemplateRequest(
            cust_space_id=SPACE, name=name, language="en_US", category="MARKETING", template_type="WHATSAPP",
            components=components))

    assert code_of(template) == "InvalidParameter"  # a draft Flow
    client.publish_flow(cams.PublishFlowRequest(cust_space_id=SPACE, flow_id=flow_id))
    assert code_of(lambda: template("NOWHERE")) == "InvalidParameter"
    assert template().body.code == "OK"
