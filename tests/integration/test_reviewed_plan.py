"""Issue 10: the reviewed plan tells the whole truth — each point against the emulator over real HTTP.

- only what the YAML declares goes on the wire (delivery flags, URLs);
- a saved plan is stale only when something it depends on moved;
- ``plan`` says when apply would refuse, in every format, and exits 1; the threshold override is made and
  reviewed at plan time;
- only a frozen account blocks; an account check that cannot be made is a notice (unless strict);
- a declared number in another managed space is a finding, never a sync; a sync that cannot bring a number
  in fails once and the next plan says so;
- a migration whose verification answer was lost is registered, in the same run or the next.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.cli import main
from reconciler.client import CamsClient, Credentials
from reconciler.client.actions import ACTIONS
from reconciler.config import load_desired_state
from reconciler.engine.apply import apply_plan
from reconciler.engine.journal import VERIFYING, Journal
from reconciler.engine.planner import make_plan

A, B = "293483938849101", "293483938849102"
HOOKS = "https://hooks.t.example"
CODE = "828712"


def number(phone: str, status: str = f"{HOOKS}/status", up: str = f"{HOOKS}/inbound", **extra: Any) -> dict:
    return {"PhoneNumber": phone, "Status": "CONNECTED", "QualityRating": "GREEN", "MessagingLimitTier": "TIER_10K",
            "StatusCallbackUrl": status, "UpCallbackUrl": up, **extra}


def state(spaces: dict[str, dict], *, keys: list[dict] | None = None, account: dict | None = None) -> dict:
    return {"keys": keys or [{"access_key_id": "demo", "access_key_secret": "demo-secret"}],
            "account": account or {"HostingStatus": "TRUSTEESHIP", "CreditLimitStatus": "Thaw", "IsCertified": True},
            "spaces": {sid: {"subscribed": True, **sp} for sid, sp in spaces.items()}}


def space(name: str, sid: str, numbers: list[str], extra: str = "") -> str:
    out = [f"  - name: {name}", f'    cust_space_id: "{sid}"']
    if extra:
        out.append(extra.rstrip("\n"))
    out.append("    numbers:")
    return "\n".join(out + numbers) + "\n"


def entry(phone: str, body: str = "") -> str:
    return f'      - phone_number: "+{phone}"' + (f"\n{body.rstrip()}" if body else "")


def hooks(status: str = f"{HOOKS}/status", up: str | None = None, **flags: str) -> str:
    lines = ["        webhooks:", f"          status_callback_url: {status}"]
    if up:
        lines.append(f"          up_callback_url: {up}")
    lines += [f"          {k}: {v}" for k, v in flags.items()]
    return "\n".join(lines)


class Loop:
    """The CLI against one emulator, with its audit log."""

    def __init__(self, emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
        self.emulator, self.tmp, self.capsys, self.mp = emulator, tmp_path, capsys, monkeypatch
        self.audit = tmp_path / "audit.jsonl"
        self.yaml = tmp_path / "spaces.yaml"
        monkeypatch.delenv("CAMS_RECONCILER_ENDPOINT", raising=False)
        self.key("demo", "demo-secret")

    def start(self, st: dict, **options: Any) -> Loop:
        options.setdefault("qps", 0)
        self.handle = self.emulator(st, audit_log=self.audit, **options)
        return self

    def key(self, key_id: str, secret: str) -> None:
        self.mp.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", key_id)
        self.mp.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)

    def write(self, *spaces: str) -> Path:
        self.yaml.write_text("version: 1\nspaces:\n" + "".join(spaces))
        return self.yaml

    def run(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main([*argv, "--endpoint", self.handle.url])
        out, err = self.capsys.readouterr()
        return code, out, err

    def writes(self) -> list[dict]:
        if not self.audit.exists():
            return []
        lines = [json.loads(x) for x in self.audit.read_text().splitlines() if x.strip()]
        return [e for e in lines if e["action"] in ACTIONS and ACTIONS[e["action"]].is_write and e["code"] == "OK"]


@pytest.fixture
def loop(emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Loop:
    return Loop(emulator, tmp_path, monkeypatch, capsys)


# -- 2. send only what the YAML declares ------------------------------------------------------------------------

def test_undeclared_delivery_flags_and_unchanged_urls_are_not_sent(loop: Loop) -> None:
    loop.start(state({A: {"phone_numbers": [number("8613800000001", status="https://old.t.example/s")]}}))
    loop.write(space("retail", A, [entry("8613800000001", hooks())]))
    code, out, err = loop.run("apply", str(loop.yaml), "--auto-approve")
    assert code == 0, err
    [write] = loop.writes()
    # the status URL differed; the inbound URL, HttpFlag and QueueFlag were not declared or did not differ
    assert set(write["parameters"]) == {"CustSpaceId", "PhoneNumber", "StatusCallbackUrl"}


def test_declared_delivery_flags_are_shown_in_the_plan_and_sent(loop: Loop) -> None:
    loop.start(state({A: {"phone_numbers": [number("8613800000001", status="https://old.t.example/s")]}}))
    loop.write(space("retail", A, [entry("8613800000001", hooks(http_delivery="false"))]))
    code, out, _ = loop.run("plan", str(loop.yaml))
    assert code == 0 and "http_delivery: (none) → false" in out
    assert "queue_delivery" not in out
    code, _, err = loop.run("apply", str(loop.yaml), "--auto-approve")
    assert code == 0, err
    [write] = loop.writes()
    assert write["parameters"]["HttpFlag"] == "N" and "QueueFlag" not in write["parameters"]


# -- 3. stale only when a dependency moved --------------------------------------------------------------------

def _saved(loop: Loop, *extra: str) -> Path:
    plan = loop.tmp / "plan.json"
    code, _, err = loop.run("plan", str(loop.yaml), "--out", str(plan), *extra)
    assert code == 0, err
    return plan


def test_quality_and_tier_changes_of_planned_spaces_do_not_make_the_plan_stale(loop: Loop) -> None:
    loop.start(state({A: {"phone_numbers": [number("8613800000001", status="https://old.t.example/s"),
                                            number("8613800000002")],
                          "pending_sync": [number("8613800000003")]}}))
    loop.write(space("retail", A, [entry("8613800000001", hooks()), entry("8613800000002"),
                                   entry("8613800000003")]))
    plan = _saved(loop)
    backend = loop.handle.backend
    backend.set_number_fields(A, "8613800000001", QualityRating="YELLOW")  # the planned number, unplanned field
    backend.set_number_fields(A, "8613800000002", MessagingLimitTier="TIER_1K", QualityRating="RED")
    code, out, err = loop.run("apply", "--plan", str(plan), str(loop.yaml))
    assert code == 0, err
    assert [w["action"] for w in loop.writes()] == ["ChatappSyncPhoneNumber", "UpdatePhoneWebhook"]


def test_membership_of_a_space_with_a_planned_sync_is_a_dependency(loop: Loop) -> None:
    loop.start(state({A: {"phone_numbers": [number("8613800000001")],
                          "pending_sync": [number("8613800000003")]}}))
    loop.write(space("retail", A, [entry("8613800000001"), entry("8613800000003")]))
    plan = _saved(loop)
    # someone synced the space in the console meanwhile: the reviewed sync is not what would happen now
    async def console_sync() -> None:
        async with CamsClient(Credentials("demo", "demo-secret"), endpoint=loop.handle.url, qps=100) as client:
            await client.sync_phone_numbers(A)

    asyncio.run(console_sync())
    loop.audit.unlink()
    code, _, err = loop.run("apply", "--plan", str(plan), str(loop.yaml))
    assert code == 1 and "is stale" in err
    assert "retail/*/sync/numbers" in err
    assert loop.writes() == []


def test_a_repointed_planned_webhook_refuses_naming_address_and_field(loop: Loop) -> None:
    loop.start(state({A: {"phone_numbers": [number("8613800000001", status="https://old.t.example/s")]}}))
    loop.write(space("retail", A, [entry("8613800000001", hooks())]))
    plan = _saved(loop)
    loop.handle.backend.set_number_fields(A, "8613800000001", StatusCallbackUrl="https://console.t.example/s?k=v")
    code, _, err = loop.run("apply", "--plan", str(plan), str(loop.yaml))
    assert code == 1
    assert ('retail/8613800000001/update-webhook/webhooks.status_callback_url: before.status_callback_url was '
            '"https://old.t.example/s" in the plan, is "https://console.t.example/s?k=***" now') in err


# -- 4. plan says when apply would refuse; the override is reviewed ---------------------------------------------

PHONES = [f"86138001{i:05d}" for i in range(10)]


def _threshold_setup(loop: Loop) -> None:
    numbers = [number(p, status="https://old.t.example/s") for p in PHONES[:4]] + [number(p) for p in PHONES[4:]]
    elsewhere = [f"86138009{i:05d}" for i in range(30)]
    loop.start(state({A: {"phone_numbers": numbers},
                      B: {"phone_numbers": [number(p) for p in elsewhere + ["8613800000555"]]}}))
    # 30 declared numbers that are not in the space (they sit in another one) must not dilute the 4-of-10
    # share (issue 13): 40% of the numbers there are repointed, not 10% of the 40 declared
    loop.write(space("retail", A, [entry(p, hooks()) for p in PHONES] + [entry(p) for p in elsewhere]),
               space("travel", B, [entry("8613800000555")], "    unmanaged_numbers: ignore"))


@pytest.mark.parametrize("fmt, shown", [("text", "Apply would refuse: space retail"),
                                        ("markdown", "⛔ **Apply would refuse: space retail"),
                                        ("github", "::error title=cams-reconciler apply::Apply would refuse"),
                                        ("json", '"kind": "threshold"')])
def test_plan_fails_for_the_reason_apply_would_refuse_in_every_format(loop: Loop, fmt: str, shown: str) -> None:
    _threshold_setup(loop)
    code, out, err = loop.run("plan", str(loop.yaml), "--format", fmt)
    assert code == 1
    assert shown in out
    assert "error: apply would refuse this plan: space retail: the plan updates the webhooks of 4 of the 10" in err


def test_plan_force_records_the_override_and_apply_plan_reasserts_it(loop: Loop) -> None:
    _threshold_setup(loop)
    plan = _saved(loop, "--force")
    data = json.loads(plan.read_text())
    assert data["force"] is True and data["blockers"][0]["overridden"] is True
    loop.capsys.readouterr()
    assert main(["show", str(plan)]) == 0
    assert "Override requested (plan --force)" in loop.capsys.readouterr().out
    code, _, err = loop.run("apply", "--plan", str(plan), str(loop.yaml))
    assert code == 1 and "apply runs it only when re-asserted" in err and loop.writes() == []
    code, _, err = loop.run("apply", "--plan", str(plan), str(loop.yaml), "--force")
    assert code == 0, err
    assert sorted(w["parameters"]["PhoneNumber"] for w in loop.writes()) == PHONES[:4]


def test_a_plan_without_the_override_is_refused_by_apply(loop: Loop) -> None:
    _threshold_setup(loop)
    plan = loop.tmp / "plan.json"
    code, _, _ = loop.run("plan", str(loop.yaml), "--out", str(plan))
    assert code == 1 and plan.exists()  # still saved, for the record
    code, _, err = loop.run("apply", "--plan", str(plan), str(loop.yaml))
    assert code == 1 and "plan --force --out FILE" in err and loop.writes() == []


@pytest.mark.parametrize("case", ["unmanaged-error", "frozen"])
def test_non_overridable_blockers_fail_the_plan_even_with_force(loop: Loop, case: str) -> None:
    account = {"HostingStatus": "FREEZE", "CreditLimitStatus": "Thaw"} if case == "frozen" else None
    loop.start(state({A: {"phone_numbers": [number("8613800000001"), number("8613800000099")]}}, account=account))
    policy = "    unmanaged_numbers: error" if case == "unmanaged-error" else ""
    loop.write(space("retail", A, [entry("8613800000001")], policy))
    code, out, err = loop.run("plan", str(loop.yaml), "--force")
    assert code == 1 and "Apply would refuse" in out and "--force does not override" in out
    assert "apply will let it through" not in out


# -- 5. the account check ----------------------------------------------------------------------------------------

def _no_bss_key(loop: Loop, policy: str = "") -> None:
    cams_only = [a for a, spec in ACTIONS.items() if spec.product == "cams"]
    loop.start(state({A: {"phone_numbers": [number("8613800000001", status="https://old.t.example/s")]}},
                     keys=[{"access_key_id": "camsonly", "access_key_secret": "cams-secret",
                            "actions": cams_only}]))
    loop.key("camsonly", "cams-secret")
    loop.write(space("retail", A, [entry("8613800000001", hooks())], policy))


def test_an_account_check_that_cannot_be_made_is_a_notice_and_apply_proceeds(loop: Loop) -> None:
    _no_bss_key(loop)
    code, out, err = loop.run("plan", str(loop.yaml))
    assert code == 0, err
    assert "Account check unavailable: NoPermission" in out
    code, out, err = loop.run("plan", str(loop.yaml), "--format", "github")
    assert "::notice title=cams account preflight::account check unavailable: NoPermission" in out
    code, _, err = loop.run("apply", str(loop.yaml), "--auto-approve")
    assert code == 0, err
    assert [w["action"] for w in loop.writes()] == ["UpdatePhoneWebhook"]


def test_a_strict_account_check_blocks(loop: Loop) -> None:
    _no_bss_key(loop, "    account_check: strict")
    code, out, err = loop.run("plan", str(loop.yaml))
    assert code == 1 and "NoPermission" in out
    code, _, err = loop.run("apply", str(loop.yaml), "--auto-approve")
    assert code == 1 and "account check unavailable: NoPermission" in err
    assert loop.writes() == []


# -- 6. misplaced numbers and syncs that cannot help -----------------------------------------------------------

def test_a_number_in_another_managed_space_is_a_finding_not_a_sync(loop: Loop) -> None:
    loop.start(state({A: {"phone_numbers": [number("8613800000001")]},
                      B: {"phone_numbers": [number("8613800000002"), number("8613800000005")]}}))
    loop.write(space("retail", A, [entry("8613800000001"), entry("8613800000005")]),
               space("travel", B, [entry("8613800000002")], "    unmanaged_numbers: ignore"))
    code, out, err = loop.run("plan", str(loop.yaml))
    assert code == 0, err
    assert "? misplaced 8613800000005 membership" in out and "is in space travel" in out
    assert "  + sync" not in out.split("Symbols:")[0]  # (the folded "1 space in sync" line is not a sync)
    code, _, err = loop.run("apply", str(loop.yaml), "--auto-approve")
    assert code == 0 and loop.writes() == []


def test_a_sync_that_cannot_bring_a_number_in_fails_once_and_is_not_planned_forever(loop: Loop) -> None:
    loop.start(state({A: {"phone_numbers": [number("8613800000001")], "pending_sync": []}}))
    loop.write(space("retail", A, [entry("8613800000001"), entry("8613800000007")]))
    results = loop.tmp / "results.json"
    code, out, err = loop.run("apply", str(loop.yaml), "--auto-approve", "--results", str(results))
    assert code == 1
    [result] = json.loads(results.read_text())["results"]
    assert result["status"] == "failed" and "still not in the space: 8613800000007" in result["message"]
    assert "run apply again" not in out + err
    code, out, err = loop.run("plan", str(loop.yaml))
    assert "! drift 8613800000007 membership" in out and "did not bring it in" in out
    assert "  + sync (space)" not in out
    code, out, _ = loop.run("apply", str(loop.yaml), "--auto-approve")
    assert code == 0 and [w["action"] for w in loop.writes()] == ["ChatappSyncPhoneNumber"]  # only the first
    code, out, _ = loop.run("plan", str(loop.yaml), "--retry-sync")
    assert "+ sync (space) numbers" in out


# -- 7. migration: the verify code, and a verification whose answer was lost -----------------------------------

class LosingTransport(httpx.AsyncBaseTransport):
    """Forwards to the emulator; for one action, lets the request run and then loses the answer (and, with
    ``blind``, loses every space listing after that too: the read-back cannot tell what happened)."""

    def __init__(self, action: str, *, blind: bool = False) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.action, self.blind, self.lost = action, blind, False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        action = request.headers.get("x-acs-action")
        if self.lost and self.blind and action == "QueryChatappPhoneNumbers":
            raise httpx.ReadError("connection reset by peer", request=request)
        response = await self.inner.handle_async_request(request)
        if action == self.action:
            await response.aread()
            self.lost = True
            raise httpx.ReadError("connection reset by peer", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _migration_setup(loop: Loop) -> Path:
    pending = [{**number("8613800009999"), "VerifyCode": CODE}]
    loop.start(state({B: {"phone_numbers": [], "pending_migrations": pending}}))
    return loop.write(space("travel", B, [entry("8613800009999", "        migration:\n"
                                                                 "          verify_code_env: CAMS_SECRET_ACME_CODE")]))


def test_a_verification_whose_answer_was_lost_is_read_back_and_registered(loop: Loop) -> None:
    path = _migration_setup(loop)
    desired = load_desired_state([str(path)])

    async def go() -> Any:
        async with CamsClient(Credentials("demo", "demo-secret"), endpoint=loop.handle.url, qps=100,
                              transport=LosingTransport("ChatappMigrationVerified")) as client:
            plan = await make_plan(client, desired, env={"CAMS_SECRET_ACME_CODE": CODE})
            return await apply_plan(client, plan, desired, env={"CAMS_SECRET_ACME_CODE": CODE}, journal=Journal(None))

    report = asyncio.run(go())
    [result] = report.results
    assert result.outcome.value == "done", result.message
    actions = [w["action"] for w in loop.writes()]
    assert actions == ["ChatappMigrationVerified", "ChatappMigrationRegister"]


def test_a_lost_verification_that_cannot_be_read_back_is_journaled_and_the_next_plan_registers(
        loop: Loop, tmp_path: Path) -> None:
    path = _migration_setup(loop)
    desired = load_desired_state([str(path)])
    journal_file = tmp_path / "j.json"
    journal = Journal.load(journal_file)

    async def first() -> Any:
        async with CamsClient(Credentials("demo", "demo-secret"), endpoint=loop.handle.url, qps=100, max_attempts=1,
                              transport=LosingTransport("ChatappMigrationVerified", blind=True)) as client:
            plan = await make_plan(client, desired, env={"CAMS_SECRET_ACME_CODE": CODE})
            return await apply_plan(client, plan, desired, env={"CAMS_SECRET_ACME_CODE": CODE}, journal=journal)

    report = asyncio.run(first())
    journal.save()
    [result] = report.results
    assert result.outcome.value == "failed" and "recorded in the journal" in result.message
    # the verification was recorded before it was sent, and its outcome is still unknown
    assert list(Journal.load(journal_file).for_space(VERIFYING, "travel")) == ["8613800009999"]
    # the verification had landed: the next plan sees the number and registers it instead of doing nothing
    code, out, err = loop.run("plan", str(path), "--journal", str(journal_file))
    assert "> register-migration 8613800009999 migration" in out, out + err
    code, out, err = loop.run("apply", str(path), "--auto-approve", "--journal", str(journal_file))
    assert code == 0, out + err
    assert [w["action"] for w in loop.writes()][-1] == "ChatappMigrationRegister"
    assert Journal.load(journal_file).entries == {}
    code, out, _ = loop.run("plan", str(path), "--journal", str(journal_file))
    assert "register-migration" not in out


def test_send_code_asks_for_the_code_with_locale_and_method_for_a_declared_migration(loop: Loop) -> None:
    path = _migration_setup(loop)
    code, _, err = loop.run("migration", "send-code", str(path), "--space", "travel", "--number", "+8613800009999",
                            "--method", "voice", "--locale", "zh_CN")
    assert code == 0, err
    assert "expires within minutes" in err and "$CAMS_SECRET_ACME_CODE" in err
    [sent] = loop.writes()
    assert sent["action"] == "GetMigrationVerifyCode"
    assert {k: sent["parameters"][k] for k in ("CustSpaceId", "PhoneNumber", "Locale", "Method")} == {
        "CustSpaceId": B, "PhoneNumber": "8613800009999", "Locale": "zh_CN", "Method": "voice"}


@pytest.mark.parametrize("argv, message", [
    (["--space", "nope", "--number", "+8613800009999"], "--space nope: no such space (known: travel)"),
    (["--space", "travel", "--number", "+8613800001111"], "not declared in space travel"),
])
def test_send_code_refuses_what_the_yaml_does_not_declare(loop: Loop, argv: list[str], message: str) -> None:
    path = _migration_setup(loop)
    code, _, err = loop.run("migration", "send-code", str(path), *argv)
    assert code == 1 and message in err and loop.writes() == []


def test_a_skipped_migration_says_how_to_get_the_code(loop: Loop) -> None:
    path = _migration_setup(loop)
    code, out, err = loop.run("apply", str(path), "--auto-approve")
    assert code == 1
    assert "migration send-code PATH --space travel --number 8613800009999" in out
    assert "run apply again" not in (out + err).lower().replace("run apply again to retry what failed", "")


# -- 9. small truths ---------------------------------------------------------------------------------------------

def test_in_process_emulator_says_its_state_is_discarded(capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", CODE)
    assert main(["apply", str(repo / "examples" / "spaces"), "--emulator",
                 str(repo / "examples" / "emulator-state.yaml"), "--auto-approve"]) in (0, 1)
    assert "discarded when this command exits" in capsys.readouterr().err


def test_import_warns_where_it_leaves_expect_out_and_can_record_today(loop: Loop) -> None:
    loop.start(state({A: {"phone_numbers": [number("8613800000001", QualityRating="RED", Status="RESTRICTED"),
                                            number("8613800000002")]}}))
    code, out, err = loop.run("import", "--space-id", A, "--name", "retail")
    assert code == 0, err
    assert "8613800000001: Status RESTRICTED, QualityRating RED" in err and "--record-health" in err
    assert "8613800000002" not in err
    code, recorded, err = loop.run("import", "--space-id", A, "--name", "retail", "--record-health")
    assert "status: [RESTRICTED]" in recorded and "quality_rating: [RED]" in recorded
    loop.yaml.write_text(recorded)
    code, out, err = loop.run("plan", str(loop.yaml), "--detailed-exitcode")
    assert code == 0, out + err  # today's values recorded: no drift until they change


def test_import_schema_path_is_absolute_outside_a_repository(loop: Loop, tmp_path: Path) -> None:
    loop.start(state({A: {"phone_numbers": [number("8613800000001")]}}))
    monkeypatch = loop.mp
    monkeypatch.chdir(tmp_path)  # tmp_path is not inside a git work tree
    code, out, err = loop.run("import", "--space-id", A, "--name", "retail")
    ref = out.splitlines()[0].split("$schema=", 1)[1]
    assert Path(ref).is_absolute() and Path(ref).is_file()
