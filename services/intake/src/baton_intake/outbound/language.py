"""Which language to answer in: the one the issue came in (a door that knows says
so; otherwise a cheap guess from common words), when Baton has templates for it."""

from __future__ import annotations

import re

LANGUAGES = ("en", "de")
FALLBACK = "en"
_WORD = re.compile(r"[a-zäöüß]+")
# Short, frequent words that are rare in the other language.
_COMMON = {
    "en": frozenset(
        "the and is are was were my your you i it this that not with have has for of to "
        "please thanks thank order from can cannot would could".split()
    ),
    "de": frozenset(
        "der die das und ist sind war mein meine ich nicht mit habe hat für von zu bitte "
        "danke bestellung ein eine kann können wurde noch auf".split()
    ),
}


def detect(text: str) -> str | None:
    """ "en" or "de" when the text leans clearly one way, else None."""
    counts = dict.fromkeys(_COMMON, 0)
    for word in _WORD.findall(text.lower()[:5_000]):
        for language, common in _COMMON.items():
            counts[language] += word in common
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    (best, hits), (_, runner_up) = ranked[0], ranked[1]
    return best if hits >= 2 and hits > runner_up else None


def supported(tag: str | None) -> str | None:
    """A language tag (de, de-AT, de_DE) as one Baton answers in, else None."""
    short = (tag or "").strip().split("-")[0].split("_")[0].lower()
    return short if short in LANGUAGES else None
