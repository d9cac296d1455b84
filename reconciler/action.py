"""The body of the GitHub Action (``action.yml``): ``python -m reconciler.action [COMMAND]``.

One step does it all, so that nothing but this process ever holds the OIDC token:

1. log in the Alibaba Cloud way: fetch the job's OIDC token for the audience (``sts.aliyuncs.com``), write it
   to a 0600 file, and hand ``ALIBABA_CLOUD_ROLE_ARN`` / ``ALIBABA_CLOUD_OIDC_PROVIDER_ARN`` /
   ``ALIBABA_CLOUD_OIDC_TOKEN_FILE`` / ``ALIBABA_CLOUD_ROLE_SESSION_NAME`` to the command; the official
   credentials library (``[credentials]`` extra) exchanges it with STS ``AssumeRoleWithOIDC`` and refreshes;
2. run ``cams-reconciler validate | plan | apply | drift`` as a child process (SIGINT/SIGTERM from a
   cancelled job reach it; this process waits for it, so apply still writes its results file);
3. write the job summary (always: the outcome in its first line), the step outputs (exit code, outcome,
   counts, plan/results/markdown paths, the refusal reason) and, for plan and drift, the annotations from
   the saved plan (``show --format github``, capped to GitHub's limits).

Inputs come from ``INPUT_*`` environment variables (``INPUT_PLAN_FILE`` for the input ``plan-file``), as
GitHub passes them to JavaScript actions: ``action.yml`` maps each ``${{ inputs.x }}`` into ``env:``, never
into the script text, so no input can inject shell. It runs the same way outside GitHub (docs/gitops.md,
"Try the whole loop locally"), with ``GITHUB_STEP_SUMMARY`` and ``GITHUB_OUTPUT`` pointing at local files.
"""

from __future__ import annotations

import base64
import glob
import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMMANDS = ("validate", "plan", "apply", "drift", "matrix", "merge")
#: What ``command: merge`` joins (input ``pieces-of``): a matrix run's plans, drift reports or apply results.
PIECES_OF = ("plan", "drift", "apply")
#: Commands that make no API call: no OIDC login.
OFFLINE = ("validate", "matrix", "merge")
DEFAULT_AUDIENCE = "sts.aliyuncs.com"
TOKEN_FILE_NAME = "cams-reconciler-oidc-token"


class ActionError(Exception):
    """A problem with the action's inputs or environment: one line, exit 1."""


def _flag(value: str, name: str) -> bool:
    text = value.strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("", "false", "0", "no"):
        return False
    raise ActionError(f"input {name}: expected true or false, got {value!r}")


@dataclass(frozen=True)
class Inputs:
    command: str
    paths: tuple[str, ...] = ("spaces",)
    plan_file: str = "plan.json"
    results_file: str = "results.json"
    markdown_file: str = ""  # default: <command>.md
    changed_since: str = ""
    force: bool = False
    auto_approve: bool = False
    fail_on_drift: bool = True
    annotate: bool = True
    region: str = ""
    endpoint: str = ""
    link_base: str = ""
    args: tuple[str, ...] = ()
    role_arn: str = ""
    oidc_provider_arn: str = ""
    audience: str = DEFAULT_AUDIENCE
    session_name: str = ""
    state_store: str = ""  # plan, drift, apply: the state store (docs/state.md); the workflows use git:cams-state
    lock_timeout: str = ""  # apply: how long to wait for another run's lock
    state_token: str = field(default="", repr=False)  # the token git fetches and pushes the state branch with
    account: str = ""  # plan, apply, drift: the one declared account of this job (a matrix job's), read with its role
    pieces: tuple[str, ...] = ()  # merge: the pieces' files (glob patterns, expanded here, never by a shell)
    pieces_of: str = ""  # merge: plan | drift | apply

    @property
    def markdown_path(self) -> str:
        return self.markdown_file or f"{self.command}.md"


