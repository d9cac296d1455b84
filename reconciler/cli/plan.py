"""``cams-reconciler plan``: read the actual state of the declared spaces, diff, and show the plan.

Read-only by construction: the engine only issues QueryChatappPhoneNumbers, QueryPhoneBusinessProfile and
GetCustomerAccountInfo, so the command runs with a read-only key on untrusted pull requests.

Exit codes (Terraform's): 0 success whether or not there are changes, 1 error; with
``--detailed-exitcode``: 2 only when apply would write something (``Plan.has_writes``), 0 when it would
write nothing (report-only findings such as drift or unmanaged numbers are ``drift``'s business), 1 error. A space that could not be read (or a failed strict account check) is an error, and so
is a plan that apply would refuse (a frozen account, ``unmanaged_numbers: error`` findings, a webhook
threshold breach without ``--force``): the whole plan is still printed (and written by ``--out``), saying
why, then the exit is 1, whatever the flags — the PR check fails for the reason apply would give.
``--force`` records the threshold override in the plan, where the reviewer sees and approves it. ``drift`` (``cli/drift.py``) reuses everything here with its
own exit rule.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from reconciler.cli._client_options import add_client_arguments
from reconciler.cli._selection import add_selection_arguments
from reconciler.cli._state_options import add_state_store_argument
from reconciler.cli._terminal import live_terminal  # noqa: F401 - live_terminal: its old home
from reconciler.core.defaults import JOURNAL_PATH as DEFAULT_JOURNAL
from reconciler.core.errors import ExitCode
from reconciler.render import DEFAULT_FORMAT, FORMATS, format_help, github_link_base

# Registering the parser (``--help``, a completion request) needs only the names above; the YAML loader, the
# engine, the client, the state store and the renderers load when the command runs (benchmarks/startup.py).
if TYPE_CHECKING:
    from reconciler.core.model import DesiredState
    from reconciler.core.plan import Plan
    from reconciler.core.provenance import Provenance

#: The names ``cli/drift.py`` returns (the codes are ``reconciler.core.errors.ExitCode``'s).
EXIT_OK, EXIT_ERROR, EXIT_CHANGES = ExitCode.OK, ExitCode.ERROR, ExitCode.CHANGES
JOURNAL_ENV = "CAMS_RECONCILER_JOURNAL"


def add_plan_arguments(parser: argparse.ArgumentParser, *, command: str = "plan") -> None:
    """The arguments ``plan`` and ``drift`` share, in each one's words: ``drift`` checks, it plans nothing
    (no ``--retry-sync``, no ``--changed-since``: a drift check covers every selected space)."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="YAML files or directories of spaces")
    parser.add_argument("--format", choices=FORMATS, default=DEFAULT_FORMAT, help=f"output format: {format_help()}")
    if command == "drift":
        parser.add_argument("--out", metavar="FILE",
                            help="also write what was read and found to FILE as JSON (atomically; the plan "
                                 "document `show` renders)")
        parser.add_argument("--target", action="append", metavar="NAME",
                            help="check only this space (repeatable)")
        add_selection_arguments(parser, "check")
        parser.set_defaults(changed_since=None, retry_sync=False)
    else:
        parser.add_argument("--out", metavar="FILE",
                            help="also write the JSON plan to FILE (atomically), for apply --plan")
        parser.add_argument("--target", action="append", metavar="NAME",
                            help="plan only this space (repeatable)")
        add_selection_arguments(parser, "plan")
        parser.add_argument("--changed-since", metavar="GITREF",
                            help="plan only the spaces whose YAML differs from GITREF (e.g. origin/main)")
    add_journal_arguments(parser, retry_sync=command != "drift")
    add_link_base_argument(parser)
    add_client_arguments(parser)


def add_journal_arguments(parser: argparse.ArgumentParser, *, retry_sync: bool = True) -> None:
    add_state_store_argument(parser)
    parser.add_argument("--journal", metavar="FILE", default=None,
                        help="today's journal file (what earlier applies left unfinished): a dir: state store at "
                             f"FILE's folder, FILE adopted into it (default {DEFAULT_JOURNAL}; env {JOURNAL_ENV}; "
                             "--state-store wins)")
    if retry_sync:
        parser.add_argument("--retry-sync", action="store_true",
                            help="plan a sync again for numbers an earlier sync did not bring in")


def note_discarded_writes(args: argparse.Namespace) -> None:
    """Writes to the in-process emulator (``--emulator``) last as long as the command: say so, once."""
    if getattr(args, "emulator", None):
        print(f"note: --emulator runs an in-process emulator from {args.emulator}; every change it accepts is "
              "discarded when this command exits (for a lasting one: `cams-reconciler emulator --state FILE`)",
              file=sys.stderr)


def journal_path(args: argparse.Namespace) -> str:
    return args.journal or os.environ.get(JOURNAL_ENV) or str(DEFAULT_JOURNAL)


