"""A repository of the example spaces declared in two accounts (``acme`` and ``globex``), for the emulator's
``accounts:`` state (conftest's ``two_account_state``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers.paths import REPO_ROOT

SPACES = REPO_ROOT / "examples" / "spaces"
ACCOUNTS_YAML = """\
version: 1
accounts:
  - name: acme
    access_key_id_env: ACME_KEY_ID
    access_key_secret_env: ACME_KEY_SECRET
  - name: globex
    access_key_id_env: GLOBEX_KEY_ID
    access_key_secret_env: GLOBEX_KEY_SECRET
"""


def repository(tmp_path: Path, globex_account: str = "globex") -> Path:
    """The example spaces, acme-* in account ``acme`` and globex-support in ``globex_account``."""
    root = tmp_path / "spaces"
    shutil.copytree(SPACES, root)
    (root / "accounts.yaml").write_text(ACCOUNTS_YAML, encoding="utf-8")
    for path in root.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        account = globex_account if "globex" in path.name else "acme"
        text = text.replace("\n    cust_space_id:", f"\n    account: {account}\n    cust_space_id:")
        path.write_text(text, encoding="utf-8")
    return root
