"""Unified social credit code (统一社会信用代码, GB 32100-2015).

python-stdnum supplies the check-digit arithmetic; its ``validate`` is not used because it
insists on a digit in the first position and so rejects real codes issued by registration
authorities whose code is a letter (A… 中央军委改革和编制办公室, N… 农业, Y… 其他).
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc as stdnum_uscc

# GB 32100-2015 §4: the code alphabet leaves out I, O, Z, S and V.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_SHAPE = re.compile(rf"^[{ALPHABET}]{{2}}[0-9]{{6}}[{ALPHABET}]{{10}}$")


def normalize(value: str) -> str:
    """Upper-case, drop spaces and hyphens, turn full-width characters into ASCII (NFKC)."""
    value = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s\-]", "", value).upper()


def validate(value: str) -> str:
    """Return the normalised code or raise ValidationError with a message for the applicant."""
    code = normalize(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; you entered %(count)d."),
            code="uscc_length",
            params={"count": len(code)},
        )
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        raise ValidationError(
            _(
                "The code contains characters that are not allowed: %(chars)s (I, O, Z, S and V are never used)."
            ),
            code="uscc_characters",
            params={"chars": " ".join(bad)},
        )
    if not _SHAPE.match(code):
        raise ValidationError(
            _("Characters 3 to 8 of the code must be the 6-digit administrative division code."),
            code="uscc_division",
        )
    if stdnum_uscc.calc_check_digit(code[:17]) != code[17]:
        raise ValidationError(
            _(
                "The check digit (last character) does not match; please check the code against the business licence."
            ),
            code="uscc_checksum",
        )
    return code


def with_check_digit(first17: str) -> str:
    """Complete 17 characters into a valid code (used by demo data and tests)."""
    return first17 + stdnum_uscc.calc_check_digit(first17)


def division_code(code: str) -> str:
    """The registration division (characters 3–8)."""
    return code[2:8]
