"""``cams-reconciler completion bash|zsh|fish``: a shell completion script, generated from the parsers.

    source <(cams-reconciler completion bash)                 # or save it under bash-completion/completions/
    cams-reconciler completion zsh > "${fpath[1]}/_cams-reconciler"
    cams-reconciler completion fish > ~/.config/fish/completions/cams-reconciler.fish

Commands, their flags and the values of flags with fixed choices (``--format``, ``--for``, the shell) are
written into the script when it is generated, from the same parsers the command line runs, so they cannot
disagree. ``--target`` completes the names of the spaces declared in the YAML paths already typed on the
line: the script asks the hidden ``cams-reconciler __complete spaces WORD...`` helper, which reads only the
``spaces[].name`` of those files (no validation, no network) and prints one name per line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from typing import Any, NamedTuple

from reconciler.core.errors import ExitCode

SHELLS = ("bash", "zsh", "fish")
PROG = "cams-reconciler"
_YAML = (".yaml", ".yml")
#: Flags whose value is a file or directory (completed as paths); other value-taking flags get nothing.
_PATH_METAVARS = {"FILE", "STATE_FILE", "PLAN_FILE", "PATH", "DIR"}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "completion", help="print a shell completion script (bash, zsh or fish)",
        description="Print the completion script for SHELL on stdout: commands, flags, formats and the "
                    "--target space names of the YAML on the line.",
        epilog="examples:\n"
               "  source <(cams-reconciler completion bash)       # in ~/.bashrc\n"
               "  cams-reconciler completion zsh > \"${fpath[1]}/_cams-reconciler\"\n"
               "  cams-reconciler completion fish > ~/.config/fish/completions/cams-reconciler.fish",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    parser.set_defaults(func=run_completion)
    helper = subparsers.add_parser("__complete")  # hidden: what the scripts call at TAB time
    helper.add_argument("what", choices=("spaces",))
    helper.add_argument("words", nargs=argparse.REMAINDER)
    helper.set_defaults(func=run_helper, plain_parse=True)


# -- what the scripts know ----------------------------------------------------------------------------------

class Option(NamedTuple):
    flags: tuple[str, ...]
    help: str
    takes_value: bool
    choices: tuple[str, ...]
    paths: bool  # its value is a path
    target: bool  # its value is a space name


class CommandSpec(NamedTuple):
    name: str
    help: str
    options: tuple[Option, ...]
    positional_choices: tuple[str, ...]  # e.g. call's action names, completion's shells


def _options(parser: argparse.ArgumentParser) -> tuple[Option, ...]:
    out = []
    for action in parser._actions:  # argparse has no public iterator of a parser's arguments
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        takes_value = action.nargs != 0
        choices = tuple(str(c) for c in action.choices) if action.choices else ()
        out.append(Option(tuple(action.option_strings), " ".join((action.help or "").split()), takes_value,
                          choices, takes_value and str(action.metavar) in _PATH_METAVARS,
                          "--target" in action.option_strings))
    return tuple(out)


def command_specs() -> tuple[tuple[Option, ...], tuple[CommandSpec, ...]]:
    """The global options and every listed command, from the real parsers."""
    from reconciler.cli import COMMANDS, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    specs = []
    for name, command in COMMANDS.items():
        if command.help is None:
            continue
        p = sub.choices[name]
        positional = [a for a in p._actions if not a.option_strings and a.choices]
        choices = tuple(str(c) for c in positional[0].choices) if positional else ()
        if name == "call":
            from reconciler.client.actions import ACTIONS
            choices = tuple(sorted(ACTIONS))
        specs.append(CommandSpec(name, command.help, _options(p), choices))
    return _options(parser), tuple(specs)


# -- bash ---------------------------------------------------------------------------------------------------

def _words(options: tuple[Option, ...]) -> str:
    return " ".join(f for o in options for f in o.flags)


def _bash_value_cases(options: tuple[Option, ...]) -> Iterator[str]:
    for o in options:
        if not o.takes_value:
            continue
        pattern = "|".join(o.flags)
        if o.target:
            body = 'COMPREPLY=($(compgen -W "$(_cams_reconciler_spaces)" -- "$cur"))'
        elif o.choices:
            body = f'COMPREPLY=($(compgen -W "{" ".join(o.choices)}" -- "$cur"))'
        elif o.paths:
            body = 'COMPREPLY=($(compgen -f -- "$cur"))'
        else:
            body = "COMPREPLY=()"
        yield f"                {pattern}) {body}; return;;"


def bash_script() -> str:
    glob, specs = command_specs()
    cases = []
    for spec in specs:
        positional = (f'COMPREPLY=($(compgen -W "{" ".join(spec.positional_choices)}" -- "$cur"))'
                      if spec.positional_choices else 'COMPREPLY=($(compgen -f -- "$cur"))')
        cases.append("\n".join([
            f"        {spec.name})",
            '            case "$prev" in',
            *_bash_value_cases(spec.options),
            "            esac",
            f'            if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "{_words(spec.options)}" -- "$cur"))',
            f"            else {positional}; fi;;",
        ]))
    return f"""# bash completion for {PROG} (generated by `{PROG} completion bash`)
