"""The JSON Schema of the desired-state format, and its errors turned into ``Problem`` lines.

The schema (``reconciler/schemas/cams-desired-state.schema.json``) is the single description of the format:
editors use it to complete and check files as people type, and the loader validates every file with it.
``jsonschema``'s own messages echo whole values and name no line, so each error is rewritten here: pointed at
the line of the value (or of the offending key), with a "did you mean" for a misspelt key or enum value,
and without ever echoing a secret (values under ``migration``/``onboarding`` or of a ``verify*`` key are never shown, and
URLs are shown with their query values masked).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

from reconciler.common.masking import mask_url
from reconciler.config.errors import Problem
from reconciler.config.fastcheck import compile_schema
from reconciler.config.loader import LoadedFile, Path, format_path

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "cams-desired-state.schema.json"

_TYPE_NAMES = {
    "string": "a string", "integer": "a whole number", "number": "a number", "boolean": "true or false",
    "object": "a mapping (key: value lines)", "array": "a list", "null": "empty",
}

# Extra advice for a key that is valid somewhere, but not where it was written: (schema title, key) → hint.
_MISPLACED = {
    ("defaults", "queues"): "queue names are per number, so they cannot be defaulted: set them under the number",
    ("defaults", "migration"): "a migration is per number: set it under the number",
    ("defaults", "phone_number"): "`defaults` holds values merged under every number; numbers go under `numbers`",
    ("root", "name"): "the space's keys go inside a `spaces:` list item (`spaces: [{name: ..., ...}]`)",
    ("root", "cust_space_id"): "the space's keys go inside a `spaces:` list item",
    ("root", "numbers"): "numbers belong to a space: `spaces: [{name: ..., cust_space_id: ..., numbers: [...]}]`",
    ("space", "phone_number"): "numbers go in the space's `numbers:` list",
    ("number", "verify_code_env"): "it goes under the number's `migration:` (or `onboarding:`)",
    ("defaults", "onboarding"): "onboarding is per number: set it under the number",
    ("defaults", "retire"): "retiring is per number: set it under the number",
}


def _hint(title: str | None, key: str) -> str | None:
    """The advice for ``key`` written where it does not belong: a table entry, or, for a field of a number
    kind written on the number itself, the block it belongs in (from the catalogue)."""
    hint = _MISPLACED.get((title or "", key))
    if hint is None and title == "number":
        from reconciler import kinds as catalogue  # only on the error path

        for kind in catalogue.number_kinds():
            if any(f.name == key for f in kind.fields):
                return f"`{key}` goes under the number's `{kind.name}:`"
    return hint


def schema_text() -> str:
    """The schema as shipped in the package (what ``validate --print-schema`` prints)."""
    return resources.files("reconciler").joinpath("schemas", SCHEMA_FILE).read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_text())
    return schema


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with every local ``$ref`` replaced by its target (the format has no recursion).

    Same meaning, but ``jsonschema`` no longer resolves a reference per value: about a quarter less time
    on a 10,000-number repository."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.rsplit("/", 1)[1]])
            return {k: walk(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema)
    return inlined


class SchemaChecker:
    """The schema, compiled once per load: a fast verdict first, ``jsonschema`` for the problems.

    ``jsonschema`` (and what it imports) is loaded only when a file fails the fast verdict, or when there
    is none: a run over valid files, a plan's every run, does not pay for importing it."""

    def __init__(self) -> None:
        self._schema = inline_refs(load_schema())
        self.fast = compile_schema(self._schema)
        self._validator: Draft202012Validator | None = None

    def problems(self, loaded: LoadedFile) -> list[Problem]:
        if self.fast is not None and self.fast(loaded.data):
            return []
        if self._validator is None:
            from jsonschema import Draft202012Validator

            self._validator = Draft202012Validator(self._schema)
        return schema_problems(self._validator, loaded)


def is_secret_path(path: Sequence[str | int]) -> bool:
    """Values whose text must never be echoed: anything under ``migration`` or ``onboarding``, or under a
    ``verify*`` key."""
    return any(isinstance(p, str) and (p in ("migration", "onboarding") or "verify" in p.lower()) for p in path)


_PEM_LABEL = re.compile(r"-----BEGIN ([A-Z0-9 ]{1,40})-----")


def key_material(text: str) -> str:
    """Inline key material as a message may show it: its kind and fingerprint, never its text (a private
    key pasted where a public one belongs must not be printed into a CI log)."""
    from reconciler.kinds.flows_key import fingerprint

    label = _PEM_LABEL.search(text)
    return f"(a PEM {label.group(1) if label else 'block'}, not shown; fingerprint {fingerprint(text)})"


