"""``cams-reconciler policy --for plan|drift|import|apply``: the least-privilege RAM policy each run needs.

Plan and drift only read (they run with a read-only key on untrusted pull requests); apply adds the writes
it makes. The actions come from the client's registry (``reconciler.client.actions``), checked to be reads
or writes as claimed, so the policy and the client cannot disagree.
"""

from __future__ import annotations

import argparse
import json
from functools import cache
from typing import TYPE_CHECKING, Any

from reconciler.core.errors import ExitCode

if TYPE_CHECKING:
    from reconciler.client.actions import ActionSpec

#: The commands a policy can be printed for (``--for``); their actions are ``actions_by_command()``'s.
POLICY_COMMANDS = ("apply", "drift", "drift-attribution", "import", "migration", "plan")
#: Commands that must never need a write permission (they run with read-only keys).
READ_ONLY_COMMANDS = frozenset({"plan", "drift", "drift-attribution", "import"})


@cache
def actions_by_command() -> dict[str, tuple[str, ...]]:
    """The API actions each command calls. Plan/drift: the number list, every kind's read (``engine.actual``,
    from the catalogue) and the account (``engine.preflight``). Import: the list and the kinds' reads. Apply:
    it plans first, then calls what ``engine.apply`` calls (its re-reads and the kinds' writes). Built when
    asked (the catalogue is not loaded for ``--help``)."""
    from reconciler import kinds as catalogue
    from reconciler.engine import apply_actions

    # (membership's reads: the number list, and GetPhoneNumberVerificationStatus for a migration the journal
    # records as sent and the list lacks)
    plan = tuple(dict.fromkeys(("QueryChatappPhoneNumbers", *catalogue.read_actions(), "GetCustomerAccountInfo")))
    imported = tuple(dict.fromkeys(("QueryChatappPhoneNumbers", *(a for k in catalogue.kinds() if k.importer is not None
                                                                  for a in k.api.read_actions()))))
    return {
        "plan": plan,
        "drift": plan,
        "drift-attribution": (*plan, "LookupEvents"),  # drift --attribution: who changed a webhook or profile
        "import": imported,
        "apply": tuple(dict.fromkeys(plan + apply_actions())),
        "migration": ("GetMigrationVerifyCode",),  # migration send-code
    }


def ram_action(spec: ActionSpec) -> str:
    """``cams:<Action>``; for an API whose product documents no RAM action (BSS GetCustomerAccountInfo),
    ``<product>:<Action>`` by the same convention."""
    return spec.ram_action or f"{spec.product.value}:{spec.name}"


def policy_actions(command: str) -> list[str]:
    """The RAM actions ``command`` needs, sorted. Every name is looked up in the registry (an unknown one
    fails loudly), and a read-only command holding a write action is a bug, not a policy."""
    from reconciler.client.actions import get_action

    specs = [get_action(a) for a in actions_by_command()[command]]
    writes = [s.name for s in specs if s.is_write]
    if command in READ_ONLY_COMMANDS and writes:
        raise AssertionError(f"{command} must only read, but lists {', '.join(writes)}")
    return sorted(ram_action(s) for s in specs)


def policy_document(command: str) -> dict[str, Any]:
    return {"Version": "1",
            "Statement": [{"Effect": "Allow", "Action": policy_actions(command), "Resource": "*"}]}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "policy", help="print the least-privilege RAM policy a command needs",
        description="Print the RAM policy document (JSON) that allows exactly the API actions a command calls.")
    parser.add_argument("--for", dest="command", required=True, choices=POLICY_COMMANDS,
                        help="the command the policy is for (plan and drift only read)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(policy_document(args.command), indent=2))
    return ExitCode.OK
