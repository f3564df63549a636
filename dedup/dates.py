"""Publication dates as POSIX seconds: ISO 8601 or the strptime patterns a corpus uses, in a given zone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["parse_date", "parse_timezone"]


def parse_date(value: object, formats: tuple[str, ...] = (), zone: tzinfo = timezone.utc) -> float | None:
    """POSIX seconds of a date in one of the strptime ``formats`` or in ISO 8601, naive ones taken in ``zone``;
    ``None`` if absent or unparsable."""
    if not isinstance(value, str) or not value.strip():
        return None
    parsed = _parsed(value.strip(), formats)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.timestamp()


def _parsed(text: str, formats: tuple[str, ...]) -> datetime | None:
    for pattern in formats:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


_OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)")


def parse_timezone(text: str) -> tzinfo:
    """A fixed offset (``+03:00``, ``-0430``) or an IANA zone (``Asia/Riyadh``, summer time included);
    ValueError saying what to give otherwise."""
    offset = _OFFSET.fullmatch(text.strip())
    if offset and int(offset[2]) < 24 and int(offset[3]) < 60:
        sign = -1 if offset[1] == "-" else 1
        return timezone(sign * timedelta(hours=int(offset[2]), minutes=int(offset[3])))
    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {text!r}: give an offset such as +03:00 or a zone name such as Asia/Riyadh"
        ) from None
