"""The figures in docs/reliability.md are the sizes of the case lists the reliability tests run, not prose:
this test recounts them, so a case added or removed without updating the table fails here."""

from __future__ import annotations

import re
from pathlib import Path

import test_answer_shapes
import test_api_values_escaped
import test_bad_input
import test_env_and_endpoint_boundaries
import test_file_rules
import test_hostile_inputs
import test_masking
import test_results_every_path
import test_saved_plan_trust
import test_uncertain_writes

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def _figure(label: str) -> int:
    m = re.search(rf"^\| {re.escape(label)} \| (\d+) \|", DOC.read_text(encoding="utf-8"), re.M)
    assert m, f"no row {label!r} in {DOC}"
    return int(m.group(1))


def _tests(module: object, prefix: str = "test_") -> list[str]:
    return [n for n in dir(module) if n.startswith(prefix)]


def test_the_documented_figures_are_the_counted_cases() -> None:
    plan_cases = len(test_answer_shapes.MATRIX)
    apply_cases = sum(1 for c in test_answer_shapes.MATRIX if c[1] != "GetCustomerAccountInfo")
    assert _figure("malformed answers injected (plan)") == plan_cases
    assert _figure("malformed answers injected (apply)") == apply_cases
    # test_a_signal_while_planning runs twice (SIGTERM, SIGINT)
    assert _figure("ways out of apply (signals, refusal, load error, closed pipe)") == \
        len(_tests(test_results_every_path)) + 1
    # plans and states × 2 commands; YAML; laughs; journals × (plan, apply)
    inputs = len(test_file_rules.INPUT_CASES) * 2 * 2 + 3 + 2 + len(test_file_rules.JOURNAL_CASES) * 2
    assert _figure("bad input files and special files tried") == inputs
    # ... + standard streams × (plan --out, apply --results) + the journal (not there yet; there)
    assert _figure("outputs refused (an input, a symlink, a FIFO, a device, a stream)") == \
        2 + 1 + 3 + 3 * 2 + len(test_file_rules.STREAM_CASES) * 2 + 2
    # the answer faults and SIGKILL points, plus the journal-entry loop, the spent code and the unwritable journal
    uncertain = len(test_uncertain_writes.ANSWER_CASES) + len(test_uncertain_writes.KILL_CASES) + \
        len(_tests(test_uncertain_writes)) - 2
    assert _figure("uncertain writes (answer lost, 503 or HTML after landing; SIGKILL in verify → register; "
                   "intent not storable)") == uncertain
    assert _figure("numeric options out of range") == len(test_file_rules.NUMERIC_CASES)
    assert _figure("saved plans tampered (well-formed edits)") == len(test_bad_input.TAMPERINGS)
    assert _figure("URL shapes masked (hypothesis, 3 properties × 150)") == 3 * 150
    assert _figure("URLs through the real CLI (validate, 4 plan formats, `--endpoint`, audit log)") == \
        len(test_masking.CLI_URLS)
    # the tampered files, the edited signed plans, and a plan signed with another key
    assert _figure("saved plans tampered or overrides not re-asserted (force, retry_sync, scope, identity, "
                   "signature)") == len(test_saved_plan_trust.TAMPERINGS) + len(test_saved_plan_trust.SIGNED_TAMPERINGS) + 1
    assert _figure("tokens rotated between review and apply (either key)") == len(test_saved_plan_trust.ROTATIONS)
    boundaries = test_env_and_endpoint_boundaries
    assert _figure("credential references in the YAML (`${env:}`, `verify_code_env`)") == len(boundaries.ENV_CASES)
    assert _figure("endpoints outside the allow-list (`accounts[].endpoint`)") == len(boundaries.ENDPOINT_CASES)
    examples = test_api_values_escaped.SETTINGS.max_examples
    assert _figure(f"hostile API values rendered (hypothesis, 2 properties × {examples})") == 2 * examples
    assert _figure("inline private keys pasted into the YAML") == len(test_hostile_inputs.KEY_CASES)
    assert _figure("`--changed-since` values shaped as git options") == len(test_hostile_inputs.REF_CASES)
    assert _figure("token positions import cannot reference (userinfo, fragment, profile URLs)") == \
        len(test_hostile_inputs.IMPORT_CASES)
    assert _figure("hostile server messages through the real CLI (call, plan text and markdown, apply)") == \
        len(test_api_values_escaped.SERVER_MESSAGE_CASES)