def show(value: Any, path: Sequence[str | int]) -> str:
    """A value as it may appear in a message: never a secret, URLs with their query values masked."""
    if is_secret_path(path):
        return "(value hidden)"
    if isinstance(value, str) and "-----BEGIN" in value:
        return key_material(value)
    if isinstance(value, str):
        if "://" in value or "?" in value:
            value = mask_url(value) or value
        if len(value) > 80:
            value = value[:77] + "..."
        return repr(value)
    return repr(value)


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _name(path: Sequence[str | int]) -> str:
    """The key a value sits under (``websites[1]`` for list items)."""
    tail = ""
    for part in reversed(path):
        if isinstance(part, int):
            tail = f"[{part}]" + tail
        else:
            return f"{part}{tail}"
    return "the document"


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest choice to a misspelt ``word``: case-insensitive first, then difflib's best match."""
    choices = list(choices)
    for c in choices:
        if c.lower() == word.lower() or c.lower().replace("-", "_") == word.lower().replace("-", "_"):
            return c
    match = difflib.get_close_matches(word.lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    if match:
        return next(c for c in choices if c.lower() == match[0])
    return None


class _Mapper:
    def __init__(self, loaded: LoadedFile) -> None:
        self.loaded = loaded
        self.pos = loaded.positions
        self.problems: list[Problem] = []

    def add(self, mark: tuple[int, int], message: str, path: Path) -> None:
        self.problems.append(Problem(self.loaded.file, mark[0], mark[1], message, format_path(path)))

    def map(self, err: ValidationError) -> None:
        path: Path = tuple(err.absolute_path)
        kind = err.validator
        inst = err.instance
        name = _name(path)
        if kind == "additionalProperties":
            allowed = list(err.schema.get("properties", {}))
            for key in inst:
                if key in allowed:
                    continue
                kpath = path + (key,)
                if self._suppressed(kpath):
                    continue
                hint = _hint("root" if not path else err.schema.get("title"), key)
                guess = did_you_mean(key, allowed)
                if hint:
                    msg = f"{key!r} is not allowed here: {hint}"
                elif guess:
                    msg = f"unknown key {key!r}: did you mean {guess!r}?"
                else:
                    msg = f"unknown key {key!r} (allowed here: {', '.join(allowed)})"
                self.add(self.pos.key_at(kpath), msg, kpath)
        elif kind == "required":
            for key in err.validator_value:
                if isinstance(inst, dict) and key not in inst and not self._suppressed(path + (key,)):
                    where = "a space" if err.schema.get("title") == "space" else _name(path)
                    self.add(self.pos.at(path), f"missing required key {key!r} in {where}", path + (key,))
        elif kind == "type":
            expected = err.validator_value
            names = [expected] if isinstance(expected, str) else list(expected)
            want = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
            if inst is None:
                msg = f"{name!r} has no value: it must be {want} (fill it in, or remove the key)"
            else:
                msg = f"{name!r} must be {want}, not {_kind(inst)}"
                raw = self.pos.raw.get(path)
                if "string" in names and raw is not None and not is_secret_path(path):
                    msg += (f": YAML reads the unquoted {raw} as {_kind(inst)}; quote it: "
                            f"{name}: \"{raw}\"")
                    if name in ("cust_space_id", "phone_number"):
                        msg += " (an unquoted number can lose leading zeros or be read in octal)"
            self.add(self.pos.at(path), msg, path)
        elif kind == "enum":
            # as YAML spells them: ``true``, not Python's ``True``
            allowed = [str(v).lower() if isinstance(v, bool) else str(v) for v in err.validator_value]
            guess = did_you_mean(str(inst), allowed) if isinstance(inst, str) else None
            msg = f"{name!r} is {show(inst, path)}, not one of: {', '.join(allowed)}"
            if isinstance(inst, str) and inst.lower() in ("true", "false") and \
                    any(isinstance(v, bool) for v in err.validator_value):
                msg += f" (a quoted {inst.lower()} is text: write {inst.lower()} without quotes)"
            elif guess:
                msg += f" (did you mean {guess!r}?)"
            self.add(self.pos.at(path), msg, path)
        elif kind == "const":
            self.add(self.pos.at(path), f"{name!r} must be {err.validator_value!r}, not {show(inst, path)}", path)
        elif kind == "pattern":
            what = err.schema.get("errorMessage") or "has an unexpected format"
            if is_secret_path(path):
                msg = f"{name!r} {what}"
            else:
                msg = f"{name!r} is {show(inst, path)}: it {what}"
            self.add(self.pos.at(path), msg, path)
        elif kind in ("minLength", "maxLength"):
            bound = err.validator_value
            if kind == "minLength" and bound == 1:
                msg = f"{name!r} must not be empty"
            else:
                word = "at least" if kind == "minLength" else "at most"
                msg = f"{name!r} must be {word} {bound} characters long (it has {len(inst)})"
            self.add(self.pos.at(path), msg, path)
        elif kind in ("minItems", "maxItems"):
            word = "at least" if kind == "minItems" else "at most"
            n = err.validator_value
            self.add(self.pos.at(path), f"{name!r} must list {word} {n} value{'s' if n != 1 else ''} "
                                        f"(it lists {len(inst)})", path)
        elif kind == "uniqueItems":
            seen: set[str] = set()
            index = 0
            for i, item in enumerate(inst):
                key = json.dumps(item, sort_keys=True, default=str)
                if key in seen:
                    index = i
                    break
                seen.add(key)
            ipath = path + (index,)
            self.add(self.pos.at(ipath), f"{name!r} lists {show(inst[index], ipath)} more than once", ipath)
        elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            word = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than",
                    "exclusiveMaximum": "less than"}[kind]
            self.add(self.pos.at(path), f"{name!r} must be {word} {err.validator_value} (it is {inst!r})", path)
        else:  # a keyword this mapper does not know: say which rule, never echo the value
            self.add(self.pos.at(path), f"{name!r} breaks the schema rule {kind!r}", path)

    def _suppressed(self, path: Path) -> bool:
        sup = self.loaded.suppressed
        return bool(sup) and any(path[:i] in sup for i in range(len(path) + 1))


def schema_problems(validator: Draft202012Validator, loaded: LoadedFile) -> list[Problem]:
    """Every schema violation in one file, as problems on the right lines."""
    mapper = _Mapper(loaded)
    for err in validator.iter_errors(loaded.data):
        if mapper._suppressed(tuple(err.absolute_path)):
            continue
        mapper.map(err)
    return mapper.problems
