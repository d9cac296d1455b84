"""Reading desired-state files: which files, their bytes, and YAML that remembers where every value was.

PyYAML's ``safe_load`` returns plain data but forgets positions and silently keeps the last of two duplicate
keys. Here libyaml's event stream (``CSafeLoader`` when PyYAML was built with it; the pure-Python parser
otherwise) is composed into plain data by a small iterative composer that records, for every value, the
1-based line and column where it was written (and where its key was), reports duplicate keys, and refuses
YAML features that would make "where was this written" ambiguous (aliases) or that the format has no use for
(custom tags, complex keys). Composing from events rather than with libyaml's own composer is both faster
(measured on one 10,000-number file: libyaml's node composer 2.4 s, reading its events 0.26 s) and safe:
libyaml's recursive composer crashes the process (segfault) on very deep nesting, while this one stops at
``MAX_DEPTH``.
"""

from __future__ import annotations

import os
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import ScalarNode

from reconciler.config.errors import ConfigError, Problem
from reconciler.files import MAX_YAML_BYTES, InputFileError, read_input

YAML_SUFFIXES = (".yaml", ".yml")
MAX_DEPTH = 64  # the format nests 7 levels deep; anything near this is not a desired-state file

Path = tuple[str | int, ...]
Mark = tuple[int, int]  # (line, col), 1-based

_Loader: type = yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader

_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ = _TAG + "str", _TAG + "map", _TAG + "seq"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}


@dataclass
class Positions:
    """Where each value of one file was written, keyed by its path from the document root."""

    values: dict[Path, Mark] = field(default_factory=dict)
    keys: dict[Path, Mark] = field(default_factory=dict)  # path of the value -> where its key was written
    raw: dict[Path, str] = field(default_factory=dict)  # plain scalars YAML typed as non-strings: their text

    def at(self, path: Sequence[str | int]) -> Mark:
        """Where the value at ``path`` was written, or its closest recorded ancestor."""
        p = tuple(path)
        while p:
            mark = self.values.get(p)
            if mark is not None:
                return mark
            p = p[:-1]
        return self.values.get((), (1, 1))

    def key_at(self, path: Sequence[str | int]) -> Mark:
        """Where the key holding ``path`` was written (the value's position when it has no key)."""
        return self.keys.get(tuple(path)) or self.at(path)


@dataclass
class LoadedFile:
    """One file's plain data (dicts, lists, str, int, float, bool, None) and its positions. ``suppressed``
    holds paths already reported by the loader (an alias), so later checks do not report them twice."""

    file: str
    data: Any
    positions: Positions
    suppressed: set[Path] = field(default_factory=set)
    code_keys: list[Path] = field(default_factory=list)  # paths whose key mentions "code" (secret rules)


# ---------------------------------------------------------------------------------------------- discovery

def discover(paths: Iterable[str]) -> tuple[list[str], list[Problem]]:
    """Expand files and directories into the files to read, in a stable order, plus path problems.

    A directory contributes every ``*.yaml``/``*.yml`` below it, sorted by path, skipping hidden files and
    directories (``.git``, ``.github``: CI workflow YAML is not desired state). Paths keep the form the user
    gave, so messages point at what they typed. A file named twice is read once.
    """
    files: list[str] = []
    problems: list[Problem] = []
    seen: set[str] = set()

    def add(path: str) -> None:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            files.append(path)

    for path in paths:
        path = os.fspath(path)
        if os.path.isdir(path):
            found: list[tuple[str, ...]] = []
            for root, dirs, names in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                rel_root = os.path.relpath(root, path)
                parts = () if rel_root == os.curdir else tuple(rel_root.split(os.sep))
                found += [parts + (n,) for n in names
                          if n.lower().endswith(YAML_SUFFIXES) and not n.startswith(".")]
            if not found:
                problems.append(Problem(path, 0, 0, "no *.yaml or *.yml file in this directory"))
            for parts in sorted(found):
                add(os.path.join(path, *parts))
        elif os.path.exists(path):
            add(path)
        else:
            problems.append(Problem(path, 0, 0, "no such file or directory"))
    return files, problems


def run_inputs(paths: Iterable[str], *others: str | None) -> list[str]:
    """Every file a command reads: the YAML files ``paths`` expand to, plus ``others`` given (a state file,
    a saved plan), for ``check_output``."""
    return [*discover(list(paths))[0], *(o for o in others if o)]


