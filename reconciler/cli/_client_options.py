"""The options every networked command shares, and ``open_client(args)`` that turns them into a client.

    --endpoint URL       send every product to one base URL (else env CAMS_RECONCILER_ENDPOINT, else the
                         regional endpoints); http:// is allowed, for the emulator or a local proxy
    --region R           default ap-southeast-1 (CAMS' documented region)
    --qps N              client-side budget per (access key, action), default 10 (the documented limit)
    --emulator STATE     start the bundled emulator in-process with that state file and use its demo key

Credentials come from the standard chain (``reconciler.client.resolve_credentials``) unless ``--emulator``.
"""

from __future__ import annotations

import argparse
from contextlib import asynccontextmanager
from typing import AsyncIterator

from reconciler.client import CamsClient, Credentials, CredentialsProvider, resolve_credentials
from reconciler.client.endpoints import DEFAULT_REGION, ENDPOINT_ENV
from reconciler.client.ratelimit import DEFAULT_QPS
from reconciler.errors import ReconcilerError


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def add_client_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("API connection")
    where = group.add_mutually_exclusive_group()
    where.add_argument("--endpoint", metavar="URL",
                       help=f"one base URL for every API (default: env {ENDPOINT_ENV}, else the regional endpoints)")
    where.add_argument("--emulator", metavar="STATE_FILE",
                       help="start the bundled CAMS emulator in-process with this state file and use it")
    group.add_argument("--region", default=DEFAULT_REGION, help=f"region id (default {DEFAULT_REGION})")
    group.add_argument("--qps", type=_positive_float, default=DEFAULT_QPS,
                       help=f"requests per second per API action and access key (default {DEFAULT_QPS:g})")


@asynccontextmanager
async def open_client(args: argparse.Namespace) -> AsyncIterator[CamsClient]:
    """A ``CamsClient`` for the parsed options; with ``--emulator``, the emulator runs for the block's life."""
    handle = None
    state = getattr(args, "emulator", None)
    if state:
        from reconciler.emulator import StateFileError, start_emulator  # only when asked for: it is a server

        try:
            handle = start_emulator(state)
        except StateFileError as exc:
            raise ReconcilerError(str(exc)) from None
        except OSError as exc:
            raise ReconcilerError(f"cannot start the emulator: {exc.strerror or exc}") from None
        credentials: Credentials | CredentialsProvider = Credentials(*handle.credentials)
        endpoint = handle.url
    else:
        credentials = resolve_credentials()
        endpoint = getattr(args, "endpoint", None)
    try:
        async with CamsClient(credentials, region=getattr(args, "region", DEFAULT_REGION),
                              endpoint=endpoint, qps=getattr(args, "qps", DEFAULT_QPS)) as client:
            yield client
    finally:
        if handle is not None:
            handle.stop()
