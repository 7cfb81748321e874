"""The sentences of a run's message, and how to read them back from a stored message.

A run's message is stored in English, as the runner wrote it: the API hands it out
as it is, and runs stored before a page could translate keep theirs. Every sentence
in it is one of the templates below filled from its details, so `parse` can find
which template and which details, and a page can say the same in the reader's
language (workshop/diagnostics_pages/runs.py). What `parse` does not recognise
(a bench's free text, an exception's words) is kept as it was stored.

The runner composes a message as: the measurements out of limits, then (after
"Then:") what ended the run, then what the cleanup could not do. Those pieces are
split here the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from diagnostics.link import BENCH_CODES, N_

# -- the runner's sentences ---------------------------------------------------------------------

PASSED = N_("Every measurement passed.")
OUT_OF_LIMITS = N_("Out of limits: %(failures)s.")
# One measurement out of limits: its name (a code), its value with its unit, and its limits.
FAILURE = N_("%(name)s %(value)s (limits: %(limits)s)")
# TRANSLATORS: between two measurements out of limits, in "Out of limits: a; b."
FAILURE_SEPARATOR = N_("; ")
THEN = N_("Then: %(message)s")
COULD_NOT = N_("Could not %(what)s: %(message)s")
STOPPED = N_("The run was stopped before it finished.")
TIME_LIMIT = N_(
    "The step %(step)s did not finish within its time limit of %(duration)s. "
    "Check the bench, then start again."
)
DISCONNECTED = N_(
    "The connection to the bench was lost (%(error)s). Plug it back in and start again."
)
INTERNAL_ERROR = N_(
    "The run stopped on an unexpected error (%(error)s). Report it with the run's transcript."
)
INTERRUPTED = N_("The run started and never reported its end: the program running it stopped.")
ABANDONED = N_("The run never reported its end: the program running it stopped. Run it again.")
# diagnostics/jobs.py's AGENT_LOST, the same words (a test keeps them equal).
AGENT_LOST = N_(
    "The bench agent stopped reporting during the run (its computer or the network went "
    "down): check the bench and the agent, then start the test again."
)
BENCH_STOPPED = N_(
    "The bench stopped the %(what)s without a fault (it answers IDLE): it "
    "was probably reset or switched off. Check it, then start again."
)
NO_DESIGN_CAPACITY = N_(
    "The battery's gauge gives no design capacity, so its health cannot be "
    "judged: the battery is faulty or not genuine."
)
DRIVE_TYPE_UNKNOWN = N_(
    "The dock reports a drive of type %(type)s, which this script cannot erase."
)
NO_ERASE_METHOD = N_(
    "The dock cannot erase this %(type)s with %(methods)s. Erase it with its "
    "maker's tool and record the erasure by hand."
)
WRONG_BENCH = N_(
    "The script %(script)s needs a %(expected)s bench, but a %(found)s "
    "is connected. Connect the right bench and start again."
)
# TRANSLATORS: the erase methods a dock tried, in "cannot erase this SSD with CRYPTO or SANITIZE".
METHODS_OR = N_("%(some)s or %(other)s")

# What a bench was doing when it stopped by itself (BENCH_STOPPED's `what`).
CAPACITY_TEST = N_("capacity test")
ERASURE = N_("erasure")
# What the cleanup undoes (COULD_NOT's `what`).
STOP_CAPACITY_TEST = N_("stop the capacity test")
SWITCH_LOAD_OFF = N_("switch the load off")
RELEASE_PS_ON = N_("release PS_ON")
PHRASES = (CAPACITY_TEST, ERASURE, STOP_CAPACITY_TEST, SWITCH_LOAD_OFF, RELEASE_PS_ON)

# A measurement's limits, as a failure gives them (an exact value is the value alone).
LIMITS_RANGE = N_("%(low)s to %(high)s")
LIMITS_AT_LEAST = N_("at least %(value)s")
LIMITS_AT_MOST = N_("at most %(value)s")
ANY_VALUE = N_("any value")
LIMITS = (LIMITS_RANGE, LIMITS_AT_LEAST, LIMITS_AT_MOST, ANY_VALUE)

# -- the link's and the drivers' sentences (diagnostics/link.py, diagnostics/benches.py) ---------

PORT_UNAVAILABLE = N_(
    "The port %(url)s cannot be opened (%(reason)s). Check that the bench is "
    "plugged in and that no other program is using it."
)
NOT_TAKING = N_(
    "The bench on %(url)s does not take what is sent to it. Check that it is "
    "switched on and its cable is plugged in, then start again."
)
NO_ANSWER = N_(
    "The bench did not answer %(query)s within %(seconds)s s. Check that it is "
    "switched on and its cable is plugged in, then start again."
)
LINK_LOST = N_(
    "The connection to the bench on %(url)s was lost (%(reason)s): its cable was "
    "pulled or it was switched off. Plug it back in and start the test again."
)
BENCH_REFUSED = N_(
    "The bench refused %(command)s: error %(bench_code)s, %(bench_message)s. "
    "Check the bench, then start again."
)
GARBAGE = N_(
    "The bench answered %(answer)r to %(query)s where %(expected)s was due. "
    "Check that it is the right bench and its firmware, then start again."
)
NOT_THIS_BENCH = N_(
    "The bench on %(url)s is a %(found)s (%(maker)s, serial %(serial)s), not the "
    "%(expected)s this test needs. Plug in the right bench or choose its port."
)

# Every sentence a run's message can be made of, on its own.
SENTENCES: tuple[str, ...] = (
    PASSED,
    STOPPED,
    TIME_LIMIT,
    DISCONNECTED,
    INTERNAL_ERROR,
    INTERRUPTED,
    ABANDONED,
    AGENT_LOST,
    BENCH_STOPPED,
    NO_DESIGN_CAPACITY,
    DRIVE_TYPE_UNKNOWN,
    NO_ERASE_METHOD,
    WRONG_BENCH,
    PORT_UNAVAILABLE,
    NOT_TAKING,
    NO_ANSWER,
    LINK_LOST,
    BENCH_REFUSED,
    GARBAGE,
    NOT_THIS_BENCH,
    *(template for _kind, _code, template in BENCH_CODES.values()),
)


# -- reading a stored message back ------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    """One sentence of a stored message: its template and details, or only its text."""

    text: str
    # "" when the sentence is none of ours: `text` is then all there is.
    template: str = ""
    # Text, a Sentence (a nested message, a phrase), for `failures` a list of Failure and
    # for `methods` a tuple of erase methods.
    details: Mapping[str, Any] = field(default_factory=dict)
    # Details the template gives with %r: the stored text already has their quotes.
    quoted: frozenset[str] = frozenset()

    @property
    def known(self) -> bool:
        """True when the sentence was recognised (its parts too)."""
        if not self.template:
            return False
        for value in self.details.values():
            if isinstance(value, Sentence) and not value.known:
                return False
        failures = self.details.get("failures", ())
        return all(item.limits.known for item in failures)


@dataclass(frozen=True)
class Failure:
    """One measurement out of limits, as a message names it."""

    name: str
    value: str
    limits: Sentence


_PLACEHOLDER = re.compile(r"%\((\w+)\)([sdr])|%%")


@dataclass(frozen=True)
class _Template:
    template: str
    pattern: re.Pattern[str]
    quoted: frozenset[str]
    # The longer its fixed words, the more a template says: tried first.
    weight: int


def _compile(template: str) -> _Template:
    """A template as a regular expression with one named group per detail."""
    parts: list[str] = []
    quoted: set[str] = set()
    seen: set[str] = set()
    fixed = 0
    position = 0
    for found in _PLACEHOLDER.finditer(template):
        literal = template[position : found.start()]
        parts.append(re.escape(literal))
        fixed += len(literal)
        if found.group(0) == "%%":
            parts.append("%")
            fixed += 1
        else:
            name, conversion = found.group(1), found.group(2)
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
            if conversion == "r":
                quoted.add(name)
        position = found.end()
    literal = template[position:]
    parts.append(re.escape(literal))
    fixed += len(literal)
    return _Template(template, re.compile("".join(parts), re.DOTALL), frozenset(quoted), fixed)


def _catalogue(templates: Iterable[str]) -> tuple[_Template, ...]:
    unique = dict.fromkeys(templates)
    return tuple(sorted(map(_compile, unique), key=lambda item: -item.weight))


_SENTENCES = _catalogue(SENTENCES)
_LIMITS = _catalogue(LIMITS)
_PHRASES = frozenset(PHRASES)
_FAILURE = _compile(FAILURE)
_FAILED_THEN = re.compile(
    _compile(OUT_OF_LIMITS).pattern.pattern + "(?: " + _compile(THEN).pattern.pattern + ")?",
    re.DOTALL,
)
# The cleanup's sentences come last, each after a space, and start with these fixed words.
_PROBLEM = re.compile(
    " "
    + re.escape(COULD_NOT.split("%(what)s")[0])
    + "("
    + "|".join(re.escape(what) for what in (STOP_CAPACITY_TEST, SWITCH_LOAD_OFF, RELEASE_PS_ON))
    + ")"
    + re.escape(COULD_NOT.split("%(what)s")[1].split("%(message)s")[0])
)


# The words between two erase methods in METHODS_OR.
_OR = METHODS_OR.replace("%(some)s", "").replace("%(other)s", "")


def _phrase(text: str) -> Sentence:
    return Sentence(text, text) if text in _PHRASES else Sentence(text)


def _match(text: str, catalogue: tuple[_Template, ...]) -> Sentence:
    for item in catalogue:
        found = item.pattern.fullmatch(text)
        if found is not None:
            details: dict[str, Any] = dict(found.groupdict())
            if "what" in details:
                details["what"] = _phrase(details["what"])
            if "methods" in details:
                details["methods"] = tuple(details["methods"].split(_OR))
            return Sentence(text, item.template, details, item.quoted)
    return Sentence(text)


def sentence(text: str) -> Sentence:
    """One sentence as the link, a driver or the runner wrote it (unknown: its text alone)."""
    return _match(text, _SENTENCES)


def _failures(text: str) -> list[Failure] | None:
    found = []
    for part in text.split(FAILURE_SEPARATOR):
        item = _FAILURE.pattern.fullmatch(part)
        if item is None:
            return None
        found.append(Failure(item["name"], item["value"], _match(item["limits"], _LIMITS)))
    return found


def _head(text: str) -> list[Sentence]:
    """The measurements out of limits and what ended the run, or one sentence."""
    found = _FAILED_THEN.fullmatch(text)
    if found is None:
        return [sentence(text)]
    failures = _failures(found["failures"])
    if failures is None:
        return [Sentence(text)]
    head = Sentence(
        OUT_OF_LIMITS.replace("%(failures)s", found["failures"]),
        OUT_OF_LIMITS,
        {"failures": failures},
    )
    if found["message"] is None:
        return [head]
    rest = found["message"]
    return [head, Sentence(THEN % {"message": rest}, THEN, {"message": sentence(rest)})]


def parse(message: str) -> list[Sentence]:
    """A stored message as its sentences, in order; one unknown Sentence when it is not ours."""
    text = (message or "").strip()
    if not text:
        return []
    pieces = _PROBLEM.split(text)
    found = _head(pieces[0])
    for what, rest in zip(pieces[1::2], pieces[2::2], strict=True):
        found.append(
            Sentence(
                COULD_NOT % {"what": what, "message": rest},
                COULD_NOT,
                {"what": _phrase(what), "message": sentence(rest)},
            )
        )
    return found
