"""Asset tags carry a check character so that a misread is caught."""

from inventory.codes import ALPHABET, asset_tag, has_valid_check, looks_like_asset_tag


def test_asset_tags_have_the_asset_shape_and_a_valid_check_character():
    tags = [asset_tag(number) for number in (1, 42, 9_999_999)]
    assert tags[1].startswith("A0000042")
    assert all(looks_like_asset_tag(tag) and has_valid_check(tag) for tag in tags)
    assert len(set(tags)) == 3


def test_every_single_character_misread_is_caught():
    tag = asset_tag(123456)
    for position in range(1, len(tag)):
        for char in ALPHABET:
            if char != tag[position]:
                misread = tag[:position] + char + tag[position + 1 :]
                assert not has_valid_check(misread), misread


def test_swapping_two_neighbouring_digits_is_caught():
    tag = asset_tag(1234567)
    for position in range(1, len(tag) - 2):
        a, b = tag[position], tag[position + 1]
        if a != b:
            swapped = tag[:position] + b + a + tag[position + 2 :]
            assert not has_valid_check(swapped), swapped
