"""WhatsApp message template rules: what CreateChatappTemplate / ModifyChatappTemplate accept.

One pure module in ``reconciler.common``, the leaf both sides import: the offline validator of the desired
state (the templates kind) and the emulator (what it refuses) apply the same platform rules.

The template is in the API's own structure (the SDK's ``CreateChatappTemplateRequestComponents``: ``Type``,
``Text``, ``Format``, ``Url``, ``Buttons`` with ``Type``/``Text``/``Url``/``UrlType``/``PhoneNumber``, ...;
``Example`` a flat object of strings). ``problems`` returns every problem at once as ``(path, message)``:
the path is a tuple of keys and indexes into the template (``("components", 0, "Text")``), so the caller
can turn it into file:line:field.

Sources for each limit (docs/templates.md lists them): the SDK's request models (BODY <= 1024 characters,
HEADER and FOOTER <= 60; at most 10 buttons, one PHONE_NUMBER, two URL, quick replies not mixed in among the
others; an AUTHENTICATION template has no HEADER, no BODY/FOOTER text and one COPY_CODE or ONE_TAP button;
MessageSendTtlSeconds 30-900 for AUTHENTICATION, 30-43200 for UTILITY) and Meta's template rules (names of
lowercase letters, digits and underscores, at most 512 characters; button text at most 25 characters;
placeholders ``{{1}}``, ``{{2}}``, ... numbered from 1 without gaps, each with an example; a body neither
starting nor ending with a placeholder; a text header with at most one placeholder). Where the docs leave a
point open the stricter reading is taken (see docs/emulator.md): only numbered placeholders, one numbering
shared by header, body and button URLs (``Example`` is one flat object), example keys spelled ``{{N}}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

Path = tuple[Any, ...]
Problem = tuple[Path, str]

CATEGORIES = ("UTILITY", "MARKETING", "AUTHENTICATION")
COMPONENT_TYPES = ("HEADER", "BODY", "FOOTER", "BUTTONS", "CAROUSEL", "LIMITED_TIME_OFFER")
HEADER_FORMATS = ("TEXT", "IMAGE", "DOCUMENT", "VIDEO")
BUTTON_TYPES = ("PHONE_NUMBER", "URL", "QUICK_REPLY", "COPY_CODE", "ONE_TAP", "ZERO_TAP", "MPM", "CATALOG", "FLOW")
AUTH_BUTTON_TYPES = ("COPY_CODE", "ONE_TAP")
URL_TYPES = ("static", "dynamic")

NAME_MAX = 512
BODY_MAX = 1024
HEADER_MAX = 60
FOOTER_MAX = 60
BUTTON_TEXT_MAX = 25
BUTTONS_MAX = 10
PHONE_BUTTONS_MAX = 1
URL_BUTTONS_MAX = 2
TTL_RANGES = {"AUTHENTICATION": (30, 900), "UTILITY": (30, 43200)}

NAME_RE = re.compile(r"^[a-z0-9_]+$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(_[A-Za-z]{2,4})?$")
PLACEHOLDER_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def placeholders(text: str) -> list[str]:
    """The placeholder names in ``text``, in order (``"Hi {{1}}, {{2}}"`` → ``["1", "2"]``)."""
    return PLACEHOLDER_RE.findall(text)


def example_key(number: int) -> str:
    """How a placeholder's example is keyed in ``Example``."""
    return "{{" + str(number) + "}}"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def check_name(name: Any, path: Path = ("name",)) -> list[Problem]:
    if not isinstance(name, str) or not name:
        return [(path, "a template name is required")]
    if len(name) > NAME_MAX:
        return [(path, f"a template name has at most {NAME_MAX} characters ({len(name)} given)")]
    if not NAME_RE.match(name):
        return [(path, f"template name {name!r}: only lowercase letters, digits and underscores")]
    return []


def check_language(language: Any, path: Path = ("language",)) -> list[Problem]:
    if not isinstance(language, str) or not LANGUAGE_RE.match(language):
        return [(path, f"language {language!r} is not a WhatsApp language code (like en_US, pt_BR, de)")]
    return []


def check_ttl(category: Any, ttl: Any, path: Path = ("message_send_ttl_seconds",)) -> list[Problem]:
    if ttl is None:
        return []
    if isinstance(ttl, bool) or not isinstance(ttl, int):
        return [(path, "message_send_ttl_seconds must be a whole number of seconds")]
    bounds = TTL_RANGES.get(category) if isinstance(category, str) else None
    if bounds is None:
        return [(path, f"message_send_ttl_seconds is documented for {' and '.join(TTL_RANGES)} templates only")]
    low, high = bounds
    if not low <= ttl <= high:
        return [(path, f"message_send_ttl_seconds of a {category} template is {low} to {high} ({ttl} given)")]
    return []


