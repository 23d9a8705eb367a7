"""Customer text as canonical words, so patterns survive typos, slang and shouting.

``normalise`` lowercases, expands chat slang ("pls", "u", "wanna", "humen"), squeezes stretched
letters ("pleeease"), splits words glued to a small word ("tosomebody") and corrects a word one
edit away (two for long words) from a word the detectors look for ("supervsor", "huamn"). Each
canonical word keeps the span of the customer's own words, so evidence quotes what they wrote.

Only the detectors' own vocabulary is corrected, and common words that sit one edit from it
("managed", "layer", "steak") are protected: a correction must never invent a request.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property, lru_cache

from rapidfuzz.distance import OSA

# Messages longer than this are read at their head and tail: asks sit at either end of an email.
HEAD, TAIL = 3000, 1000

SLANG: dict[str, str] = {
    "pls": "please", "plz": "please", "plss": "please", "plse": "please", "pleas": "please",
    "pleeze": "please", "pleaze": "please", "u": "you", "ya": "you", "yu": "you", "ur": "your",
    "r": "are", "wanna": "want to", "gonna": "going to", "gotta": "got to", "gimme": "give me",
    "lemme": "let me", "dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "cant": "can't",
    "wont": "won't", "im": "i'm", "ive": "i've", "id": "i'd", "isnt": "isn't", "arent": "aren't",
    "ppl": "people", "hooman": "human", "humen": "human", "hmn": "human", "humain": "human",
    "humanbeing": "human being", "sb": "somebody", "smb": "somebody", "s1": "someone",
    "some1": "someone", "any1": "anyone", "rep": "representative", "reps": "representatives",
    "mgr": "manager", "mngr": "manager", "sup": "supervisor", "tlk": "talk", "tak": "talk",
    "tlak": "talk", "spk": "speak", "asap": "asap", "rn": "right now", "tho": "though",
    "bc": "because", "cuz": "because", "coz": "because", "k": "ok", "okay": "ok",
    "wth": "with", "wiht": "with", "wtih": "with", "wirh": "with", "wih": "with", "wit": "with",
    "witth": "with", "whith": "with", "tto": "to", "chatbot": "bot", "chatbots": "bots",
    "robo": "robot", "ther": "there",
}  # fmt: skip

# The words detectors look for; a misspelling of one is read as the word.
LEXICON: tuple[str, ...] = (
    "human", "humans", "person", "people", "agent", "agents", "someone", "somebody", "anyone",
    "anybody", "representative", "representatives", "operator", "operators", "employee",
    "assistant", "advisor", "consultant", "specialist", "supervisor", "manager", "superior",
    "lawyer", "lawyers", "attorney", "solicitor", "lawsuit", "legal", "court", "ombudsman",
    "speak", "speaking", "talk", "talking", "contact", "contacting", "connect", "transfer",
    "please", "really", "actual", "immediately", "urgent", "urgently", "emergency",
    "ridiculous", "useless", "unacceptable", "terrible", "pathetic", "frustrating", "frustrated",
    "customer", "service", "support", "escalate", "conversation", "machine", "robot", "someone",
    "chat", "with", "what",
)  # fmt: skip

# Real words one edit from the lexicon: never "corrected".
PROTECTED = frozenset(
    "managed manages manage managers layer layers later lower player prayer steak sneak speck "
    "speaks humane humor tumor talks walks walking stalking talked chalk chats chap that what "
    "when whit wish width withe cheat chart chant persons prison reason personal poison agency "
    "urgently argent agenda agents agent'somebody court courts count coast curt caught cort "
    "supporter supports service serviced servicer served lawyer's contract contacts connects "
    "transfers please pleased lease legally legals legate regal really realty "
    "sometime someones anyones person's actually actual factual mustard custom customs "
    "customers customer's escalator machines robots humans people peoples assistance assistants "
    "spoke speaker peak sweak".split()
)

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,;:!?()]")
_STRETCH = re.compile(r"([a-z])\1{2,}")
_GLUE = ("to", "a", "an", "with", "me", "the", "my", "your", "some")


@dataclass(frozen=True)
class Normalised:
    """Canonical words joined by single spaces, each mapped back to the customer's span."""

    source: str
    joined: str
    starts: tuple[int, ...]  # where each canonical word starts in ``joined``
    spans: tuple[tuple[int, int], ...]  # the customer's characters behind that word
    breaks: frozenset[int]  # positions in ``joined`` where a new clause starts (after . , ! ?)

    @cached_property
    def clauses(self) -> tuple[tuple[int, int], ...]:
        """Start and end in ``joined`` of each clause: the words between two breaks."""
        edges = sorted({0, *(b for b in self.breaks if b < len(self.joined))})
        ends = [b - 1 for b in edges[1:]] + [len(self.joined)]
        return tuple((start, end) for start, end in zip(edges, ends, strict=True) if end > start)

    def quote(self, start: int, end: int) -> str:
        """The customer's words behind ``joined[start:end]``."""
        # The words starting in [start, end): ``starts`` is sorted, so two bisections find them.
        covered = self.spans[bisect_left(self.starts, start) : bisect_left(self.starts, end)]
        if not covered:
            return self.joined[start:end]
        return self.source[covered[0][0] : covered[-1][1]]


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of neighbours is one edit); past ``limit``
    only "more than the limit" matters, so rapidfuzz stops there (``limit + 1``)."""
    return OSA.distance(a, b, score_cutoff=limit)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _build_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for word in dict.fromkeys(LEXICON):
        for key in {word, *_deletes(word)}:
            index.setdefault(key, []).append(word)
    return {key: tuple(words) for key, words in index.items()}


_INDEX = _build_index()
_KNOWN = frozenset(LEXICON) | PROTECTED


@lru_cache(maxsize=8192)
def correct(word: str) -> str:
    """The lexicon word ``word`` misspells, or ``word`` itself."""
    if len(word) < 5 or word in _KNOWN or not word.isalpha():
        return word
    limit = 2 if len(word) >= 9 else 1
    candidates = {c for key in {word, *_deletes(word)} for c in _INDEX.get(key, ())}
    if limit == 2:
        candidates |= {c for c in LEXICON if len(c) >= 9 and abs(len(c) - len(word)) <= 2}
    best = min(sorted(candidates), key=lambda c: _edit_distance(word, c, limit), default=word)
    return best if best != word and _edit_distance(word, best, limit) <= limit else word


def _unglue(word: str) -> list[str]:
    """``tosomebody`` → ``to somebody``: a small word glued to a lexicon word."""
    if word in _KNOWN or len(word) < 7 or correct(word) != word:
        return [word]
    for small in _GLUE:
        rest = word[len(small) :]
        if word.startswith(small) and correct(rest) in LEXICON and len(rest) >= 5:
            return [small, correct(rest)]
    return [word]


@lru_cache(maxsize=16384)
def _canonical(raw: str) -> tuple[str, ...]:
    """One token as canonical words: stretched letters squeezed to two, else to one."""
    squeezed = _STRETCH.sub(r"\1\1", raw)
    # No letter three times running (nearly every word): both squeezes leave it as it is.
    forms = (raw,) if squeezed == raw else (raw, squeezed, _STRETCH.sub(r"\1", raw))
    for word in dict.fromkeys(forms):
        if word in SLANG:
            return tuple(SLANG[word].split())
        if "'" in word:
            return (word,)
        parts = tuple(correct(part) for part in _unglue(word))
        if parts != (word,) or word in _KNOWN:
            return parts
    return (raw,)


# Short verbs are too close to common words to correct alone; before "to"/"with" they are asks.
_SHORT_VERBS = ("talk", "chat")
_SHORT_COMMON = frozenset(
    "walk that what chap tall task tank tack half balk chad chit chai take back talk chat "
    "with fall call wait want went sent".split()
)


@lru_cache(maxsize=4096)
def _short_verb(word: str) -> str:
    """The short verb ``word`` misspells before "to"/"with", or ``word`` itself."""
    if not 3 <= len(word) <= 5 or word in _SHORT_COMMON or not word.isalpha():
        return word
    return next((v for v in _SHORT_VERBS if _edit_distance(word, v, 1) <= 1), word)


def _correct_short(words: list[str]) -> list[str]:
    fixed = list(words)
    for i, word in enumerate(words[:-1]):
        if words[i + 1] in ("to", "with"):
            fixed[i] = _short_verb(word)
    return fixed


def _clip(text: str) -> str:
    if len(text) <= HEAD + TAIL:
        return text
    return text[:HEAD] + " \n " + text[-TAIL:]


def normalise(text: object) -> Normalised:
    """Canonical words of any value; non-text becomes empty text, never an error."""
    return _normalise(text if isinstance(text, str) else "")


# The same text is read by several detectors, and earlier messages again on every turn.
@lru_cache(maxsize=4096)
def _normalise(text: str) -> Normalised:
    source = _clip(text)
    lowered = unicodedata.normalize("NFKC", source).replace("\u2019", "'").lower()
    if len(lowered) != len(source):  # NFKC changed lengths: spans would drift
        lowered = source.replace("\u2019", "'").lower()
    words: list[str] = []
    starts: list[int] = []
    spans: list[tuple[int, int]] = []
    breaks: set[int] = set()
    position = 0
    for match in _TOKEN.finditer(lowered):
        raw = match.group()
        if not raw[0].isalnum():
            breaks.add(position)
            continue
        span = match.span()
        for word in _canonical(raw):
            words.append(word)
            starts.append(position)
            spans.append(span)
            position += len(word) + 1
    words = _correct_short(words)
    return Normalised(source, " ".join(words), tuple(starts), tuple(spans), frozenset(breaks))