def add_link_base_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--link-base", metavar="URL",
                        help="markdown links to YAML lines point under URL (e.g. "
                             "https://github.com/OWNER/REPO/blob/SHA); default inside GitHub Actions: "
                             "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/$GITHUB_SHA, else relative links")


def link_base(args: argparse.Namespace) -> str | None:
    return args.link_base or github_link_base(os.environ)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "plan", help="show what apply would change (read-only)",
        description="Read the actual state of the declared spaces (read-only API calls only), diff it "
                    "with the YAML and show the changes. Exit 0 (1 on error); with --detailed-exitcode "
                    "2 = apply would write something, 0 = it would write nothing (report-only findings "
                    "are drift's business), 1 = error. A space that cannot be read is shown with its "
                    "error among the others, then the exit is 1.")
    add_plan_arguments(parser)
    parser.add_argument("--detailed-exitcode", action="store_true",
                        help="exit 2 when apply would write something, 0 when it would write nothing "
                             "(report-only findings: see `drift`)")
    parser.add_argument("--force", action="store_true",
                        help="record an override of the webhook-update safety threshold in the plan, shown "
                             "in every format for the reviewer; apply --plan of it re-asserts it with --force (never "
                             "overrides a frozen account or unmanaged_numbers: error)")
    parser.set_defaults(func=run_plan)


def run_plan(args: argparse.Namespace) -> int:
    plan = compute_plan(args)
    if plan is None:
        return ExitCode.ERROR
    emit(plan, args)
    if plan.failed:  # after the output: the other spaces' findings are the point of a partial plan
        return ExitCode.ERROR
    if plan.apply_would_refuse:  # after the output, which says why: the PR check fails for that reason
        from reconciler.render.describe import refusal
        from reconciler.render.escape import printable  # a blocker names the API's numbers

        for blocker in plan.refusals:
            print(f"error: apply would refuse this plan: {printable(refusal(blocker))}", file=sys.stderr)
        return ExitCode.ERROR
    if args.detailed_exitcode and plan.has_writes:
        return ExitCode.CHANGES
    return ExitCode.OK


# -- shared with drift ---------------------------------------------------------------------------------

def load(paths: list[str]) -> DesiredState | None:
    """Load the YAML and resolve its ``${env:NAME}`` references (an unset variable is a problem at its
    line), printing every problem as ``file:line:col: error: ...`` (no traceback)."""
    from reconciler.config import ConfigError, load_desired_state
    from reconciler.config.env_refs import resolve_references

    try:
        return resolve_references(load_desired_state(paths), os.environ)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return None


def compute_plan(args: argparse.Namespace, observe: Any = None) -> Plan | None:
    """Load, scope, fetch and diff. ``None`` after a configuration error (already printed). ``observe``:
    ``make_plan``'s, called with each space read."""
    import asyncio
    import dataclasses

    from reconciler.cli._selection import selected_spaces
    from reconciler.cli._state_options import open_state_store
    from reconciler.config.loader import run_inputs
    from reconciler.core.plan import Scope
    from reconciler.engine import compare_with_ref
    from reconciler.files import check_output

    if args.out:
        check_output(args.out, run_inputs(args.paths, getattr(args, "emulator", None), journal_path(args)),
                     "--out")  # fail before the reads, not after them
    desired = load(args.paths)
    if desired is None:
        return None
    args.desired_state = desired  # drift reads its acknowledgements and endpoint checks from it
    args.selected = selected_spaces(args, desired)  # --account, --target, --exclude (None: every space)
    only: set[str] | None = None
    if args.changed_since:
        scope = compare_with_ref(args.changed_since, args.paths, desired)
        only = set(scope.changed)
        for name in sorted(scope.removed):
            print(f"note: space {name} was removed since {args.changed_since}; plan never deletes, "
                  "so nothing is planned for it", file=sys.stderr)
        if not only:
            print(f"note: no space changed since {args.changed_since}", file=sys.stderr)
    choice, store = open_state_store(args, desired)
    plan = asyncio.run(_fetch_and_diff(args, desired, only, choice, store, observe))
    if args.changed_since:  # the plan says what it covers: a reviewer must not read "in sync" for "not read"
        plan = dataclasses.replace(plan, scope=Scope(args.changed_since, len(desired.spaces)))
    return dataclasses.replace(plan, env_digest=reference_digest(plan, desired, announce=True))


def reference_digest(plan: Plan, desired: DesiredState, *, announce: bool = False) -> str | None:
    """The plan-key digest of the ``${env:NAME}`` values the planned spaces reference (None without the key
    or without references). With neither key set, ``announce`` says plainly what cannot be detected."""
    from reconciler.config.env_refs import referenced_values
    from reconciler.core.secret_url import FINGERPRINT_KEY_ENV
    from reconciler.engine import PLAN_KEY_ENV, env_digest

    values = referenced_values(desired, {s.name for s in plan.spaces})
    if not values:
        return None
    key = os.environ.get(PLAN_KEY_ENV)
    if announce and not key and not os.environ.get(FINGERPRINT_KEY_ENV):
        print(f"note: the planned spaces reference ${{env:...}} values ({', '.join(sorted(values))}), and neither "
              f"{PLAN_KEY_ENV} nor {FINGERPRINT_KEY_ENV} is set: a token rotated between this plan and its apply "
              "cannot be detected", file=sys.stderr)
    return env_digest(values, key) if key else None


