"""``cams-reconciler call``: call one API action and print its response, like the ``aliyun`` CLI.

    cams-reconciler call QueryChatappPhoneNumbers CustSpaceId=293483938849001 [--endpoint URL] [--region R]

Parameters are ``Key=Value`` with the API's names. A list parameter (``Websites``) takes its wire form, a
JSON array: ``Websites='["https://a.example"]'`` (sent as the SDK's compact JSON); a Y/N flag takes ``Y`` or
``N``. A missing required parameter or a malformed value is refused before anything is sent. ``Key=@env:NAME`` reads the value from an environment
variable, so a migration verify code need not appear in shell history or the process list.

The response goes to stdout as indented JSON, with secrets masked (``VerifyCode``-like fields, and every
query value of a callback URL, where tokens live). It goes through the same signing, rate limiting and
retries as every other command. Errors are one ``error: <Code>: <Message> (request id ...)`` line on
stderr and exit 1.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from typing import Any

from reconciler.cli._client_options import ClientSettings, add_client_arguments
from reconciler.cli._state_options import (
    add_lock_timeout_argument,
    add_state_store_argument,
    release_locks,
    run_holding_the_lock,
    timeout_seconds,
)
from reconciler.core.errors import ExitCode, ReconcilerError

ENV_PREFIX = "@env:"


def register(subparsers: Any) -> None:
    from reconciler.client import ACTIONS

    parser = subparsers.add_parser(
        "call", help="call one CAMS/BSS API action and print the JSON response",
        description="Call one API action with Key=Value parameters and print the response JSON. "
                    f"Actions: {', '.join(sorted(ACTIONS))}.")
    parser.add_argument("action", metavar="ACTION", help="API action name, e.g. QueryChatappPhoneNumbers")
    parser.add_argument("params", metavar="Key=Value", nargs="*",
                        help="API parameters by their API names; Key=@env:NAME reads an environment variable")
    add_state_store_argument(parser)
    add_lock_timeout_argument(parser)
    add_client_arguments(parser, example=f"{parser.prog} QueryChatappPhoneNumbers CustSpaceId=293483938849001")
    parser.set_defaults(func=run_call)


def parse_params(action: str, items: list[str]) -> dict[str, str]:
    """``Key=Value`` words → parameters, checked against the action's known and required parameters."""
    from reconciler.client import ACTIONS, get_action
    from reconciler.client.params import encode_params

    if action not in ACTIONS:
        raise ReconcilerError(f"unknown action {action!r}{_did_you_mean(action, ACTIONS)}; known actions: "
                              f"{', '.join(sorted(ACTIONS))}")
    spec = get_action(action)
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ReconcilerError(f"parameter {item!r} is not Key=Value")
        if key not in spec.params:
            known = ", ".join(spec.params) or "none"
            raise ReconcilerError(f"{action} has no parameter {key!r}{_did_you_mean(key, spec.params)}; "
                                  f"its parameters: {known}")
        if key in params:
            raise ReconcilerError(f"parameter {key} given twice")
        if value.startswith(ENV_PREFIX):
            name = value[len(ENV_PREFIX):]
            if name not in os.environ:
                raise ReconcilerError(f"parameter {key} reads environment variable {name}, which is not set")
            value = os.environ[name]
        params[key] = value
    missing = [name for name in spec.required if not params.get(name)]
    if missing:
        raise ReconcilerError(f"{action} needs {', '.join(f'{m}=...' for m in missing)}")
    encode_params(spec, params)  # Y/N flags, JSON lists and objects, integers: refused here, before any call
    return params


def _did_you_mean(word: str, known: Any) -> str:
    """`` (did you mean X?)`` for a near miss: API names are CamelCase and easy to mis-case or misspell."""
    by_lower = {name.lower(): name for name in known}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.75)
    return f" (did you mean {by_lower[close[0]]}?)" if close else ""


def redact_response(value: Any, key: str = "") -> Any:
    """The response with secret fields and callback-URL query values masked, at any depth."""
    from reconciler.common.masking import MASK, mask_url
    from reconciler.core.redact import is_secret_key

    if isinstance(value, dict):
        return {k: redact_response(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_response(v, key) for v in value]
    if key and is_secret_key(key):
        return MASK
    if isinstance(value, str) and key.lower().endswith("url"):
        return mask_url(value)
    return value


async def _call(args: argparse.Namespace, params: dict[str, str]) -> tuple[dict[str, Any], str | None]:
    from reconciler.cli._client_options import open_client
    from reconciler.cli._terminal import Progress
    from reconciler.client import ACTIONS

    writes = ACTIONS[args.action].is_write
    timeout = timeout_seconds(args) if writes else 0.0
    async with open_client(args) as client:
        opened = None
        if writes:  # a write takes the account's lock, as apply does: never beside a running apply
            from reconciler.engine import lock_for_client
            from reconciler.state import choose, open_store

            store = open_store(choose(flag=args.state_store, journal_flag=None, env=os.environ))
            opened = await lock_for_client(client, store, command=f"call {args.action}",
                                           emulator=ClientSettings.from_args(args).emulator, env=os.environ,
                                           lock_timeout=timeout)
        try:
            async with Progress(sys.stderr).ticking(f"calling {args.action}", client):
                body = await client.call(args.action, params)
        finally:
            if opened is not None:
                release_locks(opened)
        total = client.stats.total()
        note = client.stats.summary_line() if total.retries or total.throttled else None
        return body, note


def run_call(args: argparse.Namespace) -> int:
    import asyncio

    from reconciler.client import ACTIONS

    params = parse_params(args.action, args.params)
    if ACTIONS[args.action].is_write:  # it takes the lock: SIGTERM must let it give the lock back
        body, note = run_holding_the_lock(f"call {args.action}", _call(args, params))
    else:
        body, note = asyncio.run(_call(args, params))
    json.dump(redact_response(body), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    if note:
        print(note, file=sys.stderr)  # the API pushed back: say how much
    return ExitCode.OK
