"""``cams-reconciler apply``: plan (or load the reviewed plan), check it is safe, confirm, write, verify.

    cams-reconciler apply PATH... [--auto-approve] [--force] [--target NAME]... [--results FILE]
    cams-reconciler apply --plan FILE PATH... [--force] [--retry-sync] [--changed-since REF | --target NAME...]

Without ``--plan``, a fresh plan is made and shown; on a terminal apply asks for ``yes``, elsewhere it needs
``--auto-approve``. With ``--plan``, the same spaces are planned again and the reviewed plan runs only if
nothing it depends on moved (``engine.staleness``); no question is asked (the review was the approval). Its
overrides (``force``, ``retry_sync``, a scope) run only when the plan recorded them *and* this command line
re-asserts them (``--force``, ``--retry-sync``, ``--changed-since``/``--target``): a plan file alone, which
code under review could have written, never widens what runs. With ``CAMS_RECONCILER_PLAN_KEY`` the file must
also carry a valid signature.

stdout carries the plan and the results table in ``--format`` (``reconciler.render.formats``: json is one
document ``{"plan": ..., "apply": ...}``, github the results as annotations); stderr carries warnings, the
prompt and live progress on a terminal.
Exit codes: 0 all converged (or nothing to do), 1 refused/failed/skipped, 130/143 interrupted by
SIGINT/SIGTERM (after in-flight writes finished and the results file was written).

``--results`` is written on every way out (``_exit_with_results``): a refusal or error (status ``error``),
a signal before or after the writing phase (SIGTERM is turned into an exception there, as SIGINT already
is), both signals during it, a crash while printing the report. Signals are held while the file is written.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reconciler.cli._client_options import add_client_arguments
from reconciler.cli._selection import add_selection_arguments
from reconciler.cli._state_options import add_lock_timeout_argument, release_locks
from reconciler.cli.plan import add_journal_arguments
from reconciler.core.errors import ExitCode, ReconcilerError
from reconciler.core.signals import run_stopped_by_sigterm, signals_held
from reconciler.render import DEFAULT_FORMAT, FORMATS, format_help
from reconciler.render.escape import printable

if TYPE_CHECKING:  # the engine, client, state store and renderers load when the command runs, not for --help
    from reconciler.cli._terminal import Progress
    from reconciler.core.plan import Plan
    from reconciler.core.provenance import Provenance
    from reconciler.engine import ApplyReport, ChangeResult, Journal, Reasserted, ResultsRecorder

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "apply", help="apply a plan: sync, migrate, update webhooks and profiles, then verify",
        description="Make CAMS match the YAML: plan (or load a reviewed plan with --plan), refuse what is "
                    "unsafe, confirm, write, re-read and report each change as done, failed or skipped.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="YAML files or directories of the desired state")
    parser.add_argument("--plan", metavar="FILE",
                        help="apply this saved plan (from `plan --out`); refused if the YAML or a planned "
                             "space changed since it was made")
    parser.add_argument("--auto-approve", action="store_true",
                        help="do not ask for confirmation (CI); without it apply asks on a terminal and "
                             "refuses elsewhere")
    parser.add_argument("--force", action="store_true",
                        help="let through a plan over a space's webhook-update safety threshold (never a "
                             "frozen account or unmanaged_numbers: error findings); with --plan, re-asserts the "
                             "override the saved plan recorded (plan --force), and is refused without it")
    parser.add_argument("--target", action="append", metavar="NAME",
                        help="apply only this space (repeatable); with --plan, re-asserts a plan that covers only "
                             "some spaces: exactly its spaces")
    add_selection_arguments(parser, "apply")
    parser.add_argument("--changed-since", metavar="GITREF",
                        help="with --plan: re-asserts a plan that covers only some spaces; refused unless every "
                             "space whose YAML changed since GITREF is in the plan")
    parser.add_argument("--results", metavar="FILE", help="write the per-change results here (JSON, no secrets)")
    parser.add_argument("--skip-endpoint-checks", action="store_true",
                        help="repoint webhooks without first checking the new URLs' endpoints (DNS, TLS, an HTTP "
                             "answer), which a space's endpoint_checks: asks for")
    parser.add_argument("--format", choices=FORMATS, default=DEFAULT_FORMAT, help=f"output format: {format_help()}")
    add_journal_arguments(parser)
    add_lock_timeout_argument(parser)
    add_client_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from reconciler.cli.plan import journal_path
    from reconciler.config.loader import run_inputs
    from reconciler.engine import ApplyRefusedError, ResultsRecorder
    from reconciler.files import check_output

    if args.changed_since is not None and not args.plan:
        raise ApplyRefusedError("--changed-since re-asserts the scope of a saved plan: use it with --plan FILE")
    inputs = run_inputs(args.paths, args.plan, getattr(args, "emulator", None))
    # apply writes the journal back: before any write, it must be writable and not replace another input
    check_output(journal_path(args), inputs, "--journal")
    if args.results:
        # before any write: the record of what was written must not be lost, nor replace an input
        check_output(args.results, [*inputs, journal_path(args)], "--results")
    recorder = ResultsRecorder(args.results)
    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        return run_stopped_by_sigterm(_apply(args, recorder), Stopped)  # in the loop: a cancellation
    except BaseException as exc:  # noqa: BLE001 - every way out records the results, then carries on
        return _exit_with_results(recorder, exc)
    finally:
        signal.signal(signal.SIGTERM, previous)


class Stopped(KeyboardInterrupt):
    """SIGTERM outside the writing phase, of the family of SIGINT's ``KeyboardInterrupt``: raised once the
    event loop's main task is cancelled (``run_stopped_by_sigterm``), at once before and after the loop and
    at the prompt."""

    signal_name = "SIGTERM"


def _raise_stopped(signum: int, _frame: object) -> None:
    raise Stopped()


def _write_results(recorder: ResultsRecorder, report: ApplyReport) -> None:
    with signals_held():
        recorder.write(report)


def _exit_with_results(recorder: ResultsRecorder, exc: BaseException) -> int:
    """The run ended by ``exc`` before (or after) its report was recorded: record what is known, then let
    the CLI report the exception as it would have (an interrupt becomes its exit code here)."""
    name = getattr(exc, "signal_name", "SIGINT") if isinstance(exc, KeyboardInterrupt) else None
    if not recorder.written:
        if name is not None:
            report = recorder.fallback(interrupted_by=name)
        elif isinstance(exc, ReconcilerError):
            report = recorder.fallback(error=" ".join(str(exc).split()))
        else:
            report = recorder.fallback(error=f"internal error ({type(exc).__name__}): see the output")
        try:
            _write_results(recorder, report)
        except ReconcilerError as write_error:  # the results file itself cannot be written: say both
            print(f"error: {write_error}", file=sys.stderr)
    if name is None:
        raise exc
    if recorder.plan is None or not recorder.ledger.started:
        print(f"\n{name} received: stopped before any write", file=sys.stderr)
    return ExitCode.for_signal(name)


async def refuse_dead_endpoints(writes: Any, desired: Any) -> None:
    """``endpoint_checks: {before_apply: true}``: a number is not repointed to a URL whose endpoint fails
    its check (``engine.endpoint_checks``); the refusal names each URL, masked."""
    from reconciler.engine import ApplyRefusedError

    if not any(s.checks_endpoints for s in desired.drift.values()):
        return
    from reconciler.engine import preflight_new_urls

    refused = await preflight_new_urls(writes, desired)
    if refused:
        lines = "; ".join(r.line() for r in refused[:10]) + (f"; and {len(refused) - 10} more" if len(refused) > 10 else "")
        raise ApplyRefusedError(f"refusing to apply: {lines}; nothing was written (fix the endpoint, or pass "
                                "--skip-endpoint-checks)")


async def _apply(args: argparse.Namespace, recorder: ResultsRecorder) -> int:
    from reconciler.cli._client_options import ClientSettings, open_clients
    from reconciler.cli._state_options import open_state_store, timeout_seconds
    from reconciler.cli.plan import load, note_discarded_writes
    from reconciler.engine import PLAN_KEY_ENV, Journal, check_all_read, check_overrides, load_saved_plan

    desired = load(args.paths)  # prints every problem as file:line:col
    if desired is None:
        _write_results(recorder, recorder.fallback(error="the desired state has errors (printed above); "
                                                         "nothing was applied"))
        return ExitCode.ERROR
    # a bad file fails before any network call; with a plan key, so does an unsigned or edited one
    saved = load_saved_plan(args.plan, plan_key=os.environ.get(PLAN_KEY_ENV) or None) if args.plan else None
    from reconciler.cli._selection import selected_spaces

    args.selected = selected_spaces(args, desired)  # --account, --target, --exclude (None: every space)
    if saved is not None:
        check_all_read(saved, saved_path=args.plan)  # a plan with unread spaces was never a whole review
        _check_within_selection(args, saved)
        check_overrides(args.plan, saved, desired, _reasserted(args, desired))
    if args.account:  # a refusal from here (the lock held, a stale plan) still names the job's account(s)
        recorder.provenance = _selected_provenance(args, desired)
    force = args.force  # with --plan, equal to the recorded override (check_overrides)
    from reconciler.engine import SentRecords, open_run_state  # the state store: when apply runs, not for --help

    timeout = timeout_seconds(args)  # a bad --lock-timeout fails before any call
    choice, store = open_state_store(args, desired)
    note_discarded_writes(args)
    async with open_clients(args, desired) as client:
        # The lock is taken before anything is read for the plan, and released on every way out (a signal
        # raises through the ``finally``): a second apply plans only after this one's writes are recorded.
        opened = await open_run_state(client, desired, store, choice,
                                      targets=([s.name for s in saved.spaces if desired.space(s.name) is not None]
                                               if saved is not None else args.selected),
                                      emulator=ClientSettings.from_args(args).emulator, env=os.environ,
                                      lock="apply", lock_timeout=timeout)
        try:
            journal = Journal.open(opened.state)
            records = SentRecords(opened.state, desired)
            outcome = await _plan_and_execute(args, client, desired, saved, force, journal, records, opened,
                                              recorder)
        finally:
            release_locks(opened)
        if isinstance(outcome, int):
            return outcome
        plan, report, current = outcome
    return _finish(args, plan, report, current, recorder)


async def _plan_and_execute(args: argparse.Namespace, client: Any, desired: Any, saved: Plan | None, force: bool,
                            journal: Journal, records: Any, opened: Any,
                            recorder: ResultsRecorder) -> int | tuple[Plan, ApplyReport, Provenance]:
    import dataclasses

    from reconciler.cli._terminal import Progress
    from reconciler.cli.plan import plan_provenance
    from reconciler.engine import ApplyReport, check_apply_allowed, make_plan
    from reconciler.render import PlanOptions, get_format

    recorded = records.load()
    progress = Progress(sys.stderr)  # a live line on a terminal only; every call below is a no-op otherwise
    try:
        if saved is not None:
            plan, current = await _checked_saved_plan(client, args, saved, desired, journal, progress,
                                                      checked=opened.checked, recorded=recorded)
        else:
            plan = await make_plan(client, desired, targets=args.selected, force=force, journal=journal,
                                   retry_sync=args.retry_sync, checked=opened.checked, recorded=recorded,
                                   progress=_counter(progress, "planning: reading spaces", client))
            current = plan_provenance(client, plan, args)
            plan = dataclasses.replace(plan, provenance=current)
    finally:
        progress.clear()
    recorder.plan = plan
    recorder.provenance = current
    view = get_format(args.format)
    preview = view.apply_preview(plan, view.options(PlanOptions(color=getattr(args, "color", False),
                                                                verbose=bool(getattr(args, "verbose", 0)))))
    if preview is not None:
        _emit(preview)
    for warning in check_apply_allowed(plan, desired, force=force):
        print(f"warning: {warning}", file=sys.stderr)
    if not plan.writes:
        with signals_held():
            journal.save()  # entries the plan's reads settled (a registration that had landed) are removed
        report = ApplyReport(results=())
        return _finish(args, plan, report, current, recorder, nothing_to_do=True)
    if not args.skip_endpoint_checks:
        await refuse_dead_endpoints(plan.writes, desired)  # before asking: nothing is written if one fails
    if saved is None and not args.auto_approve:
        _confirm(len(plan.writes), current)
    try:
        report = await _execute(client, plan, desired, journal, recorder, progress=progress, records=records)
    finally:
        with signals_held():  # a signal must not cut the store's write (a Git push, an S3 put) in two
            journal.save()
    stats = getattr(client, "stats", None)
    if stats is not None and (stats.total().retries or stats.total().throttled):
        print(stats.summary_line(), file=sys.stderr)  # the API pushed back: say how much
    return plan, report, current


def _counter(progress: Progress, label: str, client: Any) -> Callable[[int, int], None] | None:
    return progress.counter(label, client) if progress.enabled else None


async def _checked_saved_plan(client: Any, args: argparse.Namespace, saved: Plan, desired: Any,
                              journal: Journal, progress: Progress, *, checked: Any = None,
                              recorded: Any = None) -> tuple[Plan, Provenance]:
    """Plan the saved plan's spaces again now, the way the saved one was made, and refuse it if anything it
    depends on moved, or if it was made for another endpoint, region or account; return the fresh plan
    limited to the reviewed writes, and what this run is for. Everything apply judges (the guards, the
    account, the values) comes from that fresh plan: no edit of the file can widen or redirect what runs."""
    import dataclasses

    from reconciler.cli.plan import plan_provenance
    from reconciler.engine import (
        ApplyRefusedError,
        check_all_read,
        check_apply_allowed,
        check_not_stale,
        check_still_declared,
        make_plan,
    )
    from reconciler.provenance import target_mismatch

    path = args.plan
    names = [s.name for s in saved.spaces]
    check_still_declared(path, saved, desired)
    if not names:  # nothing planned (check_overrides made sure no write is left out): nothing to run
        empty = dataclasses.replace(saved, changes=(), blockers=())
        return empty, plan_provenance(client, empty, args)
    fresh = await make_plan(client, desired, targets=names, force=args.force, journal=journal,
                            retry_sync=args.retry_sync, checked=checked, recorded=recorded,
                            progress=_counter(progress, "checking the saved plan: reading spaces", client))
    current = plan_provenance(client, fresh, args)
    mismatch = target_mismatch(saved.provenance, current)
    if mismatch:
        raise ApplyRefusedError(f"refusing to apply {path}: {mismatch}; nothing was written")
    # A space unreadable now (unsubscribed since the review, say) is a failed read, not a stale plan.
    check_all_read(fresh, saved_path=path, rechecking=True)
    reviewed = check_not_stale(path, saved, fresh, desired)
    # The guards judge every write the fresh plan has, not the file's subset of them: a plan file that drops
    # reviewed writes to slip under a threshold the review showed breached is refused like the whole plan.
    check_apply_allowed(fresh, desired, force=args.force)
    _check_references_unchanged(path, saved, fresh, desired)
    for change in reviewed.not_reviewed:
        print(f"note: {printable(change.ref)} is not in the reviewed plan, so it is not applied now "
              f"({printable(change.reason)}); "
              "the next plan shows it", file=sys.stderr)
    return dataclasses.replace(reviewed.plan, provenance=current), current


def _check_references_unchanged(path: str, saved: Plan, fresh: Plan, desired: Any) -> None:
    """A token rotated since the review is a change nobody reviewed. With the plan key the saved plan's
    digest of its ``${env:}`` values must match today's; with the fingerprint key the plan's values carry
    fingerprints (compared as part of each change); with neither, say plainly that it cannot be seen."""
    from reconciler.cli.plan import reference_digest
    from reconciler.core.secret_url import FINGERPRINT_KEY_ENV
    from reconciler.engine import PLAN_KEY_ENV, StalePlanError

    now = reference_digest(fresh, desired)
    if os.environ.get(PLAN_KEY_ENV):
        if now is not None and saved.env_digest != now:
            raise StalePlanError(
                f"the saved plan {path} is stale: "
                + ("it records no digest of its ${env:NAME} values (made without the plan key)"
                   if saved.env_digest is None else "an ${env:NAME} value the planned spaces reference changed "
                   "since the review (a rotated token)")
                + "; nothing was written. Make the plan again (`plan --out`), review it, then `apply --plan` it")
    elif not os.environ.get(FINGERPRINT_KEY_ENV) and _references(fresh, desired):
        print(f"note: neither {PLAN_KEY_ENV} nor {FINGERPRINT_KEY_ENV} is set: a token rotated since the "
              "review cannot be detected; the values in the environment now are sent", file=sys.stderr)


def _references(plan: Plan, desired: Any) -> bool:
    from reconciler.config.env_refs import referenced_values

    return bool(referenced_values(desired, {s.name for s in plan.spaces}))


def _check_within_selection(args: argparse.Namespace, saved: Plan) -> None:
    """``apply --plan FILE --account NAME`` (a matrix job's) runs only a plan of that account's spaces: a
    piece of another account (a mixed-up artifact) is refused before any call, never run with this job's
    credentials."""
    from reconciler.engine import ApplyRefusedError

    if args.selected is None or not (args.account or args.exclude):  # --target alone: check_overrides says it
        return
    selected = set(args.selected)
    outside = [s.name for s in saved.spaces if s.name not in selected]
    if outside:
        from reconciler.engine import Selection

        chosen = Selection.of(args.account, args.target, args.exclude).describe()
        raise ApplyRefusedError(f"refusing to apply {args.plan}: it covers {', '.join(outside[:10])}"
                                f"{' and more' if len(outside) > 10 else ''}, outside {chosen}; nothing was written")


def _selected_provenance(args: argparse.Namespace, desired: Any) -> Provenance:
    """What ``--account`` says this run is for, before any call: the accounts and their regions (no id, and
    the endpoint as configured), replaced by what the run learns once it has read them. Only the results
    file carries it, so that a matrix run's merged outcome knows whose refusal it reads."""
    from pathlib import Path

    from reconciler.cli._client_options import ClientSettings
    from reconciler.core.provenance import Target
    from reconciler.core.redact import mask_url
    from reconciler.provenance import collect

    settings = ClientSettings.from_args(args)
    targets = []
    for name in dict.fromkeys(args.account):
        account = desired.account(name)
        endpoint = (f"emulator:{settings.emulator}" if settings.emulator
                    else mask_url(settings.endpoint_for(account) or "") or "the regional endpoint")
        targets.append(Target(name, None, settings.region_for(account), endpoint))
    first = Path(args.paths[0])
    return collect(targets, env=os.environ, cwd=first if first.is_dir() else first.parent)


def _reasserted(args: argparse.Namespace, desired: Any) -> Reasserted:
    """What the command line re-asserts of a saved plan's overrides; ``--changed-since`` is turned into the
    spaces changed since that ref here, from git, never from the plan file. ``--account``/``--exclude``
    narrow both: without ``--changed-since`` they re-assert exactly their spaces (as ``--target`` each), with
    it the spaces changed since REF among them."""
    from reconciler.engine import Reasserted, compare_with_ref

    narrowed = bool(getattr(args, "account", None) or getattr(args, "exclude", None))
    chosen = set(args.selected) if args.selected is not None else None
    changed = None
    if args.changed_since is not None:
        changed = frozenset(compare_with_ref(args.changed_since, args.paths, desired).changed)
        if chosen is not None:
            changed = changed & chosen
    targets = tuple(args.target or ())
    if narrowed and args.changed_since is None:
        targets = tuple(args.selected or ())
    return Reasserted(force=args.force, retry_sync=args.retry_sync, targets=targets,
                      changed_since=args.changed_since, changed=changed)


def _confirm(writes: int, provenance: Provenance) -> None:
    """Terraform-style: only the literal answer ``yes`` proceeds. No terminal → refuse, never assume. The
    question names the account: "yes" to the wrong account is the mistake to prevent."""
    from reconciler.engine import ApplyRefusedError

    if not sys.stdin.isatty():
        raise ApplyRefusedError("refusing to apply without confirmation: stdin is not a terminal. Review the "
                                "plan and pass --auto-approve (CI), or apply a reviewed plan with --plan FILE")
    # The event loop's SIGINT and SIGTERM handlers only cancel the running task, which a blocking read does
    # not notice: the first Ctrl-C would wait for Enter. From before the question is shown until it is
    # answered, either signal raises at once (exit 130/143).
    try:
        previous = {signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
                    signal.SIGTERM: signal.signal(signal.SIGTERM, _raise_stopped)}
    except ValueError:  # not the main thread (an embedding): the caller's handling stands
        previous = {}
    try:
        sys.stderr.write(f"\nDo you want to perform these {writes} write change(s) in "
                         f"{provenance.accounts_line()}?\n"
                         "  Only 'yes' will be accepted to approve.\n\n  Enter a value: ")
        sys.stderr.flush()
        answer = sys.stdin.readline().strip()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if answer != "yes":
        raise ApplyRefusedError("apply cancelled (the answer was not 'yes'); nothing was written")


async def _execute(client: Any, plan: Plan, desired: Any, journal: Journal, recorder: ResultsRecorder, *,
                   progress: Progress, records: Any = None) -> ApplyReport:
    """Run the executor with SIGINT/SIGTERM turned into "start no new write" (see ``Interrupt``).

    A second signal (as in Terraform) stops waiting: the writes in flight are abandoned; the report lists
    the writes the API had acknowledged as done (``recorder.ledger``) and the unanswered ones as not
    finished, since they may or may not have landed. The results file is still written.
    """
    import asyncio

    from reconciler.engine import ApplyReport, Interrupt, apply_plan

    loop = asyncio.get_running_loop()
    interrupt = Interrupt()
    finished = recorder.finished
    calls = recorder.calls  # kept outside: a second signal cancels apply_plan before it reports them

    show = progress.counter("writing and verifying: changes finished", client)
    total = len(plan.writes)

    def on_result(result: ChangeResult) -> None:
        finished.append(result)
        progress.note(f"  {result.outcome.value:<8} {result.change.ref}")
        show(len(finished), max(total, len(finished)))

    task = asyncio.ensure_future(apply_plan(recorder.ledger.wrap(client), plan, desired, env=os.environ, interrupt=interrupt,
                                            on_result=on_result, calls=calls, journal=journal,
                                            ledger=recorder.ledger, records=records))

    def on_signal(name: str) -> None:
        if interrupt.requested:
            print(f"\n{name} received again: stopping now without waiting for the writes in flight (they may "
                  "or may not land; the next plan shows which)", file=sys.stderr, flush=True)
            task.cancel()
            return
        print(f"\n{name} received: starting no new write; waiting for the writes in flight to finish… "
              "(again to stop at once)", file=sys.stderr, flush=True)
        interrupt.request(name)

    installed: list[signal.Signals] = []
    before = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    for sig in _SIGNALS:
        try:
            loop.add_signal_handler(sig, on_signal, sig.name)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread / not supported
            pass

    show(0, total)
    try:
        return await task
    except asyncio.CancelledError:
        if not task.cancelled() or interrupt.signal_name is None:
            raise  # not our second signal: someone cancelled us
        return ApplyReport.abandoned(plan, finished, interrupt.signal_name, calls, recorder.ledger)
    finally:
        progress.clear()
        for sig in installed:
            loop.remove_signal_handler(sig)
            signal.signal(sig, before[sig])  # asyncio resets to the default: keep the run's own


def _finish(args: argparse.Namespace, plan: Plan, report: ApplyReport, provenance: Provenance,
            recorder: ResultsRecorder, *, nothing_to_do: bool = False) -> int:
    import dataclasses

    report = dataclasses.replace(report, provenance=provenance)
    _write_results(recorder, report)  # first: a closed pipe or a signal while printing loses nothing
    _print_report(args, plan, report, nothing_to_do=nothing_to_do)
    return report.exit_code


def _print_report(args: argparse.Namespace, plan: Plan, report: ApplyReport, *, nothing_to_do: bool) -> None:
    from reconciler.render import get_format

    _emit(get_format(args.format).apply(report, plan=plan, nothing_to_do=nothing_to_do))
    for change in report.follow_up:
        print(f"note: {printable(change.ref)}: {printable(change.reason)} (not in the plan: run plan again)",
              file=sys.stderr)


def _emit(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