def problems(category: Any, components: Any, example: Any,
             components_path: Path = ("components",), example_path: Path = ("example",)) -> list[Problem]:
    """Every problem of a template's category, components and example, in document order."""
    found: list[Problem] = []
    if category not in CATEGORIES:
        found.append((("category",), f"category {category!r} is not one of {', '.join(CATEGORIES)}"))
    if not isinstance(components, list) or not components:
        found.append((components_path, "components must be a non-empty list (a BODY at least)"))
        return found
    auth = category == "AUTHENTICATION"
    seen: dict[str, int] = {}
    used: list[tuple[str, Path]] = []  # placeholder names, where they occur
    for i, comp in enumerate(components):
        where = components_path + (i,)
        if not isinstance(comp, Mapping):
            found.append((where, "a component must be a mapping with a Type"))
            continue
        kind = comp.get("Type")
        if kind not in COMPONENT_TYPES:
            found.append((where + ("Type",), f"component Type {kind!r} is not one of {', '.join(COMPONENT_TYPES)}"))
            continue
        if kind in seen:
            found.append((where + ("Type",), f"a second {kind} component (the first is components[{seen[kind]}])"))
            continue
        seen[kind] = i
        text = _text(comp.get("Text"))
        if "Text" in comp and comp.get("Text") is not None and text is None:
            found.append((where + ("Text",), "Text must be a string"))
        if kind == "BODY":
            found.extend(_body(comp, text, where, auth, used))
        elif kind == "HEADER":
            found.extend(_header(comp, text, where, auth, used))
        elif kind == "FOOTER":
            if auth and text:
                found.append((where + ("Text",), "an AUTHENTICATION template's FOOTER has no text (the platform writes it)"))
            elif text is not None and len(text) > FOOTER_MAX:
                found.append((where + ("Text",), f"a FOOTER has at most {FOOTER_MAX} characters ({len(text)} given)"))
            elif text and placeholders(text):
                found.append((where + ("Text",), "a FOOTER cannot hold placeholders"))
        elif kind == "BUTTONS":
            found.extend(_buttons(comp.get("Buttons"), where + ("Buttons",), auth, used))
    if "BODY" not in seen:
        found.append((components_path, "a template needs a BODY component"))
    found.extend(_numbering(used, example, example_path))
    return found


def _body(comp: Mapping[str, Any], text: str | None, where: Path, auth: bool,
          used: list[tuple[str, Path]]) -> list[Problem]:
    out: list[Problem] = []
    if auth:
        if text:
            out.append((where + ("Text",), "an AUTHENTICATION template's BODY has no text (the platform writes it)"))
        return out
    if not text:
        return [(where + ("Text",), "a BODY needs its Text")]
    if len(text) > BODY_MAX:
        out.append((where + ("Text",), f"a BODY has at most {BODY_MAX} characters ({len(text)} given)"))
    stripped = text.strip()
    if re.match(r"\{\{[^{}]*\}\}", stripped) or re.search(r"\{\{[^{}]*\}\}$", stripped):
        out.append((where + ("Text",), "a BODY may not start or end with a placeholder (Meta rejects it)"))
    used.extend((name, where + ("Text",)) for name in placeholders(text))
    return out


def _header(comp: Mapping[str, Any], text: str | None, where: Path, auth: bool,
            used: list[tuple[str, Path]]) -> list[Problem]:
    if auth:
        return [(where + ("Type",), "an AUTHENTICATION template has no HEADER")]
    fmt = comp.get("Format", "TEXT")
    if fmt not in HEADER_FORMATS:
        return [(where + ("Format",), f"header Format {fmt!r} is not one of {', '.join(HEADER_FORMATS)}")]
    if fmt == "TEXT":
        if not text:
            return [(where + ("Text",), "a TEXT header needs its Text")]
        out: list[Problem] = []
        if len(text) > HEADER_MAX:
            out.append((where + ("Text",), f"a HEADER has at most {HEADER_MAX} characters ({len(text)} given)"))
        names = placeholders(text)
        if len(names) > 1:
            out.append((where + ("Text",), "a text HEADER holds at most one placeholder"))
        used.extend((name, where + ("Text",)) for name in names)
        return out
    if not _text(comp.get("Url")):
        return [(where + ("Url",), f"a {fmt} header needs the Url of a sample file")]
    return []