def discover_files(paths: Iterable[str]) -> list[str]:
    """The files ``load_desired_state(paths)`` would read; ``ConfigError`` if a path is missing or empty."""
    paths = list(paths)
    files, problems = discover(paths)
    if problems:
        raise ConfigError(problems, paths)
    return files


# ---------------------------------------------------------------------------------------------- reading

def _byte_position(data: bytes, offset: int) -> Mark:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def read_text(file: str) -> tuple[str | None, list[Problem]]:
    """The file's text, or one problem saying why it is not a UTF-8 text file."""
    try:
        data = read_input(file, MAX_YAML_BYTES)  # regular files only, bounded, never blocks (FIFO, /dev/zero)
    except InputFileError as exc:
        return None, [Problem(file, 0, 0, exc.reason)]
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = _byte_position(data, nul)
        return None, [Problem(file, line, col, "this is a binary file, not YAML text (it holds NUL bytes; "
                                               "if it is UTF-16, save it as UTF-8)")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _byte_position(data, exc.start)
        return None, [Problem(file, line, col, f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} "
                                               "cannot be decoded); save it as UTF-8")]
    return text, []


# ---------------------------------------------------------------------------------------------- composing

def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag


class _Discard:
    """Where values go that must not be recorded: the key and value of a bad entry."""


_NO_KEY = object()  # a mapping frame waits for a key
_BAD_KEY = object()  # the key was reported; its value is discarded


class _Frame:
    __slots__ = ("container", "path", "is_map", "key", "key_mark")

    def __init__(self, container: Any, path: Path | None, is_map: bool) -> None:
        self.container = container
        self.path = path  # None: discarded (a complex key, or the value of a bad key)
        self.is_map = is_map
        self.key: Any = _NO_KEY
        self.key_mark: Mark = (0, 0)


