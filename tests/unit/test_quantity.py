"""Kubernetes quantities parse exactly, count up, and print as upstream prints them."""

from decimal import Decimal

import pytest

from cluster.quantity import (
    QUANTITY_FORMAT_ERROR,
    InvalidQuantity,
    cpu_millis,
    format_quantity,
    memory_bytes,
    parse_quantity,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "1"),
        ("0", "0"),
        ("0.5", "0.5"),
        (".5", "0.5"),
        ("1.", "1"),
        ("+2", "2"),
        ("-1", "-1"),
        ("007", "7"),
    ],
)
def test_plain_numbers_parse_to_their_exact_value(text, expected):
    assert parse_quantity(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1n", "0.000000001"),
        ("1u", "0.000001"),
        ("100m", "0.1"),
        ("1k", "1000"),
        ("1M", "1000000"),
        ("1G", "1000000000"),
        ("1T", "1000000000000"),
        ("1P", "1000000000000000"),
        ("1E", "1000000000000000000"),
        ("1.5G", "1500000000"),
    ],
)
def test_decimal_si_suffixes_scale_by_powers_of_ten(text, expected):
    assert parse_quantity(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1Ki", 2**10),
        ("1Mi", 2**20),
        ("1Gi", 2**30),
        ("1Ti", 2**40),
        ("1Pi", 2**50),
        ("1Ei", 2**60),
        ("1.5Gi", 3 * 2**29),
    ],
)
def test_binary_suffixes_scale_by_powers_of_two(text, expected):
    assert parse_quantity(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1e3", "1000"), ("1E3", "1000"), ("1e+3", "1000"), ("1e-3", "0.001"), ("2.5e2", "250")],
)
def test_decimal_exponents_are_exact(text, expected):
    assert parse_quantity(text) == Decimal(expected)


def test_a_capital_e_alone_is_the_exa_suffix_not_an_exponent():
    assert parse_quantity("2E") == Decimal(2 * 10**18)


def test_json_numbers_are_accepted_through_their_decimal_text():
    assert parse_quantity(2) == Decimal(2)
    assert parse_quantity(0.5) == Decimal("0.5")
    assert parse_quantity(0.1) == Decimal("0.1")  # not 0.1000000000000000055...


@pytest.mark.parametrize(
    "text", ["", "abc", "1.2.3", "5 Mi", "1Mb", "--1", "1e", "Mi", "1ki", "1Kib", " 1", "-", "."]
)
def test_anything_else_is_an_invalid_quantity_with_upstreams_message(text):
    with pytest.raises(InvalidQuantity) as raised:
        parse_quantity(text)
    assert str(raised.value) == (
        "quantities must match the regular expression "
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )
    assert str(raised.value) == QUANTITY_FORMAT_ERROR


@pytest.mark.parametrize("value", [None, True, [1], {"cpu": 1}])
def test_non_scalar_json_is_an_invalid_quantity(value):
    with pytest.raises(InvalidQuantity):
        parse_quantity(value)


def test_an_absurd_exponent_is_refused_rather_than_expanded():
    with pytest.raises(InvalidQuantity):
        parse_quantity("1e999999999")


@pytest.mark.parametrize(
    ("quantity", "millis"),
    [
        ("100m", 100),
        ("0.5", 500),
        ("1", 1000),
        (2, 2000),
        ("0.0001", 1),
        ("1e-3", 1),
        ("1.0005", 1001),
    ],
)
def test_cpu_millis_rounds_up_to_whole_millicores(quantity, millis):
    assert cpu_millis(quantity) == millis


def test_cpu_sums_are_exact_where_floats_are_not():
    assert cpu_millis("0.1") + cpu_millis("0.2") == 300
    assert parse_quantity("0.1") + parse_quantity("0.2") == parse_quantity("300m")


@pytest.mark.parametrize(
    ("quantity", "size"),
    [("1Ki", 1024), ("1.5Ki", 1536), ("128Mi", 134217728), ("1G", 10**9), ("1m", 1), (512, 512)],
)
def test_memory_bytes_rounds_up_to_whole_bytes(quantity, size):
    assert memory_bytes(quantity) == size


@pytest.mark.parametrize(
    ("quantity", "canonical"),
    [
        ("2000m", "2"),
        ("0.5", "500m"),
        ("1000", "1k"),
        ("1500", "1500"),
        ("1024Mi", "1Gi"),
        ("1536Mi", "1536Mi"),
        ("1.5Gi", "1536Mi"),
        ("100Mi", "100Mi"),
        ("0.5Ki", "512"),
        ("1e3", "1e3"),
        ("1.5e1", "15"),
        ("0", "0"),
        ("-1", "-1"),
        ("0.0000000001", "1n"),
        (2, "2"),
    ],
)
def test_format_quantity_prints_upstreams_canonical_form(quantity, canonical):
    assert format_quantity(quantity) == canonical


@pytest.mark.parametrize(
    "quantity",
    ["1" + "0" * 4400, "1" + "0" * 4400 + "Ki", "0." + "0" * 4400 + "1", 10**4400, -(10**200)],
    ids=["4401 digits", "4401 digits Ki", "4400 decimals", "int of 4401 digits", "int of 201"],
)
def test_a_number_too_long_to_count_is_refused_rather_than_expanded(quantity):
    # Sandbox guard: upstream keeps such a number as a big decimal; we would have to
    # print an integer longer than Python allows (4,300 digits) to format it.
    with pytest.raises(InvalidQuantity) as raised:
        parse_quantity(quantity)
    assert str(raised.value) == QUANTITY_FORMAT_ERROR


def test_a_long_but_ordinary_number_still_parses():
    assert parse_quantity("1" + "0" * 30) == Decimal(10) ** 30
    assert format_quantity("0.000000001") == "1n"