_cams_reconciler_spaces() {{
    {PROG} __complete spaces -- "${{COMP_WORDS[@]:0:COMP_CWORD}}" 2>/dev/null
}}
_cams_reconciler() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" cmd="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ "${{COMP_WORDS[i]}}" != -* ]]; then cmd="${{COMP_WORDS[i]}}"; break; fi
    done
    if [[ -z "$cmd" ]]; then
        if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "{_words(glob)}" -- "$cur"))
        else COMPREPLY=($(compgen -W "{" ".join(s.name for s in specs)}" -- "$cur")); fi
        return
    fi
    case "$cmd" in
{chr(10).join(cases)}
    esac
}}
complete -o filenames -o bashdefault -F _cams_reconciler {PROG}
"""


# -- zsh ----------------------------------------------------------------------------------------------------

def _zsh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _zsh_value_cases(options: tuple[Option, ...]) -> Iterator[str]:
    for o in options:
        if not o.takes_value:
            continue
        pattern = "|".join(o.flags)
        if o.target:
            body = 'compadd -- ${(f)"$(' + PROG + ' __complete spaces -- ${words[1,CURRENT-1]} 2>/dev/null)"}'
        elif o.choices:
            body = f"compadd -- {' '.join(o.choices)}"
        elif o.paths:
            body = "_files"
        else:
            body = "_message value"
        yield f"        ({pattern}) {body}; return;;"


def _zsh_described(options: tuple[Option, ...]) -> str:
    return " ".join(_zsh_quote(f"{flag}:{o.help}".replace("[", "(").replace("]", ")"))
                    for o in options for flag in o.flags)


def zsh_script() -> str:
    glob, specs = command_specs()
    cases = []
    for spec in specs:
        positional = (f"compadd -- {' '.join(spec.positional_choices)}" if spec.positional_choices else "_files")
        cases.append("\n".join([
            f"    ({spec.name})",
            '      case "$prev" in',
            *(("  " + c) for c in _zsh_value_cases(spec.options)),
            "      esac",
            f"      if [[ $cur == -* ]]; then opts=({_zsh_described(spec.options)}); _describe option opts",
            f"      else {positional}; fi;;",
        ]))
    commands = " ".join(_zsh_quote(f"{s.name}:{s.help}") for s in specs)
    return f"""#compdef {PROG}
# zsh completion for {PROG} (generated by `{PROG} completion zsh`)
_cams_reconciler() {{
  local cur=${{words[CURRENT]}} prev=${{words[CURRENT-1]}} cmd="" i
  local -a opts cmds
  for ((i = 2; i < CURRENT; i++)); do
    if [[ ${{words[i]}} != -* ]]; then cmd=${{words[i]}}; break; fi
  done
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then opts=({_zsh_described(glob)}); _describe option opts
    else cmds=({commands}); _describe command cmds; fi
    return
  fi
  case $cmd in
{chr(10).join(cases)}
  esac
}}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _cams_reconciler "$@"
else
  compdef _cams_reconciler {PROG}
