"""Understand when a transaction happened: Indonesian answers to "kapan transaksinya?".

``find_when("kmrn jam 10 pagi", now)`` is yesterday 10:00. Understood: relative days (``kemarin``,
``tadi pagi``, ``semalam``, ``barusan``, ``3 hari yg lalu``, ``30 menit lalu``), dates (``20/11``,
``20-11-2026``, ``20 Nov``, ``tgl 20``, ``tanggal 3 kemarin``), day names (``Jumat jam 3 sore``, ``senin
kemarin``), periods (``minggu lalu``, ``bulan lalu``, ``awal bulan``, ``akhir bulan lalu``) and clock times
(``jam 2 siang``, ``pukul 23.45``, ``10:30``), with common typos and chat abbreviations. ``5m yg lalu`` and
``5m ago`` are minutes.

All times are Jakarta time: the fixed zone ``WIB`` (UTC+7, no daylight saving, no tz database);
``WITA``/``WIT`` after a time are converted. Customers report past events, so ambiguity resolves to the
most recent moment that is not after ``now``: a date without a year that would lie in the future is last
year's, ``jam 10`` without a day is the latest past 10:00 or 22:00, ``Jumat`` is the latest Friday.
With a stated day, a bare ``jam 1``-``jam 6`` means the afternoon (``kemarin jam 3`` is 15:00) and
``jam 7``-``jam 12`` the morning, unless that is still to come. Written minutes (``9.05``, ``21:05``) are
a 24-hour reading. Parts of the day: dini hari 00-05, pagi 05-11, siang 11-15, sore 15-18, malam 18-24;
``jam 12 malam`` is the midnight that ends the day and ``semalam jam 2`` the small hours after it.
Periods (ranges) are what ``When`` holds as its first day (``start``, precision ``day``) plus ``last_day``;
``canonical()`` gives ``2026-11-16/2026-11-22 WIB``, ``display()`` ``16–22 November 2026``, and a clock
next to a period is not merged into it. ``minggu lalu``/``pekan lalu`` is Monday to Sunday of last week
(``minggu kemarin`` stays last Sunday), ``bulan lalu``/``bulan kemarin`` last month, ``minggu ini`` and
``bulan ini`` this week or month, and the thirds of a month (dasarian) ``awal`` 1-10, ``pertengahan``/
``tengah`` 11-20 and ``akhir`` 21 to the end, of this month (``ini``), last month (``lalu``, ``kemarin``)
or, unsaid, the latest one that has begun. A period under way ends today. ``tanggal 3 kemarin`` is the
latest 3rd before today; ``tgl 3``, ``tanggal 3 bulan lalu`` and ``bulan lalu tgl 3`` name a date, which
wins over a day next to it (``kemarin tgl 3``, ``Senin tgl 23``).

Amounts (``500rb``, ``Rp 20.000``, ``dua juta``, an ambiguous ``15m``), hashes, addresses, phone and account
numbers and ``BEP20``-style network names are blanked out before reading, so their digits are never taken
for a date or a time.

Future text is returned as written, not guessed away: ``besok``, ``lusa``, ``senin depan``, a future date
with its year, a later hour with ``hari ini`` (``malam ini``, ``tgl 30 bulan ini``). The caller compares
``When.start`` with ``now`` and tells the customer that moment has not come yet.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

from nlu.amounts import find_amounts
from nlu.jakarta_time import DAY_NAMES, MONTH_NAMES, WIB


@dataclass(frozen=True)
class When:
    """A moment or period the customer described.

    ``start`` is aware, in WIB, and may lie after ``now`` when the text is about the future. ``precision``
    is ``minute``, ``hour``, ``part_of_day`` or ``day``; ``start_index:end_index`` is the span in the text.
    """

    start: datetime
    precision: str
    start_index: int
    end_index: int
    last_day: Optional[date] = None   # a period ("minggu lalu"): its last day; ``start`` is its first

    def canonical(self) -> str:
        """Machine form: ``2026-11-25 10:00 WIB``, ``2026-11-25 pagi WIB``, ``2026-11-25 WIB`` or, for a period,
        ``2026-11-16/2026-11-22 WIB``."""
        day = f"{self.start:%Y-%m-%d}"
        if self.last_day:
            return f"{day}/{self.last_day:%Y-%m-%d} WIB"
        if self.precision in ("minute", "hour"):
            return f"{day} {self.start:%H:%M} WIB"
        part = _PART_BY_START.get(self.start.hour)
        if self.precision == "part_of_day" and part:
            return f"{day} {part.name} WIB"
        return f"{day} WIB"

    def display(self) -> str:
        """Indonesian form: ``Rabu, 25 November 2026 pukul 10.00 WIB``; a period ``16–22 November 2026``."""
        d = self.start
        if self.last_day:
            return _period_display(d.date(), self.last_day)
        day = f"{DAY_NAMES[d.weekday()]}, {d.day} {MONTH_NAMES[d.month - 1]} {d.year}"
        if self.precision in ("minute", "hour"):
            return f"{day} pukul {d:%H.%M} WIB"
        part = _PART_BY_START.get(d.hour)
        if self.precision == "part_of_day" and part:
            return f"{day}, {part.name} (sekitar {part.start:02d}.00–{part.end:02d}.00 WIB)"
        return day


def _period_display(first: date, last: date) -> str:
    """``16–22 November 2026``, ``26 Oktober – 1 November 2026``, ``29 Desember 2025 – 4 Januari 2026``."""
    end = f"{last.day} {MONTH_NAMES[last.month - 1]} {last.year}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{end}"
    if first.year == last.year:
        return f"{first.day} {MONTH_NAMES[first.month - 1]} – {end}"
    return f"{first.day} {MONTH_NAMES[first.month - 1]} {first.year} – {end}"


# --- vocabulary -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Part:
    """A part of the day: when it starts and ends, and which hours ``jam N <part>`` may mean."""

    name: str
    start: int
    end: int
    reach: Tuple[int, int]   # malam reaches into the small hours: "jam 2 malam" is 02:00 the next day


_PARTS: Sequence[Tuple[_Part, Tuple[str, ...]]] = (
    (_Part("dini hari", 0, 5, (0, 5)), ("dini hari", "dinihari", "subuh", "shubuh", "pagi buta")),
    (_Part("pagi", 5, 11, (4, 12)), ("pagi", "pgi", "pagii", "pagi2", "pagi-pagi")),
    (_Part("siang", 11, 15, (10, 15)), ("siang", "siank", "siyang", "siangan", "siang2")),
    (_Part("sore", 15, 18, (14, 18)), ("sore", "sorean", "sore2", "petang")),
    (_Part("malam", 18, 24, (18, 28)), ("malam", "malem", "mlm", "malm", "mlam", "tengah malam", "tengah malem")),
)
_PART_BY_ALIAS = {alias: part for part, aliases in _PARTS for alias in aliases}
_PART_BY_START = {part.start: part for part, _ in _PARTS}
_MALAM = _PART_BY_ALIAS["malam"]

_MONTH_ALIASES = {
    "januari": 1, "january": 1, "februari": 2, "pebruari": 2, "febuari": 2, "february": 2, "maret": 3,
    "march": 3, "mrt": 3, "april": 4, "mei": 5, "may": 5, "juni": 6, "june": 6, "jun": 6, "juli": 7,
    "july": 7, "jul": 7, "agustus": 8, "august": 8, "agt": 8, "ags": 8, "agst": 8, "september": 9,
    "sept": 9, "oktober": 10, "october": 10, "november": 11, "nopember": 11, "desember": 12, "december": 12,
}
_WEEKDAYS = (
    ("senin", "snin", "monday"), ("selasa", "slasa", "slsa", "tuesday"), ("rabu", "rebo", "wednesday"),
    ("kamis", "kemis", "thursday"), ("jumat", "jum'at", "jum’at", "jumaat", "jumad", "jmt", "friday"),
    ("sabtu", "saptu", "sbtu", "saturday"), ("minggu", "mingu", "ahad", "sunday"),
)
_WEEKDAY_BY_ALIAS = {alias: index for index, aliases in enumerate(_WEEKDAYS) for alias in aliases}
_NUMBER_WORDS = {
    "nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7, "delapan": 8,
    "sembilan": 9, "sepuluh": 10, "sebelas": 11, "dua belas": 12, "duabelas": 12,
}
_UNITS = {
    "hari": "day", "hr": "day", "hri": "day", "minggu": "week", "mgg": "week", "pekan": "week",
    "bulan": "month", "bln": "month", "jam": "hour", "jm": "hour", "menit": "minute", "mnt": "minute",
    "mnit": "minute", "min": "minute", "m": "minute", "detik": "second", "dtk": "second",
}
_ZONE_SHIFT = {"wib": 0, "wita": 60, "wit": 120}   # minutes ahead of WIB
_FILLER = frozenset(
    "sekitar sekitaran skitar sktr kisaran kira kira2 kurang lebih lbh kurleb kl pada pd di itu yg yang "
    "tuh sih ya yah pas tepat tepatnya hari hr tanggal tgl jam pukul pkl waktu wkt an sama lah deh nih "
    "kak ka min gan sis bro om pak bu mas mbak mba".split())


def _alt(words: Iterable[str]) -> str:
    """Regex alternation, longest first; a space in a word matches any run of whitespace."""
    return "|".join(r"\s+".join(map(re.escape, w.split())) for w in sorted(set(words), key=len, reverse=True))


_B = r"(?<![\w.,:/-])"            # a number starts here, not inside another number or word
_E = r"(?![\w]|[.,:/-]\d)"        # ... and ends here
_NUM = rf"\d{{1,4}}|{_alt(_NUMBER_WORDS)}"
_HOUR = rf"\d{{1,2}}|{_alt(_NUMBER_WORDS)}"
_PART = _alt(_PART_BY_ALIAS)
_KEMARIN = r"ke?m[ae]?r[ie]?n+|yesterday"
_AGO = rf"(?:(?:yang|yg|yng)\s+)?(?:lalu|lalau|lalo|yll|sebelumnya|ke\s?belakang|ago|{_KEMARIN})"
_LAST = rf"(?:(?:yang|yg)\s+)?lalu|{_KEMARIN}"
_QTY = rf"(?:(?:{_NUM})\s*|se|setengah\s*)(?:{_alt(_UNITS)})(?![a-z])"
_NOT_DURATION = (r"(?!\s*(?:hari|hr|hri|minggu|mgg|pekan|bulan|bln|menit|mnt|detik)(?![a-z]))"   # "2-3 hari"
                 r"(?!\s*(?:jam|jm)(?![a-z])(?!\s*\.?\s*\d))")                                # "1-2 jam"
_SUFFIX = r"(?:\s*(?P<ampm>[ap]\.?m\.?)(?![a-z]))?(?:\s*(?P<tz>wib|wita|wit)(?![a-z]))?"
_DATE_WORD = r"(?:tanggal|tangal|tanggl|tggl|tgl|tg)\.?\s*"


# --- pieces of a description ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Day:
    """Candidate days, in order of preference."""

    dates: Tuple[date, ...]
    free: bool = False       # no day stated ("tadi", "jam 10"): the latest moment that is not in the future
    calendar: bool = False   # an explicit date; it wins over a day name next to it ("Rabu, 25 Nov")


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int = 0
    exact: bool = False          # a 24-hour reading ("14.30", "08", "jam 0"): no guessing between am and pm
    precise: bool = False        # minutes were given
    pm: Optional[bool] = None    # "am"/"pm" was written
    shift: int = 0               # minutes ahead of WIB
    weak: bool = False           # bare "9.05" counts only next to a day or a part of the day


@dataclass(frozen=True)
class _Piece:
    start: int = 0
    end: int = 0
    day: Optional[_Day] = None
    part: Optional[_Part] = None
    clock: Optional[_Clock] = None
    moment: Optional[Tuple[datetime, str]] = None   # already resolved ("barusan", "2 jam lalu")
    last_day: Optional[date] = None                 # a period of days ("minggu lalu"): its last day; no clock


_Builder = Callable[["re.Match[str]", datetime], Optional[_Piece]]
_RULES: List[Tuple["re.Pattern[str]", _Builder]] = []


def _rule(pattern: str) -> Callable[[_Builder], _Builder]:
    """Register a builder for the matches of ``pattern`` (on lowercased text)."""
    def register(builder: _Builder) -> _Builder:
        _RULES.append((re.compile(pattern), builder))
        return builder
    return register


def _number(text: str) -> Optional[int]:
    text = " ".join(text.split())
    return int(text) if text.isdecimal() else _NUMBER_WORDS.get(text)


def _month(word: str) -> Optional[int]:
    """Month number of a name, abbreviation or one-letter typo (``nov``, ``agt``, ``desembr``), else None."""
    if word in _MONTH_ALIASES:
        return _MONTH_ALIASES[word]
    found = {m for name, m in _MONTH_ALIASES.items()
             if (len(word) >= 3 and len(name) >= 5 and name.startswith(word))
             or (len(word) >= 5 and len(name) >= 6 and _one_edit(word, name))}
    return found.pop() if len(found) == 1 else None


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one insertion, deletion or substitution."""
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[i + 1:] == b[i + 1:] or a[i:] == b[i + 1:] or a[i + 1:] == b[i:]


