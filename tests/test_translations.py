"""Every sentence the interface shows exists in French, and the compiled catalogue is current."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "workshop" / "translations" / "fr" / "LC_MESSAGES"
# The error classes of inventory/ take their message template as first argument.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "N_": None,
    "InvalidInput": None,
    "NotFound": None,
    "AlreadyReceived": None,
    "IllegalTransition": None,
    "GateUnmet": None,
    "Conflict": None,
}
METHODS = [
    ("workshop/**.py", "python"),
    ("inventory/**.py", "python"),
    ("diagnostics/**.py", "python"),
    ("workshop/templates/**.html", "jinja2"),
]


def extracted_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, METHODS, keywords=KEYWORDS, options_map={}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def french_catalogue():
    with open(CATALOGUE / "messages.po", "rb") as handle:
        return read_po(handle, locale="fr")


def test_every_sentence_of_the_interface_has_a_french_translation():
    catalogue = french_catalogue()
    missing = sorted(
        message
        for message in extracted_messages()
        if not (entry := catalogue.get(message)) or not entry.string or entry.fuzzy
    )
    assert missing == [], (
        f"{len(missing)} sentences lack French: run the translation steps in the README"
    )


def test_the_compiled_catalogue_matches_the_po_file():
    with open(CATALOGUE / "messages.mo", "rb") as handle:
        compiled = read_mo(handle)
    source = {m.id: m.string for m in french_catalogue() if m.id and m.string and not m.fuzzy}
    assert {_hashable(m.id): _hashable(m.string) for m in compiled if m.id} == source


def _hashable(value):
    # read_mo gives a plural's forms as a list where read_po gives a tuple.
    return tuple(value) if isinstance(value, list) else value
