"""A number's conversational automation (``automation:``): the welcome-message switch, the ice-breaker
prompts and the slash commands. Read by ``GetConversationalAutomation`` for each present number that
declares the block, set by ``UpdateConversationalAutomation`` (``Prompts`` and ``Commands`` travel as JSON).

``welcome_message`` is the API's ``EnableWelcomeMessage`` switch: the API has no welcome text (the business
answers the ``request_welcome`` event itself). ``prompts`` and ``commands`` are managed as whole, ordered
lists; an undeclared one is not sent and stays as it is. The platform's limits are checked before anything
is sent (and by ``validate``): at most 4 prompts of 1-80 characters, at most 30 commands with a name of
1-32 and a description of 1-256 characters, no emoji in either, no name twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from reconciler.common.emoji_table import first_emoji  # the emulator's table too (generated, emoji_table.py)
from reconciler.core.drift_kinds import DriftKind
from reconciler.kinds.base import JSON, Api, Importer, Kind, Presenter, Rules, Scope, Values, Write
from reconciler.kinds.commerce import as_bool
from reconciler.kinds.fields import Field
from reconciler.kinds.registration import register

MAX_PROMPTS = 4
MAX_PROMPT_CHARS = 80
MAX_COMMANDS = 30
MAX_COMMAND_NAME_CHARS = 32
MAX_COMMAND_DESCRIPTION_CHARS = 256


def _code_points(text: str) -> str:
    return " ".join(f"U+{ord(c):04X}" for c in text)


@dataclass(frozen=True)
class Command:
    name: str
    description: str


@dataclass(frozen=True)
class Automation:
    welcome_message: bool | None = None
    prompts: tuple[str, ...] | None = None
    commands: tuple[Command, ...] | None = None


def _commands(value: Any) -> tuple[tuple[str, str], ...] | None:
    """Commands for comparison, from the model or from the API (``[{CommandName, CommandDescription}]``)."""
    if value is None:
        return None
    out = []
    for c in value:
        if isinstance(c, Command):
            out.append((c.name.strip(), c.description.strip()))
        elif isinstance(c, Mapping):
            out.append((str(c.get("CommandName") or "").strip(), str(c.get("CommandDescription") or "").strip()))
    return tuple(out)


def _prompts(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(str(p).strip() for p in value)


class CommandsField(Field):
    def show(self, value: Any) -> Any:
        pairs = _commands(value) or ()
        return [f"/{name}: {description}" for name, description in pairs]

    def param(self, value: Any) -> Any:
        return [{"CommandName": n, "CommandDescription": d} for n, d in _commands(value) or ()]


def problems(block: Mapping[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """The platform's limits, for a block as written in YAML: (path below the block, message) each."""
    out: list[tuple[tuple[Any, ...], str]] = []
    prompts = [p for p in block.get("prompts") or [] if isinstance(p, str)]
    if len(prompts) > MAX_PROMPTS:
        out.append((("prompts",), f"at most {MAX_PROMPTS} prompts (ice breakers), {len(prompts)} given"))
    for i, prompt in enumerate(prompts):
        if len(prompt) > MAX_PROMPT_CHARS:
            out.append((("prompts", i), f"a prompt is at most {MAX_PROMPT_CHARS} characters, this one {len(prompt)}"))
        if (ch := first_emoji(prompt)) is not None:
            out.append((("prompts", i), f"WhatsApp refuses emoji in prompts ({ch!r} {_code_points(ch)})"))
    if len({p.strip() for p in prompts}) != len(prompts):
        out.append((("prompts",), "a prompt is listed twice"))
    commands = [c for c in block.get("commands") or [] if isinstance(c, Mapping)]
    if len(commands) > MAX_COMMANDS:
        out.append((("commands",), f"at most {MAX_COMMANDS} commands, {len(commands)} given"))
    seen: set[str] = set()
    for i, command in enumerate(commands):
        for key, limit in (("name", MAX_COMMAND_NAME_CHARS), ("description", MAX_COMMAND_DESCRIPTION_CHARS)):
            text = str(command.get(key) or "")
            if len(text) > limit:
                out.append((("commands", i, key), f"a command {key} is at most {limit} characters, this one {len(text)}"))
            if (ch := first_emoji(text)) is not None:
                out.append((("commands", i, key),
                            f"WhatsApp refuses emoji in commands ({ch!r} {_code_points(ch)})"))
        name = str(command.get("name") or "")
        if name in seen:
            out.append((("commands", i, "name"), f"command {name!r} is listed twice"))
        seen.add(name)
    return out


class AutomationRules(Rules):
    def build(self, model: Callable[..., object], values: Mapping[str, Any], yaml_file: str) -> Automation:
        commands = values.get("commands")
        return Automation(
            welcome_message=values.get("welcome_message"),
            prompts=None if values.get("prompts") is None else tuple(values["prompts"]),
            commands=None if commands is None else tuple(Command(c["name"], c["description"]) for c in commands),
        )

    def check(self, block: Any, yaml_file: str) -> list[tuple[tuple[str | int, ...], str]]:
        return problems(block)


class AutomationImporter(Importer):
    def block(self, fields: Sequence[Field], current: Values, notes: list[str],
              record_health: bool = False) -> dict[str, JSON] | None:
        data: Mapping[str, Any] = current
        out: dict[str, JSON] = {}
        if (welcome := as_bool(data.get("EnableWelcomeMessage"))) is not None:
            out["welcome_message"] = welcome
        prompts: list[JSON] = [str(p) for p in data.get("Prompts") or [] if str(p).strip()]
        if prompts:
            out["prompts"] = prompts
        commands: list[JSON] = [{"name": n, "description": d} for n, d in _commands(data.get("Commands") or []) or ()
                                if n]
        if commands:
            out["commands"] = commands
        if out == {"welcome_message": False}:
            return None  # the platform's defaults: nothing worth declaring
        return out or None


@register
class AutomationKind(Kind[Automation]):
    name = "automation"
    label = "conversational automation"
    scope = Scope.NUMBER
    model = Automation
    fields: ClassVar[tuple[Field, ...]] = (
        # an answer without a value means the model's default: off, no prompts, no commands
        Field("welcome_message", "EnableWelcomeMessage", compare=as_bool, absent=False),
        Field("prompts", "Prompts", compare=_prompts, many=True, absent=()),
        CommandsField("commands", "Commands", compare=_commands, absent=()),
    )
    api = Api(read="GetConversationalAutomation", update="UpdateConversationalAutomation")
    depends_on = ("membership",)
    rules = AutomationRules(inheritable=True)
    importer = AutomationImporter(shared=True)
    presenter = Presenter(drift=DriftKind.SETTINGS, blank_as_none=False)  # false and [] are values here, shown as read

    def params(self, w: Write[Automation]) -> dict[str, JSON]:
        """Only what differs: each list is replaced whole, an undeclared one is not sent."""
        wanted = set(w.change.before) if isinstance(w.change.before, Mapping) else set()
        model = w.block.model
        return {f.api: f.param(getattr(model, f.name)) for f in self.fields
                if f.name in wanted and getattr(model, f.name) is not None}
