"""Regenerate the bad-input corpus: ``python tests/reliability/corpus/build_corpus.py``.

Each file is a way real users break an input: a truncated copy, a binary file, a hand edit, another
version, a hostile nesting depth. They are built from the shipped examples (and a plan made from them) so
they stay close to real files; the files are committed, and this script documents how each was made.
``tests/reliability/test_bad_input.py`` says what error each must produce.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DESIRED, STATE, PLANS = HERE / "desired", HERE / "state", HERE / "plans"
BINARY = bytes(range(256)) * 4
DEEP = 20000  # far past Python's recursion limit: a recursive parser must not turn it into a traceback


def write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def desired() -> None:
    retail = (REPO / "examples/spaces/acme-retail.yaml").read_text()
    cut = retail.index('"+86 138 0000 1236"') + 12
    write(DESIRED / "truncated.yaml", retail[:cut])  # ends inside a quoted phone number
    write(DESIRED / "truncated-mid-key.yaml", retail[: retail.index("cust_space_id") + 6])
    write(DESIRED / "binary.yaml", BINARY)
    write(DESIRED / "gzip.yaml", b"\x1f\x8b\x08\x00" + BINARY[:64])
    write(DESIRED / "utf16.yaml", "version: 1\nspaces: []\n".encode("utf-16"))
    write(DESIRED / "empty.yaml", "")
    write(DESIRED / "only-comments.yaml", "# nothing here yet\n")
    write(DESIRED / "top-level-list.yaml", "- version: 1\n- spaces: []\n")
    write(DESIRED / "wrong-version.yaml", retail.replace("version: 1", "version: 2", 1))
    write(DESIRED / "version-string.yaml", retail.replace("version: 1", 'version: "1"', 1))
    write(DESIRED / "wrong-types.yaml", (
        "version: 1\nspaces:\n  - name: Acme Retail\n    cust_space_id: 293483938849001\n"
        "    unmanaged_numbers: sometimes\n    safety: {max_webhook_update_fraction: lots}\n"
        "    numbers:\n      - phone_number: 8613800001234\n        webhooks: https://hooks.acme.example\n"
        "        business_profile: {websites: https://acme.example, vertical: 7}\n"
        "        expect: {status: CONNECTED}\n"))
    write(DESIRED / "numbers-not-list.yaml",
          'version: 1\nspaces:\n  - name: a\n    cust_space_id: "1"\n    numbers: {phone_number: "+8613800001234"}\n')
    write(DESIRED / "nesting-flow-sequence.yaml", "version: 1\nspaces: " + "[" * DEEP + "]" * DEEP + "\n")
    write(DESIRED / "nesting-flow-mapping.yaml", "version: 1\nspaces: " + "{a: " * DEEP + "1" + "}" * DEEP + "\n")
    write(DESIRED / "nesting-block.yaml", "version: 1\nspaces:\n" + "".join(
        "  " * (i + 1) + "- \n" for i in range(300)))
    laughs = ["version: 1", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    laughs += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    write(DESIRED / "billion-laughs.yaml", "\n".join(laughs) + "\nspaces: *a9\n")
    write(DESIRED / "tabs.yaml", 'version: 1\nspaces:\n\t- name: a\n\t  cust_space_id: "1"\n')
    write(DESIRED / "duplicate-key.yaml", 'version: 1\nversion: 1\nspaces: []\n')
    write(DESIRED / "huge-line.yaml", 'version: 1\nspaces:\n  - name: "' + "a" * 300_000 + '"\n    cust_space_id: "1"\n')


def state() -> None:
    example = (REPO / "examples/emulator-state.yaml").read_text()
    data_start = example.index("\nspaces:")
    write(STATE / "truncated.yaml", example[: example.index("VerifiedName", data_start) + 5])  # mid-key
    write(STATE / "binary.yaml", BINARY)
    write(STATE / "empty.yaml", "")
    write(STATE / "top-level-list.yaml", "- keys: []\n- spaces: {}\n")
    write(STATE / "spaces-as-list.yaml",
          "keys:\n  - {access_key_id: demo, access_key_secret: demo-secret}\nspaces:\n  - '293483938849001'\n")
    write(STATE / "unknown-field.yaml", example.replace("MessagingLimitTier: TIER_10K", "MessagingLimitTeir: TIER_10K", 1))
    write(STATE / "unknown-top-level.yaml", example + "\nregions: [ap-southeast-1]\n")
    write(STATE / "keys-missing.yaml", "spaces: {}\n")
    write(STATE / "key-not-mapping.yaml", "keys: [demo]\nspaces: {}\n")
    write(STATE / "verify-code-unquoted.yaml", example.replace('VerifyCode: "828712"', "VerifyCode: 828712", 1))
    write(STATE / "nesting.yaml", "keys: " + "[" * 1500 + "]" * 1500 + "\n")  # PyYAML scans deep flows slowly; past the recursion limit is enough
    write(STATE / "duplicate-key.yaml", "keys: []\nkeys: []\nspaces: {}\n")


def plans() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plan.json"
        subprocess.run([sys.executable, "-m", "reconciler", "plan", "examples/spaces", "--emulator",
                        "examples/emulator-state.yaml", "--out", str(out)], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin", "CAMS_SECRET_ACME_MIGRATION_CODE": ""})
        text = out.read_text()
    base = json.loads(text)

    def edited(name: str, change) -> None:  # noqa: ANN001 - a small local callback
        data = copy.deepcopy(base)
        change(data)
        write(PLANS / name, json.dumps(data, indent=2) + "\n")

    write(PLANS / "truncated.json", text[: len(text) // 2])
    write(PLANS / "empty.json", "")
    write(PLANS / "binary.json", BINARY)
    write(PLANS / "not-json.json", "format_version: 1\nchanges: []\n")
    write(PLANS / "json-list.json", "[1, 2, 3]\n")
    write(PLANS / "json-string.json", '"plan"\n')
    write(PLANS / "nesting.json", "[" * DEEP + "]" * DEEP + "\n")
    write(PLANS / "nesting-in-plan.json", text.replace('"calls": {', '"calls": {"x": ' + "[" * DEEP + "]" * DEEP + ", ", 1))
    edited("wrong-format-version.json", lambda d: d.update(format_version=2))
    edited("format-version-string.json", lambda d: d.update(format_version="1"))
    edited("format-version-missing.json", lambda d: d.pop("format_version"))
    edited("edited-fingerprint.json", lambda d: d.update(desired_fingerprint="sha256:not-a-digest"))
    edited("edited-action.json", lambda d: d["changes"][0].update(action="destroy"))
    edited("edited-severity.json", lambda d: d["changes"][-1].update(severity="fatal"))
    edited("change-missing-field.json", lambda d: d["changes"][0].pop("cust_space_id"))
    edited("changes-not-list.json", lambda d: d.update(changes={"a": 1}))
    edited("space-missing-fingerprint.json", lambda d: d["spaces"][0].pop("actual_fingerprint"))
    edited("source-line-string.json", lambda d: d["changes"][0].update(source={"file": "x.yaml", "line": "ten", "col": 1}))
    write(PLANS / "results-file.json", json.dumps({
        "format_version": 1, "status": "converged", "interrupted_by": None, "summary": "Apply converged",
        "counts": {"done": 0, "failed": 0, "skipped": 0}, "calls": {}, "results": [], "follow_up": []}) + "\n")


if __name__ == "__main__":
    desired()
    state()
    plans()
