"""One fixture per class of bad input (tests/fixtures/config/bad-*): each must fail with the exact
file:line:col and field path, and the CLI must exit 1 naming the same place."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.config import ConfigError, load_desired_state

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "config"

# fixture → [(line, col, field path, words the message must contain)], in reported order.
CASES: dict[str, list[tuple[int, int, str, str]]] = {
    "bad-duplicate-key.yaml": [(9, 11, "spaces[0].numbers[0].webhooks.status_callback_url",
                                "duplicate key 'status_callback_url': it was already written at line 8")],
    "bad-unknown-key.yaml": [(5, 5, "spaces[0].nubmers", "unknown key 'nubmers': did you mean 'numbers'?")],
    "bad-wrong-type.yaml": [(4, 20, "spaces[0].cust_space_id", 'quote it: cust_space_id: "293483938849001"'),
                            (5, 27, "spaces[0].allow_http_callbacks", "must be true or false")],
    "bad-enum.yaml": [(5, 24, "spaces[0].unmanaged_numbers", "not one of: ignore, report, error"),
                      (9, 35, "spaces[0].numbers[0].expect.quality_rating[1]", "did you mean 'YELLOW'?")],
    "bad-phone.yaml": [(6, 23, "spaces[0].numbers[0].phone_number", "not a valid number for CN (+86)"),
                       (7, 23, "spaces[0].numbers[1].phone_number", "not a valid phone number"),
                       (8, 23, "spaces[0].numbers[2].phone_number", "must be a phone number in international")],
    "bad-http-url.yaml": [(7, 30, "spaces[0].defaults.webhooks.status_callback_url",
                           "must use https: callbacks carry customer messages")],
    "bad-verify-code-key.yaml": [(8, 11, "spaces[0].numbers[0].migration.verify_code", "short-lived secret"),
                                 (8, 11, "spaces[0].numbers[0].migration.verify_code_env", "missing required key")],
    "bad-verify-code-digits.yaml": [(7, 38, "spaces[0].numbers[0].migration.verify_code_env", "holds digits"),
                                    (9, 38, "spaces[0].numbers[1].migration.verify_code_env", "holds digits")],
    "bad-syntax.yaml": [(6, 7, "", "YAML syntax error")],
    "bad-empty.yaml": [(1, 1, "", "the file is empty")],
    "bad-binary.yaml": [(3, 14, "", "binary file")],
    "bad-latin1.yaml": [(3, 14, "", "not UTF-8 text (byte 0xe9")],
    "bad-version.yaml": [(2, 10, "version", "format version 2 is not supported")],
    "bad-not-mapping.yaml": [(1, 1, "", "the document is a list")],
    "bad-multi-document.yaml": [(3, 1, "", "a second YAML document")],
    "bad-alias.yaml": [(10, 19, "", "YAML aliases (*hooks) are not supported")],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_fixture_reports_exact_place(name: str) -> None:
    path = str(FIX / name)
    with pytest.raises(ConfigError) as info:
        load_desired_state([path])
    got = [(p.file, p.line, p.col, p.field_path) for p in info.value.problems]
    assert got == [(path, line, col, fp) for line, col, fp, _ in CASES[name]]
    for problem, (_, _, _, words) in zip(info.value.problems, CASES[name]):
        assert words in problem.message
    # str() is one "file:line:col: error: ..." line per problem
    lines = str(info.value).splitlines()
    assert [ln.split(": error: ")[0] for ln in lines] == [f"{path}:{c[0]}:{c[1]}" for c in CASES[name]]


def test_duplicate_number_across_files_names_both_places() -> None:
    d = FIX / "bad-duplicate-number"
    with pytest.raises(ConfigError) as info:
        load_desired_state([str(d)])
    [p] = info.value.problems
    assert (p.file, p.line, p.col, p.field_path) == (str(d / "b.yaml"), 7, 23, "spaces[0].numbers[1].phone_number")
    assert f"already declared at {d / 'a.yaml'}:6:23" in p.message
    assert "space 'second'" in p.message and "space 'first'" in p.message


def test_duplicate_space_name_and_id_across_files() -> None:
    d = FIX / "bad-duplicate-space"
    with pytest.raises(ConfigError) as info:
        load_desired_state([str(d)])
    got = [(p.file, p.line, p.col, p.field_path) for p in info.value.problems]
    assert got == [(str(d / "b.yaml"), 3, 11, "spaces[0].name"), (str(d / "b.yaml"), 4, 20, "spaces[0].cust_space_id")]
    assert f"{d / 'a.yaml'}:3:11" in info.value.problems[0].message


def test_every_problem_in_every_file_at_once() -> None:
    paths = [str(FIX / "bad-many.yaml"), str(FIX / "bad-phone.yaml"), str(FIX / "does-not-exist")]
    with pytest.raises(ConfigError) as info:
        load_desired_state(paths)
    problems = info.value.problems
    files = [p.file for p in problems]
    # sorted by the order the paths were given, then line
    assert files == sorted(files, key=paths.index)
    many = [(p.line, p.field_path) for p in problems if p.file == paths[0]]
    assert many == [
        (3, "spaces[0].name"), (4, "spaces[0].cust_space_id"), (7, "spaces[0].defaults.queues"),
        (11, "spaces[0].numbers[0].webhooks.status_callback_url"),
        (13, "spaces[0].numbers[0].business_profile.vertical"), (14, "spaces[0].numbers[0].business_profile.about"),
        (15, "spaces[0].numbers[0].business_profile.websites"), (16, "spaces[0].numbers[1].phone_number"),
        (18, "spaces[0].numbers[1].expect.status"),
    ]
    assert sum(p.file == paths[1] for p in problems) == 3
    assert [str(p) for p in problems if p.file == paths[2]] == [f"{paths[2]}: error: no such file or directory"]


def test_secrets_never_echoed() -> None:
    files = [FIX / n for n in ("bad-verify-code-key.yaml", "bad-verify-code-digits.yaml", "bad-http-url.yaml")]
    with pytest.raises(ConfigError) as info:
        load_desired_state([str(f) for f in files])
    text = str(info.value) + repr(info.value) + repr(info.value.problems)
    for secret in ("828712", "828713", "hunter2"):
        assert secret not in text
    assert "token=***" in text


@pytest.mark.parametrize("name", sorted(CASES) + ["bad-duplicate-number", "bad-duplicate-space"])
def test_cli_exits_1_with_the_place(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIX / name)
    assert main(["validate", path]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert "Traceback" not in out.err
    assert ": error: " in out.err and out.err.splitlines()[0].startswith(path)
