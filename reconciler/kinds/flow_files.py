"""A declared Flow's JSON file: where it may be, how it is read, and its offline check.

``json_file`` is relative to the YAML that declares the Flow and must stay inside that file's directory
(no absolute path, no ``..`` out of it, no symbolic link leading out): the file's content is uploaded to
CAMS by apply, and a pull request must not be able to make apply upload any other file the CI user can
read. It is read with the input-file rule (a regular file, at most ``flow_json.MAX_BYTES``, never
blocking) and must be UTF-8.

``problems`` checks one declared Flow (the JSON Schema has checked its shape): the file, then the Flow JSON
rules (``reconciler.common.flow_json``). Each JSON problem names the JSON file, its line and the JSON
pointer; the config places it at the ``json_file`` line of the YAML, so both files are named.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.common import flow_json
from reconciler.common.input_file import UnreadableFile, read_regular


class FlowFileError(ValueError):
    """A ``json_file`` that cannot be used: one phrase naming the file."""


def resolve(yaml_file: str, name: str) -> Path:
    """The path of ``name`` (relative to ``yaml_file``'s directory), refused when it leaves that directory."""
    base = Path(yaml_file).resolve().parent
    given = Path(name)
    if given.is_absolute():
        raise FlowFileError(f"json_file {name!r} must be relative to the YAML file's directory")
    path = (base / given).resolve()
    if path != base and base not in path.parents:
        raise FlowFileError(f"json_file {name!r} leads out of the YAML file's directory")
    return path


def shown(yaml_file: str, name: str) -> str:
    """How the JSON file is named in messages: beside the YAML, as the repository spells it."""
    return str(Path(yaml_file).parent / name)


def read_text(yaml_file: str, name: str) -> str:
    """The text of ``json_file`` ``name`` declared in ``yaml_file``: ``FlowFileError`` saying why not."""
    path = resolve(yaml_file, name)
    try:
        data = read_regular(path, flow_json.MAX_BYTES, "the Flow JSON file")
    except UnreadableFile as exc:
        raise FlowFileError(f"{shown(yaml_file, name)}: {exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FlowFileError(f"{shown(yaml_file, name)}: not UTF-8 text") from None


def problems(flow: Mapping[str, Any], yaml_file: str) -> list[tuple[tuple[str, ...], str]]:
    """Every problem of one declared Flow: ``(path inside the Flow, message)``."""
    out: list[tuple[tuple[str, ...], str]] = []
    name = flow.get("json_file")
    if isinstance(name, str):
        try:
            text = read_text(yaml_file, name)
        except FlowFileError as exc:
            return [(("json_file",), str(exc))]
        _, found = flow_json.check_text(text, endpoint=bool(flow.get("endpoint_uri")))
        where = shown(yaml_file, name)
        out.extend((("json_file",), f"{where}:{p.line}: {p.pointer or '/'}: {p.message}") for p in found)
    replacement = flow.get("replacement_name")
    if replacement is not None and not flow.get("replace_published"):
        out.append((("replacement_name",), "replacement_name is only used with replace_published: true"))
    return out


def document(yaml_file: str, name: str) -> Any:
    """The parsed JSON of a checked ``json_file`` (``problems`` has refused an unreadable or invalid one)."""
    return flow_json.parse(read_text(yaml_file, name))
