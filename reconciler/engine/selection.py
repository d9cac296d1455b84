"""Which spaces a run covers: ``--account NAME`` (repeatable), ``--target NAME`` (repeatable) and ``--exclude
NAME`` (repeatable, OpenTofu's ``-exclude``), each naming what the loaded YAML declares.

The three combine as one set: the spaces of the named accounts (all accounts when none is named), narrowed to
the named targets (when any), minus the excluded spaces; ``--changed-since`` then narrows that set further
(``scope.compare_with_ref``). A name the YAML does not declare is an error listing the known ones: an empty
plan that reads as "no changes" for a mistyped name is the mistake to prevent.

A matrix job runs ``plan --account NAME`` with only that account's credentials: the other accounts' spaces are
not selected, so their clients never send and their credentials are never resolved (docs/gitops.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.core.model import DesiredState
from reconciler.engine.errors import TargetError


@dataclass(frozen=True)
class Selection:
    accounts: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()

    @classmethod
    def of(cls, accounts: Iterable[str] | None = None, targets: Iterable[str] | None = None,
           excludes: Iterable[str] | None = None) -> Selection:
        return cls(tuple(dict.fromkeys(accounts or ())), tuple(dict.fromkeys(targets or ())),
                   tuple(dict.fromkeys(excludes or ())))

    @property
    def given(self) -> bool:
        return bool(self.accounts or self.targets or self.excludes)

    def spaces(self, desired: DesiredState) -> tuple[str, ...] | None:
        """The names of the selected spaces in YAML order; None when nothing narrows the run (every space)."""
        if not self.given:
            return None
        problems = self.problems(desired)
        if problems:
            raise TargetError("; ".join(problems))
        accounts, targets, excludes = set(self.accounts), set(self.targets), set(self.excludes)
        return tuple(s.name for s in desired.spaces
                     if (not accounts or s.account in accounts) and (not targets or s.name in targets)
                     and s.name not in excludes)

    def problems(self, desired: DesiredState) -> list[str]:
        known_spaces = sorted(s.name for s in desired.spaces)
        known_accounts = sorted({*desired.account_names, *(a.name for a in desired.accounts)})
        problems = []
        for option, names, known, what in (("--account", self.accounts, known_accounts, "account"),
                                           ("--target", self.targets, known_spaces, "space"),
                                           ("--exclude", self.excludes, known_spaces, "space")):
            unknown = [n for n in names if n not in known]
            if unknown:
                problems.append(f"{option} {', '.join(unknown)}: no such {what} "
                                f"(known: {', '.join(known) or 'none'})")
        return problems

    def describe(self) -> str:
        """The selection as the command line says it (for notes and refusals)."""
        return " ".join([*(f"--account {a}" for a in self.accounts), *(f"--target {t}" for t in self.targets),
                         *(f"--exclude {e}" for e in self.excludes)])