def _buttons(buttons: Any, where: Path, auth: bool, used: list[tuple[str, Path]]) -> list[Problem]:
    if not isinstance(buttons, list) or not buttons:
        return [(where, "a BUTTONS component needs a non-empty Buttons list")]
    out: list[Problem] = []
    if auth:
        if len(buttons) != 1:
            out.append((where, f"an AUTHENTICATION template has exactly one button ({len(buttons)} given)"))
    elif len(buttons) > BUTTONS_MAX:
        out.append((where, f"at most {BUTTONS_MAX} buttons ({len(buttons)} given)"))
    kinds: list[str] = []
    for j, button in enumerate(buttons):
        at = where + (j,)
        if not isinstance(button, Mapping):
            out.append((at, "a button must be a mapping with a Type"))
            continue
        kind = button.get("Type")
        allowed = AUTH_BUTTON_TYPES if auth else BUTTON_TYPES
        if kind not in allowed:
            out.append((at + ("Type",), f"button Type {kind!r} is not one of {', '.join(allowed)}"
                        + (" (AUTHENTICATION)" if auth else "")))
            continue
        kinds.append(str(kind))
        text = _text(button.get("Text"))
        if kind in ("PHONE_NUMBER", "URL", "QUICK_REPLY", "COPY_CODE", "ONE_TAP") and not text:
            out.append((at + ("Text",), f"a {kind} button needs its Text"))
        elif text is not None and len(text) > BUTTON_TEXT_MAX:
            out.append((at + ("Text",), f"button text has at most {BUTTON_TEXT_MAX} characters ({len(text)} given)"))
        if kind == "PHONE_NUMBER" and not _text(button.get("PhoneNumber")):
            out.append((at + ("PhoneNumber",), "a PHONE_NUMBER button needs its PhoneNumber"))
        if kind == "URL":
            out.extend(_url_button(button, at, used))
        if kind == "ONE_TAP":
            apps = button.get("SupportedApps")
            has_app = isinstance(apps, list) and bool(apps) or (
                _text(button.get("PackageName")) and _text(button.get("SignatureHash")))
            if not _text(button.get("AutofillText")):
                out.append((at + ("AutofillText",), "a ONE_TAP button needs its AutofillText"))
            if not has_app:
                out.append((at + ("SupportedApps",), "a ONE_TAP button needs SupportedApps (PackageName, SignatureHash)"))
    if kinds.count("PHONE_NUMBER") > PHONE_BUTTONS_MAX:
        out.append((where, f"at most {PHONE_BUTTONS_MAX} PHONE_NUMBER button"))
    if kinds.count("URL") > URL_BUTTONS_MAX:
        out.append((where, f"at most {URL_BUTTONS_MAX} URL buttons ({kinds.count('URL')} given)"))
    if "QUICK_REPLY" in kinds and len(set(kinds)) > 1:
        # Quick replies must form one group, before or after the others (never interleaved).
        groups = [k == "QUICK_REPLY" for k in kinds]
        changes = sum(1 for a, b in zip(groups, groups[1:]) if a != b)
        if changes > 1:
            out.append((where, "QUICK_REPLY buttons must be grouped together, not mixed in among other buttons"))
    return out


def _url_button(button: Mapping[str, Any], at: Path, used: list[tuple[str, Path]]) -> list[Problem]:
    url = _text(button.get("Url"))
    url_type = button.get("UrlType", "static")
    if url_type not in URL_TYPES:
        return [(at + ("UrlType",), f"UrlType {url_type!r} is not one of {', '.join(URL_TYPES)}")]
    if not url:
        return [(at + ("Url",), "a URL button needs its Url")]
    if not url.lower().startswith(("https://", "http://")):
        return [(at + ("Url",), "a button Url must be an http(s) URL")]
    names = placeholders(url)
    if url_type == "dynamic":
        if len(names) != 1 or not re.search(r"\{\{[^{}]*\}\}$", url):
            return [(at + ("Url",), "a dynamic URL ends with its one placeholder, like https://x.example/{{1}}")]
        used.append((names[0], at + ("Url",)))
    elif names:
        return [(at + ("UrlType",), "a Url with a placeholder is a dynamic URL (UrlType: dynamic)")]
    return []


def _numbering(used: list[tuple[str, Path]], example: Any, example_path: Path) -> list[Problem]:
    out: list[Problem] = []
    numbers: set[int] = set()
    for name, where in used:
        if not name.isdigit() or name.startswith("0"):
            out.append((where, f"placeholder {{{{{name}}}}} is not numbered: use {{{{1}}}}, {{{{2}}}}, ..."))
        else:
            numbers.add(int(name))
    if numbers:
        missing = sorted(set(range(1, max(numbers) + 1)) - numbers)
        if missing:
            out.append((used[0][1], "placeholders are numbered from {{1}} without gaps; missing "
                        + ", ".join(example_key(n) for n in missing)))
    if example is None:
        example = {}
    if not isinstance(example, Mapping):
        return out + [(example_path, "example must be a mapping of placeholder to sample value")]
    for n in sorted(numbers):
        value = example.get(example_key(n))
        if not isinstance(value, str) or not value.strip():
            out.append((example_path, f"placeholder {example_key(n)} needs an example value (Meta reviews with it)"))
    for key in example:
        if not isinstance(key, str) or not key.startswith("{{") or not key[2:-2].isdigit() \
                or int(key[2:-2]) not in numbers:
            out.append((example_path + (key,), f"example {key!r} matches no placeholder of the template"))
        elif not isinstance(example[key], str):
            out.append((example_path + (key,), "an example value must be a string"))
    return out
