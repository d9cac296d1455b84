"""The example GitHub Actions workflows (``examples/ci/github-actions/``): valid for GitHub Actions, wired as
the README says, and every ``cams-reconciler`` command they run is accepted by our real argument parser.

What is checked, and why:
- the structure GitHub requires (``on``, ``jobs``, ``runs-on``, steps with exactly one of ``uses``/``run``),
  and the conventions the workflows promise (one PR comment updated in place, ``$GITHUB_STEP_SUMMARY``,
  a concurrency group that never cancels an apply, least-privilege ``permissions``, OIDC);
- every ``cams-reconciler ...`` line in every ``run:`` block parses with ``reconciler.cli.build_parser()``,
  so renaming a flag or a command breaks this test instead of a team's pipeline;
- the ``ALIBABA_CLOUD_*`` variables the workflows set are the ones the official credentials library
  (``alibabacloud_credentials``, installed by ``cams-reconciler[credentials]``) actually reads, checked by
  importing it in a fresh process with those variables and asking it for the OIDC provider it would use.

YAML 1.1 (PyYAML's default) reads the key ``on`` as the boolean True; GitHub reads it as the string "on".
``ActionsLoader`` resolves only ``true``/``false`` as booleans, as GitHub's parser does.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = REPO / "examples" / "ci" / "github-actions"
WORKFLOWS = ("cams-plan.yml", "cams-apply.yml", "cams-drift.yml")

OIDC_VARS = ("ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE")
SHELL_OPERATORS = {"|", "||", "&", "&&", ";", ";;", ">", ">>", "<", "<<", ">&", "<&", "(", ")", "|&"}


class ActionsLoader(yaml.SafeLoader):
    """SafeLoader whose booleans are only true/false (YAML 1.2 core schema, as GitHub Actions reads)."""


ActionsLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ActionsLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                    list("tTfF"))


def load_workflow(name: str) -> dict[str, Any]:
    return yaml.load((WORKFLOW_DIR / name).read_text(encoding="utf-8"), Loader=ActionsLoader)


def steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_name, job in workflow["jobs"].items():
        for step in job["steps"]:
            yield job_name, step


def run_blocks(workflow: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    for _, step in steps(workflow):
        if "run" in step:
            yield step, step["run"]


# -- extracting the cams-reconciler command lines from shell -------------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)          # ${{ github.base_ref }}
_SHELL_VAR = re.compile(r"\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)")  # $SPACES, ${SPACES}
_FD_REDIRECT = re.compile(r"(?<=\s)\d+(?=[<>])")       # the 2 of `2>file`, `2>&1`
PLACEHOLDER = "PLACEHOLDER"


def invocations(script: str) -> list[tuple[str, list[str]]]:
    """``(source line, argv after "cams-reconciler")`` for each invocation in a shell script.

    Backslash continuations are joined, GitHub expressions and shell variables become a placeholder word
    (their values exist only on the runner), and the command ends at the first shell operator (``>``,
    ``|``, ``;``, ``&&``...).
    """
    found: list[tuple[str, list[str]]] = []
    joined = re.sub(r"\\\n", " ", script)
    for line in joined.splitlines():
        text = _SHELL_VAR.sub(PLACEHOLDER, _EXPRESSION.sub(PLACEHOLDER, line))
        text = _FD_REDIRECT.sub("", text)  # `2>err.log` → `>err.log`: the 2 is not an argument
        lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        try:
            tokens = list(lexer)
        except ValueError as exc:  # unbalanced quotes: a broken script is a finding too
            raise AssertionError(f"cannot split shell line {line.strip()!r}: {exc}") from None
        for i, token in enumerate(tokens):
            if token != "cams-reconciler":
                continue
            argv: list[str] = []
            for word in tokens[i + 1:]:
                if word in SHELL_OPERATORS:
                    break
                argv.append(word)
            found.append((line.strip(), argv))
    return found


def parse_problem(argv: list[str]) -> str | None:
    """None when our real parser accepts ``argv``, else argparse's complaint."""
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return stderr.getvalue().strip().splitlines()[-1] if stderr.getvalue().strip() else f"exit {exc.code}"
    if not callable(getattr(args, "func", None)):
        return "no command given"
    return None


def all_invocations() -> list[tuple[str, str, list[str]]]:
    return [(name, line, argv) for name in WORKFLOWS for _, script in run_blocks(load_workflow(name))
            for line, argv in invocations(script)]


ACTION = REPO / "action.yml"
ACTION_REF = re.compile(r"^[\w.-]+/cams-reconciler@[0-9a-f]{40}$")  # ORG/cams-reconciler@<commit>
# The workflows run the action through a local action of the copied repository, the one place it is pinned.
WRAPPER = WORKFLOW_DIR / "cams-reconciler" / "action.yml"
LOCAL_ACTION = "./.github/actions/cams-reconciler"


def load_action() -> dict[str, Any]:
    return yaml.load(ACTION.read_text(encoding="utf-8"), Loader=ActionsLoader)


def load_wrapper() -> dict[str, Any]:
    return yaml.load(WRAPPER.read_text(encoding="utf-8"), Loader=ActionsLoader)


def runs_tool(step: dict[str, Any]) -> bool:
    return str(step.get("uses", "")) == LOCAL_ACTION


#: Commands of the action that make no API call (no OIDC login, no state store).
OFFLINE_COMMANDS = ("validate", "matrix", "merge")
#: A matrix job's selection (``--target`` words of a shard; empty for a whole account).
MATRIX_TARGETS = "${{ matrix.targets }}"


def fleet_job(job: dict[str, Any]) -> bool:
    """A job of the several-accounts path: a matrix over the accounts."""
    return "strategy" in job


def action_steps(name: str) -> list[dict[str, Any]]:
    """The steps of a workflow that run our action (through the local action that pins it)."""
    return [step for _, step in steps(load_workflow(name)) if runs_tool(step)]


_INPUT_REF = re.compile(r"^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$")


def action_inputs(step: dict[str, Any]) -> dict[str, str]:
    """The inputs the pinned action receives for a workflow step, as GitHub would pass them: the step's
    ``with:`` (or the local action's default) through the local action's ``with:`` to the pinned action."""
    wrapper = load_wrapper()
    declared = wrapper["inputs"]
    given = step.get("with", {})
    assert set(given) <= set(declared), f"{step.get('name')}: not an input of the local action: " \
                                        f"{sorted(set(given) - set(declared))}"
    [pinned] = wrapper["runs"]["steps"]
    out: dict[str, str] = {}
    forwarded: set[str] = set()
    for name, value in pinned["with"].items():
        ref = _INPUT_REF.match(str(value))
        assert ref, f"the local action passes {name} as {value!r}: forward the input as it is"
        source = ref.group(1)
        out[name] = str(given.get(source, declared[source].get("default", "")))
        forwarded.add(source)
    assert set(given) <= forwarded, f"{step.get('name')}: given but never passed on: {sorted(set(given) - forwarded)}"
    return out


