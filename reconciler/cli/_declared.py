"""The number a step command (``migration send-code``, ``onboarding send-code``) names with ``--space`` and
``--number``: it must be declared, with the block the step belongs to."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the model and the engine load when the command runs, not for --help
    from reconciler.core.model import DesiredState, Number, Space


def declared_number(desired: DesiredState, space_name: str, phone: str, block: str, example: str) -> tuple[Space, Number]:
    """The space and the number of ``--space``/``--number`` that declares ``block`` (``migration``,
    ``onboarding``), or a ``TargetError`` saying what is declared; ``example`` shows the block to declare."""
    from reconciler.core.normalize import normalize_phone
    from reconciler.engine import TargetError

    space = desired.space(space_name)
    if space is None:
        known = ", ".join(sorted(s.name for s in desired.spaces))
        raise TargetError(f"--space {space_name}: no such space (known: {known})")
    number = space.number(normalize_phone(phone))
    if number is None:
        raise TargetError(f"--number {phone}: not declared in space {space_name}")
    if getattr(number, block) is None:
        raise TargetError(f"--number {phone}: declared in space {space_name} without a{'n' if block[0] in 'aeiou' else ''} "
                          f"{block} block; declare `{block}: {example}` for it first")
    return space, number
