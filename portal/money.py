"""Amounts in Chinese capital numerals (大写金额), as on task books and contracts (002 附3).

Follows the writing rules of the People's Bank of China for bills (支付结算办法 附一): 壹贰叁…,
拾佰仟万亿, 元角分; 整 after 元 when there are no 角/分; one 零 for a run of zeros inside the
number; 零 between 元 and 角/分 when the units digit is zero (e.g. 壹拾万柒仟元零伍角叁分).
"""

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ["", "拾", "佰", "仟"]
GROUP_UNITS = ["", "万", "亿", "万亿"]


def _group(number: int) -> str:
    """0–9999 → capitals, with inner zeros collapsed and trailing zeros dropped."""
    text, zero = "", False
    for position in range(3, -1, -1):
        digit = number // 10**position % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += DIGITS[digit] + SMALL_UNITS[position]
    return text


def _yuan(yuan: int) -> str:
    """Whole yuan → capitals in groups of four digits (万, 亿), one 零 for a run of zeros."""
    text = ""
    groups = []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    pending_zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(text)
            continue
        if text and (pending_zero or group < 1000):
            text += "零"
        text += _group(group) + GROUP_UNITS[index]
        pending_zero = False
    return text


def rmb_upper(amount: Decimal | int | float | str) -> str:
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0:
        return "负" + rmb_upper(-value)
    fen_total = int(value * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if yuan >= 10**16:
        raise ValueError("amount too large")
    integer_part = _yuan(yuan)
    if not integer_part and not jiao and not fen:
        return "零元整"
    result = integer_part + "元" if integer_part else ""
    if not jiao and not fen:
        return result + "整"
    if integer_part and (fen_total // 100) % 10 == 0:
        result += "零"
    if jiao:
        result += DIGITS[jiao] + "角"
    elif integer_part:
        result += "" if result.endswith("零") else "零"
    if fen:
        result += DIGITS[fen] + "分"
    return result


def wan_to_upper(wan: Decimal | int | float | str) -> str:
    """An amount in 万元 (as budgets are kept) as 人民币 capitals in 元."""
    return rmb_upper(Decimal(str(wan)) * 10000)
