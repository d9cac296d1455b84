"""Where each product's requests go.

CAMS lives at ``cams.<region>.aliyuncs.com``. BSS OpenAPI has two sites: ``business.aliyuncs.com`` for the
China site (``cn-*`` regions) and ``business.ap-southeast-1.aliyuncs.com`` for the international one.
An override (``--endpoint``, or env ``CAMS_RECONCILER_ENDPOINT``) sends every product to one base URL:
that is how the bundled emulator, a proxy or a VPC endpoint is used. Plain ``http`` is allowed there only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.client.actions import Product
from reconciler.common.masking import mask_url
from reconciler.core.boundaries import base_url, endpoint_problem
from reconciler.core.client_errors import ClientConfigError
from reconciler.core.defaults import DEFAULT_REGION, ENDPOINT_ENV

_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")


@dataclass(frozen=True)
class Endpoint:
    """A base URL split the way the signer needs it: ``host`` is exactly the Host header we send."""

    scheme: str
    host: str  # host[:port]

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"


def validate_region(region: str) -> str:
    if not _REGION.match(region or ""):
        raise ClientConfigError(f"invalid region {region!r}: expected a region id such as ap-southeast-1")
    return region


def parse_endpoint(value: str) -> Endpoint:
    """``https://host[:port]`` or ``http://...`` (or a bare host, taken as https); nothing after the host."""
    shown = mask_url(value)  # an endpoint pasted with a password or token must not echo it back
    try:
        scheme, netloc = base_url(value, bare_host=True)
    except ValueError as exc:
        raise ClientConfigError(f"invalid endpoint {shown!r}: {exc}") from None
    return Endpoint(scheme, netloc)


def ensure_endpoint_allowed(url: str, what: str, env: Mapping[str, str] | None = None) -> None:
    """Refuse, before any request, an endpoint outside the allow-list (``reconciler.core.boundaries``): Alibaba
    Cloud's domains, loopback, and ``CAMS_RECONCILER_ALLOWED_ENDPOINTS``. ``what`` names where the URL came
    from (``accounts[retail].endpoint``, ``state_store.endpoint``); the message names it and the host, never
    anything else of the URL."""
    why = endpoint_problem(url, os.environ if env is None else env)
    if why:
        raise ClientConfigError(f"{what}: {why}")


def default_host(product: Product, region: str) -> str:
    validate_region(region)
    if product is Product.CAMS:
        return f"cams.{region}.aliyuncs.com"
    if product is Product.ACTIONTRAIL:  # the SDK's endpoint rule: regional
        return f"actiontrail.{region}.aliyuncs.com"
    return "business.aliyuncs.com" if region.startswith("cn-") else "business.ap-southeast-1.aliyuncs.com"


def resolve_endpoints(
    region: str = DEFAULT_REGION, override: str | None = None, env: Mapping[str, str] | None = None
) -> dict[Product, Endpoint]:
    """The endpoint of every product: the override (argument, then env) for all, else the defaults."""
    validate_region(region)
    env = os.environ if env is None else env
    chosen = override or env.get(ENDPOINT_ENV) or None
    if chosen:
        try:
            endpoint = parse_endpoint(chosen)
        except ClientConfigError as exc:
            if override:
                raise
            # No --endpoint was given: say where the value came from, or the message is a riddle.
            raise ClientConfigError(f"{exc} (from the environment variable {ENDPOINT_ENV})") from None
        return {product: endpoint for product in Product}
    return {product: Endpoint("https", default_host(product, region)) for product in Product}
