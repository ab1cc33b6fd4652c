from decimal import Decimal as D

import pytest

from workbook_tools.numbers import is_number, num, parse_number_text, plain, round_half_up, round_up


@pytest.mark.parametrize("x,places,expected", [
    ("2.5", 0, "3"), ("-2.5", 0, "-3"), ("0.125", 2, "0.13"), ("2.675", 2, "2.68"),
    ("9.97415", 4, "9.9742"), ("95.8634", 2, "95.86"), ("0.99745", 4, "0.9975"), ("17.85", 1, "17.9"),
])
def test_round_half_up_matches_excel(x, places, expected):
    assert round_half_up(D(x), places) == D(expected)


@pytest.mark.parametrize("x,expected", [("3.0000001", "4"), ("3", "3"), ("-1.2", "-2"), ("0", "0")])
def test_round_up(x, expected):
    assert round_up(D(x)) == D(expected)


@pytest.mark.parametrize("raw,expected", [
    (1, True), (1.5, True), (True, False), ("1", False), (None, False), (float("nan"), False)])
def test_is_number_follows_isnumber(raw, expected):
    assert is_number(raw) is expected


@pytest.mark.parametrize("text,expected", [
    ("99.74%", D("0.9974")), (" 1,234.50 ", D("1234.50")), ("１２", D(12)), ("abc", None), ("", None), (5, None)])
def test_parse_number_text(text, expected):
    assert parse_number_text(text) == expected


def test_num_uses_shortest_float_repr():
    assert num(0.1) == D("0.1") and num(39979.06) == D("39979.06")
    assert plain(D("20.0000")) == "20" and plain(D("9.9740")) == "9.974"
