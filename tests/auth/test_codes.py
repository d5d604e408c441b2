"""Login codes survive how people actually type them."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from jichikai.auth.codes import ALPHABET, CODE_LENGTH, format_code, new_code, normalize_code

codes = st.text(alphabet=ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH)


def to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_new_code_is_twelve_crockford_characters():
    code = new_code()
    assert len(code) == CODE_LENGTH
    assert set(code) <= set(ALPHABET)


def test_format_code_groups_by_four():
    assert format_code("7KQ2M9XD4FTR") == "7KQ2-M9XD-4FTR"


@given(codes)
def test_formatted_code_normalises_back(code):
    assert normalize_code(format_code(code)) == code


@given(codes)
def test_lower_case_is_accepted(code):
    assert normalize_code(code.lower()) == code


@given(codes)
def test_full_width_input_from_a_japanese_ime(code):
    typed = to_fullwidth(format_code(code).lower())
    assert unicodedata.normalize("NFKC", typed) != typed or not typed
    assert normalize_code(typed) == code


@given(codes, st.lists(st.sampled_from([" ", "　", "-", "ー", "−", "‐", "―"]), max_size=6))
def test_spaces_and_dashes_are_ignored(code, separators):
    typed = code
    for index, separator in enumerate(separators):
        position = (index * 5) % (len(typed) + 1)
        typed = typed[:position] + separator + typed[position:]
    assert normalize_code(typed) == code


@given(codes)
def test_look_alike_letters_are_read_as_digits(code):
    typed = code.replace("0", "O").replace("1", "I")
    assert normalize_code(typed) == code
    assert normalize_code(code.replace("1", "l")) == code


@given(st.text(max_size=30))
def test_anything_else_is_none_or_a_valid_code(text):
    result = normalize_code(text)
    assert result is None or (len(result) == CODE_LENGTH and set(result) <= set(ALPHABET))


def test_wrong_length_and_letters_outside_the_alphabet_are_rejected():
    assert normalize_code("7KQ2-M9XD-4FT") is None
    assert normalize_code("7KQ2-M9XD-4FTRX") is None
    assert normalize_code("UUUU-UUUU-UUUU") is None
    assert normalize_code("") is None