class _Composer:
    """Events → plain data + positions, iteratively (no recursion, bounded depth)."""

    def __init__(self, file: str, *, inline: bool = True) -> None:
        self.file = file
        self.inline = inline  # False: every event through ``scalar``/``place`` (tests compare the two paths)
        self.positions = Positions()
        self.problems: list[Problem] = []
        self.suppressed: set[Path] = set()
        self.code_keys: list[Path] = []
        self.stack: list[_Frame] = []
        self.root: Any = _NO_KEY
        self.resolver = yaml.resolver.Resolver()
        self.constructor = SafeConstructor()

    def problem(self, mark: Mark, message: str, path: Path | None = None) -> None:
        self.problems.append(Problem(self.file, mark[0], mark[1], message, format_path(path or ())))

    # -- scalars
    def scalar(self, ev: ScalarEvent, mark: Mark, as_key: bool) -> tuple[Any, bool]:
        """(value, typed) — ``typed`` when YAML turned plain text into a non-string (keep its text)."""
        tag = ev.tag
        if tag is None or tag == "!":
            if as_key or not ev.implicit[0]:
                return ev.value, False
            tag = self.resolver.resolve(ScalarNode, ev.value, ev.implicit)
        if tag not in _SCALAR_TAGS:
            self.problem(mark, f"unsupported YAML tag {_short_tag(tag)!r}: desired state is plain YAML (no tags)")
            return _Discard, False
        if tag == _STR or tag == _TAG + "timestamp" or as_key:
            # A date-looking value is text here: no field of the format is a date.
            return ev.value, False
        # A node only to hand the text to the constructor; its marks are not needed: a failure is reported
        # at ``mark`` below, not through the constructor's own message.
        node = ScalarNode(tag, ev.value, style=ev.style)
        try:
            if tag == _TAG + "null":
                value: Any = None
            elif tag == _TAG + "bool":
                value = self.constructor.construct_yaml_bool(node)
            elif tag == _TAG + "int":
                value = self.constructor.construct_yaml_int(node)
            else:
                value = self.constructor.construct_yaml_float(node)
        except (ValueError, TypeError, KeyError, yaml.YAMLError):  # KeyError: `!!bool maybe`
            self.problem(mark, f"{ev.value!r} is not a valid {tag.rsplit(':', 1)[-1]}")
            return _Discard, False
        return value, True

    # -- placing a value where the stack says it goes
    def place(self, value: Any, mark: Mark, raw: str | None) -> Path | None:
        """Put ``value`` into the current container (or make it the root); return its path (None when it
        is discarded or is a mapping key)."""
        if not self.stack:
            self.root = value
            self.positions.values[()] = mark
            return ()
        top = self.stack[-1]
        if top.is_map and top.key is _NO_KEY:  # this value is a key
            if top.path is None or value is _Discard:
                top.key = _BAD_KEY
            elif not isinstance(value, str):
                self.problem(mark, "a mapping key must be a plain name, not a list or mapping", top.path)
                top.key = _BAD_KEY
            elif value in top.container:
                first = self.positions.keys.get(top.path + (value,), (0, 0))[0]
                self.problem(mark, f"duplicate key {value!r}: it was already written at line {first} "
                                   "(YAML would silently keep only the last one)", top.path + (value,))
                top.key = _BAD_KEY
            else:
                top.key = value
                top.key_mark = mark
            return None
        if top.path is None:
            return None
        if top.is_map:
            key = top.key
            top.key = _NO_KEY
            if key is _BAD_KEY:
                return None
            path = top.path + (key,)
            self.positions.keys[path] = top.key_mark
            if "code" in key.lower():
                self.code_keys.append(path)
            if value is not _Discard:
                top.container[key] = value
        else:
            path = top.path + (len(top.container),)
            if value is not _Discard:
                top.container.append(value)
        if value is _Discard:
            self.suppressed.add(path)
            return None
        self.positions.values[path] = mark
        if raw is not None:
            self.positions.raw[path] = raw
        return path

    def expecting_key(self) -> bool:
        return bool(self.stack) and self.stack[-1].is_map and self.stack[-1].key is _NO_KEY

    def _plain_first_chars(self) -> Container[str]:
        """First characters of plain scalars that the resolver might type as non-strings; a plain scalar
        starting with anything else is a string without running the resolver's regexes. Every character,
        when the resolver has wildcard or path resolvers (then every plain scalar takes the general path)."""
        implicit = self.resolver.yaml_implicit_resolvers
        if None in implicit or self.resolver.yaml_path_resolvers:
            return _EVERY_CHARACTER
        return frozenset(implicit)

    def compose(self, loader: Any) -> Any:
        """Compose the event stream. The loop is the hot path of loading (one pass per event of every
        file), so the common events -- an untagged string or container inside a recorded mapping or list
        -- are placed inline with local names, doing exactly what ``scalar`` + ``place`` would; anything
        else (tags, repeated keys, plain scalars YAML may type, discarded containers, the root, aliases,
        documents) goes through ``scalar``/``place``, the one general implementation. ``top`` is the
        innermost open container (``stack[-1]``), kept in a local: only this loop pushes and pops."""
        documents = 0
        get = loader.get_event  # None once the stream has ended
        stack = self.stack
        top: _Frame | None = None
        inline = self.inline
        values, keys = self.positions.values, self.positions.keys
        code_keys = self.code_keys
        scalar, place = self.scalar, self.place
        typed_first = self._plain_first_chars()
        no_key, bad_key = _NO_KEY, _BAD_KEY
        path: Path | None  # where the event's value is recorded; None: discarded
        while True:
            ev = get()
            if ev is None:
                break
            cls = type(ev)
            if cls is ScalarEvent:
                m = ev.start_mark
                mark = (m.line + 1, m.column + 1)
                if inline and top is not None and top.path is not None and ev.tag is None:
                    text = ev.value
                    if top.is_map:
                        key = top.key
                        if key is no_key:  # a key
                            if text in top.container:
                                place(text, mark, None)  # reports the duplicate
                            else:
                                top.key = text
                                top.key_mark = mark
                            continue
                        if not (ev.implicit[0] and text[:1] in typed_first):  # a string value
                            top.key = no_key
                            if key is bad_key:
                                continue
                            path = top.path + (key,)
                            keys[path] = top.key_mark
                            if "code" in key.lower():
                                code_keys.append(path)
                            top.container[key] = text
                            values[path] = mark
                            continue
                    elif not (ev.implicit[0] and text[:1] in typed_first):  # a string list item
                        container = top.container
                        values[top.path + (len(container),)] = mark
                        container.append(text)
                        continue
                value, typed = scalar(ev, mark, self.expecting_key())
                place(value, mark, ev.value if typed else None)
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                stack.pop()
                top = stack[-1] if stack else None
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                m = ev.start_mark
                mark = (m.line + 1, m.column + 1)
                is_map = cls is MappingStartEvent
                if (inline and top is not None and top.path is not None and ev.tag is None
                        and not (top.is_map and top.key is no_key)):  # not a (complex) key
                    container = {} if is_map else []
                    parent = top.container
                    if top.is_map:
                        key = top.key
                        top.key = no_key
                        if key is bad_key:
                            path = None
                        else:
                            path = top.path + (key,)
                            keys[path] = top.key_mark
                            if "code" in key.lower():
                                code_keys.append(path)
                            parent[key] = container
                            values[path] = mark
                    else:
                        path = top.path + (len(parent),)
                        parent.append(container)
                        values[path] = mark
                else:
                    if ev.tag not in (None, "!", _MAP if is_map else _SEQ):
                        self.problem(mark, f"unsupported YAML tag {_short_tag(ev.tag)!r}: desired state is plain "
                                           "YAML (no tags)")
                    container = {} if is_map else []
                    path = place(container, mark, None)  # None: a (reported) complex key, or discarded
                top = _Frame(container, path, is_map)
                stack.append(top)
                if len(stack) > MAX_DEPTH:
                    self.problem(mark, f"the YAML is nested more than {MAX_DEPTH} levels deep; "
                                       "this is not a desired-state file")
                    return _NO_KEY
            elif cls is AliasEvent:
                m = ev.start_mark
                mark = (m.line + 1, m.column + 1)
                place(_Discard, mark, None)
                self.problem(mark, f"YAML aliases (*{ev.anchor}) are not supported: every value must be "
                                   "written where it applies, so plans can point at its line (to share "
                                   "values between numbers, use the space's `defaults`)")
            elif cls is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    m = ev.start_mark
                    self.problem((m.line + 1, m.column + 1),
                                 "a second YAML document (after `---`): a desired-state file holds one "
                                 "document; list several spaces under `spaces:` or use one file per space")
                    break
        return self.root


