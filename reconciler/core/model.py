"""The desired state, as loaded from YAML: plain frozen data, every value traceable to file:line.

This module is the contract between ``config`` (which builds it) and ``engine`` (which diffs it against the
actual state). It knows nothing of YAML or HTTP.

Normalisation rules applied by the loader, so that the engine can compare directly:
- ``phone_number`` is the E.164 number without the ``+`` (``"+86 138 0000 1234"`` → ``"8613800001234"``),
  the form the CAMS API uses.
- space ``defaults`` are already merged under each number (a number's own value wins, field by field).
- a number's blocks (``webhooks``, ``business_profile``, ...) are in ``Number.blocks``, keyed by the name
  of their kind (``reconciler.kinds``), each built into that kind's model; an absent block is not in the
  mapping; inside a block, an undeclared field is ``None`` (``None`` means "not managed": the engine leaves
  it alone).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.defaults import DEFAULT_ACCOUNT
from reconciler.core.drift_settings import SpaceDriftSettings
from reconciler.core.source import Source


@dataclass(frozen=True)
class Migration:
    """The number is being migrated in. The verify code is read from ``verify_code_env`` at apply time,
    never written in YAML."""

    verify_code_env: str


@dataclass(frozen=True)
class Onboarding:
    """A brand-new number joins the space step by step (``reconciler.kinds.onboarding``): the display name
    it joins with, how and in which language the registration code is sent, the variable that will hold the
    code and (a pre-validated number) the variable holding its purchase code. Names, never values."""

    display_name: str
    verify_code_env: str
    method: str = "sms"
    locale: str = "en_US"
    prevalidation_code_env: str | None = None


@dataclass(frozen=True)
class Number:
    phone_number: str  # normalised: E.164 digits without "+", e.g. "8613800001234"
    declared_as: str  # exactly as written in YAML, for messages
    source: Source  # where the number's entry starts
    # kind name (``reconciler.kinds``) → the declared block, built into that kind's model
    blocks: Mapping[str, Any] = field(default_factory=dict, hash=False)
    migration: Migration | None = None
    # A brand-new number joining step by step (``kinds.onboarding``); its variables are names, never codes.
    onboarding: Onboarding | None = None
    # Deregister it, then expect it no more (docs/lifecycle.md): a retired number declares nothing else.
    retire: bool = False
    # Field path (e.g. "webhooks.status_callback_url", "business_profile.websites", "expect.status")
    # → where the effective value was written (the space's defaults when inherited).
    sources: Mapping[str, Source] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, phone_number: str, declared_as: str, source: Source, *, migration: Migration | None = None,
           onboarding: Onboarding | None = None, retire: bool = False,
           sources: Mapping[str, Source] | None = None, **blocks: Any) -> Number:
        """A number with its blocks given by kind name (``webhooks=Webhooks(...)``); None blocks are left out."""
        return cls(phone_number, declared_as, source, blocks={k: v for k, v in blocks.items() if v is not None},
                   migration=migration, onboarding=onboarding, retire=retire, sources=dict(sources or {}))

    def block(self, kind: str) -> Any:
        """The declared block of ``kind`` (its model), or None when the number declares none."""
        return self.blocks.get(kind)

    def source_of(self, field_path: str) -> Source:
        """Where ``field_path`` (or its closest declared parent) was written; the number's entry if none."""
        path = field_path
        while path:
            if path in self.sources:
                return self.sources[path]
            path = path.rpartition(".")[0]
        return self.source


@dataclass(frozen=True)
class Safety:
    """octoDNS-style guards for apply: in a space with at least ``min_numbers`` declared numbers, a plan
    that updates the webhooks of more than ``max_webhook_update_fraction`` of them needs ``--force``; in any
    space, a plan that deregisters more than ``max_deregister_fraction`` of its numbers (and more than one)
    needs ``--force`` too."""

    max_webhook_update_fraction: float = 0.3
    min_numbers: int = 10
    max_deregister_fraction: float = 0.1


@dataclass(frozen=True)
class Account:
    """An Alibaba Cloud account the repository's spaces live in, and where its credentials come from:
    an ``aliyun`` CLI ``profile``, or the *names* of environment variables (never their values)."""

    name: str
    source: Source
    profile: str | None = None
    access_key_id_env: str | None = None
    access_key_secret_env: str | None = None
    security_token_env: str | None = None
    region: str | None = None
    endpoint: str | None = None


@dataclass(frozen=True)
class Space:
    name: str  # unique label, used in plans and --target
    cust_space_id: str
    source: Source  # where the space's entry starts
    numbers: tuple[Number, ...] = ()
    unmanaged_numbers: str = "report"  # ignore | report | error | deregister (the JSON Schema's enum)
    allow_http_callbacks: bool = False
    safety: Safety = Safety()
    # "best-effort": only a frozen account blocks; "strict": an account check that cannot be made blocks too.
    account_check: str = "best-effort"
    sources: Mapping[str, Source] = field(default_factory=dict, compare=False, hash=False)
    account: str = DEFAULT_ACCOUNT  # the name of an ``Account`` (or the ambient one)
    # kind name → the declared space-level block (kinds of ``Scope.SPACE``), built into that kind's model
    blocks: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def block(self, kind: str) -> Any:
        return self.blocks.get(kind)

    @property
    def file(self) -> str:
        return self.source.file

    def number(self, phone_number: str) -> Number | None:
        for n in self.numbers:
            if n.phone_number == phone_number:
                return n
        return None


@dataclass(frozen=True)
class DesiredState:
    spaces: tuple[Space, ...]
    files: tuple[str, ...]  # every file read, in load order
    accounts: tuple[Account, ...] = ()  # declared under ``accounts:``, in load order
    # A top-level ``state_store:`` (the store's URL) and the file:line that says it (docs/state.md).
    state_store: str | None = field(default=None, compare=False, hash=False)
    state_store_source: str | None = field(default=None, compare=False, hash=False)
    # Space name -> its ``acknowledge:``/``endpoint_checks:`` (``config.drift_settings``): how drift reports,
    # never what a plan does, so not part of the desired fingerprint.
    drift: Mapping[str, SpaceDriftSettings] = field(default_factory=dict, compare=False, hash=False)

    def account(self, name: str) -> Account | None:
        """The declared account ``name``; None for an undeclared ``default`` (the ambient credentials)."""
        for a in self.accounts:
            if a.name == name:
                return a
        return None

    @property
    def account_names(self) -> tuple[str, ...]:
        """The accounts the spaces use, in first-use order."""
        return tuple(dict.fromkeys(s.account for s in self.spaces))

    @property
    def number_count(self) -> int:
        return sum(len(s.numbers) for s in self.spaces)

    def space(self, name: str) -> Space | None:
        return self._spaces_by_name.get(name)

    @functools.cached_property
    def _spaces_by_name(self) -> dict[str, Space]:
        """Name → the first space of that name. A lookup per planned space was a scan of every space: the
        safety checks after a plan of 2,000 spaces made millions of comparisons."""
        found: dict[str, Space] = {}
        for s in self.spaces:
            found.setdefault(s.name, s)
        return found