def action_argv(step: dict[str, Any], *, plan_exists: bool = True, auto_approve: bool = False) -> list[str]:
    """What ``reconciler.action`` would run for this step's ``with:`` (expressions as placeholders)."""
    from reconciler.action import command_line, inputs_from_env

    inputs = {k: v.replace(MATRIX_TARGETS, "") for k, v in action_inputs(step).items()}
    if inputs.get("pieces"):  # merge: any existing file stands for the downloaded pieces
        inputs["pieces"] = str(REPO / "README.md")
    env = {"INPUT_" + k.upper().replace("-", "_"): _EXPRESSION.sub(PLACEHOLDER, v) for k, v in inputs.items()}
    for flag in ("INPUT_FORCE", "INPUT_AUTO_APPROVE", "INPUT_FAIL_ON_DRIFT", "INPUT_ANNOTATE"):
        if env.get(flag) == PLACEHOLDER:
            env[flag] = "false"
    if auto_approve:
        env["INPUT_AUTO_APPROVE"] = "true"
    return command_line(inputs_from_env(env), plan_exists=plan_exists)


# -- the checker itself can fail ---------------------------------------------------------------------------

def test_extraction_joins_continuations_and_substitutes_expressions() -> None:
    script = ('set +e\ncams-reconciler plan "$SPACES" \\\n  --changed-since "origin/${{ github.base_ref }}" \\\n'
              '  --format markdown --out plan.json > plan.md\ncode=$?  # cams-reconciler in a comment\n'
              'if [ -f x ]; then cams-reconciler show x --format github; fi\n'
              'cams-reconciler emulator --state s.yaml --port 8800 2>emu.log &\n')
    found = invocations(script)
    assert [argv for _, argv in found] == [
        ["plan", PLACEHOLDER, "--changed-since", f"origin/{PLACEHOLDER}", "--format", "markdown", "--out",
         "plan.json"],
        ["show", "x", "--format", "github"],
        ["emulator", "--state", "s.yaml", "--port", "8800"],
    ]


@pytest.mark.parametrize("line", [
    "cams-reconciler plan spaces --bogus-flag",
    "cams-reconciler plan spaces --format yaml",
    "cams-reconciler shwo plan.json",
    "cams-reconciler apply --auto-approve",                # no PATH
    "cams-reconciler show",                                # no PLAN_FILE
    "cams-reconciler",                                     # no command
])
def test_checker_rejects_bad_command_lines(line: str) -> None:
    [(_, argv)] = invocations(line + " > out.md")
    assert parse_problem(argv) is not None


# -- every command the workflows run exists, with these flags ---------------------------------------------

def test_every_action_step_gives_known_inputs_and_a_command_line_that_parses() -> None:
    inputs = load_action()["inputs"]
    required = {name for name, spec in inputs.items() if spec.get("required")}
    wrapper = load_wrapper()
    # the local action forwards only inputs the pinned action has, every required one, and all its outputs
    [pinned] = wrapper["runs"]["steps"]
    assert ACTION_REF.match(pinned["uses"]) and required <= set(pinned["with"]) <= set(inputs)
    assert set(wrapper["outputs"]) == set(load_action()["outputs"])
    for output, spec in wrapper["outputs"].items():
        assert spec["value"] == f"${{{{ steps.{pinned['id']}.outputs.{output} }}}}", output
    commands = set()
    for name in WORKFLOWS:
        for step in action_steps(name):
            given = set(action_inputs(step))
            assert required <= given, f"{name}: {step.get('name')}: missing {sorted(required - given)}"
            for plan_exists in (True, False):  # apply: the reviewed plan, or a fresh one (auto-approve)
                argv = action_argv(step, plan_exists=plan_exists, auto_approve=not plan_exists)
                assert parse_problem(argv) is None, f"{name}: {argv}: {parse_problem(argv)}"
                commands.add(argv[0])
    assert commands == {"validate", "plan", "apply", "drift", "matrix", "show"}, commands  # merge: show --merge
    problems = [f"{name}: {line!r}: {problem}" for name, line, argv in all_invocations()
                if (problem := parse_problem(argv)) is not None]
    assert not problems, "\n".join(problems)


# -- GitHub Actions structure --------------------------------------------------------------------------------

def test_the_three_workflows_are_there() -> None:
    assert sorted(p.name for p in WORKFLOW_DIR.glob("*.yml")) == sorted(WORKFLOWS)


@pytest.mark.parametrize("name", WORKFLOWS)
def test_structure(name: str) -> None:
    wf = load_workflow(name)
    assert True not in wf, "`on` was read as a boolean: load with ActionsLoader"
    assert isinstance(wf.get("name"), str)
    assert isinstance(wf.get("on"), dict) and wf["on"]
    assert isinstance(wf.get("jobs"), dict) and wf["jobs"]
    for job_name, job in wf["jobs"].items():
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", job_name)
        assert "runs-on" in job, job_name
        assert isinstance(job.get("steps"), list) and job["steps"], job_name
        for step in job["steps"]:
            assert isinstance(step, dict)
            assert ("uses" in step) != ("run" in step), f"{name}/{job_name}: a step needs exactly one of uses/run: {step}"
            if "uses" in step:
                assert runs_tool(step) or re.fullmatch(r"[\w.-]+/[\w./-]+@[\w.-]+", step["uses"]), step["uses"]
            else:
                assert isinstance(step["run"], str) and step["run"].strip()
            if "if" in step:
                assert isinstance(step["if"], str)
    ids = [step["id"] for _, step in steps(wf) if "id" in step]
    assert len(ids) == len(set(ids))
    # every steps.<id>.outputs reference names a step that exists
    text = (WORKFLOW_DIR / name).read_text(encoding="utf-8")
    assert set(re.findall(r"steps\.([\w-]+)\.outputs", text)) <= set(ids)


