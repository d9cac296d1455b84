"""The one place an endpoint of the state store is checked before it is used.

An S3 endpoint comes from the ``--state-store`` URL, the environment, or a YAML ``state_store:`` (data a pull
request can change): it decides where the tool sends its state and the object-storage credentials' signature.
The endpoint allow-list (``CAMS_RECONCILER_ALLOWED_ENDPOINTS``, ``reconciler.client.endpoints``) is applied
here, so every endpoint the store uses passes through it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from reconciler.common.masking import mask_url
from reconciler.core.boundaries import base_url, endpoint_problem
from reconciler.state.store import StateError


def checked_endpoint(url: str, what: str, env: Mapping[str, str] | None = None) -> str:
    """``url`` if it may be used as ``what``; ``StateError`` otherwise: not an http(s) base URL, or a host
    outside the allow-list (Alibaba Cloud's domains, loopback, ``CAMS_RECONCILER_ALLOWED_ENDPOINTS``). The
    allow-list holds whichever way the URL came (flag, environment or YAML): an S3 endpoint of MinIO or AWS
    is listed in that variable, set outside the repository."""
    try:
        base_url(url)  # the client's rule for an endpoint (client.endpoints.parse_endpoint), a scheme required
    except ValueError as exc:
        raise StateError(f"{what}: {mask_url(url)!s} is not a base URL: {exc}") from None
    why = endpoint_problem(url, os.environ if env is None else env)
    if why:
        raise StateError(f"{what}: {why}")
    return url
