"""``cams-reconciler import``: write the desired-state YAML of a space as it is now (adoption).

    cams-reconciler import --space-id ID --name NAME [--out FILE] [--force]

Reads the space (numbers, webhooks, queues, business profiles: one list call and one profile call per
number) and prints the YAML, or writes it to ``--out`` (never over an existing file without ``--force``;
atomically). The result is checked with the same loader as ``validate`` before it is handed over, so a
file that would not validate is reported, not silently written. Callback URLs that carry tokens are
written as they are (the YAML must match the space): a warning on stderr names the numbers, never the values.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.cli._client_options import add_client_arguments
from reconciler.core.errors import ExitCode
from reconciler.engine import EngineError

if TYPE_CHECKING:  # the engine, client and renderers load when the command runs, not for --help
    from reconciler.engine import ImportedSpace

_SCHEMA = "schemas/cams-desired-state.schema.json"


class ImportRefusedError(EngineError):
    """``import`` cannot go on (existing output file, or the space could not be described)."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import", help="write the desired-state YAML of an existing space (adoption)",
        description="Read a CAMS space and write YAML that declares it as it is: `validate` passes and "
                    "`plan` shows no change right after.")
    parser.add_argument("--space-id", required=True, metavar="ID", type=_space_field("cust_space_id"),
                        help="the ISV sub-customer space id (CustSpaceId)")
    parser.add_argument("--name", required=True, metavar="NAME", type=_space_field("name"),
                        help="the space's name in the YAML (plans, --target)")
    parser.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    parser.add_argument("--token-env-prefix", metavar="PREFIX", nargs="?", const="",
                        help="write each callback URL's query values as ${env:PREFIX<NAME>} references instead of "
                             "the tokens, and list the variables to set (never their values); a URL whose token "
                             "cannot be a reference (userinfo, a fragment, a profile URL) is left out, named. "
                             "PREFIX must start with the env prefix (CAMS_SECRET_ unless CAMS_RECONCILER_ENV_PREFIX "
                             "says otherwise), which is the default")
    parser.add_argument("--record-health", action="store_true",
                        help="where a number is not healthy today, record its current status / quality / "
                             "verification in expect (default: leave them out, with a warning)")
    add_client_arguments(parser, example=f"{parser.prog} --space-id 293483938849003 --name globex-support")
    parser.set_defaults(func=run)


def _space_field(field: str) -> Callable[[str], str]:
    """An argparse type checking a value against the format's own rule for a space's ``field`` (the JSON
    Schema), so a name or id the written YAML could not carry is refused before any API call, not after."""

    def check(value: str) -> str:
        from jsonschema import Draft202012Validator  # when a value is given, not for --help

        schema = json.loads(resources.files("reconciler").joinpath(_SCHEMA).read_text(encoding="utf-8"))
        rule = schema["$defs"]["space"]["properties"][field]
        if not Draft202012Validator(rule).is_valid(value):
            raise argparse.ArgumentTypeError(f"{value!r} {rule.get('errorMessage', 'is not valid')}")
        return value

    return check


def run(args: argparse.Namespace) -> int:
    import asyncio

    from reconciler.files import check_output, write_atomically
    from reconciler.render.import_yaml import space_yaml

    out = Path(args.out) if args.out else None
    if out is not None and out.is_dir():
        raise ImportRefusedError(f"{out} is a directory; name the file to write, e.g. {out / (args.name + '.yaml')}")
    if out is not None and out.exists() and not args.force:
        raise ImportRefusedError(f"{out} already exists; pass --force to overwrite it")
    if out is not None and not out.parent.is_dir():
        raise ImportRefusedError(f"{out}: directory {out.parent} does not exist")
    if out is not None:
        check_output(out, [s for s in [getattr(args, "emulator", None)] if s], "--out")
    if args.token_env_prefix is not None:
        args.token_env_prefix = _token_prefix(args.token_env_prefix)  # before any call
    imported = asyncio.run(_read(args))
    _write_files(imported.files, out, args.force, [s for s in [getattr(args, "emulator", None)] if s])
    text = space_yaml(imported, schema_ref=schema_ref(out if out is not None else stdout_file()))
    if out is None:
        problems = _validate_text(text, label="<stdout>")
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomically(out, text)
        problems = _validate_file(out)
        print(f"wrote {out}: space {args.name} ({args.space_id}), {len(imported.numbers)} number(s)",
              file=sys.stderr)
    _warn(imported, out)
    if problems:
        print(f"error: the imported YAML does not pass validate (fix these lines):\n{problems}", file=sys.stderr)
        return ExitCode.ERROR
    return ExitCode.OK


def _write_files(files: dict[str, str], out: Path | None, force: bool, inputs: list[str]) -> None:
    """The files the YAML names (a Flow's JSON), beside ``--out``, before the YAML is validated."""
    from reconciler.files import check_output, write_atomically

    if not files:
        return
    if out is None:
        raise ImportRefusedError(f"the space's YAML names {len(files)} file(s) to write beside it (WhatsApp Flows' "
                                 "JSON): pass --out FILE")
    targets = {out.parent / rel: text for rel, text in sorted(files.items())}
    for target in targets:
        if target.exists() and not force:
            raise ImportRefusedError(f"{target} already exists; pass --force to overwrite it")
        check_output(target, inputs, "--out")
    for target, text in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, text)
        print(f"wrote {target}", file=sys.stderr)


