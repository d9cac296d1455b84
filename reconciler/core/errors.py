"""The root of every error the reconciler raises on purpose, the tree of them, and the exit codes.

A ``ReconcilerError`` is an expected failure with a message written for the user: the CLI prints
``error: <message>`` and exits with the error's ``exit_code`` (as click's ``ClickException`` carries its
own), never a traceback. Anything else that escapes is a bug. Callers branch on the class, never on the
message::

    ReconcilerError                        (exit_code: ExitCode.ERROR)
    ├── config.errors.ConfigError          desired-state YAML: every problem, with file:line:col
    │   └── config.fmt.FormatError         ``fmt``: a file it cannot format without changing its meaning
    ├── files.InputFileError               an input that cannot be read (not a regular file, too large, ...)
    ├── files.OutputFileError              an output (``--out``, ``--results``) that cannot be written
    ├── client_errors.ClientError          the CAMS/BSS API client (its own tree is drawn there)
    ├── engine.drift_state.DriftStateError ``drift --state`` of a file that is not a drift state
    ├── engine.drift_notify.NotifyError    ``drift --notify-url-env``: the chat message could not be sent
    ├── state.store.StateError             the state store cannot be read or written (names the store, the object)
    │   └── state.lock.LockError           another run holds the account's lock (names it and its LOCK_ID)
    └── engine.errors.EngineError          plan/apply refusals, each naming the space and what to do
        ├── engine.errors.TargetError              ``--target`` names a space no YAML declares
        ├── engine.errors.ScopeError               ``--changed-since`` cannot compare with the git ref
        ├── engine.merge.MergeError                ``--merge`` of pieces that do not belong together
        ├── engine.journal.JournalError            the journal file cannot be read or written
        ├── engine.apply_errors.PlanFileError      ``apply --plan`` of a file that is not an appliable plan
        ├── engine.apply_errors.StalePlanError     the YAML or a planned space moved since the review
        ├── engine.apply_errors.OverrideError      a saved plan's override not both recorded and re-asserted
        ├── engine.apply_errors.SafetyThresholdError  a suspicious share of a space's webhooks updated
        ├── engine.apply_errors.FrozenAccountError    the account's business is frozen
        ├── engine.apply_errors.BlockingFindingsError ``unmanaged_numbers: error`` findings
        ├── engine.apply_errors.ApplyRefusedError  not confirmed, or flags that cannot go together
        ├── engine.apply_errors.UnreadSpacesError  spaces (or an account check) that could not be read
        └── cli.import_.ImportRefusedError         ``import`` cannot go on (an existing output, an undescribable space)

Messages never contain secrets: access key secrets, security tokens, migration verify codes, or tokens
carried in callback URLs.

``ExitCode`` is the one table of exit codes: every command returns one of its members, and
``docs/cli.md`` lists the same codes (``tests/unit/test_exit_codes.py`` checks both).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Every exit code of ``cams-reconciler`` (``docs/cli.md``, "Exit codes")."""

    OK = 0  # success (plan: a plan was made; drift: in sync; apply: converged or nothing to do)
    ERROR = 1  # an error of any kind: bad YAML, a bad flag (usage errors too), API failure, refused/failed apply
    USAGE = 1  # (an alias of ERROR) a usage error: not argparse's 2, which means "changes" to a script
    CHANGES = 2  # only drift (anything drifted) and plan --detailed-exitcode (apply would write something)
    SIGINT = 130  # interrupted by SIGINT (the shell's 128 + signal number)
    SIGTERM = 143  # interrupted by SIGTERM
    SIGPIPE = 141  # stdout closed early (`... | head`): quiet, as git ends (128 + SIGPIPE)

    @classmethod
    def for_signal(cls, name: str) -> ExitCode:
        """The exit code of a run interrupted by the signal ``name`` (``SIGINT``/``SIGTERM``); ERROR for
        any other reason a run was cut short."""
        member = cls.__members__.get(name)
        return member if member is not None and member >= 128 else cls.ERROR


class ReconcilerError(Exception):
    """An expected, user-facing failure. ``str(err)`` is the one-line message printed after ``error:``."""

    exit_code: ExitCode = ExitCode.ERROR
    #: The message may hold a server's text (an API error's message): the CLI prints it as one line with
    #: every control character escaped (``render.escape``), so it cannot start a line of a CI log.
    quotes_server: bool = False

    def user_message(self) -> str:
        """What the CLI prints on stderr: ``error: <message>`` unless the message already says where and
        what on each of its lines (``ConfigError``'s ``file:line:col: error: ...``)."""
        return f"error: {self}"