def inputs_from_env(env: Mapping[str, str], command: str | None = None) -> Inputs:
    def get(name: str, default: str = "") -> str:
        return env.get("INPUT_" + name.upper().replace("-", "_"), default).strip() or default

    cmd = command or get("command")
    if cmd not in COMMANDS:
        raise ActionError(f"input command: expected one of {', '.join(COMMANDS)}, got {cmd!r}")
    try:
        extra = tuple(shlex.split(get("args")))
    except ValueError as exc:
        raise ActionError(f"input args: {exc}") from None
    role, provider = get("role-arn"), get("oidc-provider-arn")
    if bool(role) != bool(provider):
        raise ActionError("inputs role-arn and oidc-provider-arn go together: give both (OIDC login) or neither")
    run_id = env.get("GITHUB_RUN_ID", "local")
    pieces, pieces_of = tuple(get("pieces").split()), get("pieces-of")
    if cmd == "merge" and (pieces_of not in PIECES_OF or not pieces):
        raise ActionError(f"command merge needs input pieces (the files' patterns) and pieces-of (one of "
                          f"{', '.join(PIECES_OF)}), got pieces-of {pieces_of!r}")
    return Inputs(
        command=cmd,
        paths=tuple(get("paths", "spaces").split()),
        plan_file=get("plan-file", "plan.json"),
        results_file=get("results-file", "results.json"),
        markdown_file=get("markdown-file"),
        changed_since=get("changed-since"),
        force=_flag(get("force"), "force"),
        auto_approve=_flag(get("auto-approve"), "auto-approve"),
        fail_on_drift=_flag(get("fail-on-drift", "true"), "fail-on-drift"),
        annotate=_flag(get("annotate", "true"), "annotate"),
        region=get("region"),
        endpoint=get("endpoint"),
        link_base=get("link-base"),
        args=extra,
        role_arn=role,
        oidc_provider_arn=provider,
        audience=get("oidc-audience", DEFAULT_AUDIENCE),
        session_name=get("role-session-name", f"cams-{cmd}-{run_id}"),
        state_store=get("state-store"),
        lock_timeout=get("lock-timeout"),
        state_token=get("state-token"),
        account=get("account"),
        pieces=pieces,
        pieces_of=pieces_of,
    )


# -- the command line --------------------------------------------------------------------------------------

def command_line(inputs: Inputs, *, plan_exists: bool) -> list[str]:
    """``cams-reconciler`` argv (without the program) for the inputs."""
    connection: list[str] = []
    if inputs.endpoint:
        connection += ["--endpoint", inputs.endpoint]
    if inputs.region:
        connection += ["--region", inputs.region]
    paths = list(inputs.paths)
    if inputs.command == "validate":
        return ["validate", *paths, "--format", "github", *inputs.args]
    scope = ["--changed-since", inputs.changed_since] if inputs.changed_since else []
    if inputs.command == "matrix":
        return ["matrix", *paths, "--format", "github", *scope, *inputs.args]
    if inputs.command == "merge":
        files = sorted({f for pattern in inputs.pieces for f in glob.glob(pattern)})
        if not files:
            raise ActionError(f"merge: no file matches {' '.join(inputs.pieces)}: did the matrix jobs upload "
                              "their pieces?")
        yaml = [word for p in paths for word in ("--yaml", p)]
        link = ["--link-base", inputs.link_base] if inputs.link_base else []
        if inputs.pieces_of == "plan":
            return ["show", "--merge", *files, *yaml, "--format", "markdown", "--out", inputs.plan_file,
                    "--detailed-exitcode", *scope, *link, *inputs.args]
        if inputs.pieces_of == "drift":
            return ["drift", "--merge", *files, *yaml, "--format", "markdown", "--out", inputs.plan_file, *link,
                    *inputs.args]
        return ["show", "--merge", *files, *yaml, "--format", "markdown", *scope, *inputs.args]
    if inputs.command in ("plan", "drift"):
        argv = [inputs.command, *paths, "--format", "markdown", "--out", inputs.plan_file]
        if inputs.command == "plan":
            argv.append("--detailed-exitcode")
            if inputs.changed_since:
                argv += ["--changed-since", inputs.changed_since]
            if inputs.force:
                argv.append("--force")
        if inputs.link_base:
            argv += ["--link-base", inputs.link_base]
        return argv + connection + _account(inputs) + list(inputs.args)
    # apply: the reviewed plan when there is one; a fresh plan only with an explicit auto-approve
    argv = ["apply", *paths]
    if plan_exists:
        # the overrides of a saved plan run only when re-asserted here (never read from the file alone)
        argv += ["--plan", inputs.plan_file]
        if inputs.changed_since:
            argv += ["--changed-since", inputs.changed_since]
        if inputs.force:
            argv.append("--force")
    elif inputs.auto_approve:
        argv.append("--auto-approve")
    else:
        raise ActionError(f"apply: no plan file {inputs.plan_file!r} and auto-approve is false: there is no "
                          "reviewed plan to apply (set auto-approve: true to plan and apply afresh)")
    return (argv + ["--results", inputs.results_file, "--format", "markdown"] + connection + _account(inputs)
            + list(inputs.args))


