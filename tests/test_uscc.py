import pytest
from django.core.exceptions import ValidationError

from portal import uscc


@pytest.mark.parametrize(
    "code",
    [
        "914403001922038216",  # an enterprise (9 = market regulation)
        "9144030071526726XG",  # check digit is a letter
        uscc.with_check_digit("Y1440705MJ0123456"),  # registration authority "Y" (other)
        uscc.with_check_digit("N2440703MF1234567"),  # "N" agriculture: a cooperative
        uscc.with_check_digit("A1100000MA0000001"),  # "A" military reform and establishment office
        uscc.with_check_digit("12440700MB2C34781"),  # a public institution
    ],
)
def test_it_accepts_valid_codes_including_letter_prefixes(code):
    assert uscc.validate(code) == code


def test_it_normalises_full_width_lower_case_and_spaces():
    assert uscc.validate("９１４４ ０３００ １９２２０３８２１６") == "914403001922038216"
    assert uscc.validate("9144030071526726xg") == "9144030071526726XG"


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        ("91440300192203821", "uscc_length"),
        ("", "uscc_length"),
        ("9144030019220382160", "uscc_length"),
        ("9144030019220382IO", "uscc_characters"),
        ("91440300192203821S", "uscc_characters"),
        ("914A03001922038216", "uscc_division"),
        ("914403001922038217", "uscc_checksum"),
    ],
)
def test_it_rejects_bad_codes_with_a_specific_reason(code, error_code):
    with pytest.raises(ValidationError) as caught:
        uscc.validate(code)
    assert caught.value.code == error_code


def test_the_rejection_message_is_chinese_by_default():
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        uscc.validate("914403001922038217")
    assert "校验" in caught.value.messages[0]