@pytest.mark.parametrize("name", WORKFLOWS)
def test_matches_the_github_workflow_schema(name: str) -> None:
    """SchemaStore's GitHub workflow schema, as vendored by check-jsonschema (a test extra): catches keys
    GitHub does not know (`runs-onn`), wrong shapes and wrong value types."""
    pytest.importorskip("check_jsonschema")
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files("check_jsonschema").joinpath(
        "builtin_schemas/vendor/github-workflows.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(load_workflow(name)), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors)
    for job_name, job in load_workflow(name)["jobs"].items():  # GitHub's default is 6 hours
        assert isinstance(job.get("timeout-minutes"), int), f"{job_name}: set timeout-minutes"


def _job_permissions(name: str) -> list[tuple[str, dict[str, Any]]]:
    wf = load_workflow(name)
    assert wf.get("permissions") == {}, "no default token rights at the top: each job says what it needs"
    return [(job_name, job.get("permissions")) for job_name, job in wf["jobs"].items()]


@pytest.mark.parametrize("name", WORKFLOWS)
def test_least_privilege_and_no_long_lived_keys(name: str) -> None:
    jobs = _job_permissions(name)
    networked = [job_name for job_name, job in load_workflow(name)["jobs"].items()
                 if any(runs_tool(s) and s["with"]["command"] not in OFFLINE_COMMANDS
                        for s in job["steps"])]
    assert networked
    for job_name, permissions in jobs:
        assert isinstance(permissions, dict), f"{job_name}: set permissions explicitly"
        if job_name in networked:
            assert permissions.get("id-token") == "write", "OIDC needs id-token: write"
            # only the jobs that write state (apply, drift) may push: to the state branch (docs/gitops.md)
            job = load_workflow(name)["jobs"][job_name]
            writes_state = any(runs_tool(s) and s["with"]["command"] in ("apply", "drift")
                               for s in job["steps"])
            assert permissions.get("contents") == ("write" if writes_state else "read")
        else:
            assert "id-token" not in permissions
    text = (WORKFLOW_DIR / name).read_text(encoding="utf-8")
    assert "ALIBABA_CLOUD_ACCESS_KEY_SECRET" not in text and "secrets.ALIBABA" not in text
    for _, step in steps(load_workflow(name)):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, "no token left in .git/config"


@pytest.mark.parametrize("name", WORKFLOWS)
def test_networked_steps_use_oidc_with_the_right_role(name: str) -> None:
    networked = [s for s in action_steps(name) if s["with"]["command"] not in OFFLINE_COMMANDS]
    assert networked
    for step in networked:
        # only apply writes; a plan (also cams-apply's manual plan run) uses the read-only role
        role = "CAMS_APPLY_ROLE_ARN" if step["with"]["command"] == "apply" else "CAMS_PLAN_ROLE_ARN"
        assert step["with"]["role-arn"] == f"${{{{ vars.{role} }}}}", step.get("name")
        assert step["with"]["oidc-provider-arn"] == "${{ vars.CAMS_OIDC_PROVIDER_ARN }}"
    assert "getIDToken" not in (WORKFLOW_DIR / name).read_text(encoding="utf-8")  # the action logs in


def _credential_library_env_names() -> set[str]:
    """Every ALIBABA_CLOUD_* variable the installed credentials library reads (from its source)."""
    from alibabacloud_credentials.utils import auth_util

    source = Path(auth_util.__file__).read_text(encoding="utf-8")
    return set(re.findall(r"os\.environ\.get\(\s*['\"](ALIBABA_CLOUD_[A-Z0-9_]+)['\"]", source))


def test_oidc_variables_are_the_ones_the_credentials_library_reads(tmp_path: Path) -> None:
    from reconciler.action import credential_env, inputs_from_env

    read = _credential_library_env_names()
    assert set(OIDC_VARS) <= read  # sanity: the source scan works
    inputs = inputs_from_env({"INPUT_COMMAND": "apply", "GITHUB_RUN_ID": "9" * 20,
                              "INPUT_ROLE_ARN": "acs:ram::1234567890123456:role/cams-apply",
                              "INPUT_OIDC_PROVIDER_ARN": "acs:ram::1234567890123456:oidc-provider/github"})
    token = tmp_path / "oidc-token"
    token.write_text("header.payload.signature")
    values = credential_env(inputs, token)
    assert set(values) <= read, f"set but never read by alibabacloud_credentials: {sorted(set(values) - read)}"
    # STS RoleSessionName: 2-64 characters of letters, digits and . @ - _ (a run id is up to 20 digits)
    assert re.fullmatch(r"[\w.@-]{2,64}", values["ALIBABA_CLOUD_ROLE_SESSION_NAME"])

    # And the chain really turns these variables into an OIDC role login with that session name.
    probe = (
        "import json\n"
        "from alibabacloud_credentials.provider.default import DefaultCredentialsProvider\n"
        "from alibabacloud_credentials.provider import OIDCRoleArnCredentialsProvider\n"
        "from reconciler.client.credentials import ChainCredentialsProvider, resolve_credentials\n"
        "chain = DefaultCredentialsProvider()\n"
        "oidc = [p for p in chain._DefaultCredentialsProvider__providers_chain\n"
        "        if isinstance(p, OIDCRoleArnCredentialsProvider)]\n"
        "print(json.dumps({'oidc': len(oidc), 'session': oidc[0]._role_session_name if oidc else None,\n"
        "                  'role': oidc[0]._role_arn if oidc else None,\n"
        "                  'ours': isinstance(resolve_credentials(), ChainCredentialsProvider)}))\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("ALIBABA_CLOUD_")}
    env.update(values)
    proc = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen == {"oidc": 1, "session": values["ALIBABA_CLOUD_ROLE_SESSION_NAME"],
                    "role": values["ALIBABA_CLOUD_ROLE_ARN"], "ours": True}


# -- what each workflow promises ---------------------------------------------------------------------------------

def _options(argv: list[str]) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def _step(name: str, command: str) -> dict[str, Any]:
    """The one step of ``command`` on the one-account path (the several-accounts jobs have their own)."""
    wf = load_workflow(name)
    [step] = [s for job, s in steps(wf) if runs_tool(s) and s["with"]["command"] == command
              and not fleet_job(wf["jobs"][job])]
    return step


def test_plan_workflow() -> None:
    wf = load_workflow("cams-plan.yml")
    assert "pull_request" in wf["on"]
    assert "paths" not in wf["on"]["pull_request"], "a required check must run on every pull request"
    assert {"labeled", "unlabeled"} <= set(wf["on"]["pull_request"]["types"])  # the force label re-plans
    assert wf["jobs"]["plan"]["permissions"].get("pull-requests") == "write"
    assert wf["concurrency"]["group"].find("github.event.pull_request.number") > 0  # one plan per PR at a time
    # forks: the plan job is skipped and another job says why
    assert "head.repo.full_name == github.repository" in wf["jobs"]["plan"]["if"]
    assert "head.repo.full_name != github.repository" in wf["jobs"]["fork"]["if"]
    assert "fork" in wf["jobs"]["fork"]["name"] and "id-token" not in wf["jobs"]["fork"]["permissions"]
    order = [s for s in wf["jobs"]["plan"]["steps"]]
    checkout = next(s for s in order if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout.get("with", {}).get("fetch-depth") == 0, "--changed-since needs the base branch's history"

    validate, plan = _step("cams-plan.yml", "validate"), _step("cams-plan.yml", "plan")
    assert order.index(validate) < order.index(plan)
    p = _options(action_argv(plan))
    assert p.changed_since and p.changed_since.startswith("origin/") and p.format == "markdown" and p.out
    assert "cams-reconciler/force" in wf["env"]["FORCE_LABEL"]
    assert "env.FORCE_LABEL" in plan["with"]["force"]

    upload = next(s for s in order if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == p.out
    assert upload["with"]["name"] == "cams-plan-pr-${{ github.event.pull_request.number }}"

    comment = next(s for s in order if "createComment" in s.get("with", {}).get("script", ""))
    script = comment["with"]["script"]
    # one comment, updated in place: find ours by a marker, update it, create only when there is none
    assert "listComments" in script and "updateComment" in script and "marker" in script
    assert script.rindex("updateComment") < script.rindex("createComment")
    assert "github.paginate" in script  # a busy PR has more than one page of comments
    # a failed validate/plan replaces the comment too: an older, passing plan must not stay on show
    assert comment["if"] == "${{ !cancelled() }}"
    assert comment["env"]["PLAN_EXITCODE"] == "${{ steps.plan.outputs.exit-code }}"
    assert "nothing-to-plan" in script and "PLAN_FORCED" in script and "--force" in script
    assert plan["with"]["markdown-file"] == "plan.md" and "plan.md" in script


def test_apply_workflow() -> None:
    wf = load_workflow("cams-apply.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    assert "paths" not in wf["on"]["push"]
    assert "workflow_dispatch" in wf["on"]  # the way to converge main after a refused or cancelled apply
    assert all(job.get("if", "").startswith("github.ref == 'refs/heads/main' && ") for job in wf["jobs"].values())
    concurrency = wf["concurrency"]
    assert concurrency["cancel-in-progress"] is False  # a boolean, not the string "false"
    assert "${{" not in concurrency["group"], "the group must be one for every run, so two applies never overlap"
    apply = _step("cams-apply.yml", "apply")
    reviewed = _options(action_argv(apply, plan_exists=True))
    assert reviewed.plan and not reviewed.auto_approve and reviewed.results
    assert apply["with"]["auto-approve"] == "${{ steps.reviewed.outputs.mode == 'fresh' }}"
    assert reviewed.plan == _options(action_argv(_step("cams-plan.yml", "plan"))).out

    # no workflow file name in the scripts: this workflow by its own id, the plan workflow by one variable
    text = (WORKFLOW_DIR / "cams-apply.yml").read_text(encoding="utf-8")
    assert not re.findall(r"workflow_id:\s*['\"`]", text) and ".yml'" not in text
    assert wf["env"]["PLAN_WORKFLOW"] == "cams-plan.yml" and "cams-plan.yml" in WORKFLOWS
    download = next(s for _, s in steps(wf) if s.get("id") == "download")
    # the artifact (a PR's job wrote it) is unpacked outside the checkout, and only the plan comes in: none of
    # its files can replace the local action that runs next, or the YAML
    assert download["run"].splitlines() == ['gh run download "$RUN_ID" -n "$ARTIFACT" -D "$RUNNER_TEMP/reviewed-plan"',
                                            'cp -- "$RUNNER_TEMP/reviewed-plan/plan.json" plan.json']
    assert download["env"]["ARTIFACT"] == "${{ steps.reviewed.outputs.artifact }}"
    assert "core.setOutput('artifact', `cams-plan-pr-${pr.number}`)" in text  # the name cams-plan.yml uploads
    permissions = wf["jobs"]["apply"]["permissions"]
    assert permissions.get("actions") == "read"  # to list runs and download their artifacts
    assert permissions.get("pull-requests") == "write"  # to comment the outcome on the merged PR
    find = next(s for _, s in steps(wf) if s.get("id") == "reviewed")
    script = find["with"]["script"]
    assert script.index("if (!pr)") < script.index("workflow_id: process.env.PLAN_WORKFLOW") < script.rindex("core.setFailed")
    assert "status: 'success'" in script and "head_sha: pr.head.sha" in script
    # dropped merges: cancelled runs of this workflow since the last one that ran
    assert "workflow_id: self.workflow_id" in script and "'cancelled'" in script
    # the loop closes on the PR, whatever happened, and the summary always says the outcome
    say = next(s for _, s in steps(wf) if "issues.createComment" in s.get("with", {}).get("script", ""))
    assert say["if"] == "always() && needs.jobs.outputs.several != 'true'"  # several accounts: apply-outcome
    outcome = wf["jobs"]["apply-outcome"]
    assert "!cancelled()" in outcome["if"] and any("createComment" in s.get("with", {}).get("script", "")
                                                   for s in outcome["steps"])
    body = say["with"]["script"]
    for outcome in ("refused", "applied", "core.summary", "runUrl", "dropped"):
        assert outcome in body
    assert say["env"]["REASON"] == "${{ steps.apply.outputs.reason }}"
    # migration verify codes come from secrets, not from the YAML
    assert any(v.startswith("${{ secrets.") for v in apply.get("env", {}).values())


@pytest.mark.parametrize("name", WORKFLOWS)
def test_state_is_kept_on_the_state_branch_and_secrets_reach_the_tool(name: str) -> None:
    """Plan, apply and drift keep their state on one branch (plan reads it; apply and drift push it), and
    the fingerprint key (and any ${env:NAME} secret) reaches the tool through the step's env."""
    for step in action_steps(name):
        if step["with"]["command"] in OFFLINE_COMMANDS:
            continue
        assert action_inputs(step)["state-store"] == "git:cams-state"
        assert step.get("env", {}).get("CAMS_RECONCILER_FINGERPRINT_KEY") == \
            "${{ secrets.CAMS_RECONCILER_FINGERPRINT_KEY }}"
        assert "--state " not in action_inputs(step)["args"]  # drift's transitions: no artifact any more
    text = (WORKFLOW_DIR / name).read_text(encoding="utf-8")
    assert "cams-drift-state" not in text


# -- a manual run of cams-apply: plan → review → apply, never an unreviewed apply ---------------------------------

_HARNESS = r"""
const fs = require('fs');
const [script, world] = [fs.readFileSync(process.argv[2], 'utf8'), JSON.parse(fs.readFileSync(process.argv[3], 'utf8'))];
const seen = {outputs: {}, failed: null, comments: [], summary: ''};
const core = {setOutput: (k, v) => { seen.outputs[k] = v; }, setFailed: m => { seen.failed = m; },
              warning: () => {}, notice: () => {}, info: () => {},
              summary: {addRaw(text) { seen.summary += text; return this; }, write: () => Promise.resolve()}};
const data = d => Promise.resolve({data: d});
const github = {rest: {
  actions: {listWorkflowRuns: a => { seen.listed = [...(seen.listed || []), a.workflow_id];
                                     return data({workflow_runs: world.workflow_runs[String(a.workflow_id)] || []}); },
            getWorkflowRun: a => world.runs[String(a.run_id)] ? data(world.runs[String(a.run_id)])
                                                              : Promise.reject(new Error('Not Found'))},
  pulls: {get: a => data(world.pulls[String(a.pull_number)])},
  issues: {createComment: a => { seen.comments.push(a); return data({}); }},
  repos: {listPullRequestsAssociatedWithCommit: () => data(world.prs)}}};
const context = {repo: {owner: 'o', repo: 'r'}, runId: 99, sha: 'c'.repeat(40), eventName: world.event,
                 serverUrl: 'https://github.com', workflow: 'cams-apply'};
Object.assign(process.env, world.env);
(async () => {
  await (new (Object.getPrototypeOf(async function () {}).constructor)('github', 'context', 'core', 'require', script))(
    github, context, core, require);
  process.stdout.write(JSON.stringify(seen));
})().catch(e => { process.stdout.write(JSON.stringify({...seen, threw: String(e)})); });
"""

SELF_WORKFLOW_ID = 7001  # the id of the workflow cams-apply.yml is, whatever its file is called
_SELF_RUN = {"workflow_id": SELF_WORKFLOW_ID, "name": "cams-apply", "event": "push", "head_branch": "main",
             "status": "in_progress", "head_sha": "c" * 40}
_PLAN_RUN = {"workflow_id": SELF_WORKFLOW_ID, "path": ".github/workflows/renamed-apply.yml",
             "event": "workflow_dispatch", "head_branch": "main", "status": "completed", "conclusion": "success",
             "head_sha": "a" * 40}


def _find_step(tmp_path: Path, event: str, plan_run_id: str = "", runs: dict[str, Any] | None = None,
               prs: list[dict[str, Any]] | None = None, workflow_runs: dict[str, Any] | None = None,
               pulls: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the apply job's "find the plan" github-script in node with a fake GitHub API; what it decided."""
    [find] = [s for _, s in steps(load_workflow("cams-apply.yml")) if s.get("id") == "reviewed"]
    assert find["env"] == {"PLAN_RUN_ID": "${{ inputs.plan-run-id }}"}  # the input reaches the script via env only
    world = {"event": event, "runs": {"99": _SELF_RUN, **(runs or {})}, "prs": prs or [],
             "workflow_runs": workflow_runs or {}, "pulls": pulls or {},
             # the step's env, and the workflow's (github-script sees both)
             "env": {"PLAN_RUN_ID": plan_run_id, **load_workflow("cams-apply.yml")["env"]}}
    return _run_script(tmp_path, find["with"]["script"], world)


def _run_script(tmp_path: Path, script: str, world: dict[str, Any]) -> dict[str, Any]:
    """A github-script step's script run in node (cwd ``tmp_path``) against the fake GitHub API of ``world``."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    (tmp_path / "script.js").write_text(script, encoding="utf-8")
    (tmp_path / "harness.js").write_text(_HARNESS, encoding="utf-8")
    (tmp_path / "world.json").write_text(json.dumps(world), encoding="utf-8")
    proc = subprocess.run([node, str(tmp_path / "harness.js"), str(tmp_path / "script.js"),
                           str(tmp_path / "world.json")], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_manual_run_without_input_only_plans_main_read_only_and_says_how_to_apply() -> None:
    wf = load_workflow("cams-apply.yml")
    [plan_run_id] = wf["on"]["workflow_dispatch"]["inputs"]
    assert plan_run_id == "plan-run-id"
    spec = wf["on"]["workflow_dispatch"]["inputs"][plan_run_id]
    assert spec["required"] is False and spec["type"] == "string" and spec.get("default", "") == ""
    job = wf["jobs"]["plan"]
    assert "github.event_name == 'workflow_dispatch'" in job["if"] and "inputs.plan-run-id == ''" in job["if"]
    assert "environment" not in job and set(job["permissions"]) == {"contents", "id-token"}  # no write anywhere
    commands = [s["with"]["command"] for s in job["steps"] if runs_tool(s)]
    assert commands == ["plan"]
    [plan] = [s for s in job["steps"] if s.get("id") == "plan"]
    p = _options(action_argv(plan))
    assert p.changed_since is None and p.format == "markdown"
    assert p.paths == [load_wrapper()["inputs"]["paths"]["default"]]  # every space
    [upload] = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"] == {"name": "cams-apply-plan-${{ github.run_id }}", "path": p.out, "retention-days": 7}
    [say] = [s for s in job["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", "")]
    assert say["if"] == "always()" and say["env"]["RUN_ID"] == "${{ github.run_id }}"
    assert "Review this plan; to apply exactly it, run this workflow again with plan-run-id=$RUN_ID" in say["run"]
    assert "${{" not in say["run"]


def test_manual_run_with_plan_run_id_applies_exactly_that_plan_behind_the_gate(tmp_path: Path) -> None:
    wf = load_workflow("cams-apply.yml")
    job = wf["jobs"]["apply"]
    assert job["environment"] == "production"
    assert "github.event_name == 'push' || inputs.plan-run-id != ''" in job["if"]
    apply = _step("cams-apply.yml", "apply")
    assert apply["with"]["auto-approve"] == "${{ steps.reviewed.outputs.mode == 'fresh' }}"
    download = next(s for _, s in steps(wf) if s.get("id") == "download")
    assert "steps.reviewed.outputs.mode == 'dispatched'" in download["if"]
    # (several accounts: a fresh plan is apply-account's, per account)
    assert apply["if"] == ("(steps.reviewed.outputs.mode == 'fresh' && needs.jobs.outputs.several != 'true') || "
                           "steps.download.outcome == 'success'")

    decided = _find_step(tmp_path, "workflow_dispatch", "123456789", runs={"123456789": _PLAN_RUN})
    assert decided["failed"] is None and decided["outputs"]["mode"] == "dispatched"
    assert decided["outputs"]["run_id"] == "123456789"
    # the artifact the plan job uploads under its run id, downloaded from that run
    upload = next(s for s in wf["jobs"]["plan"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert decided["outputs"]["artifact"] == upload["with"]["name"].replace("${{ github.run_id }}", "123456789")
    # mode 'dispatched' → auto-approve false → the action runs `apply --plan plan.json`, and with no plan
    # downloaded it refuses rather than plan and apply
    argv = action_argv(apply, plan_exists=True, auto_approve=False)
    assert _options(argv).plan == upload["with"]["path"] and "--auto-approve" not in argv
    from reconciler.action import ActionError
    with pytest.raises(ActionError):
        action_argv(apply, plan_exists=False, auto_approve=False)


@pytest.mark.parametrize("plan_run_id, run, why", [
    ("", None, "is not a run id"),
    ("12; rm -rf /", None, "is not a run id"),
    ("78", None, "there is no run 78"),
    ("77", {**_PLAN_RUN, "workflow_id": SELF_WORKFLOW_ID + 1, "path": ".github/workflows/cams-plan.yml"},
     "not a manual plan run"),
    ("77", {**_PLAN_RUN, "event": "push"}, "not a manual plan run"),
    ("77", {**_PLAN_RUN, "head_branch": "feature"}, "not a manual plan run"),
    ("77", {**_PLAN_RUN, "conclusion": "failure"}, "did not succeed"),
])
def test_manual_run_never_falls_back_to_an_unreviewed_apply(tmp_path: Path, plan_run_id: str,
                                                             run: dict[str, Any] | None, why: str) -> None:
    decided = _find_step(tmp_path, "workflow_dispatch", plan_run_id, runs={"77": run} if run else {})
    assert decided["outputs"]["mode"] == "none" and why in decided["failed"]
    assert "plan-run-id" in decided["failed"]  # says how to recover: plan, review, apply


@pytest.mark.parametrize("labels, force", [(["cams-reconciler/force"], "true"), (["other"], "false")])
def test_merged_pr_finds_its_plan_through_the_variable_and_reasserts_force_from_the_label(
        tmp_path: Path, labels: list[str], force: str) -> None:
    """A push of a merged PR: the plan run is looked up in the workflow PLAN_WORKFLOW names, dropped runs in
    this run's own workflow (by id), and --force comes from the merged PR's labels read from the API."""
    head = "b" * 40
    plan_workflow = load_workflow("cams-apply.yml")["env"]["PLAN_WORKFLOW"]
    decided = _find_step(
        tmp_path, "push", prs=[{"number": 12, "merged_at": "2026-01-01T00:00:00Z", "head": {"sha": head}}],
        workflow_runs={plan_workflow: [{"id": 555}], str(SELF_WORKFLOW_ID): []},
        pulls={"12": {"labels": [{"name": n} for n in labels]}})
    assert decided["failed"] is None, decided
    assert decided["outputs"] == {"dropped": "[]", "pr": "12", "mode": "reviewed", "force": force,
                                  "run_id": "555", "artifact": "cams-plan-pr-12"}
    assert decided["listed"] == [SELF_WORKFLOW_ID, plan_workflow]
    # with the plan workflow renamed and the variable not following, nothing is applied: no reviewed plan
    missing = _find_step(tmp_path, "push", prs=[{"number": 12, "merged_at": "x", "head": {"sha": head}}],
                         workflow_runs={"renamed-plan.yml": [{"id": 555}]})
    assert missing["outputs"]["mode"] == "none" and plan_workflow in missing["failed"]


def test_direct_push_still_plans_and_applies_and_no_manual_step_passes_auto_approve(tmp_path: Path) -> None:
    assert _find_step(tmp_path, "push", prs=[])["outputs"]["mode"] == "fresh"  # kept as it was (see docs)
    wf = load_workflow("cams-apply.yml")
    for job_name, job in wf["jobs"].items():
        for step in job["steps"]:
            approve = str(step.get("with", {}).get("auto-approve", "false"))
            assert approve in ("false", "${{ steps.reviewed.outputs.mode == 'fresh' }}",
                               "${{ needs.apply.outputs.mode == 'fresh' }}"), (job_name, approve)
    # and inputs reach scripts only through env: (no template injection)
    for _, step in steps(wf):
        for code in (step.get("run", ""), step.get("with", {}).get("script", "")):
            assert "inputs." not in code and "github.event." not in code, step.get("name")


_IF_TOKEN = re.compile(r"\s*(?:(?P<text>'(?:[^']|'')*')|(?P<op>&&|\|\||==|!=|!|\(|\))"
                         r"|(?P<call>(?:always|success|failure|cancelled)\(\))|(?P<ref>[A-Za-z_][\w.-]*))")
_STATUS = ("always()", "success()", "failure()", "cancelled()")


def evaluate(expression: str, context: dict[str, str], status: str = "success") -> Any:
    """A GitHub Actions expression of the shapes these workflows use (quoted strings, context references, ==,
    !=, !, &&, ||, parentheses, the status functions) evaluated as the runner evaluates it: && and || give one
    of their operands, a reference to nothing is '', and an ``if`` without a status function is ANDed with
    success() (``status``: the needs' outcome for a job, the earlier steps' for a step)."""
    text = expression.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2].strip()
    if not any(f in text for f in _STATUS):
        text = f"success() && ({text})"
    python, position = [], 0
    while position < len(text):
        match = _IF_TOKEN.match(text, position)
        assert match and match.end() > position, f"cannot read {text[position:]!r}"
        position = match.end()
        if match["text"]:
            python.append(repr(match["text"][1:-1].replace("''", "'")))
        elif match["op"]:
            python.append({"&&": " and ", "||": " or ", "!": " not "}.get(match["op"], match["op"]))
        elif match["call"]:
            python.append(repr(match["call"] == "always()" or match["call"][:-2] == status))
        else:
            python.append(repr({"true": True, "false": False}.get(match["ref"], context.get(match["ref"], ""))))
    return eval("".join(python), {"__builtins__": {}})  # noqa: S307 (built above from our own workflow file)


@pytest.mark.parametrize("apply, runs, comment", [
    # a manual run whose pieces the check refused: the apply job's one line is the whole story
    ({"result": "failure", "outputs.mode": "dispatched", "outputs.checked": "failure"}, False, None),
    # a manual run given a plan run of one job (no pieces), or a plan-run-id that is not a manual plan run
    ({"result": "failure", "outputs.mode": "dispatched", "outputs.checked": "skipped"}, False, None),
    ({"result": "failure", "outputs.mode": "none", "outputs.reason": "run 5 is not a manual plan run"}, False, None),
    # a merged PR with no reviewed plan: that reason is the outcome commented on the PR, nothing merged
    ({"result": "failure", "outputs.mode": "none", "outputs.pr": "12",
      "outputs.reason": "pull request #12 has no successful cams-plan.yml run for its last commit bbbbbbb"}, True,
     "has no successful cams-plan.yml run"),
    # the accounts' jobs ran: their results are merged into the outcome
    ({"result": "success", "outputs.mode": "reviewed", "outputs.pr": "12"}, True, "every account applied"),
    ({"result": "success", "outputs.mode": "dispatched", "outputs.checked": "success"}, True, None),
])
def test_a_fleet_apply_refused_before_any_account_gives_one_reason_and_one_red_mark(
        tmp_path: Path, apply: dict[str, str], runs: bool, comment: str | None) -> None:
    """Several accounts: when the apply job refuses before any account's job (its one-line reason), the
    outcome job does not fail a second time on results nobody wrote. It is skipped, or, for a merged PR,
    comments that one reason; once accounts' jobs ran, it merges their results."""
    jobs = load_workflow("cams-apply.yml")["jobs"]
    context = {"github.ref": "refs/heads/main", "needs.jobs.outputs.several": "true", "needs.jobs.result": "success",
               **{f"needs.apply.{k}": v for k, v in apply.items()}}
    account_runs = evaluate(jobs["apply-account"]["if"], context, "success" if apply["result"] == "success"
                            else "failure")
    context["needs.apply-account.result"] = "success" if account_runs else "skipped"
    outcome = jobs["apply-outcome"]
    assert bool(evaluate(outcome["if"], context, "failure" if apply["result"] == "failure" else "success")) is runs
    if not runs:
        return
    ran = [s for s in outcome["steps"] if "if" not in s or evaluate(s["if"], context)]
    merges = [s for s in ran if s.get("with", {}).get("command") == "merge"]
    assert bool(merges) is account_runs  # no results to merge when no account's job ran
    [say] = [s for s in ran if "createComment" in s.get("with", {}).get("script", "")] or [None]
    if comment is None:
        assert say is None or not apply.get("outputs.pr")
        return
    assert say is not None
    if account_runs:  # what the merge step writes; the merge itself is run in tests/integration/test_fleet.py
        (tmp_path / "apply.md").write_text("**cams-reconciler apply: every account applied (retail, travel)**\n")
    env = {name: str(evaluate(value, context) or "") for name, value in say["env"].items()}
    seen = _run_script(tmp_path, say["with"]["script"], {"event": "push", "runs": {}, "env": env})
    assert "threw" not in seen, seen
    [posted] = seen["comments"]
    assert posted["issue_number"] == 12 and comment in posted["body"]
    assert "no account reported an outcome" not in posted["body"]
    if not account_runs:
        assert "refused, nothing was written" in posted["body"] and comment in seen["summary"]


def test_drift_workflow() -> None:
    wf = load_workflow("cams-drift.yml")
    crons = [entry["cron"] for entry in wf["on"]["schedule"]]
    assert crons and all(len(c.split()) == 5 for c in crons)
    assert "workflow_dispatch" in wf["on"]
    assert "pull-requests" not in wf["jobs"]["drift"]["permissions"]  # read-only: nothing to write anywhere
    drift = _step("cams-drift.yml", "drift")
    assert _options(action_argv(drift)).format == "markdown"
    assert drift["with"]["fail-on-drift"] is True or drift["with"]["fail-on-drift"] == "true"


# -- the adoption guide's commands are real too -------------------------------------------------------------

def test_gitops_guide_commands_parse() -> None:
    """Every ``cams-reconciler`` line in the ```sh blocks of docs/gitops.md parses, as in the workflows."""
    guide = (REPO / "docs" / "gitops.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh(?: runnable)?\n(.*?)```", guide, re.S)
    found = [(line, argv) for block in blocks for line, argv in invocations(block)]
    # the local loop runs the action's step: INPUT_COMMAND=<command> [INPUT_X=...] python -m reconciler.action
    from reconciler.action import inputs_from_env

    steps_run = re.findall(r"^((?:INPUT_[A-Z_]+=\S+ )+)python -m reconciler\.action", "\n".join(blocks), re.M)
    action_commands = set()
    for assignments in steps_run:
        env = dict(word.split("=", 1) for word in assignments.split())
        action_commands.add(inputs_from_env(env).command)  # a bad input would raise ActionError
    assert action_commands == {"validate", "plan", "apply", "drift"}
    assert {argv[0] for _, argv in found if argv} | action_commands >= {
        "import", "validate", "plan", "show", "apply", "drift", "call", "policy"}
    problems = [f"{line!r}: {problem}" for line, argv in found if (problem := parse_problem(argv)) is not None]
    assert not problems, "\n".join(problems)
    for variable in ("CAMS_PLAN_ROLE_ARN", "CAMS_APPLY_ROLE_ARN", "CAMS_OIDC_PROVIDER_ARN"):
        assert variable in guide
        assert any(f"vars.{variable}" in (WORKFLOW_DIR / n).read_text(encoding="utf-8") for n in WORKFLOWS)


def test_the_apply_workflow_reasserts_overrides_from_outside_the_artifact() -> None:
    """apply --plan re-asserts what the plan recorded: --force only from the merged PR's label, read through
    the GitHub API by main's own workflow (never from plan.json, which code under review could write), and
    the scope from the push's own `before` commit (with the history checked out to compare with it)."""
    workflow = load_workflow("cams-apply.yml")
    apply = _step("cams-apply.yml", "apply")
    assert apply["with"]["force"] == "${{ steps.reviewed.outputs.force == 'true' }}"
    # several accounts: each account's job re-asserts the same, as the apply job found it
    account = next(s for job, s in steps(workflow) if runs_tool(s) and job == "apply-account")
    assert account["with"]["force"] == "${{ needs.apply.outputs.force == 'true' }}"
    assert "github.event.before" in account["with"]["changed-since"]
    assert "github.event.before" in apply["with"]["changed-since"]
    reviewed = next(step for _, step in steps(workflow) if step.get("id") == "reviewed")
    script = reviewed["with"]["script"]
    assert "github.rest.pulls.get" in script and "'cams-reconciler/force'" in script
    assert "core.setOutput('force'" in script
    checkout = workflow["jobs"]["apply"]["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0
    argv = action_argv(apply)
    assert "--changed-since" in argv  # and the command line parses (checked for every step above)


_SECRET = re.compile(r"\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}")
MARKER = "# EDIT HERE: the secrets your spaces' YAML references"


@pytest.mark.parametrize("name", WORKFLOWS)
def test_secrets_reach_the_tool_from_one_marked_place_and_name_nothing_of_the_example(name: str) -> None:
    """Each workflow maps the secrets the YAML references in ONE marked env block (cams-apply.yml's apply
    step reuses its plan job's block through a YAML anchor), holding only the tool's own key and a template
    line: no name of the example's spaces (a copied workflow must not carry them), and every name the tool
    receives is under the env prefix or one of the tool's documented variables."""
    text = (WORKFLOW_DIR / name).read_text(encoding="utf-8")
    assert text.count(MARKER) == 1
    assert text.count("${{ secrets.CAMS_RECONCILER_FINGERPRINT_KEY }}") == 1  # one block, not one per step
    tool_envs = [s.get("env", {}) for s in action_steps(name) if s["with"]["command"] not in OFFLINE_COMMANDS]
    assert tool_envs and all(env is tool_envs[0] for env in tool_envs)  # the same mapping (an alias)
    example_names = set(re.findall(r"\b(CAMS_SECRET_[A-Z0-9_]+)", "".join(
        f.read_text(encoding="utf-8") for f in (REPO / "examples" / "spaces").rglob("*.yaml"))))
    assert example_names  # the scan works: the examples do reference secrets
    assert not [n for n in example_names if n in text], "a copied workflow must not name the example's secrets"
    assert not [f.stem for f in (REPO / "examples" / "spaces").glob("*.yaml") if f.stem in text]
    mapped = {key: _SECRET.search(str(value)) for key, value in tool_envs[0].items()}
    for key, secret in mapped.items():
        assert secret and secret.group(1) == key, f"{key}: map a secret under its own name"
        assert key.startswith("CAMS_SECRET_") or key in ("CAMS_RECONCILER_FINGERPRINT_KEY", "CAMS_DRIFT_CHAT_WEBHOOK")
    # the template line shows the form, with the prefix the tool requires
    assert "#   CAMS_SECRET_<NAME>: ${{ secrets.CAMS_SECRET_<NAME> }}" in text


def test_an_input_the_local_action_leaves_empty_means_the_actions_own_default() -> None:
    """The local action passes every input it declares, so one a step does not give reaches the pinned action
    as "" (GitHub does not fall back to the action's default then). That is right only where the action reads
    "" as its default: the inputs its run step hands to ``reconciler.action``, which reads an empty input as
    unset. Anything else (``python-version``: "" means the runner's Python) needs the default in the local
    action, as ``state-store`` and ``state-token`` have."""
    from reconciler.action import COMMANDS, inputs_from_env

    action = load_action()
    [run] = [s for s in action["runs"]["steps"] if s.get("id") == "run"]
    read_by_the_step = {m.group(1) for v in run["env"].values() if (m := _INPUT_REF.match(str(v)))}
    for name, spec in load_wrapper()["inputs"].items():
        if spec.get("required") or str(spec.get("default", "")) != "":
            continue
        assert name in read_by_the_step, f"{name}: the action does not read an empty value as its default"
        default = str(action["inputs"][name].get("default", ""))
        assert "${{" not in default, f"{name}: the action's default is an expression: give it in the local action"
        key = "INPUT_" + name.upper().replace("-", "_")
        for command in COMMANDS:
            base = {"INPUT_COMMAND": command, **({"INPUT_PIECES": "p.json", "INPUT_PIECES_OF": "plan"}
                                                  if command == "merge" and key not in ("INPUT_PIECES", "INPUT_PIECES_OF")
                                                  else {})}
            if command == "merge" and key in ("INPUT_PIECES", "INPUT_PIECES_OF"):
                continue  # merge requires both
            assert inputs_from_env({**base, key: ""}) == inputs_from_env({**base, key: default}), (name, command)


def test_the_version_is_pinned_in_one_place() -> None:
    """The pinned action appears once in the whole set a team copies (the local action); every step that
    runs cams-reconciler goes through it."""
    pin = re.compile(r"[\w.-]+/cams-reconciler@[0-9a-f]{40}")
    files = [WORKFLOW_DIR / n for n in WORKFLOWS] + [WRAPPER]
    counts = {f.relative_to(WORKFLOW_DIR).as_posix(): len(pin.findall(f.read_text(encoding="utf-8"))) for f in files}
    assert counts == {**{n: 0 for n in WORKFLOWS}, "cams-reconciler/action.yml": 1}, counts
    # validate, plan, apply's plan and apply, drift; and the several-accounts path: matrix ×3, plan, merge of
    # plans, apply, merge of results, drift, merge of drift reports; and a manual apply's: plan, merge of
    # plans, the check of the plan run's pieces (a merge)
    assert sum(len(action_steps(n)) for n in WORKFLOWS) == 17
    for name in WORKFLOWS:  # nothing else names the tool's package or action
        text = (WORKFLOW_DIR / name).read_text(encoding="utf-8")
        assert "cams-reconciler@" not in text and "pip install" not in text


def _checklist() -> str:
    guide = (REPO / "docs" / "gitops.md").read_text(encoding="utf-8")
    start = guide.index("### Checklist: everything to set")
    end = min(i for i in (guide.find("\n## ", start), guide.find("\n### ", start + 1)) if i > 0)
    return guide[start:end]


def test_the_checklist_lists_everything_the_workflows_read() -> None:
    """docs/gitops.md's checklist names every repository variable and secret the copied files read, the
    environment, the labels, the state branch, the required check and the one variable of cams-apply.yml."""
    checklist = _checklist()
    texts = [(WORKFLOW_DIR / n).read_text(encoding="utf-8") for n in WORKFLOWS] + [WRAPPER.read_text(encoding="utf-8")]
    named = {m for text in texts for m in re.findall(r"\b(?:vars|secrets)\.([A-Za-z_][A-Za-z0-9_]*)(?![<\w])", text)}
    assert {"CAMS_OIDC_PROVIDER_ARN", "CAMS_RECONCILER_FINGERPRINT_KEY"} <= named  # the scan works
    assert not [n for n in named if f"`{n}`" not in checklist], named
    assert all("secrets.CAMS_SECRET_<NAME>" in text for text in texts[:3])
    assert "`CAMS_SECRET_<NAME>`" in checklist  # the template every workflow shows
    environments = {job["environment"] for n in WORKFLOWS for job in load_workflow(n)["jobs"].values()
                    if "environment" in job}
    assert environments == {"production", "cams-plan-${{ matrix.account }}", "cams-apply-${{ matrix.account }}"}
    assert all(f"`{e}`" in checklist for e in ("production", "cams-plan-<account>", "cams-apply-<account>"))
    labels = {load_workflow("cams-plan.yml")["env"]["FORCE_LABEL"]}
    labels |= set(re.findall(r"l\.name === '([^']+)'", texts[1]))
    assert labels == {"cams-reconciler/force"} and "`cams-reconciler/force`" in checklist
    store = load_wrapper()["inputs"]["state-store"]["default"]
    assert store.startswith("git:") and f"`{store[len('git:'):]}`" in checklist
    assert load_workflow("cams-plan.yml")["jobs"]["plan"]["name"] == "plan"
    assert "**`plan`**" in checklist  # the required check is the plan job's name
    assert "`PLAN_WORKFLOW`" in checklist and "/.github/actions/cams-reconciler" in checklist
