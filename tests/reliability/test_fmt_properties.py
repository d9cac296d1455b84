"""``fmt`` never changes what the loader reads: generated desired-state-like files, with YAML 1.1 readings
(``yes``, ``on``, ``0777``, ``~``, ``1e3``, ``0x1F``, ...), quotes of every kind, keys in any order and comments,
load as the same data (same types) before and after, and formatting twice changes nothing more. A file the
round-trip library reads differently from the loader (ruamel refuses a plain ``?`` inside ``[...]``, which
PyYAML accepts) is refused with its position and left as it is: ``fmt`` never guesses."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.config.fmt import FormatError, format_text
from reconciler.config.fmt import _types as typed
from reconciler.config.loader import parse_yaml

# Words whose plain reading differs between YAML 1.1 (the loader) and 1.2, or from a string.
TRICKY = ["yes", "no", "on", "off", "y", "n", "Yes", "ON", "true", "False", "~", "null", "0777", "0o17",
          "0x1F", "1e3", "1.5e3", "+1", "-0", ".5", "1_000", "2001-12-14", "12:30", "+86 138 0000 1234",
          "8613800001234", "a: b", "x #y", "'q'", '"d"', "", " lead", "[x]", "{y}", "*a", "&b", "!t", "%p",
          "@at", "`tick`", "|", ">", "-", "?", "https://h.example/s?token=abc&x=1"]
KEYS = ["label", "cust_space_id", "numbers", "phone_number", "webhooks", "expect", "status", "zz_unknown", "aa"]


def _plain_ok(word: str) -> bool:
    return (bool(word) and word.strip() == word and word[0] not in "[{*&!%@`|>'\"?-#,:"
            and not any(c in word for c in ",[]{}") and ": " not in word and " #" not in word
            and not word.endswith(":"))


def scalar_text() -> st.SearchStrategy[str]:
    word = st.one_of(st.sampled_from(TRICKY), st.text("abcXYZ019 .:-", min_size=1, max_size=8))
    return st.one_of(
        word.filter(_plain_ok),  # plain: only where YAML allows it in block and flow context alike
        word.map(lambda w: '"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"'),
        word.map(lambda w: "'" + w.replace("'", "''") + "'"),
    )


def block(depth: int) -> st.SearchStrategy[list[str]]:
    """Lines of a block mapping at ``depth`` (two spaces each), some with comments, some values lists."""
    pad = "  " * depth

    def entry(key: str, value: str | list[str], comment: bool) -> list[str]:
        tail = "  # note" if comment else ""
        if isinstance(value, list):
            return [f"{pad}{key}:{tail}", *value]
        return [f"{pad}{key}: {value}{tail}"]

    flow_list = st.lists(scalar_text(), max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]")
    value: st.SearchStrategy[str | list[str]] = st.one_of(scalar_text(), flow_list)
    if depth < 3:
        value = st.one_of(value, st.deferred(lambda: block(depth + 1)),
                          st.lists(st.deferred(lambda: block(depth + 2)), min_size=1, max_size=2)
                          .map(lambda items: [line for item in items
                                              for line in _as_item(item, "  " * (depth + 1))]))
    return (st.lists(st.tuples(st.sampled_from(KEYS), value, st.booleans()), min_size=1, max_size=4,
                     unique_by=lambda t: t[0])
            .map(lambda entries: [line for k, v, c in entries for line in entry(k, v, c)]))


def _as_item(lines: list[str], pad: str) -> list[str]:
    """A block mapping's lines as one list item (``- `` on its first line)."""
    first, *rest = lines
    return [f"{pad}- {first.lstrip()}", *rest]


@settings(max_examples=150, deadline=None)
@given(st.booleans(), block(2), st.booleans())  # the entries of the space `- name: x`
def test_fmt_keeps_what_the_loader_reads(version_first: bool, body: list[str], comment: bool) -> None:
    head = ["# a file", ""] if comment else []
    lines = head + (["version: 1", "spaces:", "  - name: x", *body] if version_first
                    else ["spaces:", "  - name: x", *body, "version: 1"])
    text = "\n".join(lines) + "\n"
    before, problems = parse_yaml(text, "f.yaml")
    assert before is not None and not problems, (text, problems)
    try:
        out = format_text(text, "f.yaml")
    except FormatError as exc:  # a file the round-trip library cannot read as the loader does: left alone
        assert str(exc).startswith("f.yaml:"), exc  # with a position, never a traceback
        return
    after, problems = parse_yaml(out, "f.yaml")
    assert after is not None and not problems, (text, out)
    assert typed(after.data) == typed(before.data), (text, out)
    assert format_text(out, "f.yaml") == out
    if comment:
        assert out.startswith("# a file")
