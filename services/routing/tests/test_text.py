"""The text cleaner on messages as people write them, in English and German."""

from baton_routing.classifier.text import clean, detect_language, focus, for_embedding

EMAIL_EN = """Hello,

Thanks for confirming. The refund is £20 less than I paid though. Why?

Kind regards,

Sanjay Mehta
Accounts Payable | Copperleaf Architects
T: 020 7946 0781
copperleaf.example.org

This email and any attachments are confidential and intended solely for the addressee.

On Thu, 5 Nov 2026 at 16:40, Halden Returns <returns@example.com> wrote:
> Hi, your return has been received and checked.
> Your refund has been processed."""

EMAIL_DE = """Sehr geehrte Damen und Herren,

mein Paket lag in der Postfiliale, jetzt ist die Lagerfrist abgelaufen.
Bitte schicken Sie es mir noch einmal zu.

Mit freundlichen Grüßen
Erika Schöller

Am 03.11.2026 um 09:12 schrieb Halden Versand <versand@example.com>:
> Ihr Paket wurde an die Filiale übergeben.

Halden GmbH · Sitz der Gesellschaft: Berlin · Amtsgericht Charlottenburg HRB 000000"""


def test_an_english_email_keeps_only_the_reporters_own_words():
    cleaned = clean("RE: Your return is complete", EMAIL_EN)
    assert cleaned.subject == "Your return is complete"
    assert cleaned.body == "Thanks for confirming. The refund is £20 less than I paid though. Why?"
    assert cleaned.language == "en"


def test_a_german_email_loses_greeting_sign_off_quote_and_footer():
    cleaned = clean("AW: Paket in der Filiale", EMAIL_DE)
    assert cleaned.subject == "Paket in der Filiale"
    assert cleaned.body.startswith("mein Paket lag in der Postfiliale")
    assert cleaned.body.endswith("Bitte schicken Sie es mir noch einmal zu.")
    for gone in ("Sehr geehrte", "Grüßen", "Schöller", "Filiale übergeben", "Amtsgericht"):
        assert gone not in cleaned.body
    assert cleaned.language == "de"


def test_a_signature_after_dashes_and_a_device_line_are_cut():
    body = (
        "hi\nmy vpn drops every 10 minutes, can you help?\n--\nJo Park\nIT Ops\nSent from my iPhone"
    )
    assert clean("", body).body == "my vpn drops every 10 minutes, can you help?"


def test_a_bare_forward_keeps_what_was_forwarded():
    body = (
        "fyi\n\n---------- Forwarded message ---------\nFrom: A Customer <a@example.org>\n"
        "Date: Mon, 2 Nov 2026\n\nMy invoice shows the wrong VAT number, please correct it."
    )
    assert "wrong VAT number" in clean("Fwd: invoice", body).body


def test_the_subject_weighs_twice_for_the_text_model():
    cleaned = clean("Fwd: double charge", "Please look into it.")
    assert cleaned.text().splitlines() == ["double charge", "double charge", "Please look into it."]


def test_a_long_body_keeps_its_first_sentence_and_the_ones_that_ask():
    background = " ".join(
        f"We moved house in spring and sentence {n} is background." for n in range(30)
    )
    body = f"I am writing about my thermostat. {background} Could you send me a new invoice?"
    focused = focus(body, max_words=40)
    assert focused.startswith("I am writing about my thermostat.")
    assert focused.endswith("Could you send me a new invoice?")
    assert len(focused.split()) <= 40


def test_the_language_is_guessed_from_function_words():
    assert detect_language("Ich kann mich nicht anmelden, bitte helfen Sie mir") == "de"
    assert detect_language("I cannot log in, please help me with this") == "en"
    assert detect_language("HLD-2026-119310") == "und"


def test_a_footer_word_in_the_message_itself_does_not_cut_it():
    grievance = (
        "Dear Hana,\n\nI would like to raise a formal grievance about my team leader and "
        "discuss it confidentially.\n\nRegards,\nDani"
    )
    assert "formal grievance" in clean("Grievance", grievance).body
    call = "Anruf Frau Stein, Geschäftsführerin einer Kita, möchte ein Angebot für 9 Häuser."
    assert clean("Anruf", call).body == call


def test_a_footer_after_the_message_is_still_cut():
    body = (
        "Please correct the VAT number on my invoice.\n\nThis e-mail is confidential and "
        "intended solely for the addressee."
    )
    assert clean("", body).body == "Please correct the VAT number on my invoice."


def test_a_date_or_an_initial_does_not_end_a_sentence():
    background = " ".join(f"Satz {n} erzählt nur etwas über uns." for n in range(20))
    ask = "Können Sie am 23. Januar einen Vortrag halten?"
    body = f"Ich bin Vorsitzender des Vereins e. V. in Essen. {background} {ask}"
    assert focus(body, max_words=30).endswith(ask)


def test_german_is_read_by_the_sentence_model_in_its_words_english_meaning():
    german = clean("Gehaltsabrechnung", "In meiner Gehaltsabrechnung fehlen die Überstunden.")
    assert german.for_embedding() == "payslip, are missing, overtime"
    assert "(payslip, are missing, overtime)" in german.for_text_model()
    english = clean("Payslip", "My payslip is missing the overtime I worked.")
    assert english.for_embedding() == english.focus()
    assert for_embedding("Bitte um Rückruf unter 0151 000 2281") == "call back"
