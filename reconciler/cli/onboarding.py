"""``cams-reconciler onboarding send-code PATH... --space NAME --number PHONE``: have WhatsApp send a new
registration code for a number being onboarded (``GetChatappVerifyCode``), outside apply.

Twin of ``migration send-code``. The plan asks for the first code itself (a reviewed ``request-code``
step); this command is for the operator who needs another one: the code expired before it was used, it
never arrived, or it should come by voice this time. The number must be declared with an ``onboarding``
block, and added already (listed in its space, not yet verified). The request is written ahead in the
journal (saved before the code is asked for: if it cannot be saved, nothing is sent), so the next plan
knows a code is on its way and says "set $VAR"; a code sent in a verification whose outcome was lost is
recorded as spent, and never sent again.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.cli._client_options import add_client_arguments
from reconciler.cli._declared import run_step
from reconciler.cli._state_options import add_lock_timeout_argument, add_state_store_argument
from reconciler.core.errors import ExitCode

METHODS = ("sms", "voice")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "onboarding", help="onboarding helpers: send-code (have a new registration code sent to a new number)",
        description="Steps of a brand-new number's onboarding that the plan/apply loop cannot take for you.")
    sub = parser.add_subparsers(dest="onboarding_command", metavar="STEP", required=True)
    send = sub.add_parser(
        "send-code", help="send a new registration code to a number being onboarded (GetChatappVerifyCode)",
        description="Ask WhatsApp to send a new registration code to a number that is being onboarded (added, "
                    "not verified), by SMS or voice call; the code sent before is void. Then set the variable "
                    "the YAML's onboarding.verify_code_env names, and apply verifies and registers the number.")
    send.add_argument("paths", nargs="+", metavar="PATH", help="YAML files or directories of spaces")
    send.add_argument("--space", required=True, metavar="NAME", help="the space that declares the number")
    send.add_argument("--number", required=True, metavar="PHONE", help="the number, as declared (E.164)")
    send.add_argument("--method", choices=METHODS, default=None,
                      help="how the code is sent (default: the YAML's onboarding.method)")
    send.add_argument("--locale", default=None, metavar="LOCALE",
                      help="language of the message, e.g. en_US (default: the YAML's onboarding.locale)")
    send.add_argument("--journal", metavar="FILE", default=None,
                      help="the apply journal, where the request is written ahead; default as for apply")
    add_state_store_argument(send)
    add_lock_timeout_argument(send)
    add_client_arguments(send)
    send.set_defaults(func=run_send_code)


def run_send_code(args: argparse.Namespace) -> int:

    from reconciler.core.answers import MalformedAnswerError
    from reconciler.core.client_errors import ApiError, ServerError
    from reconciler.engine import TargetError
    from reconciler.kinds import onboarding as steps

    async def send(clients: Any, journal: Any, space: Any, number: Any) -> None:
        phone, (method, locale) = number.phone_number, _how(args, number)
        listed = {n.get("PhoneNumber"): n for n in await clients.query_phone_numbers(space.cust_space_id)}
        item = listed.get(phone)
        if item is None:
            raise TargetError(f"{phone} is not in space {space.name} yet: apply adds it first (the plan "
                              "shows add-number), then asks for its code")
        if steps.verified(item):
            raise TargetError(f"{phone} is verified already (CodeVerificationStatus VERIFIED): no code is "
                              "needed")
        before = steps.before_code_request(journal, space.name, space.cust_space_id, phone, method, locale)
        try:
            await clients.for_space(space.cust_space_id).get_chatapp_verify_code(
                space.cust_space_id, phone, locale, method.upper())
        except (ServerError, MalformedAnswerError):
            raise  # it may have landed: the record written ahead stays (a code may be on its way)
        except ApiError:  # refused: no new code is on its way
            steps.code_not_sent(journal, space.name, space.cust_space_id, phone, before)
            raise
        steps.code_sent(journal, space.name, space.cust_space_id, phone, method, locale)

    done = run_step(args, "onboarding", "{display_name: ..., verify_code_env: NAME}", send)
    if done is None:
        return ExitCode.ERROR
    space, number = done
    assert number.onboarding is not None
    method, locale = _how(args, number)
    print(f"sent: WhatsApp sends a registration code for {number.phone_number} (space {space.name}) "
          f"{steps.how_sent(method, locale)}; the code sent before is void. Put it in "
          f"${number.onboarding.verify_code_env}, then apply verifies and registers the number.", file=sys.stderr)
    return ExitCode.OK


def _how(args: argparse.Namespace, number: Any) -> tuple[str, str]:
    """The method and locale of the code: the options', else the YAML's ``onboarding`` block's."""
    return args.method or number.onboarding.method, args.locale or number.onboarding.locale
