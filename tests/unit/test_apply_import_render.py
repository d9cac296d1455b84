"""``import``'s YAML (pure part): the format, shared defaults, expect choices, token and http detection."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from reconciler.engine.importer import ImportedSpace, import_space
from reconciler.render.import_yaml import space_yaml


@dataclass(frozen=True)
class Rendered:
    text: str
    space: ImportedSpace

    def __getattr__(self, name: str):
        return getattr(self.space, name)

ITEM = {"PhoneNumber": "8613800001234", "Status": "CONNECTED", "QualityRating": "GREEN",
        "CodeVerificationStatus": "VERIFIED", "MessagingLimitTier": "TIER_10K",
        "StatusCallbackUrl": "https://hooks.acme.example/cams/status",
        "UpCallbackUrl": "https://hooks.acme.example/cams/inbound",
        "StatusQueue": "Alicom-Queue-1-ChatAppStatus", "UpQueue": "Alicom-Queue-1-ChatAppInbound"}


def _render(items: list[dict], profiles: dict | None = None):
    imported = import_space("acme-retail", "293483938849001", items, {"business_profile": profiles or {}})
    return Rendered(space_yaml(imported, schema_ref="../s.json"), imported)


def test_single_number_layout() -> None:
    profile = {"Vertical": "Retail", "About": "Acme", "Email": "", "Websites": ["https://acme.example"]}
    out = _render([ITEM], {"8613800001234": profile})
    assert out.text.startswith("# yaml-language-server: $schema=../s.json\n")
    assert '- phone_number: "+8613800001234"' in out.text
    doc = yaml.safe_load(out.text)
    space = doc["spaces"][0]
    assert doc["version"] == 1 and space["cust_space_id"] == "293483938849001"
    number = space["numbers"][0]
    assert number["webhooks"] == {"status_callback_url": ITEM["StatusCallbackUrl"],
                                  "up_callback_url": ITEM["UpCallbackUrl"]}
    assert number["queues"] == {"status_queue": "Alicom-Queue-1-ChatAppStatus",
                                "up_queue": "Alicom-Queue-1-ChatAppInbound"}
    # empty fields stay unmanaged; the vertical is written as the schema's enum
    assert number["business_profile"] == {"vertical": "RETAIL", "about": "Acme", "websites": ["https://acme.example"]}
    assert number["expect"] == {"status": ["CONNECTED"], "quality_rating": ["GREEN", "YELLOW"],
                                "code_verification_status": ["VERIFIED"]}
    assert out.numbers_with_tokens == () and out.numbers_with_http == ()


def test_shared_webhooks_go_to_defaults_and_numbers_are_sorted() -> None:
    second = {**ITEM, "PhoneNumber": "8613800001233"}
    space = yaml.safe_load(_render([ITEM, second]).text)["spaces"][0]
    assert space["defaults"]["webhooks"]["status_callback_url"] == ITEM["StatusCallbackUrl"]
    assert [n["phone_number"] for n in space["numbers"]] == ["+8613800001233", "+8613800001234"]
    assert all("webhooks" not in n for n in space["numbers"])


def test_unhealthy_values_are_not_pinned() -> None:
    sick = {**ITEM, "Status": "FLAGGED", "QualityRating": "RED", "CodeVerificationStatus": "EXPIRED"}
    number = yaml.safe_load(_render([sick]).text)["spaces"][0]["numbers"][0]
    assert "expect" not in number


def test_tokens_and_http_are_reported_by_number_only() -> None:
    tok = {**ITEM, "PhoneNumber": "6591234567",
           "StatusCallbackUrl": "https://hooks.acme.example/travel/status?token=tr4vel-s3cret"}
    plain = {**ITEM, "PhoneNumber": "6591234568", "UpCallbackUrl": "http://hooks.acme.example/in"}
    out = _render([tok, plain])
    assert out.numbers_with_tokens == ("6591234567",)
    assert out.numbers_with_http == ("6591234568",)
    assert yaml.safe_load(out.text)["spaces"][0]["allow_http_callbacks"] is True
    # the YAML itself must match the space, token included (it is the user's own repository)
    assert "token=tr4vel-s3cret" in out.text


def test_empty_space_and_awkward_text_round_trip() -> None:
    assert yaml.safe_load(_render([]).text)["spaces"][0]["numbers"] == []
    about = 'He said: "yes" # not a comment\nsecond line: {x}'
    number = yaml.safe_load(_render([ITEM], {"8613800001234": {"About": about}}).text)["spaces"][0]["numbers"][0]
    assert number["business_profile"]["about"] == about
