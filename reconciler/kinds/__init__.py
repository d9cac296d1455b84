"""The catalogue of what the reconciler manages: one module per kind, registered on import.

After octoDNS's ``Record.register_type``: each kind of managed thing (a number's webhooks, its business
profile, its queues, its health expectations, ...) is declared once, in its own module, as a ``Kind``
subclass decorated with ``@register``. Everything else reads the catalogue:

- ``config`` builds each declared block into the kind's model (``Kind.build``), merges inheritable blocks
  from a space's ``defaults``, checks URL fields offline, and names the kind in "did you mean" hints;
- ``config.rules`` runs ``Kind.check`` (``Kind.check_in`` with the YAML file, for number blocks) on each block as written (offline rules the schema cannot say: the
  platform's limits, a key file beside the YAML), and ``config.build`` calls ``Kind.build_from`` with the
  YAML file's name (a block that names a file reads it there);
- ``engine.actual`` makes the kind's read (``Kind.read_action``) for the present numbers that declare it;
- ``engine.diff`` asks ``Kind.diff`` for the changes of a declared block, and ``Kind.pending`` for a number
  the plan brings into the space;
- ``engine.apply`` re-checks (``Kind.diff`` again) and writes (``Kind.write_params`` → ``write_action``);
- ``engine.importer`` asks ``Kind.import_block`` for the YAML of what the API shows;
- ``policy``/``call`` and the plan's call count read ``read_action``/``write_action``.

Adding a field to a kind is one ``Field`` entry in its module (plus the JSON Schema); adding a kind is one
module (plus its JSON Schema block and its import line at the end of this file). docs/ARCHITECTURE.md walks
through both.

The kind of a ``Change`` is the first segment of its ``field`` (``business_profile.about`` → the
``business_profile`` kind): ``kind_of(change)``.
"""

from __future__ import annotations

from reconciler.kinds.base import Field, Kind, Scope
from reconciler.kinds.registration import (
    get,
    kind_named,
    kind_of,
    kinds,
    number_kinds,
    read_actions,
    register,
    registry,
    space_kinds,
    write_actions,
)

__all__ = ["Field", "Kind", "Scope", "register", "get", "kinds", "number_kinds", "space_kinds", "kind_of",
           "kind_named", "read_actions", "write_actions", "registry"]

# The built-in kinds, registered in this order (octoDNS registers its types the same way: on import; each
# module imports ``register`` from ``kinds.registration``, not from this package, so no module imports its importer).
from reconciler.kinds import webhooks, queues, business_profile, expect  # noqa: E402, F401, I001
from reconciler.kinds import templates  # noqa: E402, F401, I001
# The number settings of issue 16, each its own kind (and account_webhook on the space).
from reconciler.kinds import commerce, automation, encryption_key, qr_codes, health, account_webhook  # noqa: E402, F401, I001
