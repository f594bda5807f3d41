"""What people in Japan type for dates, durations, money and KPI values: input -> value."""

from __future__ import annotations

import datetime as dt

import pytest

from matchmaker.japanese_input import (
    format_number,
    kpi_achieved,
    parse_date,
    parse_fiscal_year,
    parse_months,
    parse_quantity,
    parse_start,
    parse_yen,
)

DATES = [
    ("2027-04-01", dt.date(2027, 4, 1)), ("2027/4/1", dt.date(2027, 4, 1)), ("2027.4.1", dt.date(2027, 4, 1)),
    ("２０２７／４／１", dt.date(2027, 4, 1)), ("20270401", dt.date(2027, 4, 1)),
    ("2027年4月1日", dt.date(2027, 4, 1)), ("2027年 4月 1日", dt.date(2027, 4, 1)),
    ("2027年4月", dt.date(2027, 4, 1)), ("２０２７年４月", dt.date(2027, 4, 1)), ("2027/4", dt.date(2027, 4, 1)),
    ("2027-04", dt.date(2027, 4, 1)), ("令和9年4月", dt.date(2027, 4, 1)), ("令和9年4月15日", dt.date(2027, 4, 15)),
    ("令和元年5月1日", dt.date(2019, 5, 1)), ("R9.4.1", dt.date(2027, 4, 1)), ("Ｒ９年４月", dt.date(2027, 4, 1)),
    # English, as the English pages write a month and as people write a day
    ("April 2027", dt.date(2027, 4, 1)), ("Apr. 2027", dt.date(2027, 4, 1)), ("1 April 2027", dt.date(2027, 4, 1)),
    ("April 15, 2027", dt.date(2027, 4, 15)), ("sept 2027", dt.date(2027, 9, 1)),
]


@pytest.mark.parametrize(("text", "value"), DATES)
def test_dates(text, value) -> None:
    assert parse_date(text) == value


@pytest.mark.parametrize("text", ["", "来年", "2027年13月", "2027/2/30", "27/4/1", "令和9年", "2027",
                                  "9999-12-31", "0001-01-01", "1999年4月", "²⁰²⁷-04-01", "2027-٠٤-01", "2027年⑫月",
                                  "2027年度", "Aprile 2027", "1 April 15, 2027", "April 31, 2027"])
def test_not_dates(text) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


# A "when" (開始希望時期): any date, a fiscal year (its first day), or the month as the pages show it.
STARTS = [("2027年度", dt.date(2027, 4, 1)), ("２０２７年度", dt.date(2027, 4, 1)), ("令和9年度", dt.date(2027, 4, 1)),
          ("令和９年度", dt.date(2027, 4, 1)), ("R9年度", dt.date(2027, 4, 1)), ("FY2027", dt.date(2027, 4, 1)),
          ("令和元年度", dt.date(2019, 4, 1)), ("2027年4月（令和9年度）", dt.date(2027, 4, 1)),
          ("2028年2月（令和9年度）", dt.date(2028, 2, 1)), ("April 2027 (FY2027)", dt.date(2027, 4, 1)),
          ("2027年4月", dt.date(2027, 4, 1)), ("2027-06-15", dt.date(2027, 6, 15))]


@pytest.mark.parametrize(("text", "value"), STARTS)
def test_starts(text, value) -> None:
    assert parse_start(text) == value


@pytest.mark.parametrize("text", ["2027年4月（令和8年度）", "2028年4月（令和9年度）", "April 2027 (FY2026)", "2027年4月（来年）",
                                  "1999年度", "令和0年度", "2027年度度", "年度", "FY27",
                                  "2027年4月（令和9年度）（令和9年度）", "2027年4月" + " (FY2027)" * 1200,
                                  "2027年4月" + " " * 32_000 + "(FY2027)", "(FY2027)", "2027年4月()"])
def test_not_starts(text) -> None:
    with pytest.raises(ValueError):
        parse_start(text)


def test_a_fiscal_year_is_named_by_the_year_its_april_is_in() -> None:
    assert parse_fiscal_year("令和9年度") == parse_fiscal_year("2027年度") == parse_fiscal_year("fy 2027") == 2027


MONTHS = [("3", 3), ("３", 3), ("3か月", 3), ("３か月", 3), ("3ヶ月", 3), ("3ヵ月", 3), ("3カ月", 3), ("3カ月間", 3),
          ("3箇月", 3), ("3 か月", 3), ("12ヶ月", 12), ("半年", 6), ("半年間", 6), ("1年", 12), ("1年半", 18),
          ("1年3か月", 15), ("2年", 24), ("6 months", 6), ("1 month", 1)]


@pytest.mark.parametrize(("text", "value"), MONTHS)
def test_durations(text, value) -> None:
    assert parse_months(text) == value


@pytest.mark.parametrize("text", ["", "三か月", "3週間", "2.5か月", "か月", "-3"])
def test_not_durations(text) -> None:
    with pytest.raises(ValueError):
        parse_months(text)


YEN = [("1200000", 1_200_000), ("1,200,000", 1_200_000), ("1,200,000円", 1_200_000), ("１，２００，０００円", 1_200_000),
       ("120万円", 1_200_000), ("120万", 1_200_000), ("１２０万円", 1_200_000), ("1.2百万", 1_200_000),
       ("1.2百万円", 1_200_000), ("¥1,200,000", 1_200_000), ("￥1,200,000", 1_200_000), ("1200千円", 1_200_000),
       ("1億2000万円", 120_000_000), ("1億2千万円", 120_000_000), ("3千円", 3000), ("0", 0), ("0円", 0)]


@pytest.mark.parametrize(("text", "value"), YEN)
def test_yen(text, value) -> None:
    assert parse_yen(text) == value


@pytest.mark.parametrize("text", ["", "²円", "١٢٠万円", "円", "百二十万円", "1,20,000", "2千万1億", "1.5円", "万円", "1万円です"])
def test_not_yen(text) -> None:
    with pytest.raises(ValueError):
        parse_yen(text)


QUANTITIES = [("1440", "分", 1440.0), ("1,440", "分", 1440.0), ("1440分", "分", 1440.0), ("１４４０分", "分", 1440.0),
              ("12.5", "%", 12.5), ("95%", "%", 95.0), ("-3", "", -3.0), ("1.2万", "人", 12000.0),
              ("30 分", "分", 30.0), ("3000人", "人", 3000.0)]


@pytest.mark.parametrize(("text", "unit", "value"), QUANTITIES)
def test_quantities(text, unit, value) -> None:
    assert parse_quantity(text, unit=unit) == value


@pytest.mark.parametrize(("text", "unit"), [("30時間", "分"), ("nan", ""), ("inf", ""), ("", "")])
def test_not_quantities(text, unit) -> None:
    with pytest.raises(ValueError):
        parse_quantity(text, unit=unit)


@pytest.mark.parametrize(("value", "shown"), [(1440.0, "1,440"), (12.5, "12.5"), (0.126, "0.13"), (3, "3"),
                                              (1200000.0, "1,200,000"), (0.1, "0.1"), (-3.0, "-3"), (None, "")])
def test_format_number(value, shown) -> None:
    assert format_number(value) == shown


@pytest.mark.parametrize(("baseline", "target", "result", "achieved"), [
    (100, 200, 250, True), (100, 200, 200, True), (100, 200, 150, False),   # more is better
    (1440, 60, 45, True), (1440, 60, 60, True), (1440, 60, 90, False),     # fewer minutes is better
    (0, 0, 0, True), (100, 200, None, None)])
def test_kpi_achieved(baseline, target, result, achieved) -> None:
    assert kpi_achieved(baseline, target, result) is achieved
