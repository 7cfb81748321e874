"""Workshop codes: a prefix by kind, a sequence number and a check character."""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ASSET_PREFIX = "A"
ASSET_DIGITS = 7
ASSET_PATTERN = re.compile(rf"^{ASSET_PREFIX}[0-9]{{{ASSET_DIGITS}}}[0-9A-Z]$")
# Another prefix and another length: a location label can never pass for an asset tag.
LOCATION_PREFIX = "L"
LOCATION_DIGITS = 5
LOCATION_PATTERN = re.compile(rf"^{LOCATION_PREFIX}[0-9]{{{LOCATION_DIGITS}}}[0-9A-Z]$")
# Staff badges: the same length as a location code, told apart by the prefix.
BADGE_PREFIX = "S"
BADGE_DIGITS = 5
BADGE_PATTERN = re.compile(rf"^{BADGE_PREFIX}[0-9]{{{BADGE_DIGITS}}}[0-9A-Z]$")
# Spare parts: a length of their own, between the location's and the asset tag's.
PART_PREFIX = "P"
PART_DIGITS = 6
PART_PATTERN = re.compile(rf"^{PART_PREFIX}[0-9]{{{PART_DIGITS}}}[0-9A-Z]$")


def check_character(payload: str) -> str:
    """Luhn mod 36 check character: catches every single misread and most swaps."""
    factor = 2
    total = 0
    n = len(ALPHABET)
    for char in reversed(payload):
        addend = factor * ALPHABET.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def has_valid_check(code: str) -> bool:
    """True when the last character is the check character of the rest."""
    return len(code) > 1 and check_character(code[:-1]) == code[-1]


def asset_tag(number: int) -> str:
    """The asset tag for a sequence number, e.g. 42 -> A0000042 plus its check character."""
    body = f"{ASSET_PREFIX}{number:0{ASSET_DIGITS}d}"
    return body + check_character(body)


def looks_like_asset_tag(code: str) -> bool:
    """True when the code has the asset tag's shape, whatever its check character."""
    return bool(ASSET_PATTERN.match(code))


def location_code(number: int) -> str:
    """The code of a location for a sequence number, e.g. 3 -> L00003 plus its check character."""
    body = f"{LOCATION_PREFIX}{number:0{LOCATION_DIGITS}d}"
    return body + check_character(body)


def looks_like_location_code(code: str) -> bool:
    """True when the code has a location code's shape, whatever its check character."""
    return bool(LOCATION_PATTERN.match(code))


def badge_code(number: int) -> str:
    """The code of a staff badge for a sequence number, e.g. 7 -> S00007 plus its check character."""
    body = f"{BADGE_PREFIX}{number:0{BADGE_DIGITS}d}"
    return body + check_character(body)


def looks_like_badge_code(code: str) -> bool:
    """True when the code has a staff badge's shape, whatever its check character."""
    return bool(BADGE_PATTERN.match(code))


def part_code(number: int) -> str:
    """The code of a spare part for a sequence number, e.g. 5 -> P000005 plus its check character."""
    body = f"{PART_PREFIX}{number:0{PART_DIGITS}d}"
    return body + check_character(body)


def looks_like_part_code(code: str) -> bool:
    """True when the code has a part code's shape, whatever its check character."""
    return bool(PART_PATTERN.match(code))


def normalize(code: str) -> str:
    """What a scanner or a person typed, without surrounding blanks, in upper case."""
    return "".join(code.split()).upper()
