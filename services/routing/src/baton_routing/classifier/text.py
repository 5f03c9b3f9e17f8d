"""Text as people write it, made ready for routing: a pure function, no models.

An e-mail carries much that says nothing about who must fix the problem: a greeting,
a sign-off and signature, a legal footer, earlier messages quoted below. Those are cut;
the subject (without "Re:"/"AW:") is kept apart so that models can weigh it; the
language is guessed from function words (English or German, cheap and good enough to
pick examples and report on, see bench/routing). A long body is cut down to its
first sentences plus the ones that ask for something, so that a paragraph of
background does not drown the one sentence that says what is wanted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from baton_routing.classifier.glossary import english, gloss

# An earlier message starts here: everything below it is someone else's text.
_QUOTE_HEADER = re.compile(
    r"^\s*(?:"
    r"on\s.{4,120}\swrote:?"  # On Thu, 5 Nov 2026 at 16:40, X <x@y> wrote:
    r"|am\s.{4,120}\sschrieb.{0,80}:?"  # Am 05.11.2026 um 16:40 schrieb X:
    r"|-{2,}\s*(?:original message|ursprüngliche nachricht|forwarded message"
    r"|weitergeleitete nachricht|begin forwarded message)\s*-*"
    r"|begin forwarded message:?|anfang der weitergeleiteten nachricht:?"
    r"|(?:from|von):\s.+\n\s*(?:sent|date|gesendet|datum|an|to|subject|betreff):.*"
    r")\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|hiya|dear|good\s+(?:morning|afternoon|evening)|greetings|hallo"
    r"|hi\s+there|guten\s+(?:tag|morgen|abend)|liebe[rs]?|sehr\s+geehrte[rs]?|moin|servus"
    r"|grüß\s+gott|grüezi|to\s+whom\s+it\s+may\s+concern)\b[^\n]{0,60}$",
    re.IGNORECASE,
)
# A line that closes the message: what follows is a name, a signature, a footer.
_SIGN_OFF = re.compile(
    r"^\s*(?:thanks|thank\s+you|many\s+thanks|thanks\s+in\s+advance|thx|ta|cheers|best"
    r"|best\s+regards|kind\s+regards|warm\s+regards|regards|sincerely|yours(?:\s+\w+)?"
    r"|all\s+the\s+best|br|kr|speak\s+soon|viele\s+grüße|vielen\s+dank(?:\s+im\s+voraus)?"
    r"|danke(?:\s+(?:schön|sehr|im\s+voraus|euch|ihnen|dir))?|besten\s+dank"
    r"|mit\s+freundlichen\s+grüßen|mfg|beste\s+grüße|liebe\s+grüße|lg|vg|freundliche\s+grüße"
    r"|herzliche\s+grüße|schöne\s+grüße|gruß|grüße|bis\s+bald)\b[\s,.!:;\-\u2013\u2014]*(?:\S+\s*){0,2}$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^\s*(?:--|__+|—)\s*$")
_DEVICE = re.compile(
    r"^\s*(?:sent\s+from\s+my\s+\w+|von\s+meinem\s+\w+\s+gesendet|gesendet\s+von).*$",
    re.IGNORECASE,
)
# Paragraphs of boilerplate: confidentiality notices, company registration, the planet.
_FOOTER = re.compile(
    r"confidential|intended\s+solely|intended\s+only|if\s+you\s+have\s+received\s+this"
    r"|disclaimer|registered\s+(?:in|office)|company\s+(?:no|number|registration)"
    r"|vertraulich|irrtümlich\s+erhalten|geschäftsführer|amtsgericht|handelsregister"
    r"|\bhrb\b|ust-?idnr|sitz\s+der\s+gesellschaft|please\s+consider\s+the\s+environment"
    r"|bitte\s+denken\s+sie\s+an\s+die\s+umwelt",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"^\s*(?:(?:t|tel|phone|fon|telefon|mobile|mobil|m|fax|e|email|e-mail|web|www)\s*[.:]"
    r"|\+?\d[\d\s()/-]{7,}$|\S+@\S+\.\w+$|(?:https?://|www\.)\S+$|\S+\.(?:com|org|net|de)$)",
    re.IGNORECASE,
)
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|fw|fwd|wg|antw|tr)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
# A sentence ends at . ! ? or a line break, but not after a day ("am 23. Januar") or an
# initial ("e. V.", "z. B.").
_SENTENCE = re.compile(r"(?<=[.!?])(?<!\d\.)(?<!\b\w\.)\s+|\n+")
# A sentence that asks for something: it carries the request, wherever it stands.
_ASK = re.compile(
    r"\?|\b(?:please|pls|can\s+you|could\s+you|would\s+you|i\s+need|i\s+want|i'd\s+like"
    r"|i\s+would\s+like|how\s+do\s+i|help|bitte|können\s+sie|könnten\s+sie|kannst\s+du"
    r"|könntet\s+ihr|ich\s+möchte|ich\s+brauche|ich\s+hätte\s+gern|wie\s+kann\s+ich)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-zäöüß]+", re.IGNORECASE)
_EN = frozenset(
    "the and is are was to of in for my i you it this that with have has not can could"
    " would please we our your on at be do does did an a from but there they what when"
    " thanks hello hi".split()
)
_DE = frozenset(
    "der die das und ist sind war zu von im in für mein meine ich sie es ein eine nicht"
    " kann können bitte wir unser ihr auf mit haben hat aber wenn was wie noch schon"
    " auch bei dass den dem des sehr vielen dank hallo grüße".split()
)


@dataclass(frozen=True)
class Cleaned:
    subject: str
    body: str  # the reporter's own newest words, without greeting, signature or quotes
    language: str  # "en", "de", or "und" (undetermined)

    def text(self, *, subject_weight: int = 2) -> str:
        """Subject and body for a bag-of-words model; the subject counts ``subject_weight``
        times, because it names the problem in a few words."""
        return "\n".join([*([self.subject] * subject_weight if self.subject else []), self.body])

    def focus(self, max_words: int = 80) -> str:
        """Subject, then as much of the body as a sentence model reads well; a longer body
        keeps its first sentence and the sentences that ask for something."""
        return "\n".join(p for p in (self.subject, focus(self.body, max_words)) if p)

    def for_text_model(self) -> str:
        """``text()``, and for German the English meaning of its words (``glossary.py``)."""
        return for_text_model(self.text(), self.language)

    def for_embedding(self) -> str:
        """``focus()``; for German, the English meaning of its words instead."""
        return for_embedding(self.focus(), self.language)


def for_text_model(text: str, language: str | None = None) -> str:
    """German text gains its words' English meaning: the sample the text model learns
    from is English, and the German examples then teach it the same words."""
    return gloss(text) if (language or detect_language(text)) == "de" else text


def for_embedding(text: str, language: str | None = None) -> str:
    """What the sentence model reads: for German text the English meaning of its words
    (the model is English; German words fall apart into pieces). A German text with no
    word in the glossary stays as it is."""
    if (language or detect_language(text)) != "de":
        return text
    return ", ".join(english(text)) or text


def strip_quoted(text: str) -> str:
    """The text above the first quoted or forwarded message, and without "> " lines.
    A bare forward (almost nothing of one's own) keeps the forwarded text instead."""
    own = _QUOTE_HEADER.split(text, maxsplit=1)[0]
    own = "\n".join(line for line in own.splitlines() if not line.lstrip().startswith(">"))
    if len(_WORD.findall(own)) >= 6:
        return own
    quoted = [line.lstrip("> ").rstrip() for line in text.splitlines()]
    return "\n".join(line for line in quoted if not _QUOTE_HEADER.match(line))


def strip_frame(text: str) -> str:
    """Without the greeting, the sign-off and everything after it (name, signature,
    contact lines), device lines and legal footers."""
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and _GREETING.match(lines[0]) and len(lines[0].split()) <= 8 and len(lines) > 1:
        lines.pop(0)
    kept: list[str] = []
    for line in lines:
        if _SIGNATURE.match(line) or (_SIGN_OFF.match(line) and len(line.split()) <= 6):
            if any(k.strip() for k in kept):
                break
            continue
        if _DEVICE.match(line):
            continue
        kept.append(line)
    paragraphs = [p for p in re.split(r"\n\s*\n", "\n".join(kept)) if p.strip()]
    # Footers, contact blocks and names close a message: only its last paragraphs are
    # cut, never the first (a grievance may well be "confidential", a caller a
    # "Geschäftsführerin").
    while len(paragraphs) > 1 and (
        _FOOTER.search(paragraphs[-1])
        or _is_contact_block(paragraphs[-1])
        or _is_name(paragraphs[-1])
    ):
        paragraphs.pop()
    return "\n\n".join(paragraphs)


def _is_contact_block(paragraph: str) -> bool:
    lines = [line for line in paragraph.splitlines() if line.strip()]
    return bool(lines) and sum(bool(_CONTACT.match(line)) for line in lines) * 2 >= len(lines)


def _is_name(paragraph: str) -> bool:
    # A closing paragraph of a few words and no sentence: a name, a team, a reference.
    words = paragraph.split()
    return len(words) <= 4 and not re.search(r"[.!?:]\s*$", paragraph.strip())


def focus(body: str, max_words: int) -> str:
    sentences = [s.strip() for s in _SENTENCE.split(body) if s.strip()]
    if sum(len(s.split()) for s in sentences) <= max_words:
        return " ".join(sentences)
    chosen = {0} | {i for i, s in enumerate(sentences) if _ASK.search(s)}
    picked, words = [], 0
    for i in sorted(chosen):
        n = len(sentences[i].split())
        if words + n > max_words and picked:
            break
        picked.append(sentences[i])
        words += n
    return " ".join(picked)


def detect_language(text: str) -> str:
    words = [w.lower() for w in _WORD.findall(text)]
    en = sum(w in _EN for w in words)
    de = sum(w in _DE for w in words) + 2 * sum(ch in "äöüß" for ch in text.lower())
    if en == de == 0:
        return "und"
    return "de" if de > en else "en"


def clean_subject(subject: str) -> str:
    return " ".join(_SUBJECT_PREFIX.sub("", subject).split())


# Words that say nothing about a department: never named as what drove a decision.
FUNCTION_WORDS = (
    _EN
    | _DE
    | frozenset(
        "help hi hello hallo thanks danke please bitte me am been will just so if or as".split()
    )
)


def clean(subject: str, description: str) -> Cleaned:
    body = strip_frame(strip_quoted(description.replace("\r\n", "\n")))
    body = re.sub(r"[ \t]+", " ", body).strip()
    subject = clean_subject(subject)
    return Cleaned(subject=subject, body=body, language=detect_language(f"{subject}\n{body}"))