def _recent(now: datetime) -> _Day:
    today = now.date()
    return _Day((today, today - timedelta(days=1), today - timedelta(days=2)), free=True)


def _floor(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def _make_clock(hour_text: str, minute_text: Optional[str] = None, ampm: Optional[str] = None,
                tz: Optional[str] = None, half: bool = False, approx: bool = False,
                weak: bool = False) -> Optional[_Clock]:
    """A clock reading, or None for an impossible one (``jam 25``, ``14:75``)."""
    hour, minute = _number(hour_text), int(minute_text) if minute_text else 0
    if hour is None or minute > 59:
        return None
    if half:                                   # "setengah 3" is 2.30
        if not 1 <= hour <= 12:
            return None
        hour, minute = hour - 1 or 12, 30
    if hour > 24 or (hour == 24 and minute) or (ampm and not 1 <= hour <= 12):
        return None
    exact = bool(minute_text) or hour == 0 or hour > 12 or (len(hour_text) == 2 and hour_text[0] == "0")
    return _Clock(hour, minute, exact=exact, precise=(bool(minute_text) or half) and not approx,
                  pm=ampm.startswith("p") if ampm else None, shift=_ZONE_SHIFT[tz or "wib"],
                  weak=weak and not (ampm or tz))


# --- rules ---------------------------------------------------------------------------------------------

@_rule(r"(?<!\w)(?:(?:tadi|td)\s+)?(?:barusan|brusan|barusn|brsn|(?:baru|br)\s+(?:saja|sj|aja|aj)|just\s+now)"
       r"(?:\s+(?:tadi|td))?(?!\w)")
def _just_now(m: "re.Match[str]", now: datetime) -> _Piece:
    return _Piece(moment=(_floor(now), "minute"))


@_rule(rf"(?<!\w)(?P<qty>{_QTY}(?:\s*(?:dan\s+)?{_QTY}){{0,2}})\s*{_AGO}(?!\w)"
       rf"|(?<!\w)(?:sudah|udah|udh|sdh|sdah|dah)\s+(?:sekitar\s+|hampir\s+|lebih\s+)?"
       rf"(?P<since>{_QTY}(?:\s*{_QTY}){{0,2}})")
def _ago(m: "re.Match[str]", now: datetime) -> Optional[_Piece]:
    """``3 hari yang lalu``, ``1 jam 30 menit lalu``, ``sudah 2 hari`` (2 days ago)."""
    delta, months, units = timedelta(), 0, set()
    for q in re.finditer(rf"(?:(?P<n>{_NUM})\s*|(?P<se>se)|(?P<half>setengah)\s*)(?P<unit>{_alt(_UNITS)})",
                         m.group("qty") or m.group("since")):
        n = 0.5 if q.group("half") else 1 if q.group("se") else _number(q.group("n"))
        unit = _UNITS[q.group("unit")]
        if n is None or n > 10_000:
            return None
        units.add(unit)
        if unit == "month":
            months += int(n)
        else:
            delta += timedelta(**{"weeks" if unit == "week" else unit + "s": n})
    if units & {"minute", "second"} or delta.seconds % 3600:
        finest = "minute"
    elif "hour" in units:
        finest = "hour"
    else:
        return _Piece(day=_Day((_months_back(now.date(), months) - delta,)))
    return _Piece(moment=(_floor(now - delta), finest))


def _months_back(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@_rule(rf"(?<!\w)(?:(?P<d2>(?:{_KEMARIN})\s+(?:lusa|dulu))|(?P<d1>{_KEMARIN})"
       rf"|(?P<d0>(?:hari|hr|hri)\s+(?:ini|ni)|today)"
       rf"|(?P<p1>besok|bsk|besuk|esok|tomorrow)|(?P<p2>lusa))(?!\w)")
def _relative_day(m: "re.Match[str]", now: datetime) -> _Piece:
    offset = {"d2": -2, "d1": -1, "d0": 0, "p1": 1, "p2": 2}[m.lastgroup or "d0"]
    return _Piece(day=_Day((now.date() + timedelta(days=offset),)))


@_rule(r"(?<!\w)(?:tadi|tdi|td)(?!\w)")
def _tadi(m: "re.Match[str]", now: datetime) -> _Piece:
    return _Piece(day=_recent(now))


@_rule(r"(?<!\w)(?:se?m[ae]?l[ae]?m)(?!\w)")
def _semalam(m: "re.Match[str]", now: datetime) -> _Piece:
    yesterday = now.date() - timedelta(days=1)
    return _Piece(day=_Day((yesterday, yesterday - timedelta(days=1))), part=_MALAM)


@_rule(rf"(?<!\w)(?P<part>{_PART})(?:\s+(?P<ini>ini|ni))?(?!\w)")
def _part_of_day(m: "re.Match[str]", now: datetime) -> _Piece:
    part = _PART_BY_ALIAS[" ".join(m.group("part").split())]
    return _Piece(part=part, day=_Day((now.date(),)) if m.group("ini") else None)


@_rule(rf"(?<!\w)(?:jam|jm|pukul|pkul|pkl|pk)\.?\s*(?P<half>(?:setengah|stengah|stgh)\s*)?(?P<h>{_HOUR})"
       rf"(?:[.:](?P<m>\d{{2}}))?(?P<an>-?an)?{_SUFFIX}{_E}")
def _clock_word(m: "re.Match[str]", now: datetime) -> Optional[_Piece]:
    """``jam 10``, ``pukul 08.15``, ``jam setengah 3``, ``jam 10an``, ``jam 9 pm``, ``jam 10 WITA``."""
    clock = _make_clock(m.group("h"), m.group("m"), m.group("ampm"), m.group("tz"),
                        half=bool(m.group("half")), approx=bool(m.group("an")))
    return _Piece(clock=clock) if clock else None


@_rule(rf"{_B}(?P<h>\d{{1,2}})(?P<sep>[.:])(?P<m>\d{{2}}){_SUFFIX}{_E}")
def _clock_digits(m: "re.Match[str]", now: datetime) -> Optional[_Piece]:
    """``10:30``, ``14.30 WIB``; a bare ``9.05`` is weak (it could be a price)."""
    clock = _make_clock(m.group("h"), m.group("m"), m.group("ampm"), m.group("tz"), weak=m.group("sep") == ".")
    return _Piece(clock=clock) if clock else None


@_rule(rf"{_B}(?P<h>\d{{1,2}}){_SUFFIX}(?:(?=\s*(?P<part>{_PART})(?!\w)))?{_E}")
def _clock_bare_hour(m: "re.Match[str]", now: datetime) -> Optional[_Piece]:
    """``10 pagi``, ``9pm``, ``10 WIB``: a bare hour counts only with a part of the day, am/pm or a zone."""
    if not (m.group("ampm") or m.group("tz") or m.group("part")):
        return None
    clock = _make_clock(m.group("h"), None, m.group("ampm"), m.group("tz"))
    return _Piece(clock=clock) if clock else None


def _calendar_day(day: int, month: int, year: Optional[int], now: datetime) -> Optional[_Piece]:
    """A calendar date; without a year, this year's or, when that is still to come, last year's."""
    if year is not None:
        year += 2000 if year < 100 else 0
        if not 1970 <= year <= 2100:
            return None
        try:
            return _Piece(day=_Day((date(year, month, day),), calendar=True))
        except ValueError:
            return None
    found = []
    for y in range(now.year, now.year - 9, -1):          # 29/02 needs the latest leap year
        try:
            found.append(date(y, month, day))
        except ValueError:
            continue
        if len(found) == 2:
            break
    return _Piece(day=_Day(tuple(found), calendar=True)) if found else None


@_rule(rf"{_B}(?P<word>{_DATE_WORD})?(?P<d>\d{{1,2}})(?P<sep>[/.-])(?P<m>\d{{1,2}})"
       rf"(?:(?P=sep)(?P<y>\d{{4}}|\d{{2}}))?{_E}{_NOT_DURATION}")
def _date_numeric(m: "re.Match[str]", now: datetime) -> Optional[_Piece]:
    """``20/11``, ``20-11-2026``, ``20.11.2026``; ``20.11`` is a time, and ``2-3`` (a range, a score) is no date."""
    sep, day, month = m.group("sep"), m.group("d"), m.group("m")
    if not m.group("y") and (sep == "." or (sep == "-" and not m.group("word") and len(day + month) < 3)):
        return None
    year = int(m.group("y")) if m.group("y") else None
    return _calendar_day(int(day), int(month), year, now)


@_rule(rf"{_B}(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}}){_E}")
def _date_iso(m: "re.Match[str]", now: datetime) -> Optional[_Piece]:
    return _calendar_day(int(m.group("d")), int(m.group("m")), int(m.group("y")), now)


@_rule(rf"{_B}(?:{_DATE_WORD})?(?P<d>\d{{1,2}})\s*[-/]?\s*(?P<mon>[a-z]{{3,10}})\.?"
       rf"(?:\s*[-/,]?\s*(?P<y>\d{{4}}))?{_E}")
def _date_month_name(m: "re.Match[str]", now: datetime) -> Optional[_Piece]:
    """``20 Nov``, ``20 November 2026``, ``tgl 5 agt``."""
    month = _month(m.group("mon"))
    year = int(m.group("y")) if m.group("y") else None
    return _calendar_day(int(m.group("d")), month, year, now) if month else None


@_rule(rf"(?<!\w)(?P<mon>[a-z]{{3,10}})\.?\s*(?P<d>\d{{1,2}})(?:(?:\s*,\s*|\s+)(?P<y>\d{{4}}))?{_E}{_NOT_DURATION}")
def _date_month_first(m: "re.Match[str]", now: datetime) -> Optional[_Piece]:
    """``Nov 20``, ``November 20, 2026``."""
    month = _month(m.group("mon"))
    year = int(m.group("y")) if m.group("y") else None
    return _calendar_day(int(m.group("d")), month, year, now) if month else None


@_rule(rf"(?:(?<!\w)(?:bulan|bln)\s+(?P<before>ini|{_LAST})\s*,?\s*|{_B}){_DATE_WORD}(?P<d>\d{{1,2}}){_E}"
       rf"(?:\s+(?:bulan|bln)\s+(?P<rel>ini|{_LAST})|\s+(?P<past>{_LAST}))?(?!\w)")
def _day_of_month(m: "re.Match[str]", now: datetime) -> Optional[_Piece]:
    """``tgl 20``: the latest 20th that is not in the future; ``tgl 20 bulan lalu``, ``bulan lalu tgl 20``,
    ``tanggal 30 bulan ini``; ``tanggal 3 kemarin``: the latest 3rd before today."""
    day, rel = int(m.group("d")), m.group("rel") or m.group("before")
    if not 1 <= day <= 31:
        return None
    found = []
    for back in ([0 if rel == "ini" else 1] if rel else range(24)):   # 31 skips the short months
        month_start = _months_back(now.date().replace(day=1), back)
        if day <= calendar.monthrange(month_start.year, month_start.month)[1]:
            candidate = month_start.replace(day=day)
            if not (m.group("past") and candidate >= now.date()):
                found.append(candidate)
        if len(found) == 2:
            break
    return _Piece(day=_Day(tuple(found), calendar=True)) if found else None


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _period(first: date, last: date, now: datetime) -> _Piece:
    """The days ``first`` to ``last``; a period under way ends today (on its first day, it is just today)."""
    return _Piece(day=_Day((first,)), last_day=now.date() if first <= now.date() < last else last)


@_rule(rf"(?<!\w)(?:(?P<week>minggu|mgg|pekan)|(?P<month>bulan|bln))\s+(?:(?P<this>ini|ni)|(?P<last>{_LAST}))(?!\w)")
def _week_or_month(m: "re.Match[str]", now: datetime) -> Optional[_Piece]:
    """``minggu lalu``, ``pekan kemarin``, ``minggu ini`` (Monday to Sunday); ``bulan lalu``, ``bulan ini``."""
    today, last = now.date(), bool(m.group("last"))
    if re.search(rf"{_DATE_WORD}\d{{1,2}}\s*$", m.string[max(0, m.start() - 20):m.start()]):
        return None                              # "tgl 31 bulan ini" names a day, and November has no 31st
    if m.group("week"):
        if m.group("week") == "minggu" and re.fullmatch(_KEMARIN, m.group("last") or ""):
            return None                          # "minggu kemarin" is last Sunday (see _weekday)
        monday = today - timedelta(days=today.weekday() + (7 if last else 0))
        return _period(monday, monday + timedelta(days=6), now)
    first = _months_back(today.replace(day=1), 1 if last else 0)
    return _period(first, _month_end(first), now)


_THIRDS = {"awal": 1, "pertengahan": 11, "tengah": 11, "akhir": 21, "ahir": 21}


@_rule(rf"(?<!\w)(?P<third>{_alt(_THIRDS)})\s+(?:bulan|bln)(?:\s+(?:(?P<this>ini|ni)|(?P<last>{_LAST})))?(?!\w)")
def _third_of_month(m: "re.Match[str]", now: datetime) -> _Piece:
    """``awal bulan`` (1-10), ``pertengahan bulan`` (11-20), ``akhir bulan lalu`` (21 to the end)."""
    today, first_day = now.date(), _THIRDS[m.group("third")]
    month = _months_back(today.replace(day=1), 1 if m.group("last") else 0)
    if not (m.group("this") or m.group("last")) and today.day < first_day:
        month = _months_back(month, 1)           # unsaid: the latest one that has begun
    last = month.replace(day=first_day + 9) if first_day < 21 else _month_end(month)
    return _period(month.replace(day=first_day), last, now)


@_rule(rf"(?<!\w)(?P<hari>(?:hari|hr)\s+)?(?P<wd>{_alt(_WEEKDAY_BY_ALIAS)})(?:\s+(?:(?P<lw>(?:minggu|pekan)\s+{_AGO})"
       rf"|(?P<strict>{_AGO})|(?P<next>depan)|(?P<this>ini)))?(?!\w)")
def _weekday(m: "re.Match[str]", now: datetime) -> Optional[_Piece]:
    """``hari senin``, ``Jumat`` (the latest Friday), ``senin kemarin``, ``senin minggu lalu``, ``senin depan``."""
    alias = " ".join(m.group("wd").split())
    strict = m.group("strict") or ""
    if alias in ("minggu", "mingu") and not m.group("hari") and (
            "lalu" in strict or m.group("next") or m.group("this")
            or re.search(rf"(?:\d|{_alt(_NUMBER_WORDS)})\s*$", m.string[:m.start()])):
        return None                              # "minggu lalu/depan/ini", "2 minggu": weeks, not Sunday
    weekday, today = _WEEKDAY_BY_ALIAS[alias], now.date()
    back = (today.weekday() - weekday) % 7
    if m.group("next"):
        return _Piece(day=_Day((today + timedelta(days=(7 - back) % 7 or 7),)))
    if m.group("lw"):
        day = today - timedelta(days=today.weekday() + 7 - weekday)
    else:
        day = today - timedelta(days=back or (7 if strict else 0))
    return _Piece(day=_Day((day, day - timedelta(days=7))))


# --- masking amounts and ids ---------------------------------------------------------------------------

_NOT_A_TIME = re.compile("|".join((
    r"(?<!\w)(?:0x)?[0-9a-f]{16,}(?!\w)",                                   # transaction hashes
    r"(?<!\w)(?=[a-z]*\d)[a-z0-9]{12,}(?!\w)",                               # addresses, order ids
    r"(?<!\w)(?:\+?62|0)\s?8\d{1,3}(?:[\s-]?\d{2,4}){2,3}(?!\w)",             # phone numbers
    r"\d{5,}",                                                               # account and order numbers
    r"(?<!\w)(?:bep|erc|trc|brc|arc|src|bsc)\s?-?\s?\d+(?!\w)",              # BEP20, TRC-20
    rf"(?<!\w)(?:selamat|slamat|slmt|met|mat)\s+(?:{_PART})(?!\w)",         # greetings
    rf"^\W*(?:{_PART})\s+(?:min|admin|kak|ka|gan|sis|bro|om|pak|bu|mas|mbak|mba|cs|semua)(?!\w)",
)))


def _prepare(text: str) -> str:
    """Lowercase (keeping every index) and blank out amounts, ids and greetings with ``#``."""
    lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    spans = [(a.start, a.end) for a in find_amounts(text, include_ambiguous=True)]
    spans += [match.span() for match in _NOT_A_TIME.finditer(lowered)]
    chars = list(lowered)
    for start, end in spans:
        chars[start:end] = "#" * (end - start)
    return "".join(chars)


# --- combining and resolving -------------------------------------------------------------------------

def _pieces(text: str, now: datetime) -> List[_Piece]:
    """Every piece, leftmost-longest, without overlaps."""
    found = []
    for order, (pattern, builder) in enumerate(_RULES):
        for match in pattern.finditer(text):
            try:
                piece = builder(match, now)
            except (ValueError, OverflowError):       # a date out of range: not a description
                piece = None
            if piece is not None:
                piece = replace(piece, start=match.start(), end=match.end())
                found.append((match.start(), -match.end(), order, piece))
    chosen: List[_Piece] = []
    for start, _, _, piece in sorted(found, key=lambda f: f[:3]):
        if not chosen or start >= chosen[-1].end:
            chosen.append(piece)
    return chosen


def _adjacent(group: _Piece, piece: _Piece, gap: str) -> bool:
    """Only filler between them ("kemarin sekitar jam 10"), or a stated day, a few words and then its time
    ("kemarin saya wd jam 10"; not a bare "10.50", which may be a price)."""
    if len(gap) <= 30 and "#" not in gap and all(w in _FILLER for w in re.findall(r"\w+", gap)):
        return True
    return (group.day is not None and not group.day.free and not (group.clock or group.part) and piece.day is None
            and bool(piece.part or (piece.clock and not piece.clock.weak))
            and len(gap) <= 40 and not re.search(r"[\d#.!?;]", gap))


def _merge(group: _Piece, piece: _Piece, gap: str) -> Optional[_Piece]:
    """``group`` extended with ``piece`` when they describe the same moment ("kemarin" + "jam 10"), else None."""
    if group.moment or piece.moment or group.last_day or piece.last_day or (group.clock and piece.clock):
        return None
    if not _adjacent(group, piece, gap):
        return None
    if group.part and piece.part and group.part != piece.part:
        return None
    day = group.day
    if piece.day:
        if day is None or (day.free and not piece.day.free) or (piece.day.calendar and not day.calendar):
            day = piece.day
        elif not (day.calendar and not piece.day.calendar):
            return None
    return _Piece(group.start, piece.end, day, group.part or piece.part, group.clock or piece.clock)


def _groups(text: str, pieces: List[_Piece]) -> List[_Piece]:
    groups: List[_Piece] = []
    for piece in pieces:
        merged = _merge(groups[-1], piece, text[groups[-1].end:piece.start]) if groups else None
        if merged:
            groups[-1] = merged
        else:
            groups.append(piece)
    return groups


def _part_hours(hour: int, part: _Part) -> List[int]:
    """Hours that ``jam <hour> <part>`` means: ``jam 1 siang`` 13, ``jam 12 malam`` 24 (midnight after)."""
    low, high = part.reach
    best = min((hour % 12 + k for k in (0, 12, 24)), key=lambda h: (max(low - h, h - high, 0), h))
    return [best, best - 24] if best >= 24 else [best]   # "kemarin jam 2 malam" may be 02:00 of that day


def _hours(clock: _Clock, part: Optional[_Part], free: bool) -> List[int]:
    """Hours ``clock`` may mean, most plausible first."""
    if clock.pm is not None:
        return [clock.hour % 12 + (12 if clock.pm else 0)]
    if part and clock.hour <= 12:
        return _part_hours(clock.hour, part)
    if clock.exact:
        return [clock.hour]
    h = clock.hour % 12
    if free:
        return [h, h + 12]                      # the caller keeps the latest one that has passed
    if h == 0:
        return [12, 24]
    return [h + 12, h] if h <= 6 else [h, h + 12]  # with a day: "jam 3" is 15:00, "jam 8" is 08:00


def _resolve(group: _Piece, now: datetime) -> Optional[Tuple[datetime, str]]:
    if group.moment:
        return group.moment
    clock, part = group.clock, group.part
    if clock and clock.weak and not (group.day or part):
        return None
    day = group.day or _recent(now)
    if clock:
        offsets = [h * 60 + clock.minute - clock.shift for h in _hours(clock, part, day.free)]
        precision = "minute" if clock.precise else "hour"
    elif part:
        offsets, precision = [part.start * 60], "part_of_day"
    else:
        offsets, precision = [0], "day"
    moments = [datetime(d.year, d.month, d.day, tzinfo=WIB) + timedelta(minutes=o)
               for d in day.dates for o in offsets]
    if day.free:
        moments.sort(reverse=True)
    past = [t for t in moments if t <= now]
    return (past[0] if past else moments[0]), precision


def find_when(text: str, now: datetime) -> Optional[When]:
    """The date or time described in ``text``, resolved against ``now``; None when there is none.

    Never raises. ``now`` may be in any zone (a naive ``now`` is taken as WIB); the result is in WIB.
    When the text has several descriptions, the first one wins, but a lone ``tadi`` yields to a later one.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        now = now.replace(tzinfo=WIB) if now.tzinfo is None else now.astimezone(WIB)
        prepared = _prepare(text)
        groups = _groups(prepared, _pieces(prepared, now))
        readings = [(g, _resolve(g, now)) for g in groups]
        resolved = [(g, r) for g, r in readings if r is not None]
        specific = [(g, r) for g, r in resolved if not (g.day and g.day.free and not (g.clock or g.part))]
        resolved = specific or resolved
    except (ValueError, OverflowError):
        return None
    if not resolved:
        return None
    group, (start, precision) = resolved[0]
    last_day = group.last_day if group.last_day and group.last_day > start.date() else None
    return When(start.astimezone(WIB), precision, group.start, group.end, last_day)
