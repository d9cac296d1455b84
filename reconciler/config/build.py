"""Plain, checked data → the frozen ``DesiredState`` model, with space defaults merged under each number
and, for every field, the place its effective value was written (``Number.sources``).

Runs only on files that passed the schema and the rules, so it can index without checking types.
"""

from __future__ import annotations

from typing import Any

from reconciler import kinds as catalogue
from reconciler.config.loader import LoadedFile, Path
from reconciler.config.rules import DeclaredNumber
from reconciler.core.defaults import DEFAULT_ACCOUNT
from reconciler.core.model import Account, DesiredState, Migration, Number, Safety, Space
from reconciler.core.source import Source

_NUMBER_KINDS = catalogue.number_kinds()
_SPACE_KINDS = catalogue.space_kinds()


class _Builder:
    """Builds the model of one file. ``number`` runs once per declared number (10,000 in a large
    repository), so it reads the positions dicts directly rather than through ``Positions.at``: every
    value of a file that reached the builder was recorded by the composer (``at`` stays the fallback)."""

    def __init__(self, loaded: LoadedFile, phones: dict[Path, DeclaredNumber]) -> None:
        self.loaded = loaded
        self.phones = phones
        self.file = loaded.file
        self.values = loaded.positions.values
        self.keys = loaded.positions.keys

    def mark(self, path: Path) -> tuple[int, int]:
        """``Positions.at(path)``, without its walk up when the path was recorded (always, here)."""
        return self.values.get(path) or self.loaded.positions.at(path)

    def source(self, path: Path) -> Source:
        line, col = self.mark(path)
        return Source(self.file, line, col)

    def record(self, sources: dict[str, Source], prefix: str, value: Any, path: Path) -> None:
        """Record ``value`` (at ``path``) and, for a mapping, every key below it, under dotted names.
        A mapping or list is recorded at its key (``webhooks:``), the line a reviewer reads as its start."""
        if isinstance(value, (dict, list)):
            line, col = self.loaded.positions.key_at(path)
            sources[prefix] = Source(self.file, line, col)
        else:
            sources[prefix] = self.source(path)
        if isinstance(value, dict):
            for key, child in value.items():
                self.record(sources, f"{prefix}.{key}", child, path + (key,))
        elif isinstance(value, list):  # items of a list of mappings (templates.items[0]) have their own line
            for i, child in enumerate(value):
                if isinstance(child, dict):
                    self.record(sources, f"{prefix}[{i}]", child, path + (i,))

    def record_block(self, sources: dict[str, Source], block: str, value: dict[str, Any], path: Path) -> None:
        """``record`` for a flat block (its values are scalars or lists): the hot path."""
        file, values, keys = self.file, self.values, self.keys
        line, col = keys.get(path) or self.mark(path)  # Positions.key_at
        sources[block] = Source(file, line, col)
        for key, child in value.items():
            p = path + (key,)
            line, col = (isinstance(child, list) and keys.get(p)) or values.get(p) or self.mark(p)
            sources[f"{block}.{key}"] = Source(file, line, col)

    def number(self, data: dict[str, Any], path: Path, defaults: dict[str, Any],
               default_sources: dict[str, dict[str, Source]], default_models: dict[str, Any]) -> Number:
        phone = self.phones[path + ("phone_number",)]
        line, col = phone.mark  # where the rules found it: Positions.at of its path
        sources: dict[str, Source] = {"phone_number": Source(self.file, line, col)}
        blocks: dict[str, Any] = {}
        for kind in _NUMBER_KINDS:
            block = kind.name
            own = data.get(block)
            inherited = defaults.get(block) if kind.rules.inheritable else None
            if own is None:
                if inherited is not None:  # the space's block as is: built once, shared
                    sources.update(default_sources[block])
                    blocks[block] = default_models[block]
                continue
            if inherited is not None:
                sources.update(default_sources[block])
                values = {**inherited, **own}  # a number's own value wins
            else:
                values = own
            self.record_block(sources, block, own, path + (block,))
            blocks[block] = kind.rules.build(kind.model, values, self.file)
        migration = None
        if (own := data.get("migration")) is not None:
            self.record_block(sources, "migration", own, path + ("migration",))
            migration = Migration(**own)
        return Number(phone_number=phone.e164, declared_as=phone.declared_as, source=self.source(path),
                      sources=sources, blocks=blocks, migration=migration)

    def space(self, data: dict[str, Any], path: Path) -> Space:
        defaults = data.get("defaults") or {}
        sources: dict[str, Source] = {}
        for key, value in data.items():
            if key != "numbers":
                self.record(sources, key, value, path + (key,))
        default_sources: dict[str, dict[str, Source]] = {}
        for block, value in defaults.items():  # recorded once per space, copied into each number
            default_sources[block] = {}
            self.record(default_sources[block], block, value, path + ("defaults", block))
        default_models = {block: (kind := catalogue.get(block)).rules.build(kind.model, value, self.file)
                          for block, value in defaults.items()}
        numbers = tuple(self.number(n, path + ("numbers", i), defaults, default_sources, default_models)
                        for i, n in enumerate(data.get("numbers") or ()))
        given = data.get("safety") or {}
        safety = Safety(max_webhook_update_fraction=float(given.get("max_webhook_update_fraction", 0.3)),
                        min_numbers=int(given.get("min_numbers", 10)))  # JSON Schema lets 10.0 be an integer
        return Space(name=data["name"], cust_space_id=data["cust_space_id"], source=self.source(path),
                     numbers=numbers, unmanaged_numbers=data.get("unmanaged_numbers", "report"),
                     allow_http_callbacks=bool(data.get("allow_http_callbacks", False)), safety=safety,
                     account_check=data.get("account_check", "best-effort"), sources=sources,
                     account=data.get("account", DEFAULT_ACCOUNT),
                     blocks={k.name: k.rules.build(k.model, data[k.name], self.file) for k in _SPACE_KINDS
                             if data.get(k.name) is not None})

    def account(self, data: dict[str, Any], path: Path) -> Account:
        return Account(name=data["name"], source=self.source(path), profile=data.get("profile"),
                       access_key_id_env=data.get("access_key_id_env"),
                       access_key_secret_env=data.get("access_key_secret_env"),
                       security_token_env=data.get("security_token_env"), region=data.get("region"),
                       endpoint=data.get("endpoint"))


def build_state(files: list[LoadedFile], numbers: list[DeclaredNumber], read: list[str]) -> DesiredState:
    """The model of every space in every file, in load order."""
    by_file: dict[str, dict[Path, DeclaredNumber]] = {}
    for n in numbers:
        by_file.setdefault(n.file, {})[n.path] = n
    spaces: list[Space] = []
    accounts: list[Account] = []
    store: tuple[str, str] | None = None
    for loaded in files:
        if isinstance(loaded.data.get("state_store"), str) and store is None:
            mark = loaded.positions.at(("state_store",))
            store = (loaded.data["state_store"], f"{loaded.file}:{mark[0]}")
        builder = _Builder(loaded, by_file.get(loaded.file, {}))
        for i, space in enumerate(loaded.data.get("spaces") or ()):
            spaces.append(builder.space(space, ("spaces", i)))
        for i, account in enumerate(loaded.data.get("accounts") or ()):
            accounts.append(builder.account(account, ("accounts", i)))
    return DesiredState(spaces=tuple(spaces), files=tuple(read), accounts=tuple(accounts),
                        state_store=store[0] if store else None, state_store_source=store[1] if store else None)
