"""The catalogue of what the reconciler manages: one module per kind, registered on import.

After octoDNS's ``Record.register_type``: each kind of managed thing (a number's membership of its space,
its webhooks, its business profile, ...) is declared once, in its own module, as a ``Kind`` subclass
(``kinds/base.py``: the contract) decorated with ``@register``. Everything else reads the catalogue by the
kind named in a change's address (``kind_for``): ``config`` builds and checks blocks (``Kind.rules``),
``engine`` reads, plans and writes instances (``Kind.read``/``plan``/``create``/``update``/``delete``, in
the order ``depends_on`` gives), ``import`` asks ``Kind.importer``, the renderers ``Kind.presenter``.

Adding a field to a kind is one ``Field`` entry in its module (plus the JSON Schema); adding a kind is one
module (plus its JSON Schema block and its import line at the end of this file). docs/ARCHITECTURE.md walks
through both. A test may add a kind for its own duration: ``with registered(MyKind()): ...``.
"""

from reconciler.kinds.base import Api, Block, Importer, Kind, Presenter, Recorder, Rules, Scope, Write
from reconciler.kinds.fields import Field
from reconciler.kinds.registration import (
    AnyKind,
    dependencies,
    get,
    kind_for,
    kinds,
    number_kinds,
    precedes,
    read_actions,
    register,
    registered,
    registry,
    space_kinds,
    write_actions,
)

__all__ = ["AnyKind", "Api", "Block", "Field", "Importer", "Kind", "Presenter", "Recorder", "Rules", "Scope", "Write",
           "register", "registered", "get", "kinds", "number_kinds", "space_kinds", "kind_for", "read_actions",
           "write_actions", "registry", "dependencies", "precedes"]

# The built-in kinds (octoDNS registers its types the same way: on import); a kind after what it depends on.
from reconciler.kinds import membership  # noqa: E402, F401, I001
from reconciler.kinds import webhooks, queues, business_profile, expect  # noqa: E402, F401, I001
from reconciler.kinds import flows  # noqa: E402, F401, I001
from reconciler.kinds import templates, template_archive  # noqa: E402, F401, I001
from reconciler.kinds import commerce, automation, encryption_key, qr_codes, health, account_webhook  # noqa: E402, F401, I001
from reconciler.kinds import username  # noqa: E402, F401, I001