class _EveryCharacter:
    """A container holding every character (see ``_Composer._plain_first_chars``)."""

    def __contains__(self, _item: object) -> bool:
        return True


_EVERY_CHARACTER = _EveryCharacter()


def format_path(path: Sequence[str | int]) -> str:
    """``("spaces", 0, "numbers", 2, "webhooks")`` → ``spaces[0].numbers[2].webhooks``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _yaml_error_problem(file: str, text: str, exc: yaml.YAMLError) -> Problem:
    """One line for a YAML error, at the position libyaml/PyYAML marked."""
    if isinstance(exc, yaml.reader.ReaderError):
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        pos = max(0, min(int(exc.position), len(text)))
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        return Problem(file, line, col, f"the file holds a control character (#x{char:04x}) that YAML does "
                                        "not allow in text")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if isinstance(exc, yaml.MarkedYAMLError):
        what = ", ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
    else:
        what = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
    if mark is None:
        return Problem(file, 1, 1, f"YAML syntax error: {what}")
    return Problem(file, mark.line + 1, mark.column + 1, f"YAML syntax error: {what}")


def parse_yaml(text: str, file: str, *, inline: bool = True) -> tuple[LoadedFile | None, list[Problem]]:
    """Compose ``text`` into a ``LoadedFile``. ``None`` (with problems) when there is no usable document.
    ``inline=False`` composes every event through the general path (the same result, slower: for tests)."""
    composer = _Composer(file, inline=inline)
    loader = _Loader(text)
    try:
        root = composer.compose(loader)
    except yaml.YAMLError as exc:
        return None, [_yaml_error_problem(file, text, exc)]
    finally:
        loader.dispose()
    problems = composer.problems
    if root is _NO_KEY:
        if not problems:
            problems.append(Problem(file, 1, 1, "the file is empty: expected a mapping with `version: 1` "
                                                "and a `spaces` list"))
        return None, problems
    if root is None or root is _Discard:
        problems.append(Problem(file, *composer.positions.at(()), "the document is empty: expected a mapping "
                                                                  "with `version: 1` and a `spaces` list"))
        return None, problems
    if not isinstance(root, dict):
        kind = "a list" if isinstance(root, list) else f"a single value ({type(root).__name__})"
        problems.append(Problem(file, *composer.positions.at(()), f"the document is {kind}; expected a "
                                                                  "mapping with `version: 1` and a `spaces` list"))
        return None, problems
    return LoadedFile(file, root, composer.positions, composer.suppressed, composer.code_keys), problems


def load_file(file: str) -> tuple[LoadedFile | None, list[Problem]]:
    """Read and compose one file; every failure is a ``Problem``, never an exception."""
    text, problems = read_text(file)
    if text is None:
        return None, problems
    return parse_yaml(text, file)