fi
"""


# -- fish ---------------------------------------------------------------------------------------------------

def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_option(condition: str, o: Option) -> str:
    parts = [f"complete -c {PROG} -n {_fish_quote(condition)}"]
    for flag in o.flags:
        parts.append(f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}")
    if o.target:
        parts.append(f"-x -a {_fish_quote(f'({PROG} __complete spaces -- (commandline -opc) 2>/dev/null)')}")
    elif o.choices:
        parts.append(f"-x -a {_fish_quote(' '.join(o.choices))}")
    elif o.paths:
        parts.append("-r -F")
    elif o.takes_value:
        parts.append("-x")
    parts.append(f"-d {_fish_quote(o.help[:80])}")
    return " ".join(parts)


def fish_script() -> str:
    glob, specs = command_specs()
    lines = [f"# fish completion for {PROG} (generated by `{PROG} completion fish`)",
             f"complete -c {PROG} -f"]
    lines += [_fish_option("__fish_use_subcommand", o) for o in glob]
    lines += [f"complete -c {PROG} -n __fish_use_subcommand -a {s.name} -d {_fish_quote(s.help)}" for s in specs]
    for spec in specs:
        seen = f"__fish_seen_subcommand_from {spec.name}"
        lines += [_fish_option(seen, o) for o in spec.options]
        if spec.positional_choices:
            lines.append(f"complete -c {PROG} -n {_fish_quote(seen)} -a {_fish_quote(' '.join(spec.positional_choices))}")
        else:
            lines.append(f"complete -c {PROG} -n {_fish_quote(seen)} -F")
    return "\n".join(lines) + "\n"


SCRIPTS = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}


def run_completion(args: argparse.Namespace) -> int:
    sys.stdout.write(SCRIPTS[args.shell]())
    return ExitCode.OK


# -- the helper the scripts call ----------------------------------------------------------------------------

def typed_paths(words: list[str]) -> list[str]:
    """The YAML paths on a partial command line (``cams-reconciler plan spaces/ --target``): the words the
    command's own parser takes as its ``paths``; when it cannot parse the line yet, every word naming an
    existing directory or YAML file that is not an option's value."""
    from reconciler.cli import COMMANDS, _command_index, command_parser

    if words and os.path.basename(words[0]) == PROG:
        words = words[1:]
    at = _command_index(words)
    if at is None or words[at] not in COMMANDS:
        return []
    rest = words[at + 1:]
    while rest and rest[-1].startswith("-"):  # the flag being completed (``--target``) has no value yet
        rest = rest[:-1]
    parser = command_parser(words[at])
    devnull = open(os.devnull, "w")
    saved = sys.stderr
    try:
        sys.stderr = devnull
        known, _ = parser.parse_known_intermixed_args(rest)
        return list(getattr(known, "paths", None) or [])
    except SystemExit:
        return [w for i, w in enumerate(rest) if not w.startswith("-")
                and not (i and rest[i - 1].startswith("-") and "=" not in rest[i - 1]
                         and rest[i - 1] not in ("--auto-approve", "--force", "--detailed-exitcode"))
                and (os.path.isdir(w) or w.endswith(_YAML))]
    finally:
        sys.stderr = saved
        devnull.close()


def space_names(paths: list[str]) -> list[str]:
    """``spaces[].name`` of every YAML file under ``paths`` (unreadable or odd files are skipped: this is a
    convenience at TAB time, not validation)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    names: list[str] = []
    for file in _yaml_files(paths):
        try:
            with open(file, encoding="utf-8") as fh:
                doc = yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        spaces = doc.get("spaces") if isinstance(doc, dict) else None
        if isinstance(spaces, list):
            names += [s["name"] for s in spaces if isinstance(s, dict) and isinstance(s.get("name"), str)]
    return list(dict.fromkeys(names))


def _yaml_files(paths: list[str]) -> Iterator[str]:
    """As the loader's discovery: files named, and every *.yaml/*.yml under directories, skipping hidden."""
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                yield from (os.path.join(root, f) for f in sorted(files)
                            if f.lower().endswith(_YAML) and not f.startswith("."))
        elif os.path.isfile(path):
            yield path


def run_helper(args: argparse.Namespace) -> int:
    words = list(args.words[1:] if args.words[:1] == ["--"] else args.words)
    for name in space_names(typed_paths(words)):
        print(name)
    return ExitCode.OK