def _account(inputs: Inputs) -> list[str]:
    return ["--account", inputs.account] if inputs.account else []


# -- OIDC -------------------------------------------------------------------------------------------------

def fetch_oidc_token(env: Mapping[str, str], audience: str, *, timeout: float = 30.0) -> str:
    """The job's OIDC token from the runner's token service (what ``core.getIDToken`` does)."""
    url, bearer = env.get("ACTIONS_ID_TOKEN_REQUEST_URL"), env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if not url or not bearer:
        raise ActionError("no OIDC token available: the job needs `permissions: id-token: write` "
                          "(pull requests from forks never get one)")
    sep = "&" if "?" in url else "?"
    request = urllib.request.Request(f"{url}{sep}audience={urllib.parse.quote(audience, safe='')}",
                                     headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the runner's URL
            body = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise ActionError(f"the OIDC token request failed: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ActionError(f"the OIDC token request failed: {getattr(exc, 'reason', exc)}") from None
    token = body.get("value") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise ActionError("the OIDC token service answered without a token")
    return token


def write_token(directory: Path, token: str) -> Path:
    path = directory / TOKEN_FILE_NAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # also when the file was there already
        os.write(fd, token.encode("utf-8"))
    finally:
        os.close(fd)
    return path


def state_env(inputs: Inputs, env: Mapping[str, str]) -> dict[str, str]:
    """The state store for the child (``validate`` keeps none), and for a Git store on GitHub the token git
    authenticates with, as a header in git's per-process configuration (``GIT_CONFIG_*``): nothing is
    written into ``.git/config``, so the checkout can stay ``persist-credentials: false`` and no later step
    finds the token on disk."""
    if inputs.command == "validate" or not inputs.state_store:
        return {}
    out = {"CAMS_RECONCILER_STATE_STORE": inputs.state_store}
    if inputs.lock_timeout:
        out["CAMS_RECONCILER_LOCK_TIMEOUT"] = inputs.lock_timeout
    if inputs.state_store.startswith("git:") and inputs.state_token:
        server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
        basic = base64.b64encode(f"x-access-token:{inputs.state_token}".encode()).decode()
        count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
        out.update({"GIT_CONFIG_COUNT": str(count + 1), f"GIT_CONFIG_KEY_{count}": f"http.{server}/.extraheader",
                    f"GIT_CONFIG_VALUE_{count}": f"AUTHORIZATION: basic {basic}"})
    return out


def credential_env(inputs: Inputs, token_file: Path) -> dict[str, str]:
    """The variables the official ``alibabacloud-credentials`` chain reads for an OIDC role login."""
    return {
        "ALIBABA_CLOUD_ROLE_ARN": inputs.role_arn,
        "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": inputs.oidc_provider_arn,
        "ALIBABA_CLOUD_OIDC_TOKEN_FILE": str(token_file),
        "ALIBABA_CLOUD_ROLE_SESSION_NAME": inputs.session_name,
    }


# -- outcome ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    outcome: str  # a word for `if:` conditions: valid, invalid, no-changes, changes, nothing-to-plan, ...
    title: str  # the summary's first line
    failed: bool  # the step fails
    counts: Mapping[str, int]
    reason: str = ""


def _load_json(path: str, since: float | None = None) -> dict[str, Any] | None:
    """The JSON object in ``path``; None when there is none, or when it is older than ``since`` (a file
    left by an earlier run must not be taken for this run's)."""
    try:
        if since is not None and Path(path).stat().st_mtime < since:
            return None
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _drift_summary(plan: Mapping[str, Any] | None) -> str:
    """``Drift: 2 webhooks differ from the YAML; ...`` of the saved plan (``drift``'s own summary, not the
    plan's ``summary`` field), or "" when the file is not a plan this version reads."""
    from reconciler.core.plan import Plan
    from reconciler.render.describe import drift_summary

    try:
        return drift_summary(Plan.from_dict(plan)) if plan else ""
    except (KeyError, TypeError, ValueError):
        return ""


def decide(inputs: Inputs, code: int, errors: Sequence[str], since: float | None = None,
           markdown: str = "") -> Outcome:
    """What happened, from the exit code and the files the command wrote since ``since`` (pure but for
    reading them). A merge of plans or drift reports is judged as the plan or drift it makes."""
    reason = errors[-1] if errors else ""
    cmd = inputs.command
    if cmd == "matrix":
        if code != 0:
            return Outcome("error", "cams-reconciler matrix: failed", True, {}, reason)
        return Outcome("matrix", "cams-reconciler matrix: the jobs of this run", False, {})
    if cmd == "merge" and inputs.pieces_of in ("plan", "drift"):
        cmd = inputs.pieces_of
    elif cmd == "merge":  # apply outcomes: the merged comment's title says which accounts applied
        title = next((line.lstrip("# ").strip() for line in markdown.splitlines() if line.startswith("#")),
                     "cams-reconciler apply: merged outcome")
        if code == 0:
            return Outcome("applied", title, False, {})
        return Outcome("not-applied", title, True, {}, reason or title)
    if cmd == "validate":
        if code == 0:
            return Outcome("valid", "cams-reconciler validate: the YAML is valid", False, {})
        return Outcome("invalid", "cams-reconciler validate: problems found (annotated on the lines)", True, {},
                       reason)
    if cmd in ("plan", "drift"):
        plan = _load_json(inputs.plan_file, since) if code in (0, 1, 2) else None
        counts = dict(plan.get("counts", {})) if plan else {}
        writes = sum(v for k, v in counts.items() if k not in ("drift", "unmanaged", "misplaced", "pending"))
        counts["writes"] = writes
        summary = str(plan.get("summary", "")) if plan else ""
        if code == 1:
            return Outcome("error", f"cams-reconciler {cmd}: failed", True, counts, reason or summary)
        if cmd == "drift":
            if code == 0:
                return Outcome("in-sync", "cams-reconciler drift: in sync", False, counts)
            return Outcome("drift", f"cams-reconciler drift: drift found — {_drift_summary(plan) or summary}",
                           inputs.fail_on_drift, counts)
        if plan is not None and not plan.get("spaces"):
            return Outcome("nothing-to-plan", "cams-reconciler plan: no space changed, nothing to plan", False,
                           counts)
        if code == 0:
            return Outcome("no-changes", "cams-reconciler plan: no changes", False, counts)
        return Outcome("changes", f"cams-reconciler plan: {summary}", False, counts)
    results = _load_json(inputs.results_file, since)
    counts = dict(results.get("counts", {})) if results else {}
    status = str(results.get("status", "")) if results else ""
    if code == 0 and results is not None and not results.get("results"):
        return Outcome("no-changes", "cams-reconciler apply: nothing to apply", False, counts)
    if code == 0:
        return Outcome("applied", f"cams-reconciler apply: applied — {results.get('summary', '') if results else ''}"
                       .rstrip(" —"), False, counts)
    if results is None or (not results.get("results") and status != "interrupted"):
        return Outcome("refused", "cams-reconciler apply: refused, nothing was written", True, counts,
                       reason or f"apply exited {code}")
    word = status or "failed"
    return Outcome(word, f"cams-reconciler apply: {word} — {results.get('summary', '')}", True, counts, reason)


def _matrix_markdown(matrix: Mapping[str, str]) -> str:
    jobs = [job for n in range(1, int(matrix.get("waves") or 0) + 1) if f"wave-{n}" in matrix
            for job in json.loads(matrix[f"wave-{n}"]).get("include", [])]
    lines = [f"{len(jobs)} job(s) in {matrix.get('waves', '0')} wave(s); accounts: {matrix.get('accounts') or 'none'}",
             "", "| job | account | wave | spaces | floor (min) |", "| --- | --- | ---: | ---: | ---: |"]
    lines += [f"| {j['job']} | {j['account']} | {j['wave']} | {len(j['spaces'])} | {j['floor_minutes']} |" for j in jobs]
    return "\n".join(lines) + "\n"


# -- GitHub files -------------------------------------------------------------------------------------------

def write_outputs(path: str, values: Mapping[str, str]) -> None:
    """Append ``name<<DELIM`` blocks to ``$GITHUB_OUTPUT`` (a random delimiter: a value cannot end the block)."""
    with open(path, "a", encoding="utf-8") as out:
        for name, value in values.items():
            delimiter = f"ghadelimiter_{secrets.token_hex(8)}"
            out.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def summary_text(inputs: Inputs, result: Outcome, markdown: str) -> str:
    icon = "❌" if result.failed else ("⚠️" if result.outcome in ("changes", "drift") else "✅")
    lines = [f"### {icon} {result.title}", ""]
    if result.reason:
        lines += [f"**Why:** {result.reason}", ""]
        if result.outcome == "refused":
            lines += ["Nothing was written. Fix the cause, then run a fresh plan (push a commit to the pull "
                      "request) or run the apply workflow by hand: plan, review, apply.", ""]
    if markdown.strip():
        lines += [markdown.rstrip(), ""]
    return "\n".join(lines) + "\n"


# -- running ----------------------------------------------------------------------------------------------

def _run_child(argv: list[str], env: Mapping[str, str], stdout: Any) -> tuple[int, list[str]]:
    """Run ``cams-reconciler argv``; stderr goes through to the log and its ``error:`` lines are kept."""
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", *argv], env=dict(env), stdout=stdout,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace")

    def forward(signum: int, _frame: Any) -> None:  # a cancelled job: let apply stop cleanly, then report
        try:
            proc.send_signal(signum)
        except ProcessLookupError:
            pass

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    errors: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            sys.stderr.write(line)
            sys.stderr.flush()
            if line.startswith("error: "):
                errors.append(line[len("error: "):].strip())
            elif errors and line.startswith("  - "):  # a refusal's list of reasons: the reason stays one line
                errors[-1] += ("" if errors[-1].endswith(":") else ";") + " " + line[4:].strip()
        code = proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code, errors


def run(inputs: Inputs, env: Mapping[str, str]) -> int:
    child_env = {k: v for k, v in env.items() if not k.startswith(("INPUT_", "ACTIONS_ID_TOKEN_REQUEST_"))}
    child_env.setdefault("PYTHONUNBUFFERED", "1")
    child_env.update(state_env(inputs, env))
    if inputs.role_arn and inputs.command not in OFFLINE:
        token = fetch_oidc_token(env, inputs.audience)
        token_dir = Path(env.get("RUNNER_TEMP") or os.getcwd())
        child_env.update(credential_env(inputs, write_token(token_dir, token)))
        if inputs.account:  # the role is this account's: the YAML's account of that name is read with it
            child_env["CAMS_RECONCILER_AMBIENT_ACCOUNT"] = inputs.account
    plan_exists = Path(inputs.plan_file).is_file()
    argv = command_line(inputs, plan_exists=plan_exists)
    started = time.time() - 1.0  # file times may be coarser than the clock
    print(f"cams-reconciler {shlex.join(argv)}", file=sys.stderr, flush=True)
    matrix: dict[str, str] = {}
    if inputs.command == "matrix":
        with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
            code, errors = _run_child(argv, child_env, out)
            out.seek(0)
            matrix = dict(line.split("=", 1) for line in out.read().splitlines() if "=" in line)
        markdown = _matrix_markdown(matrix)
    elif inputs.command == "validate":
        code, errors = _run_child(argv, child_env, sys.stdout)  # the annotations are the report
        markdown = ""
        if code != 0:
            text = subprocess.run([sys.executable, "-m", "reconciler", "validate", *inputs.paths],
                                  env=child_env, capture_output=True, text=True).stderr
            markdown = "```text\n" + text.strip() + "\n```"
    else:
        with open(inputs.markdown_path, "w", encoding="utf-8") as md:
            code, errors = _run_child(argv, child_env, md)
        markdown = Path(inputs.markdown_path).read_text(encoding="utf-8")
    reported = inputs.pieces_of if inputs.command == "merge" else inputs.command
    if inputs.annotate and reported in ("plan", "drift") and Path(inputs.plan_file).is_file():
        sys.stdout.flush()
        _run_child(["show", inputs.plan_file, "--format", "github"], child_env, sys.stdout)
    result = decide(inputs, code, errors, since=started, markdown=markdown)
    if env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
            summary.write(summary_text(inputs, result, markdown))
    if env.get("GITHUB_OUTPUT"):
        write_outputs(env["GITHUB_OUTPUT"], {
            "exit-code": str(code),
            "outcome": result.outcome,
            "title": result.title,
            "reason": result.reason,
            "counts": json.dumps(dict(result.counts), sort_keys=True),
            "writes": str(result.counts.get("writes", result.counts.get("done", 0))),
            "plan-path": inputs.plan_file if Path(inputs.plan_file).is_file() else "",
            "results-path": inputs.results_file if Path(inputs.results_file).is_file() else "",
            "markdown-path": inputs.markdown_path if Path(inputs.markdown_path).is_file() else "",
            **matrix,  # matrix: jobs, accounts, several, waves, wave-1.. (each a strategy.matrix document)
        })
    print(result.title + (f": {result.reason}" if result.reason else ""), file=sys.stderr)
    return 1 if result.failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print("usage: python -m reconciler.action [validate|plan|apply|drift]  (inputs: INPUT_* variables, "
              "see action.yml)", file=sys.stderr)
        return 1
    try:
        inputs = inputs_from_env(os.environ, args[0] if args else None)
        return run(inputs, os.environ)
    except ActionError as exc:
        print(f"::error title=cams-reconciler action::{exc}", flush=True)
        print(f"error: {exc}", file=sys.stderr)
        if os.environ.get("GITHUB_STEP_SUMMARY"):
            with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
                summary.write(f"### ❌ cams-reconciler: not run\n\n**Why:** {exc}\n")
        if os.environ.get("GITHUB_OUTPUT"):
            write_outputs(os.environ["GITHUB_OUTPUT"], {"exit-code": "1", "outcome": "error", "reason": str(exc)})
        return 1


if __name__ == "__main__":
    sys.exit(main())
