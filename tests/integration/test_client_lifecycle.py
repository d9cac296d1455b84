"""The client's typed methods for a number's life, against the emulator over loopback HTTP (onboarding,
usernames, archive), and the shape checks of the two username reads against answers the emulator would
never give (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from reconciler.client import CamsClient, Credentials
from reconciler.core.answers import MalformedAnswerError

SPACE, NUMBER, SECOND = "293483938849001", "8613800001234", "8613800001235"


def test_onboarding_and_usernames_through_the_typed_methods(emulator: Any, example_state: dict[str, Any]) -> None:
    emu = emulator(example_state, qps=0)

    async def run() -> tuple[str, str, dict[str, str], list[str], dict[str, str]]:
        async with CamsClient(Credentials(*emu.credentials), endpoint=emu.url, qps=1000) as client:
            await client.add_phone_number(SPACE, "65", "81110042", "Acme Singapore")
            await client.get_chatapp_verify_code(SPACE, "6581110042", "en_US", "SMS")
            before = await client.verification_status(SPACE, "6581110042")
            code = emu.backend.sent_verify_codes(SPACE, "6581110042")[0]["Code"]
            await client.verify_and_register(SPACE, "6581110042", code)
            after = await client.verification_status(SPACE, "6581110042")
            await client.update_username(SPACE, NUMBER, "acme.support")
            await client.update_username(SPACE, SECOND, "acme.support", transfer=True)
            moved = await client.get_username(SPACE, SECOND)
            suggestions = await client.username_suggestions(SPACE, NUMBER)
            await client.delete_username(SPACE, SECOND)
            return before, after, moved, suggestions, await client.get_username(SPACE, SECOND)

    before, after, moved, suggestions, gone = asyncio.run(run())
    assert (before, after) == ("NOT_VERIFIED", "VERIFIED")
    assert moved == {"Username": "acme.support", "Status": "reserved"} and gone == {}
    assert suggestions and "acme.support" not in suggestions


@pytest.mark.parametrize(("action", "data", "field"), [
    ("GetWhatsappUserName", ["acme"], "Data"),
    ("GetWhatsappUserName", {"Username": ["acme"], "Status": "approved"}, "Data.Username"),
    ("GetWhatsappUserNameSuggestions", {"acme": 1}, "Data"),
    ("GetWhatsappUserNameSuggestions", ["acme", None], "Data[1]"),
])
def test_a_malformed_username_answer_is_an_error_naming_the_field(action: str, data: Any, field: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"Code": "OK", "RequestId": "R-1", "Data": data})

    async def run() -> Any:
        async with CamsClient(Credentials("AKID", "secret"), transport=httpx.MockTransport(answer)) as client:
            if action == "GetWhatsappUserName":
                return await client.get_username(SPACE, NUMBER)
            return await client.username_suggestions(SPACE, NUMBER)

    with pytest.raises(MalformedAnswerError) as info:
        asyncio.run(run())
    assert field in str(info.value) and "R-1" in str(info.value)
    json.dumps(str(info.value))  # one printable line
