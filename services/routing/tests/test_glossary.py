"""The German glossary: compounds split into known stems, inflections allowed, words that
merely begin like a stem in another language left alone."""

from baton_routing.classifier.examples import VectorCache
from baton_routing.classifier.glossary import english, gloss


def test_compounds_split_into_the_stems_they_are_made_of():
    assert english("Die Kreditkartenabrechnung") == ["credit card", "statement"]
    assert english("Ich brauche ein Rücksendeetikett") == ["return", "label"]
    assert english("Heizkörperventile") == ["radiators", "valves"]


def test_inflections_and_typed_umlauts_match():
    assert english("Bestellungen") == ["order"]
    assert english("Rueckerstattung") == english("Rückerstattung") == ["refund"]
    assert english("Die Bestellung wurde storniert") == ["order", "cancel order"]


def test_a_phrase_means_what_the_phrase_means_not_its_words():
    assert english("Der Code funktioniert nicht") == ["does not work"]


def test_text_without_german_words_is_left_as_it_is():
    assert english("about the lobby") == []
    assert gloss("The app crashes") == "The app crashes"


def test_the_examples_of_the_catalog_are_embedded_as_issues_are():
    class Recorder:
        def __init__(self) -> None:
            self.texts: list[str] = []

        def encode(self, text: str):
            import numpy as np

            self.texts.append(text)
            return np.ones(384) / np.sqrt(384)

    recorder = Recorder()
    cache = VectorCache(recorder)
    cache("Mir wurde der Betrag doppelt abgebucht.")
    cache("I was charged twice.")
    assert recorder.texts == ["amount, twice, charged", "I was charged twice."]
