"""German words in English: the sentence model (all-MiniLM-L6-v2) is English and breaks
German words into pieces it has no meaning for, so a German issue is given the English
meaning of the words that name its problem ("Gehaltsabrechnung fehlt" gains "salary
statement", "Rücksendeetikett" gains "return label"). A glossary of a few hundred word
stems (``data/glossary-de-en.tsv``), written for routing, not a translation.

A word matches when it splits into glossary stems from its start (compounds, with the
linking "s", "n", "en", "es") and ends in an inflection; otherwise when it ends in a
stem of five letters or more (the head of a compound: "Heizkörperventil"), or begins
with one ("Lagerhelfer").
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

GLOSSARY = Path(__file__).parent / "data" / "glossary-de-en.tsv"
_ENDINGS = frozenset(
    "|e|en|n|s|es|er|ern|em|t|et|st|te|ten|tet|ung|ungen|ieren|iert|ierung|ierte".split("|")
)
_LINKS = ("", "s", "n", "en", "es", "e")
_WORD = re.compile(r"[a-zäöüß]+(?:-[a-zäöüß]+)*", re.IGNORECASE)


def fold(text: str) -> str:
    """Lowercase, umlauts as people type them without a German keyboard."""
    text = text.lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    return text


@cache
def _load(path: Path = GLOSSARY) -> tuple[dict[str, str], dict[str, str], int]:
    words: dict[str, str] = {}
    phrases: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        german, english = line.split("\t")
        (phrases if " " in german else words)[fold(german).strip()] = english.strip()
    return words, phrases, max(map(len, words))


def _split(word: str, words: dict[str, str], longest: int) -> list[str] | None:
    """The glossary stems ``word`` is made of, from its start, or None."""
    if word in _ENDINGS:
        return []
    for size in range(min(longest, len(word)), 2, -1):
        stem = word[:size]
        if stem not in words:
            continue
        rest = word[size:]
        for link in _LINKS:
            if rest.startswith(link):
                tail = _split(rest[len(link) :], words, longest)
                if tail is not None:
                    return [stem, *tail]
    return None


def _stems(word: str, words: dict[str, str], longest: int) -> list[str]:
    parts = [p for part in word.split("-") for p in (_split(part, words, longest) or [])]
    if parts:
        return parts
    for size in range(min(longest, len(word) - 1), 4, -1):  # a known first part
        if word[:size] in words:
            return [word[:size]]
    for start in range(1, max(len(word) - 4, 1)):  # the compound's head: its last stem
        head = word[start:]
        for end in range(len(head), 4, -1):
            if head[:end] in words and head[end:] in _ENDINGS:
                return [head[:end]]
    return []


def english(text: str) -> list[str]:
    """The English meanings of the German words and phrases in ``text``, in order, once."""
    words, phrases, longest = _load()
    folded = fold(text)
    found: list[tuple[int, str]] = []
    covered: set[int] = set()  # words inside a phrase mean what the phrase means
    for phrase, meaning in phrases.items():
        for m in re.finditer(rf"\b{re.escape(phrase)}\b", folded):
            found.append((m.start(), meaning))
            covered.update(range(m.start(), m.end()))
    for m in _WORD.finditer(folded):
        if m.start() not in covered:
            found.extend((m.start(), words[s]) for s in _stems(m.group(), words, longest))
    seen: dict[str, None] = {}
    for _, meaning in sorted(found, key=lambda f: f[0]):
        seen.setdefault(meaning, None)
    return list(seen)


def gloss(text: str) -> str:
    """``text`` with the English meaning of its German words on a line of its own."""
    meanings = english(text)
    return f"{text}\n({', '.join(meanings)})" if meanings else text
