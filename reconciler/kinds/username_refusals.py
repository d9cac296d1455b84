"""A username write the platform refused because the name is not free, remembered for the next plan.

Whether a name is free is known only when ``UpdateWhatsappUserName`` is refused (``147001``: held outside
the business portfolio; ``147005``: held by another number of it). Apply then reads
``GetWhatsappUserNameSuggestions`` and records a ``Refusal`` in the journal (``engine.journal``, kind
``username-refused``: one entry per space and number, in the state store's record of the target; the entry's
``at`` is when): the name refused, the code, the request id when the answer had one, and the suggestions.
The next plan's change for that number, while the YAML still declares that name, says so and lists them
(``PlanContext.refused``); a successful write of the number's name clears the entry, and a YAML that
declares another name no longer shows it.

The suggestions are API values, so hostile data: only well-formed usernames (``username_rules``: letters,
digits, periods, underscores) are kept, at most ``MAX_SUGGESTIONS``, and the rest are counted, never shown.
Such a name cannot start a line, a Markdown construct or a workflow command; the renderers escape the
change's text as they escape every API value besides. The entry's detail is this module's JSON, checked
as strictly as the journal's other fields when the journal is read (``parse``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from reconciler.common.username_rules import username_problems

#: The journal's entry kind (``engine.journal.KINDS``).
USERNAME_REFUSED = "username-refused"
#: The codes of a name that is not free, and what each says of it.
TAKEN = {"147001": "is taken (held outside this business portfolio)",
         "147005": "is held by another number of this business portfolio"}
MAX_SUGGESTIONS = 5
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_FIELDS = frozenset({"name", "code", "request_id", "suggestions", "left_out"})


@dataclass(frozen=True)
class Refusal:
    """One refused write of ``name`` (``code`` one of ``TAKEN``), ``at`` when (the journal entry's time)."""

    name: str
    code: str
    suggestions: tuple[str, ...] = ()
    left_out: int = 0  # suggestions read but not kept: not a well-formed username, or past MAX_SUGGESTIONS
    request_id: str | None = None
    at: str = ""

    def detail(self) -> str:
        """The journal entry's detail (``at`` is the entry's own)."""
        return json.dumps({"name": self.name, "code": self.code, "request_id": self.request_id,
                           "suggestions": list(self.suggestions), "left_out": self.left_out},
                          sort_keys=True, separators=(",", ":"))

    @classmethod
    def parse(cls, detail: str, at: str) -> Refusal:
        """The refusal a journal entry's detail holds; ``ValueError`` saying what is wrong with it."""
        try:
            data = json.loads(detail)
        except (json.JSONDecodeError, RecursionError):
            raise ValueError("not a username refusal (JSON expected)") from None
        if not isinstance(data, dict) or set(data) != _FIELDS:
            raise ValueError(f"a username refusal holds exactly {', '.join(sorted(_FIELDS))}")
        name, code, rid, names, left = (data[k] for k in ("name", "code", "request_id", "suggestions", "left_out"))
        if not isinstance(name, str) or username_problems(name):
            raise ValueError("name: a well-formed username expected")
        if code not in TAKEN:
            raise ValueError(f"code: one of {', '.join(TAKEN)} expected")
        if rid is not None and not (isinstance(rid, str) and _REQUEST_ID.fullmatch(rid)):
            raise ValueError("request_id: a request id (letters, digits, hyphens) or null expected")
        if not isinstance(names, list) or len(names) > MAX_SUGGESTIONS or \
                not all(isinstance(s, str) and not username_problems(s) for s in names):
            raise ValueError(f"suggestions: at most {MAX_SUGGESTIONS} well-formed usernames expected")
        if type(left) is not int or left < 0:
            raise ValueError("left_out: a count expected")
        return cls(name, code, tuple(names), left, rid, at)

    def notes(self) -> dict[str, object]:
        """The refusal as a plan change's plain data (``Change.notes``)."""
        return {"refused": {"name": self.name, "code": self.code, "at": self.at, "request_id": self.request_id,
                            "suggestions": list(self.suggestions), "suggestions_left_out": self.left_out}}

    def sentence(self, transfer: bool) -> str:
        """What the next plan says of it: when, why, the suggestions and what the operator can do."""
        when = self.at.replace("T", " ").removesuffix("Z") + " UTC" if self.at else "an earlier run"
        what = f"last apply ({when}) was refused: {self.name!r} {TAKEN[self.code]} ({self.code}"
        what += f", request id {self.request_id})" if self.request_id else ")"
        if self.suggestions:
            what += "; the platform suggested: " + ", ".join(f"`{s}`" for s in self.suggestions)
        else:
            what += "; the platform suggested no name"
        if self.left_out:
            what += f"; {self.left_out} more left out (not well-formed usernames, or past the first {MAX_SUGGESTIONS})"
        if self.code == "147005":
            how = "`transfer: true` is declared now: apply moves it" if transfer else \
                "rename it in the YAML, or declare `transfer: true` to move it to this number"
        else:
            how = "rename it in the YAML"
        return f"{what}; {how}"


def refusal(name: str, code: str, suggestions: object, request_id: str | None) -> Refusal:
    """A refusal as apply records it: ``suggestions`` as ``GetWhatsappUserNameSuggestions`` answered
    (``Data``: anything), kept only where it is a well-formed username; a request id only when it is one."""
    listed = suggestions if isinstance(suggestions, list) else []
    valid = list(dict.fromkeys(s for s in listed if isinstance(s, str) and not username_problems(s)))
    kept = valid[:MAX_SUGGESTIONS]
    rid = request_id if request_id is not None and _REQUEST_ID.fullmatch(request_id) else None
    return Refusal(name, code, tuple(kept), len(listed) - len(kept), rid)


class Entry(Protocol):
    @property
    def at(self) -> str: ...

    @property
    def detail(self) -> str: ...


def refusals(entries: Mapping[str, Entry]) -> dict[str, Refusal]:
    """Phone → the refusal of the journal's ``username-refused`` entries of one space (already checked when
    the journal was read)."""
    return {phone: Refusal.parse(e.detail, e.at) for phone, e in entries.items()}