async def _read(args: argparse.Namespace) -> ImportedSpace:
    from reconciler.cli._client_options import open_client
    from reconciler.cli._terminal import Progress
    from reconciler.engine import import_space, read_space

    async with open_client(args) as client:
        async with Progress(sys.stderr).ticking(f"reading space {args.space_id}", client):
            items, reads = await read_space(client, args.space_id)
    imported = import_space(args.name, args.space_id, items, reads, record_health=args.record_health)
    if args.token_env_prefix is not None:
        from reconciler.engine import tokens_to_references

        imported, variables = tokens_to_references(imported, args.token_env_prefix)
        for name, what in variables.items():
            print(f"note: set {name} to {what} (the YAML references it as ${{env:{name}}})", file=sys.stderr)
    return imported


def _token_prefix(given: str) -> str:
    """The prefix of the variables import names: the env prefix by default; another must start with it, or
    validate would refuse every reference import writes (``reconciler.core.boundaries``)."""
    from reconciler.core.boundaries import ENV_PREFIX_ENV, env_name_problem, env_prefix

    base = env_prefix(os.environ)
    prefix = given or base
    if not prefix.startswith(base) or env_name_problem(prefix + "TOKEN", os.environ) is not None:
        raise ImportRefusedError(f"--token-env-prefix {prefix!r}: the YAML may reference only variables named "
                                 f"{base}* ({ENV_PREFIX_ENV} sets another prefix); give a prefix starting with "
                                 f"{base}, or none for {base}")
    return prefix


def stdout_file() -> Path | None:
    """Where stdout goes when it was redirected to a regular file (``import ... > spaces/x.yaml``), so the
    ``$schema`` path is relative to that file; None for a terminal or a pipe."""
    try:
        if not stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode):
            return None
        return Path(os.readlink(f"/proc/self/fd/{sys.stdout.fileno()}"))
    except (OSError, ValueError, AttributeError):  # no /proc (macOS), or stdout is not a real file
        return None


def schema_ref(out: Path | None) -> str:
    """The ``$schema`` path for editors, relative to where the YAML is written: the repository's own copy
    (``schemas/cams-desired-state.schema.json`` at the top of the git work tree, the layout the README
    recommends, which works for everyone who clones it) when there is one, else the installed package's."""
    base = (out.parent if out is not None else Path(".")).resolve()
    schema = Path(str(resources.files("reconciler").joinpath(_SCHEMA))).resolve()
    for folder in (base, *base.parents):
        if (folder / ".git").exists():
            if (folder / _SCHEMA).is_file():
                schema = folder / _SCHEMA
            else:
                print(f"hint: keep a copy of the schema in the repository for editors: "
                      f"cams-reconciler validate --print-schema > {folder / _SCHEMA}", file=sys.stderr)
            break
    else:  # outside a repository: the installed copy, by its absolute path (a relative climb out of the
        return schema.as_posix()  # file's folder into site-packages breaks as soon as either moves)
    try:
        return Path(os.path.relpath(schema, base)).as_posix()
    except ValueError:  # another drive (Windows)
        return schema.as_posix()


def _warn(imported: ImportedSpace, out: Path | None) -> None:
    from reconciler.render.escape import printable  # the numbers and health are the API's values

    where = str(out) if out is not None else "the output"
    if imported.tokens_left_out:
        print(f"warning: left out of {where}, because a reference can stand only for a callback URL's whole "
              f"query value and these hold a token elsewhere: {printable('; '.join(imported.tokens_left_out))}; the "
              "space keeps them, the YAML does not manage them (declare them by hand if it must)", file=sys.stderr)
    if imported.numbers_with_tokens:
        print(f"warning: {where} contains URL tokens (query values, userinfo or fragments) for "
              f"{printable(', '.join(imported.numbers_with_tokens))}: they are written as they are so the YAML matches "
              "the space; keep the file in a private repository", file=sys.stderr)
    if imported.unhealthy:
        print(f"warning: expect left out where a number is not healthy today ({printable('; '.join(imported.unhealthy))}): "
              "drift will not report these fields; pass --record-health to record today's values instead, "
              "so drift reports any further change", file=sys.stderr)
    for note in imported.left_out:
        print(f"warning: left out of {where}: {printable(note)}", file=sys.stderr)
    if imported.numbers_with_http:
        print(f"warning: plain-http callback URLs for {printable(', '.join(imported.numbers_with_http))}: the space is "
              "marked allow_http_callbacks; callbacks carry customer messages, move them to https",
              file=sys.stderr)


def _validate_file(path: Path) -> str:
    from reconciler.config import ConfigError, load_desired_state

    try:
        load_desired_state([str(path)])
    except ConfigError as err:
        return str(err)
    return ""


def _validate_text(text: str, *, label: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "imported.yaml"
        path.write_text(text, encoding="utf-8")
        return _validate_file(path).replace(str(path), label)
