"""A kind's declared fields: each one's YAML (and model attribute) name, its API name, how it compares and
how a plan shows it. The default plan of a kind (``Kind.plan``) compares and shows a block by these alone.
Values put into a ``Change`` go through ``Field.show``: URLs masked, lists as lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.common.masking import mask_url
from reconciler.core.normalize import normalize_text, normalize_url


def show_value(value: Any, *, url: bool = False) -> Any:
    """A value as a plan may hold it: URLs masked, tuples as lists, JSON-ready."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [mask_url(str(v)) if url else v for v in value]
    if url:
        return mask_url(str(value))
    return value


def normalize_urls(value: Any) -> tuple[str | None, ...] | None:
    """A list of URLs for comparison (a single string where a list is documented is tolerated)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value] if value.strip() else []
    return tuple(normalize_url(str(v)) for v in value)


def _compare_url(value: Any) -> Any:
    return normalize_url(None if value is None else str(value))


@dataclass(frozen=True)
class Field:
    """One field of a kind.

    ``url``: a URL (or, with ``many``, a list of them): masked wherever it is shown and checked offline as a
    URL; ``callback``: a callback URL (the callback rules apply: https unless the space opts in to http;
    repointing one counts towards the space's safety threshold; apply checks the endpoint answers first).
    ``many``: a list, compared as an ordered list and sent as a JSON list.
    ``absent``: what an answer without the field means (the response model's default: ``False``, ``()``),
    so a declared default compares equal to a cloud that leaves the field out; None: absent is unknown.
    """

    name: str
    api: str
    compare: Callable[[Any], Any] | None = None
    url: bool = False
    callback: bool = False
    many: bool = False
    absent: Any = None

    def normalized(self, value: Any) -> Any:
        if self.compare is not None:
            return self.compare(value)
        if self.many:
            return normalize_urls(value) if self.url else (None if value is None else tuple(value))
        return _compare_url(value) if self.url else normalize_text(value)

    def same(self, declared: Any, actual: Any) -> bool:
        if actual is None:
            actual = self.absent
        if self.many and isinstance(actual, list):
            actual_cmp: Any = tuple(actual)
        else:
            actual_cmp = actual
        return bool(declared == actual_cmp or self.normalized(declared) == self.normalized(actual))

    def show(self, value: Any) -> Any:
        if self.many and isinstance(value, str):
            value = [value]
        return show_value(value, url=self.url)

    def param(self, value: Any) -> Any:
        """The declared value as the write's parameter (lists as lists: the client encodes them)."""
        return list(value) if self.many and value is not None else value
