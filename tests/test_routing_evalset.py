"""The routing evaluation tickets (bench/routing/data/tickets) keep the shape they promise.

Counts, allowed values, the dev/test split, and the signs of real-looking traffic that a
program can see: sign-offs, quoted earlier messages, German that is German, short and long
messages, two-topic messages with a reason, and few tickets that name their own department's
obvious keyword. The labels themselves are a human judgement (GUIDE.md); these tests only
check that every label and every cited rule exists.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TICKETS = ROOT / "bench" / "routing" / "data" / "tickets"
SPLITS = ("dev", "test")

DEPARTMENTS = {"it", "finance", "operations", "sales", "marketing", "hr", "customer_service"}
LANGUAGES = {"en", "de"}
CHANNELS = {"email", "web_form", "chat", "social", "phone", "agent"}
REPORTER_KINDS = {"customer", "employee"}
TRAITS = {"multi_topic", "buried_ask", "vague"}
FIELDS = {
    "id",
    "language",
    "channel",
    "reporter_kind",
    "subject",
    "description",
    "department",
    "notes",
    "traits",
}

SIGN_OFF = re.compile(
    r"(?im)^\s*(best|best regards|kind regards|warm regards|regards|many thanks|thanks|"
    r"thank you|cheers|ta|yours (sincerely|faithfully)|sincerely|best wishes|"
    r"mit freundlichen grüßen|freundliche grü(ß|ss)e|viele grüße|liebe grüße|beste grüße|"
    r"herzliche grüße|gruß|grüße|vg|lg|danke|hochachtungsvoll|sportliche grüße|"
    r"sent from my iphone|gesendet von meinem iphone)\b"
)
QUOTED = re.compile(
    r"(?m)(wrote:\s*$|schrieb .*:\s*$|^>|^-----Original Message-----|"
    r"^From: .*\n(Sent|Date): |^Von: .*\nGesendet: |^---------- Forwarded message)"
)
LEGAL_FOOTER = re.compile(r"(?i)confidential|vertraulich")
# Words that name a department's business outright. Most tickets should need more than
# spotting one of these for their own department.
GIVEAWAY = {
    "finance": r"refunds?|refunded|invoices?|billing|charged|charges?|payments?|"
    r"rückerstattung|erstattung|erstatten|rechnung(en)?|abbuchung|abgebucht|zahlung",
    "operations": r"deliver(y|ed)?|shipping|shipped|tracking|parcel|returns?|lieferung|"
    r"geliefert|versand|sendung|paket|retoure|rücksendung",
    "it": r"password|log ?in|sign ?in|vpn|laptop|passwort|kennwort|anmelden|anmeldung",
    "sales": r"quotes?|pricing|prices?|upgrade|bulk|angebot|preise?",
    "marketing": r"newsletters?|unsubscribe|promo(tion)?|discount code|campaign|"
    r"sponsor(ship|ing)?|gutscheincode|rabattcode|werbung",
    "hr": r"payroll|payslips?|salary|holiday|leave|gehalt|gehaltsabrechnung|urlaub|lohn|"
    r"bewerbung",
    "customer_service": r"complaint|feedback|beschwerde",
}


@cache
def split(name: str) -> tuple[dict, ...]:
    lines = (TICKETS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


def every() -> list[dict]:
    return [t for name in SPLITS for t in split(name)]


def test_each_file_is_under_a_megabyte() -> None:
    for name in (*(f"{s}.jsonl" for s in SPLITS), "GUIDE.md", "README.md", "LICENSE"):
        assert (TICKETS / name).stat().st_size < 1_000_000, name


@pytest.mark.parametrize("name", SPLITS)
def test_fields_and_allowed_values(name: str) -> None:
    for t in split(name):
        assert set(t) == FIELDS, t.get("id")
        assert re.fullmatch(r"t\d{4}", t["id"]), t["id"]
        assert t["language"] in LANGUAGES, t["id"]
        assert t["channel"] in CHANNELS, t["id"]
        assert t["reporter_kind"] in REPORTER_KINDS, t["id"]
        assert t["department"] in DEPARTMENTS, t["id"]
        assert isinstance(t["subject"], str) and isinstance(t["notes"], str), t["id"]
        assert isinstance(t["description"], str) and t["description"].strip(), t["id"]
        assert isinstance(t["traits"], list) and set(t["traits"]) <= TRAITS, t["id"]


def test_counts() -> None:
    tickets = every()
    assert len(tickets) >= 600
    languages = Counter(t["language"] for t in tickets)
    assert languages["de"] >= 150
    assert languages["en"] >= 300
    departments = Counter(t["department"] for t in tickets)
    assert set(departments) == DEPARTMENTS
    assert min(departments.values()) >= 50, departments
    assert sum(t["reporter_kind"] == "employee" for t in tickets) >= 80
    assert set(Counter(t["channel"] for t in tickets)) == CHANNELS


def test_ids_are_unique_and_splits_are_disjoint() -> None:
    dev, test = split("dev"), split("test")
    ids = [t["id"] for t in (*dev, *test)]
    assert len(ids) == len(set(ids))

    def bodies(name: str) -> set[str]:
        return {" ".join(t["description"].split()).lower() for t in split(name)}

    assert not bodies("dev") & bodies("test")


def test_split_is_about_forty_sixty_in_every_department_and_language() -> None:
    dev, test = split("dev"), split("test")
    assert 0.35 <= len(dev) / (len(dev) + len(test)) <= 0.45
    in_dev = Counter((t["department"], t["language"]) for t in dev)
    in_test = Counter((t["department"], t["language"]) for t in test)
    for key in in_dev | in_test:
        assert in_dev[key] > 0 and in_test[key] > in_dev[key], key


def test_no_two_descriptions_start_alike() -> None:
    prefixes = Counter(t["description"][:60] for t in every())
    assert [p for p, n in prefixes.items() if n > 1] == []


def test_messages_look_written_by_people() -> None:
    tickets = every()
    assert sum(bool(SIGN_OFF.search(t["description"])) for t in tickets) >= 100
    assert sum(bool(QUOTED.search(t["description"])) for t in tickets) >= 40
    assert sum(bool(LEGAL_FOOTER.search(t["description"])) for t in tickets) >= 5
    assert sum(t["subject"] == "" for t in tickets) >= 60
    social = [t for t in tickets if t["channel"] == "social"]
    assert len(social) >= 20
    assert all("@" in t["description"] for t in social)
    assert sum(bool(re.search(r"#\w", t["description"])) for t in social) >= 10
    chat = [t for t in tickets if t["channel"] == "chat"]
    formal = re.compile(r"(?i)^(dear|sehr geehrte|hello|guten tag)")
    assert sum(bool(formal.match(t["description"])) for t in chat) <= len(chat) // 10


def test_german_is_german() -> None:
    german = [t["description"] for t in every() if t["language"] == "de"]
    assert sum(bool(re.search("[äöüÄÖÜß]", d)) for d in german) >= 0.7 * len(german)
    assert sum("Sehr geehrte Damen und Herren" in d for d in german) >= 10
    assert sum("Mit freundlichen Grüßen" in d for d in german) >= 20
    du = re.compile(r"\b(du|dir|dich|dein\w*|euch|euer|eure\w*|könnt|habt)\b")
    sie = re.compile(r"\b(Sie|Ihnen|Ihre[mnrs]?)\b")
    assert sum(bool(du.search(d)) for d in german) >= 20
    assert sum(bool(sie.search(d)) for d in german) >= 40


def test_traits_match_the_text() -> None:
    tickets = every()
    multi = [t for t in tickets if "multi_topic" in t["traits"]]
    assert len(multi) >= 60
    assert all(t["notes"].strip() for t in multi)
    vague = [t for t in tickets if "vague" in t["traits"]]
    assert len(vague) >= 15
    assert all(len(t["description"]) <= 200 for t in vague)
    buried = [t for t in tickets if "buried_ask" in t["traits"]]
    assert len(buried) >= 10
    assert all(len(t["description"]) >= 600 for t in buried)


def test_notes_cite_only_rules_the_guide_has() -> None:
    guide = (TICKETS / "GUIDE.md").read_text(encoding="utf-8")
    rules = set(re.findall(r"\*\*(R\d+) ", guide))
    assert len(rules) >= 15
    cited = {r for t in every() for r in re.findall(r"\bR\d+\b", t["notes"])}
    assert cited and cited <= rules, cited - rules


def test_most_tickets_do_not_name_their_own_department() -> None:
    tickets = every()

    def names_own(t: dict) -> bool:
        text = f"{t['subject']} {t['description']}".lower()
        return bool(re.search(rf"\b({GIVEAWAY[t['department']]})\b", text))

    named = sum(names_own(t) for t in tickets)
    assert named < 0.5 * len(tickets)


def test_only_reserved_example_domains() -> None:
    # Invented people only: every address is on example.com/.org/.net (RFC 2606).
    text = " ".join(f"{t['subject']} {t['description']}" for t in every())
    domains = set(re.findall(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)", text))
    assert domains
    assert {d for d in domains if not re.search(r"(^|\.)example\.(com|org|net)$", d)} == set()


EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DE_DAYS = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DE_MONTHS = ("Jan", "Feb", "März", "Apr", "Mai", "Juni", "Juli", "Aug", "Sept", "Okt", "Nov", "Dez")
EN_DATE = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{1,2}) (\w{3}) (\d{4})")
DE_DATE = re.compile(r"\b(Mo|Di|Mi|Do|Fr|Sa|So)\., (\d{1,2})\. (\w+)\.? (\d{4})")


def test_quoted_dates_fall_on_their_weekdays() -> None:
    # Hand-written headers such as "On Mon, 2 Nov 2026" must name the real weekday.
    text = "\n".join(t["description"] for t in every())
    checked = 0
    for pattern, days, months in ((EN_DATE, EN_DAYS, EN_MONTHS), (DE_DATE, DE_DAYS, DE_MONTHS)):
        for day, d, month, year in pattern.findall(text):
            date = dt.date(int(year), months.index(month) + 1, int(d))
            assert date.weekday() == days.index(day), (day, d, month, year)
            checked += 1
    assert checked >= 20


def test_nothing_is_taken_from_the_bitext_sample() -> None:
    samples = sorted((ROOT / "services" / "routing").rglob("bitext*.jsonl"))
    assert samples, "the Bitext sample moved; point this test at it"
    bitext = {
        " ".join(json.loads(line)["text"].lower().split())
        for path in samples
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    ours = [" ".join(f"{t['subject']} {t['description']}".lower().split()) for t in every()]
    copied = [b for b in bitext if len(b) >= 30 and any(b in text for text in ours)]
    assert copied == []
