"""``cams-reconciler drift``: the same read and diff as ``plan``, for scheduled checks.

Exit 0 when everything is in sync, 2 when anything differs (a change to make, a drift or unmanaged
finding, or a frozen account), 1 on error. A space that cannot be read is an error, and 1 beats 2: the
report still shows every other space's findings (a scheduled job over 200 spaces keeps its report), but
the job fails so the unread space is not mistaken for "in sync". Read-only: a read-only key is enough.

Over time (docs/drift.md): ``--state FILE`` compares with the previous run (new, changed, ongoing, resolved)
and saves this run's findings for the next; ``acknowledge:`` entries in a space's YAML stop a known finding
from failing the job until their ``until`` date; ``--fail-on new`` fails only on what is new. A space's
``endpoint_checks:`` adds probes of its callback URLs. ``--issues-out`` writes the GitHub issue operations
(one issue per space) for the workflow to carry out; ``--notify-url-env`` posts new and resolved findings to
a chat webhook.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from typing import Any

from reconciler.cli._merge import add_merge_arguments
from reconciler.cli.plan import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, add_plan_arguments, compute_plan, emit, link_base

FAIL_ON = ("any", "new", "none")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "drift", help="check that the real state matches the YAML (read-only)",
        description="Read the actual state and report every difference. Exit 0 in sync, 2 on any change "
                    "or finding, 1 on error (also when a space could not be read: the others are still "
                    "reported). Acknowledged findings (acknowledge: in a space's YAML) do not fail the run "
                    "until their date passes; --fail-on new fails only on findings new since --state.")
    add_plan_arguments(parser, command="drift")
    add_merge_arguments(parser, "drift reports written by `drift --out`", selection=False)
    group = parser.add_argument_group("drift over time")
    group.add_argument("--state", metavar="FILE",
                       help="the previous run's findings (a drift state file, or a drift --format json report); "
                            "this run's are written back to FILE. A missing FILE is a first run")
    group.add_argument("--fail-on", choices=FAIL_ON, default="any",
                       help="exit 2 on any finding not acknowledged (default), only on new or changed ones "
                            "(new), or never (none: report only)")
    group.add_argument("--now", metavar="ISO-TIME", type=_parse_now,
                       help="the time of this run (default: now), for acknowledgement dates and the state; "
                            "for replays and tests, e.g. 2026-12-02T06:00:00Z")
    group.add_argument("--no-endpoint-checks", action="store_true",
                       help="skip the endpoint_checks: the YAML asks for (DNS, TLS, HTTP probes of callback URLs)")
    group.add_argument("--issues-out", metavar="FILE",
                       help="write the GitHub issue operations (one issue per space: open, update, close) as JSON "
                            "for the workflow to carry out with gh; with --merge, the account jobs' issues files "
                            "given among the pieces, joined")
    group.add_argument("--issue-label", metavar="LABEL", default="cams-drift",
                       help="the label that marks the drift issues (default cams-drift)")
    group.add_argument("--notify-url-env", metavar="NAME",
                       help="post new and resolved findings to the chat webhook whose URL is in env NAME "
                            "(never printed); nothing is posted when nothing is new or resolved")
    group.add_argument("--notify-format", choices=("slack", "dingtalk", "lark"), default="slack",
                       help="the chat webhook's message format (default slack)")
    group.add_argument("--attribution", action="store_true",
                       help="for a webhook or profile changed since the last run, ask ActionTrail (LookupEvents) "
                            "who changed it; the role needs actiontrail:LookupEvents (`policy --for "
                            "drift-attribution`); off by default")
    parser.set_defaults(func=run_drift)


def _parse_now(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid time {text!r}: expected ISO 8601, e.g. 2026-12-02T06:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def run_drift(args: argparse.Namespace) -> int:
    import dataclasses

    if args.merge:
        return _run_merge(args)
    if args.yaml:
        print("error: --yaml goes with --merge", file=sys.stderr)
        return EXIT_ERROR

    from reconciler.engine import DriftStateError, load_state, plan_drift

    now: dt.datetime = args.now or dt.datetime.now(dt.UTC)
    previous = None
    if args.state:
        try:
            previous = load_state(args.state)  # before the reads: a bad state file fails fast
        except DriftStateError as exc:
            print(f"error: --state {exc}", file=sys.stderr)
            return EXIT_ERROR
        if previous is None:
            print(f"note: {args.state} does not exist yet: a first run, every finding is new", file=sys.stderr)
    if args.notify_url_env and args.notify_url_env not in os.environ:
        print(f"error: --notify-url-env {args.notify_url_env}: the variable is not set", file=sys.stderr)
        return EXIT_ERROR
    if args.notify_url_env and not os.environ[args.notify_url_env]:  # a workflow's unset secret is ""
        print(f"note: ${args.notify_url_env} is empty: no chat notification is sent", file=sys.stderr)
        args.notify_url_env = None
    for name in ("issues_out",):
        if getattr(args, name):
            from reconciler.config.loader import run_inputs
            from reconciler.files import check_output
            check_output(getattr(args, name), run_inputs(args.paths, getattr(args, "emulator", None)),
                         "--" + name.replace("_", "-"))
    from reconciler.engine import health_snapshot

    health: dict[str, Any] = {}  # space → its numbers' health this run, for the state's history

    def observe(name: str, seen: Any) -> None:
        health[name] = health_snapshot(seen.numbers)

    plan = compute_plan(args, observe=observe)
    if plan is None:
        return EXIT_ERROR
    desired = args.desired_state
    plan = _without_unknown(plan)
    extra = [] if args.no_endpoint_checks else _endpoint_findings(plan, desired)
    if extra:
        plan = dataclasses.replace(plan, changes=plan.changes + tuple(extra))
    in_store = not args.state and _store_keeps_transitions(args)
    if in_store:
        from reconciler.engine import load_drift_state_from_store
        try:
            previous = load_drift_state_from_store(args.run_state)
        except DriftStateError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        if previous is None:
            print(f"note: no drift state in {args.run_state.store.url} for this target yet: a first run, every "
                  "finding is new", file=sys.stderr)
    over_time = bool(args.state) or in_store or any(s.acknowledge for s in desired.drift.values())
    if not over_time:
        emit(plan, args, report="drift")
        if plan.failed:
            return EXIT_ERROR
        # The definition the report's table and summary count with (``engine.drift``): they cannot disagree.
        return EXIT_CHANGES if plan_drift(plan).total and args.fail_on != "none" else EXIT_OK
    return _over_time(plan, args, desired, previous, now, health)


def _run_merge(args: argparse.Namespace) -> int:
    """``drift --merge PIECE... --yaml PATH``: the pieces (``drift --out`` of each account's job) as one report
    (with ``--issues-out``, their issues files as one), with drift's exit code: 1 when a space could not be
    read, else 2 when a finding the YAML does not acknowledge is there, else 0."""
    from reconciler.cli._merge import merged
    from reconciler.engine import MergeError, is_issues, plan_drift

    # Each account's job writes its issue operations (``--issues-out``) beside its report, from its own
    # previous findings: given among the pieces, they are joined into the run's one issues file.
    issues = [p for p in args.paths if is_issues(p)]
    if bool(issues) != bool(args.issues_out):
        raise MergeError("with --merge, --issues-out joins the account jobs' issues files (each job's "
                         "drift --issues-out) given among the pieces: give both, or neither")
    if args.issues_out:
        from reconciler.config.loader import run_inputs
        from reconciler.files import check_output
        check_output(args.issues_out, [*args.paths, *run_inputs(args.yaml or [])], "--issues-out")
    plan, desired = merged(args, [p for p in args.paths if p not in issues])
    # the merged report first: a refusal of the issues files must not take the fleet's drift report with it
    emit(plan, args, report="drift")
    if args.issues_out:
        from reconciler.engine import merge_issues, write_operations
        write_operations(args.issues_out, merge_issues(issues, plan))
    if plan.failed:
        return EXIT_ERROR
    if args.fail_on == "none":
        return EXIT_OK
    if not any(s.acknowledge for s in desired.drift.values()):
        return EXIT_CHANGES if plan_drift(plan).total else EXIT_OK
    # The YAML's acknowledgements hold back what they cover, as each account's job judged it (there is no
    # previous run here: --fail-on new counts every finding not acknowledged).
    from reconciler.engine import acknowledge_findings
    from reconciler.render import drift_report

    now: dt.datetime = args.now or dt.datetime.now(dt.UTC)
    acked = acknowledge_findings(drift_report.findings_of(plan), desired.drift, now.astimezone(dt.UTC).date(),
                                 [s.name for s in plan.spaces if not s.errored])
    open_findings = [f for f in acked.findings if f.address not in acked.by_address]
    return EXIT_CHANGES if open_findings else EXIT_OK


def _without_unknown(plan: Any) -> Any:
    """What no API reads back and no record covers for this target is unknown: a notice, never drift (and
    not in the report's findings)."""
    import dataclasses

    from reconciler.engine import unknown_change

    unknown = [c for c in plan.changes if unknown_change(c)]
    for change in unknown:
        print(f"note: {change.ref}: unknown ({change.reason}); not counted as drift", file=sys.stderr)
    return dataclasses.replace(plan, changes=tuple(c for c in plan.changes if c not in unknown)) if unknown else plan


def _store_keeps_transitions(args: argparse.Namespace) -> bool:
    """Drift keeps its transitions in a store asked for by name (``--state-store``, its variable, the YAML's
    ``state_store:``); the default directory keeps none, as before (``--state FILE`` keeps them in FILE)."""
    from reconciler.cli._state_options import store_choice

    return getattr(args, "run_state", None) is not None and store_choice(args, args.desired_state).explicit


def _endpoint_findings(plan: Any, desired: Any) -> list[Any]:
    import asyncio

    if not any(s.checks_endpoints for s in desired.drift.values()):
        return []
    from reconciler.engine import endpoint_changes
    return asyncio.run(endpoint_changes(plan, desired))


async def _attribute(args: argparse.Namespace, desired: Any, plan: Any, transitions: Any) -> Any:
    from reconciler.cli._client_options import open_clients
    from reconciler.engine import attribute

    async with open_clients(args, desired) as clients:
        return await attribute(clients, {s.name: s.account for s in plan.spaces},
                               {s.name: s.cust_space_id for s in plan.spaces}, transitions)


def _over_time(plan: Any, args: argparse.Namespace, desired: Any, previous: Any, now: dt.datetime,
               health: Any = None) -> int:
    import asyncio
    from pathlib import Path

    from reconciler.engine import acknowledge_findings, compare, save_state
    from reconciler.render import drift_report

    read = [s.name for s in plan.spaces if not s.errored]
    acked = acknowledge_findings(drift_report.findings_of(plan), desired.drift, now.astimezone(dt.UTC).date(), read)
    transitions, state = compare(acked.findings, acked.by_address, previous, read, now, health=health)
    if args.attribution:
        transitions = asyncio.run(_attribute(args, desired, plan, transitions))
    if args.format == "json":
        from reconciler.files import write_atomically
        from reconciler.render.json_plan import render_json
        if args.out:
            write_atomically(Path(args.out), render_json(plan))
        sys.stdout.write(drift_report.render_json(plan, transitions, state.to_dict(), acked.unused))
    else:
        emit(plan, args, report="drift")
        verbose = bool(getattr(args, "verbose", 0))
        if args.format == "text":
            sys.stdout.write("\n" + drift_report.render_text(transitions, acked.unused, verbose=verbose))
        elif args.format == "markdown":
            sys.stdout.write(drift_report.render_markdown(transitions, acked.unused, verbose=verbose))
        else:
            sys.stdout.write(drift_report.render_github(transitions))
    if args.state:
        save_state(args.state, state)
    elif _store_keeps_transitions(args):
        from reconciler.engine import save_drift_state_to_store
        save_drift_state_to_store(args.run_state, state, {*read, *(f.space for f in acked.findings)})
    if args.issues_out:
        from reconciler.engine import issue_operations, write_operations
        write_operations(args.issues_out, issue_operations(
            transitions, plan, label=args.issue_label, link_base=link_base(args),
            health={name: space.health for name, space in state.spaces.items()}))
    notified = EXIT_OK
    if args.notify_url_env:
        from reconciler.engine import NotifyError, notify
        try:
            notify(os.environ, args.notify_url_env, args.notify_format, transitions)
        except NotifyError as exc:
            print(f"error: {exc}", file=sys.stderr)
            notified = EXIT_ERROR
    if plan.failed or notified:
        return EXIT_ERROR
    if args.fail_on == "none":
        return EXIT_OK
    failing = transitions.new if args.fail_on == "new" else transitions.open
    return EXIT_CHANGES if failing else EXIT_OK
