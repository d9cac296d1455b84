"""The S3 state store against a real S3 server run locally (moto's server mode, on a free port).

Every write of the store is conditional; the first test fails if the server (or the store) does not honour
``If-None-Match`` / ``If-Match``: two writers could then overwrite each other.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.state.lock import acquire, held_locks
from reconciler.state.s3 import S3Store
from reconciler.state.store import Conflict, update
from reconciler.state.target import TargetId
from tests.helpers.gitops import drift_free

moto_server = pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")

REPO = Path(__file__).resolve().parents[2]
TOKEN = "s3-acc0unt-t0ken"
BUCKET = "cams-state"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Callable[[], S3Store]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    prefix = request.node.name.replace("_", "-")[:40]
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    if BUCKET not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
        client.create_bucket(Bucket=BUCKET)
    return lambda: S3Store(f"s3://{BUCKET}/{prefix}?endpoint={s3_endpoint}&region=us-east-1")


def test_every_write_is_conditional_and_the_server_honours_it(s3: Callable[[], S3Store]) -> None:
    one, two = s3(), s3()  # two writers
    first = one.put("targets/t/journal.json", b"{}", expect=None, message="")
    with pytest.raises(Conflict):
        two.put("targets/t/journal.json", b'{"x": 1}', expect=None, message="")  # If-None-Match: *
    second = two.put("targets/t/journal.json", b'{"x": 2}', expect=first, message="")
    with pytest.raises(Conflict):
        one.put("targets/t/journal.json", b'{"x": 3}', expect=first, message="")  # If-Match: a stale ETag
    with pytest.raises(Conflict):
        one.delete("targets/t/journal.json", expect=first, message="")
    blob = one.get("targets/t/journal.json")
    assert blob is not None and blob.data == b'{"x": 2}' and blob.version == second
    # the merge loop: a writer that lost re-reads and merges instead of overwriting
    assert update(one, "targets/t/journal.json", lambda b: (b.data if b else b"")[:-1] + b', "y": 1}',
                  message="")
    assert one.get("targets/t/journal.json").data == b'{"x": 2, "y": 1}'  # type: ignore[union-attr]
    target = TargetId("acct:1", "ap-southeast-1", "https://cams.example")
    lock = acquire(one, target, command="apply", timeout=0, env={})
    with pytest.raises(Exception, match="held"):
        acquire(two, target, command="apply", timeout=0, env={})
    lock.release()
    assert held_locks(two) == []


def test_two_runners_share_state_through_the_bucket(
        s3: Callable[[], S3Store], tmp_path: Path, emulator: Callable[..., Any], example_state: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    handle = emulator(drift_free(example_state), qps=0, latency_ms=0)
    store = s3()
    monkeypatch.delenv("CAMS_RECONCILER_JOURNAL")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", handle.credentials[0])
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", handle.credentials[1])
    monkeypatch.setenv("CAMS_SECRET_ACME_MIGRATION_CODE", "828712")
    for name in ("ALIBABA_CLOUD_SECURITY_TOKEN", "CAMS_RECONCILER_ENDPOINT", "ALIBABA_CLOUD_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    url = f"s3://{store.bucket}/{store.prefix}?endpoint={store.endpoint}&region=us-east-1"
    for runner in ("a", "b"):
        shutil.copytree(REPO / "examples" / "spaces", tmp_path / runner / "spaces")
        path = tmp_path / runner / "spaces" / "acme-retail.yaml"
        path.write_text(path.read_text().replace("https://hooks.acme.example/cams/account",
                                                 f"https://hooks.acme.example/cams/account?token={TOKEN}"))

    def run(runner: str, *argv: str) -> tuple[int, str]:
        monkeypatch.chdir(tmp_path / runner)
        capsys.readouterr()
        code = main([*argv, "--state-store", url, "--endpoint", handle.url, "--qps", "100"])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out + err

    code, out = run("a", "apply", "spaces", "--auto-approve")
    assert code == 0, out
    code, out = run("b", "plan", "spaces", "--detailed-exitcode")
    assert code == 0, out  # converged on A: nothing to do on B
    code, out = run("b", "drift", "spaces")
    assert code == 0, out
    names = store.names()
    assert names and all(n.startswith("targets/") for n in names)  # the lock went with the run
    for name in names:
        blob = store.get(name)
        assert blob is not None and TOKEN.encode() not in blob.data and b"828712" not in blob.data