async def _fetch_and_diff(args: argparse.Namespace, desired: DesiredState, only: set[str] | None,
                          choice: Any, store: Any, observe: Any = None) -> Plan:
    import dataclasses

    from reconciler.cli._client_options import ClientSettings, open_clients
    from reconciler.cli._terminal import Progress
    from reconciler.engine import Journal, SentRecords, make_plan, open_run_state

    async with open_clients(args, desired) as client:
        # a reader: the account checks name the targets; no lock is taken or waited for
        opened = await open_run_state(client, desired, store, choice, targets=args.selected, only=only,
                                      emulator=ClientSettings.from_args(args).emulator, env=os.environ)
        args.run_state = opened.state  # drift keeps its transitions there
        journal = Journal.open(opened.state)
        recorded = SentRecords(opened.state, desired).load()
        progress = Progress(sys.stderr)
        try:
            plan = await make_plan(client, desired, targets=args.selected, only=only, env=os.environ,
                                   progress=progress.counter("reading spaces", client) if progress.enabled
                                   else None, force=getattr(args, "force", False), journal=journal,
                                   retry_sync=args.retry_sync, checked=opened.checked, recorded=recorded,
                                   observe=observe)
        finally:
            progress.clear()
        stats = getattr(client, "stats", None)
        if stats is not None:
            total = stats.total()
            if total.retries or total.throttled:  # only worth a line when the API pushed back
                print(stats.summary_line(), file=sys.stderr)
        plan = dataclasses.replace(plan, provenance=plan_provenance(client, plan, args))
    return plan


def plan_provenance(clients: Any, plan: Plan, args: argparse.Namespace) -> Provenance:
    """What the plan is for: this tool, now, the YAML's commit, and for each account whose spaces it covers
    (an ``AccountClients`` maps its name to its client; every account for a plan of no space) the region and
    endpoint read. The in-process emulator is named by its
    state file (its port changes every run). The ambient role's ARN gives the ``default`` account's id; the
    account check's ``Mpk`` gives any account's."""
    from collections.abc import Mapping
    from pathlib import Path

    from reconciler.cli._client_options import ClientSettings
    from reconciler.core.defaults import DEFAULT_ACCOUNT
    from reconciler.provenance import collect, target

    first = Path(args.paths[0]) if args.paths else Path.cwd()
    where = first if first.is_dir() else first.parent
    emulator = ClientSettings.from_args(args).emulator
    data = plan.preflight.data
    # One account checked (one client, or an --account selection of one): its preflight's data is its own.
    checked = {s.account for s in plan.spaces}
    only = next(iter(checked)) if len(checked) == 1 else None if len(clients) != 1 else next(iter(clients))
    targets = []
    for name, client in clients.items():
        if checked and name not in checked:  # an account this run did not read (another matrix job's)
            continue
        account_data = data.get(name) if isinstance(data.get(name), Mapping) else data if name == only else {}
        targets.append(target(account=name, region=client.region,
                              endpoint=f"emulator:{emulator}" if emulator else client.cams_endpoint,
                              env=os.environ if name == DEFAULT_ACCOUNT else {}, preflight_data=account_data))
    return collect(targets, env=os.environ, cwd=where)


def saved_plan_text(plan: Plan) -> str:
    """The file ``--out`` writes: the JSON plan, signed when ``CAMS_RECONCILER_PLAN_KEY`` is set
    (``engine.plan_signing``)."""
    from reconciler.engine import PLAN_KEY_ENV
    from reconciler.render.json_plan import render_json

    key = os.environ.get(PLAN_KEY_ENV)
    if not key:
        return render_json(plan)
    import json

    from reconciler.engine import sign

    return json.dumps(sign(plan.to_dict(), key), indent=2, ensure_ascii=False) + "\n"


def emit(plan: Plan, args: argparse.Namespace, *, report: str = "plan") -> None:
    """Write ``--out``, print the plan (or the drift report) on stdout, and the calls line on stderr for
    machine formats."""
    from pathlib import Path

    from reconciler.files import write_atomically
    from reconciler.render import get_format, render
    from reconciler.render.describe import calls_line, errors_line

    if args.out:
        write_atomically(Path(args.out), saved_plan_text(plan))
    sys.stdout.write(render(plan, args.format, plan_json_path=args.out, link_base=link_base(args), report=report,
                            color=getattr(args, "color", False), verbose=bool(getattr(args, "verbose", 0))))
    sys.stdout.flush()
    view = get_format(args.format)
    if view.machine_readable:
        print(calls_line(plan), file=sys.stderr)  # stdout stays machine-readable
    error = errors_line(plan)
    if error and not view.read_as_printed:  # text says it on stdout; a CI log shows stderr for the others
        print(f"error: {error.removeprefix('Error: ')}", file=sys.stderr)
