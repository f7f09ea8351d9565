"""Kubernetes resource quantities ("500m", "1.5Gi", "2e3"), parsed exactly.

Upstream keeps quantities as arbitrary-precision decimals
(k8s.io/apimachinery/pkg/api/resource). We use Decimal, never float, so that
"0.1" + "0.2" CPU is exactly 300 millicores and the scheduler's sums match
what a student computes on paper.
"""

from __future__ import annotations

import functools
import re
from decimal import ROUND_CEILING, ROUND_UP, Context, Decimal, localcontext

QUANTITY_REGEX = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
QUANTITY_FORMAT_ERROR = f"quantities must match the regular expression '{QUANTITY_REGEX}'"

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

_DECIMAL_SUFFIXES = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_SUFFIX_FOR_DECIMAL_EXPONENT = {exponent: suffix for suffix, exponent in _DECIMAL_SUFFIXES.items()}
_BINARY_SUFFIX_BY_POWER = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]

# Stricter than upstream's scanner in two corners: a lone sign or a lone "."
# (which upstream reads as 0) are rejected, as a student almost surely made a typo.
_QUANTITY_SHAPE = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))"
    r"(?P<suffix>[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE]?)"
)
# Sandbox guards, not upstream rules (upstream keeps any size as a big decimal):
# "1e999999999" would otherwise turn into a billion-digit integer when counted in
# bytes, and "1" followed by 4,400 zeros into an integer Python refuses to print
# (past 4,300 digits) when the quantity is formatted.
_MAX_DECIMAL_EXPONENT = 100
_MAX_DIGITS = 100
_MAX_INTEGER_BITS = 332  # 100 decimal digits
# Enough digits for any quantity that passes the guard above, so no
# arithmetic below ever rounds.
_EXACT = Context(prec=400)


class InvalidQuantity(ValueError):
    """The text is not a Kubernetes quantity. str() is upstream's message."""

    def __init__(self, text: object) -> None:
        super().__init__(QUANTITY_FORMAT_ERROR)
        self.text = text


def parse_quantity(text: str | int | float | Decimal) -> Decimal:
    """The exact value of a quantity: "500m" -> Decimal("0.5"), "1Ki" -> 1024."""
    return _parse(text)[0]


def quantity_format(text: str | int | float | Decimal) -> str:
    """Which of upstream's three formats the quantity was written in."""
    return _parse(text)[1]


def cpu_millis(quantity: str | int | float | Decimal) -> int:
    """Millicores, rounded up as the scheduler counts them: "0.0001" -> 1."""
    value = parse_quantity(quantity)
    with localcontext(_EXACT):
        return int((value * 1000).to_integral_value(rounding=ROUND_CEILING))


def memory_bytes(quantity: str | int | float | Decimal) -> int:
    """Bytes, rounded up: "1.5Ki" -> 1536, "1m" -> 1."""
    value = parse_quantity(quantity)
    with localcontext(_EXACT):
        return int(value.to_integral_value(rounding=ROUND_CEILING))


def format_quantity(quantity: str | int | float | Decimal) -> str:
    """Upstream's canonical spelling: "2000m" -> "2", "0.5" -> "500m", "1024Mi" -> "1Gi".

    Error messages print quantities this way (Quantity.String()), so a
    student who wrote "2000m" reads "2", exactly as a real cluster says.
    """
    value, written_as = _parse(quantity)
    if written_as == BINARY_SI and _fits_binary_form(value):
        return _binary_form(int(value))
    return _decimal_form(value, exponent_style=written_as == DECIMAL_EXPONENT)


def _parse(text: object) -> tuple[Decimal, str]:
    if isinstance(text, Decimal):
        return text, DECIMAL_SI
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise InvalidQuantity(text)
    if isinstance(text, int) and text.bit_length() > _MAX_INTEGER_BITS:
        raise InvalidQuantity(text)  # before str(), which refuses past 4,300 digits
    # A JSON number such as 2 or 0.5 goes through its shortest decimal text,
    # so 0.1 is Decimal("0.1") and not the float's binary approximation.
    parsed = _parse_text(str(text))
    if parsed is None:
        raise InvalidQuantity(text)
    return parsed


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str) -> tuple[Decimal, str] | None:
    """None for a text that is no quantity. Cached: a sandbox spells the same few
    quantities over and over (every pod's requests, every node's capacity), and
    a Decimal is immutable, so the parsed values can be shared."""
    if len(text) > _MAX_DIGITS + 8:  # the digits, a sign, a point and the longest suffix
        return None
    match = _QUANTITY_SHAPE.fullmatch(text)
    if match is None:
        return None
    number, suffix = Decimal(match["number"]), match["suffix"]
    with localcontext(_EXACT):
        if suffix in _BINARY_SUFFIXES:
            return number * (2 ** _BINARY_SUFFIXES[suffix]), BINARY_SI
        if suffix in _DECIMAL_SUFFIXES:
            return number.scaleb(_DECIMAL_SUFFIXES[suffix]), DECIMAL_SI
        exponent = int(suffix[1:])
        if abs(exponent) > _MAX_DECIMAL_EXPONENT:
            return None
        return number.scaleb(exponent), DECIMAL_EXPONENT


def _fits_binary_form(value: Decimal) -> bool:
    # Upstream shows small or fractional binary quantities in decimal form:
    # "512Mi" stays binary, but "0.5Ki" prints as "512".
    return abs(value) >= 1024 and value == value.to_integral_value()


def _binary_form(value: int) -> str:
    power = 0
    while power < len(_BINARY_SUFFIX_BY_POWER) - 1 and value % 1024 == 0:
        value //= 1024
        power += 1
    return f"{value}{_BINARY_SUFFIX_BY_POWER[power]}"


def _decimal_form(value: Decimal, *, exponent_style: bool) -> str:
    with localcontext(_EXACT):
        # Quantities are kept to nano precision, rounded away from zero.
        mantissa = int((value * 10**9).to_integral_value(rounding=ROUND_UP))
    if mantissa == 0:
        return "0"
    exponent = -9
    largest = None if exponent_style else max(_SUFFIX_FOR_DECIMAL_EXPONENT)
    while mantissa % 1000 == 0 and (largest is None or exponent < largest):
        mantissa //= 1000
        exponent += 3
    if exponent_style:
        return f"{mantissa}e{exponent}" if exponent else str(mantissa)
    return f"{mantissa}{_SUFFIX_FOR_DECIMAL_EXPONENT[exponent]}"
