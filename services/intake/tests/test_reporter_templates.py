"""Messages to reporters in English and German (by the issue's language, falling
back to English), plain text and autoescaped HTML; and the cheap guess of the
language a report was written in."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from baton_intake.outbound.language import detect, supported
from baton_intake.outbound.render import letter

KINDS = ("acknowledged", "reassigned", "reply", "resolved")


def write(kind: str, language: str, **kw):
    values = dict(
        language=language, reference="BTN-0A1B2C3D", subject="Parcel <b>lost</b> & found",
        zone=ZoneInfo("Europe/Berlin"), signature="Shop support", route="email",
        department="customer_service", owner_name="Maya Cohen",
        due_at=datetime(2026, 11, 24, 12, tzinfo=UTC),
        body={"author": "Maya Cohen", "text": "We <script>found</script> it."},
        rating_link="https://help.example/links/rate/t" if kind == "resolved" else None,
    )  # fmt: skip
    return letter(kind, **(values | kw))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("language", "greeting", "reference"),
    [("en", "Hello,", "Your reference: BTN-0A1B2C3D"),
     ("de", "Guten Tag,", "Ihre Referenz: BTN-0A1B2C3D")],
)  # fmt: skip
def test_every_kind_in_both_languages_names_the_reference_and_threads_its_subject(
    kind, language, greeting, reference
):
    written = write(kind, language)
    assert written.subject == "Re: [BTN-0A1B2C3D] Parcel <b>lost</b> & found"
    assert written.text.startswith(greeting) and reference in written.text
    assert "Shop support" in written.text and written.language == language
    # HTML escapes what reporters and people wrote; plain text keeps it as written.
    assert "<b>lost</b>" not in written.html and "&lt;b&gt;lost&lt;/b&gt;" in written.html
    assert "<script>" not in written.html


def test_an_unknown_language_falls_back_to_english():
    assert write("acknowledged", "fr").text.startswith("Hello,")


def test_deadlines_and_departments_read_as_people_read_them():
    en, de = write("acknowledged", "en"), write("acknowledged", "de")
    assert "Customer service (Maya Cohen) is looking after it and aims to resolve it by " \
        "24 Nov 2026, 13:00 CET" in en.text  # fmt: skip
    assert "kümmert sich darum und will es bis 24.11.2026, 13:00 CET lösen" in de.text


def test_only_the_resolution_asks_for_a_rating():
    assert "https://help.example/links/rate/t" in write("resolved", "en").text
    assert 'href="https://help.example/links/rate/t"' in write("resolved", "de").html
    assert "links/rate" not in write("reply", "en").text


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hello, my order did not arrive and I would like a refund, please.", "en"),
        ("Hallo, meine Bestellung ist nicht angekommen. Bitte um Rückerstattung, danke.", "de"),
        ("Order 1234", None),  # too little to tell
        ("", None),
    ],
)
def test_the_language_is_guessed_from_common_words_or_not_at_all(text, language):
    assert detect(text) == language


def test_a_language_tag_is_one_baton_answers_in_or_none():
    assert [supported(t) for t in ("de-AT", "en_GB", "DE", "fr", None)] == [
        "de", "en", "de", None, None,
    ]  # fmt: skip
