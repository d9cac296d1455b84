"""``cams-reconciler migration send-code PATH... --space NAME --number PHONE``: have WhatsApp send the
verify code for a declared migration to the number's owner (``GetMigrationVerifyCode``).

The first step of the migration loop (docs/gitops.md): send the code, the owner reads it out, an operator
puts it in the variable the YAML names (``migration.verify_code_env``) for the apply job, which verifies and
registers. The code is short-lived (minutes), so send it right before the apply that uses it. The number
must be declared with a ``migration`` block in the YAML: the space and its id come from there, never typed.
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
        "migration", help="migration helpers: send-code (have the verify code sent to the number's owner)",
        description="Steps of a number's migration that the plan/apply loop cannot take for you.")
    sub = parser.add_subparsers(dest="migration_command", metavar="STEP", required=True)
    send = sub.add_parser(
        "send-code", help="send the migration verify code to the number's owner (GetMigrationVerifyCode)",
        description="Ask WhatsApp to send the verify code of a declared migration to the number's owner, "
                    "by SMS or voice call. The code lives only minutes: send it right before the apply "
                    "that verifies (the apply reads it from the variable the YAML's "
                    "migration.verify_code_env names).")
    send.add_argument("paths", nargs="+", metavar="PATH", help="YAML files or directories of spaces")
    send.add_argument("--space", required=True, metavar="NAME", help="the space that declares the number")
    send.add_argument("--number", required=True, metavar="PHONE", help="the number, as declared (E.164)")
    send.add_argument("--method", choices=METHODS, default="sms", help="how the code is sent (default: sms)")
    send.add_argument("--locale", default="en_US", metavar="LOCALE",
                      help="language of the message, e.g. en_US, zh_CN (default: en_US)")
    send.add_argument("--journal", metavar="FILE", default=None,
                      help="the apply journal: a verification of this number recorded there as sent (its code "
                           "spent) is cleared once the new code is on its way; default as for apply")
    add_state_store_argument(send)
    add_lock_timeout_argument(send)
    add_client_arguments(send)
    send.set_defaults(func=run_send_code)


def run_send_code(args: argparse.Namespace) -> int:

    async def send(clients: Any, journal: Any, space: Any, number: Any) -> None:
        await clients.get_migration_verify_code(space.cust_space_id, number.phone_number, locale=args.locale,
                                                method=args.method)
        if journal.spend(space.name, number.phone_number):
            # The spent code's record: the next apply sends a code again, the new one, never the old.
            journal.save()
            print(f"note: the journal's record of an earlier verification of {number.phone_number} (its "
                  "code spent) is cleared: the next apply sends the new code, and refuses the spent one "
                  "should the variable still hold it", file=sys.stderr)

    done = run_step(args, "migration", "{verify_code_env: NAME}", send)
    if done is None:
        return ExitCode.ERROR
    space, number = done
    assert number.migration is not None
    print(f"sent: WhatsApp sends the verify code for {number.phone_number} (space {space.name}) by "
          f"{args.method}. It expires within minutes: put it in ${number.migration.verify_code_env} for the "
          "apply that verifies and registers the number, right away.", file=sys.stderr)
    return ExitCode.OK
