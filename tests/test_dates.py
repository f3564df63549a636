import json
from datetime import datetime, timezone

import pytest

from dedup.dates import parse_date, parse_timezone
from tests.conftest import SAMPLE


def test_jawhara_fm_day_dates_are_read_with_their_format_in_their_zone() -> None:
    """Issue 15: 142 of the 300 Jawhara FM rows give only the day, as 28/10/2016 (Tunis, UTC+01:00 all year
    then); with the pattern they all parse, the ISO 8601 ones as before."""
    dates = [json.loads(line)["published"] for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    tunis = parse_timezone("+01:00")
    assert sum(parse_date(d) is None for d in dates) == sum("/" in d for d in dates) == 142
    parsed = [parse_date(d, ("%d/%m/%Y",), tunis) for d in dates]
    assert None not in parsed
    assert parsed[dates.index("28/10/2016")] == datetime(2016, 10, 27, 23, tzinfo=timezone.utc).timestamp()
    iso = next(d for d in dates if "T" in d)
    assert parse_date(iso, ("%d/%m/%Y",), tunis) == datetime.fromisoformat(iso).timestamp()
    assert parse_date("28/10/2016", ("%d/%m/%Y",), parse_timezone("Africa/Tunis")) == parsed[dates.index("28/10/2016")]


def test_a_zone_name_follows_summer_time_and_a_bad_one_says_what_to_give() -> None:
    cairo = parse_timezone("Africa/Cairo")  # UTC+02:00, +03:00 in summer (2023)
    assert parse_date("2023-01-15 12:00", zone=cairo) == datetime(2023, 1, 15, 10, tzinfo=timezone.utc).timestamp()
    assert parse_date("2023-07-15 12:00", zone=cairo) == datetime(2023, 7, 15, 9, tzinfo=timezone.utc).timestamp()
    with pytest.raises(ValueError, match="give an offset such as \\+03:00 or a zone name such as Asia/Riyadh"):
        parse_timezone("Mecca")
