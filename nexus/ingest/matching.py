"""Reconciliation matching: which bank lines are which ledger entries.

A bank line and a ledger entry are the same money when they agree on currency and
amount (money in positive on both sides) and lie a few days apart. Everything else -
payee text, references, look-alikes nearby - says how sure we can be. All of it is
pure: values in, `Match` values out.

Evidence. Each candidate pair earns points (a score, not money):

- amount: equal amounts earn `AMOUNT_EQUAL_POINTS`. A payment bigger on the bank side
  by exactly what a `FeePattern` charges (a fixed part plus basis points of the entry
  amount, capped; the percentage rounded either way) earns `FEE_POINTS`; only money
  out carries fees, and a fee reading needs a word or the reference in common. A rare
  amount adds up to `AMOUNT_RARITY_POINTS`: the fewer entries of that amount a date
  window holds on average, the less likely a coincidence.
- date: up to `DATE_POINTS_MAX` by the days from entry to bank line. The curve is
  learnt from the run itself: the pairs that stand alone (the only candidate of both
  their line and their entry, with text or reference in common) show how many days
  this bank takes to book; until there are enough of them (`LAG_PRIOR_MATCHES`), a
  default slope falling over the window, twice as fast for a bank line dated before
  its entry.
- text: up to `TEXT_POINTS_MAX` from a 0-100 similarity. Texts are lower-cased and
  stripped of punctuation and bank boilerplate ("CARD PAYMENT", "SEPA DD"). Each word
  of the entry looks for itself among the bank words with the same key (its first
  three consonants: "amzn" and "amazon" are both "mzn"): equal, a truncated prefix,
  or a near spelling; words with digits count only when equal. A bank word of
  consonants only may spell consecutive entry words ("TLSRSN" for "Atlas Reisen").
  Words weigh by their rarity among the entries' texts (squared inverse document
  frequency), so "Isar" in "Isar Fitness" counts far more than "fitness", and card
  codes or store numbers on the bank side cost nothing. A bank text that names a
  payee (a word at most `NAMING_WORD_SHARE_MAX` of the entry texts use) and shows
  nothing of the entry's text costs `TEXT_CONFLICT_POINTS` ("text_conflict").
- reference: an equal non-empty reference adds `REFERENCE_POINTS`.

Candidates come from an index, never from comparing every pair. Each entry is filed
under (currency, bank amount) for every amount the bank could show for it - its own,
and for money out its amount plus each fee a pattern may charge - with dates sorted,
so a line finds all its candidates with one lookup and a bisection of its date
window. Text similarity is only computed for candidates that share a word key or the
reference (a bucket crowded within a window is also filed by key); a line that
shares nothing with any equal-amount entry keeps the `BLIND_PAIRS_PER_LINE_MAX`
closest in date.

Assignment. Pairs are taken highest evidence first, each line and entry at most once,
ties broken by a canonical order of the inputs (so input order does not matter);
pairwise swaps then fix crossings the greedy order left. A held pair's rival gap is
the evidence its best alternative would lose: a free candidate of its line or entry,
a swap with another match, or a free same-amount item left out of the candidates
(less `TEXT_CONFLICT_POINTS` when its text shares no word key with the other side
and that side's text names a payee or, as the held pair shows, reads well).
Confidence is the evidence plus up to `DISTINCT_POINTS` for a wide gap (all of it
from `DISTINCT_GAP_FULL`: "no_rival"), times `AMOUNT_DATE_ONLY_FACTOR` for a pair with
no text nor reference in common ("amount_and_date_only"), which a person confirms. A
gap under `ambiguity_margin` marks the match "ambiguous" and caps it below
auto-acceptance: two look-alikes need a person.

Groups. Unmatched items, and those of weak pairs (confidence at most
`CONTESTED_PAIR_CONFIDENCE_MAX`), are searched for one bank line that is the sum of
2..group_max entries (a deposit of receipts) and one entry paid in 2..group_max bank
lines (a split payment). Members share currency and sign, are smaller than the
target, lie on the bank side from `GROUP_EARLY_DAYS_MAX` day before to
`group_date_window_days` after, and share a word key with the anchor; for money in
(cash or cheque deposits name no payer) the `group_candidates_max` closest in date
count too. Pairs of members are found by hashing, bigger groups by a pruned
subset-sum search over the most relevant members, as many as keep the subsets of each
size under `group_subsets_max`. Groups are scored like pairs (mean member text, worst
date, references, the gap to the next combination); an exact sum of rare amounts is
itself evidence (`GROUP_RARITY_POINTS` times the rarity of the commonest member
amount), so a deposit naming no payer can be accepted when no other sum fits, while
sums of common amounts (two 50.00 for a 100.00) cannot. They compete with weak pairs:
the final selection takes proposals best first while their lines and entries are free.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import NamedTuple, TypeVar

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from nexus.core.heap import collector_paused

# Evidence points (see the module docstring).
AMOUNT_EQUAL_POINTS = 0.45
FEE_POINTS = 0.40
AMOUNT_RARITY_POINTS = 0.15  # times 1 / (1 + same-amount entries a window holds on average)
GROUP_POINTS = 0.25
GROUP_RARITY_POINTS = 0.45  # times the rarity of the commonest member amount
GROUP_SIZE_PENALTY_POINTS = 0.08  # per member beyond two: bigger sums match by chance
DATE_POINTS_MAX = 0.15
TEXT_POINTS_MAX = 0.25
TEXT_CONFLICT_POINTS = 0.25  # taken off when the bank text names someone else
REFERENCE_POINTS = 0.30
DISTINCT_POINTS = 0.30
DISTINCT_GAP_FULL = 0.30  # a rival gap this wide earns all of DISTINCT_POINTS
# A pair with neither text nor reference in common keeps this share of its confidence:
# the amount and the date alone never auto-accept, however lonely the pair. A wrong
# link would hide the real bank line's entry, which then gets posted a second time.
AMOUNT_DATE_ONLY_FACTOR = 0.92
EXACT_CONFIDENCE = 1.0
FUZZY_CONFIDENCE_MAX = 0.99
FEE_CONFIDENCE_MAX = 0.97
GROUP_CONFIDENCE_MAX = 0.97
RARE_AMOUNT_RARITY_MIN = 0.8  # rarity from which "amount_rare" is reported
CONFIDENCE_DECIMALS = 4

# Limits of the search.
EARLY_BANK_DATE_DAY_WEIGHT = 2  # a bank line before its entry: each day counts double
GROUP_EARLY_DAYS_MAX = 1  # group members on the bank side may be this many days early
BASIS_POINTS_PER_UNIT = 10_000
BLIND_PAIRS_PER_LINE_MAX = 3  # candidates sharing no word nor reference kept per line
LAG_LEARNING_SIMILARITY_MIN = 50  # lone pairs this similar teach the booking lag
READ_SIMILARITY_MIN = 50  # a bank text this similar to an entry's names that payee
LAG_PRIOR_MATCHES = 50  # the default slope counts as this many lone pairs
PAIR_SCAN_MAX = 16  # up to this many same-amount entries in a window are simply scanned
_NEVER = 2**62  # a bucket size no index reaches
SWAP_PASSES_MAX = 4
HIDDEN_RIVALS_SCAN_MAX = 8  # free same-amount items looked at per side for a rival
GROUP_SCAN_FACTOR = 4  # a group search looks at most this many times the members it wants
GROUP_SOLUTIONS_MAX = 8  # combinations kept per group search (the best and rivals)
CONTESTED_PAIR_CONFIDENCE_MAX = 0.75  # weaker pairs compete with groups for their items

# Text: how entry words find themselves among bank words.
WORD_KEY_CHARS = 3
WORD_FUZZY_RATIO_MIN = 80
WORD_PREFIX_CHARS_MIN = 3
WORD_PREFIX_CREDIT = 0.9
ABBREVIATION_CHARS_MIN = 4  # a bank word of this many consonants may abbreviate names
NAMING_WORD_SHARE_MAX = 0.05  # a word in at most this share of entry texts names a payee
ENTRY_COVERAGE_SHARE = 0.8  # the rest: how much of the bank text the entry explains
VOWELS = frozenset("aeiou")

# Words banks put around the payee; they say nothing about who was paid.
# fmt: off
BANK_NOISE_WORDS = frozenset({
    "card", "payment", "purchase", "pos", "sepa", "dd", "direct", "debit", "credit",
    "transfer", "standing", "visa", "mastercard", "maestro", "contactless", "ecom", "ref",
    "gmbh", "ltd", "inc", "ag", "kg",
})
# fmt: on


class MatchKind(StrEnum):
    EXACT = "exact"
    FUZZY = "fuzzy"
    FEE = "fee"
    ONE_TO_MANY = "one_to_many"  # one bank line, several entries (a deposit)
    MANY_TO_ONE = "many_to_one"  # several bank lines, one entry (a split payment)


class DuplicateMatchId(ValueError):
    """Two bank lines (or two entries) share an id; matches could not tell them apart."""


@dataclass(frozen=True, slots=True)
class MatchBankLine:
    """A bank line to reconcile; amount in minor units, money in positive."""

    id: str
    date: date
    amount_minor: int
    currency: str
    text: str
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class MatchEntry:
    """A ledger entry's posting on the bank account, signed like the bank line."""

    id: str
    date: date
    amount_minor: int
    currency: str
    text: str
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class FeePattern:
    """A fee the bank adds to a payment: `fixed_minor` plus `percent_basis_points` of
    the entry amount (150 = 1.5 %), the whole fee capped at `max_minor`."""

    fixed_minor: int
    percent_basis_points: int
    max_minor: int

    def __post_init__(self) -> None:
        if min(self.fixed_minor, self.percent_basis_points) < 0 or self.max_minor <= 0:
            raise ValueError("fee pattern parts must be >= 0 and max_minor > 0")
        if self.fixed_minor == 0 and self.percent_basis_points == 0:
            raise ValueError("a fee pattern must charge something")


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Limits of the matcher; the defaults suit a busy current account."""

    date_window_days: int = 5
    auto_accept_confidence: float = 0.95
    min_confidence: float = 0.5
    fee_patterns: tuple[FeePattern, ...] = (
        FeePattern(fixed_minor=0, percent_basis_points=150, max_minor=10_000),
        FeePattern(fixed_minor=35, percent_basis_points=0, max_minor=35),
    )
    group_max: int = 5
    group_date_window_days: int = 7
    candidates_per_line_max: int = 256  # same-amount (or fee) entries looked at per line
    group_candidates_max: int = 32  # members by date proximity per group search
    group_subsets_max: int = 1_000  # subsets of one size tried per group search
    ambiguity_margin: float = 0.05  # an alternative this close makes a match ambiguous
    ambiguous_confidence_max: float = 0.75

    def __post_init__(self) -> None:
        if self.date_window_days < 0 or self.group_date_window_days < 0:
            raise ValueError("date windows must be >= 0 days")
        if self.group_max < 2 or min(self.candidates_per_line_max, self.group_subsets_max) < 1:
            raise ValueError("group_max must be >= 2 and the candidate limits >= 1")
        if self.ambiguous_confidence_max >= self.auto_accept_confidence:
            raise ValueError("ambiguous matches must stay below auto-acceptance")


@dataclass(frozen=True, slots=True)
class Match:
    """Bank lines and entries that are the same money, how sure we are and why."""

    bank_line_ids: tuple[str, ...]
    entry_ids: tuple[str, ...]
    confidence: float
    reasons: tuple[str, ...]
    kind: MatchKind


def auto_accepted(match: Match, settings: MatchSettings) -> bool:
    """Whether `match` may be booked without a person looking at it."""
    return match.confidence >= settings.auto_accept_confidence and "ambiguous" not in match.reasons


# --- text --------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Lower-case `text`, drop punctuation and bank boilerplate words."""
    return " ".join(_cleaned_words(text))


def _cleaned_words(text: str) -> list[str]:
    return [word for word in default_process(text).split() if word not in BANK_NOISE_WORDS]


def word_key(word: str) -> str:
    """The blocking key of a word: its first consonants; numbers and short words as is."""
    if len(word) < WORD_PREFIX_CHARS_MIN or not word.isalpha():
        return word
    consonants = "".join(char for char in word if char not in VOWELS)[:WORD_KEY_CHARS]
    return consonants if len(consonants) >= 2 else word


def word_credit(entry_word: str, bank_word: str) -> float:
    """How well a bank word stands for an entry word with the same key (0..1)."""
    if entry_word == bank_word:
        return 1.0
    if not (entry_word.isalpha() and bank_word.isalpha()):
        return 0.0  # numbers and codes only count when equal
    if min(len(entry_word), len(bank_word)) >= WORD_PREFIX_CHARS_MIN and (
        entry_word.startswith(bank_word) or bank_word.startswith(entry_word)
    ):
        return WORD_PREFIX_CREDIT
    ratio = fuzz.ratio(entry_word, bank_word)
    return ratio / 100 if ratio >= WORD_FUZZY_RATIO_MIN else 0.0


class _Text(NamedTuple):
    id: int
    words: tuple[str, ...]
    word_keys: tuple[str, ...]  # the key of each word
    keys: frozenset[str]
    weights: tuple[float, ...]  # of each word; 0.0 for words no entry text uses
    abbreviations: tuple[str, ...]  # words that may be consonants of names ("tlsrsn")
    names: bool  # has a word few entry texts use: it says who was paid


def consonants(word: str) -> str:
    """The letters of `word` that are not vowels ("atlas" -> "tls")."""
    return "".join(char for char in word if char not in VOWELS)


def abbreviation_credits(abbreviation: str, words: Sequence[str]) -> list[float]:
    """Credit each entry word a consonant-only bank word spells ("tlsrsn": "Atlas Reisen")."""
    credits = [0.0] * len(words)
    for start in range(len(words)):
        rest, place, spelt = abbreviation, start, 0
        while rest and place < len(words) and words[place].isalpha():
            skeleton = consonants(words[place])
            if not skeleton:
                break
            if rest.startswith(skeleton):
                taken = len(skeleton)
            elif skeleton.startswith(rest):
                taken = len(rest)  # the bank cut the last word short
            else:
                break
            rest, place, spelt = rest[taken:], place + 1, spelt + taken
        if not rest and spelt >= ABBREVIATION_CHARS_MIN:
            for spelt_word in range(start, place):
                credits[spelt_word] = WORD_PREFIX_CREDIT
    return credits


class TextModel:
    """Cleaned texts, word weights learnt from the entries' texts, cached similarities."""

    def __init__(self, entry_texts: Iterable[str]) -> None:
        self._texts: dict[str, _Text] = {}
        self._by_words: dict[tuple[str, ...], _Text] = {}
        self._word_keys: dict[str, str] = {}
        self._weight: dict[str, float] = {}
        distinct = {tuple(_cleaned_words(text)) for text in set(entry_texts)}
        document_frequency: dict[str, int] = defaultdict(int)
        for words in distinct:
            for word in set(words):
                document_frequency[word] += 1
        self._weight = {
            word: math.log(1 + len(distinct) / count) ** 2
            for word, count in document_frequency.items()
        }
        self._weight_unknown = math.log(1 + max(1, len(distinct))) ** 2  # rarer than any
        self._naming_weight = math.log(1 + 1 / NAMING_WORD_SHARE_MAX) ** 2
        self._credit: dict[tuple[str, str], float] = {}
        self._similarity: dict[tuple[int, int], int] = {}

    def text(self, raw: str) -> _Text:
        """The cleaned words of `raw` with their keys and weights (cached)."""
        found = self._texts.get(raw)
        if found is None:
            known_weights, keep_all = self._weight, not self._weight
            # A number or code no entry text has (a card code, a store number) can match
            # nothing: drop it, so that bank texts differing only so share their scores.
            # (The words of `_cleaned_words`, filtered in the same pass.)
            words = tuple(
                [
                    word
                    for word in default_process(raw).split()
                    if word not in BANK_NOISE_WORDS
                    and (word.isalpha() or word in known_weights or keep_all)
                ]
            )
            found = self._by_words.get(words)
            if found is None:
                found = self._by_words[words] = self._new_text(words)
            self._texts[raw] = found
        return found

    def texts(self, raws: Iterable[str]) -> list[_Text]:
        """`text` of each of `raws`; one call for many, most of them cached."""
        cached, text = self._texts, self.text
        return [cached[raw] if raw in cached else text(raw) for raw in raws]

    def _new_text(self, words: tuple[str, ...]) -> _Text:
        word_keys, weights = [], []
        known_keys, known_weights = self._word_keys, self._weight
        for word in words:
            key = known_keys.get(word)
            if key is None:
                key = known_keys[word] = word_key(word)
            word_keys.append(key)
            weights.append(known_weights.get(word, 0.0))
        abbreviations = tuple(
            word
            for word in words
            if len(word) >= ABBREVIATION_CHARS_MIN and word.isalpha() and word == consonants(word)
        )
        names = bool(known_weights) and max(weights, default=0.0) >= self._naming_weight
        return _Text(
            len(self._by_words),
            words,
            tuple(word_keys),
            # An abbreviation starts with the key of the first name it spells, be that
            # name's key two consonants ("nvmrkt": "nova", key "nv") or three.
            frozenset(word_keys).union(word[:2] for word in abbreviations),
            tuple(weights),
            abbreviations,
            names,
        )

    def similarity(self, bank: _Text, entry: _Text) -> int:
        """0-100: how much of the entry text the bank text shows, rare words counting more."""
        if bank.keys.isdisjoint(entry.keys):
            return 0
        found = self._similarity.get((bank.id, entry.id))
        if found is None:
            found = self._similarity[(bank.id, entry.id)] = self._compute(bank, entry)
        return found

    def _best_credit(self, word: str, key: str, others: _Text) -> float:
        best = 0.0
        for other, other_key in zip(others.words, others.word_keys, strict=True):
            if other_key == key:
                credit = self._credit.get((word, other))
                if credit is None:
                    credit = self._credit[(word, other)] = word_credit(word, other)
                best = max(best, credit)
        return best

    def _compute(self, bank: _Text, entry: _Text) -> int:
        unknown = self._weight_unknown
        total = shown = 0.0
        bank_words = bank.words
        spelt = [0.0] * len(entry.words)
        for abbreviation in bank.abbreviations:
            credits = abbreviation_credits(abbreviation, entry.words)
            spelt = [max(pair) for pair in zip(spelt, credits, strict=True)]
        for word, key, weight, abbreviated in zip(
            entry.words, entry.word_keys, entry.weights, spelt, strict=True
        ):
            weight = weight or unknown
            total += weight
            if word in bank_words:
                shown += weight
            else:
                shown += weight * max(abbreviated, self._best_credit(word, key, bank))
        coverage = shown / total
        known_total = explained = 0.0
        for word, key, weight in zip(bank.words, bank.word_keys, bank.weights, strict=True):
            if weight:  # words no entry uses cannot be explained
                known_total += weight
                explained += (
                    weight if word in entry.words else weight * self._best_credit(word, key, entry)
                )
        if known_total:
            share = explained / known_total
            coverage = ENTRY_COVERAGE_SHARE * coverage + (1 - ENTRY_COVERAGE_SHARE) * share
        return round(100 * coverage)


# --- fees and dates ----------------------------------------------------------------


def date_closeness(*, delta_days: int, window_days: int) -> float:
    """1.0 on the same day, falling to 0 past the window; `delta_days` = bank - entry."""
    return max(0.0, 1.0 - _lag_days(delta_days) / (window_days + 1))


def _lag_days(delta_days: int) -> int:
    """Days from entry to bank line, a bank line dated before its entry counting double."""
    return delta_days if delta_days >= 0 else -delta_days * EARLY_BANK_DATE_DAY_WEIGHT


def fee_allowed(*, entry_minor: int, fee_minor: int, pattern: FeePattern) -> bool:
    """Whether `pattern` charges `fee_minor` on a payment of `entry_minor` (both > 0).

    A percentage fee may be rounded either way (less than one minor unit off); a fixed
    or capped fee must be exact.
    """
    return _fee_fits(entry_minor, fee_minor, pattern)


def _fee_fits(entry_minor: int, fee_minor: int, pattern: FeePattern) -> bool:
    if entry_minor <= 0 or fee_minor <= 0:
        return False
    scale = BASIS_POINTS_PER_UNIT
    uncapped_scaled = pattern.fixed_minor * scale + entry_minor * pattern.percent_basis_points
    if uncapped_scaled >= pattern.max_minor * scale:
        return fee_minor == pattern.max_minor
    return abs(fee_minor * scale - uncapped_scaled) < scale


def fee_images(*, entry_minor: int, pattern: FeePattern) -> list[int]:
    """The fees `pattern` may charge on a payment of `entry_minor` (> 0): the exact
    percentage rounded down and up (one value when exact or fixed), or the cap."""
    scale = BASIS_POINTS_PER_UNIT
    uncapped_scaled = pattern.fixed_minor * scale + entry_minor * pattern.percent_basis_points
    if uncapped_scaled >= pattern.max_minor * scale:
        fees = [pattern.max_minor]
    else:
        floor_minor, remainder = divmod(uncapped_scaled, scale)
        fees = [floor_minor, floor_minor + 1] if remainder else [floor_minor]
    return [fee for fee in fees if fee > 0 and _fee_fits(entry_minor, fee, pattern)]


@functools.cache
def fee_reason(pattern: FeePattern) -> str:
    """A short name of a fee pattern: "fee_1.5pct", "fee_fixed_35", "fee_35_plus_1.75pct"."""
    whole, hundredths = divmod(pattern.percent_basis_points, 100)
    percent = f"{whole}.{hundredths:02d}".rstrip("0").rstrip(".") + "pct"
    if pattern.fixed_minor == 0:
        return f"fee_{percent}"
    if pattern.percent_basis_points == 0:
        return f"fee_fixed_{pattern.fixed_minor}"
    return f"fee_{pattern.fixed_minor}_plus_{percent}"


# --- pair candidates ---------------------------------------------------------------


class _Pair(NamedTuple):
    evidence: float
    line: int
    entry: int
    delta_days: int
    fee_pattern: FeePattern | None
    fee_minor: int
    reference_equal: bool
    similarity: int
    rarity: float  # 1 / (1 + entries of this amount a date window holds on average)
    base_points: float  # amount (or fee) points plus rarity points
    text_conflict: bool  # the bank text names a payee and shows nothing of the entry's


class _DateIndex(NamedTuple):
    ordinals: list[int]  # ascending
    positions: list[int]  # canonical index of the item at the same place


class _Index:
    """Items of one side by (currency, value, key), dates ascending.

    `value` is the amount (pair search) or the sign (group search). Key "" holds every
    item. Buckets of at least `keyed_min` items are also split by key: the items whose
    text has that word key, or whose reference is the key after "#".
    """

    def __init__(
        self,
        items: Sequence[MatchBankLine | MatchEntry],
        *,
        keys: Sequence[frozenset[str]],
        by_amount: bool,
        keyed_min: int,
        only: Iterable[int] | None = None,
    ) -> None:
        self.items = items
        self.buckets: dict[str, dict[int, _DateIndex]] = defaultdict(dict)  # every item
        self.keyed_buckets: dict[tuple[str, int, str], _DateIndex] = {}
        for position in range(len(items)) if only is None else sorted(only):
            item = items[position]  # canonical order: dates ascending per currency
            value = item.amount_minor if by_amount else int(item.amount_minor > 0)
            bucket = self.buckets[item.currency].get(value)
            if bucket is None:
                bucket = self.buckets[item.currency][value] = _DateIndex([], [])
            bucket.ordinals.append(item.date.toordinal())
            bucket.positions.append(position)
        for currency, by_value in self.buckets.items():
            for value, every in by_value.items():
                if len(every.positions) >= keyed_min:
                    self._split_by_key(currency, value, every, keys)

    def _split_by_key(
        self, currency: str, value: int, every: _DateIndex, keys: Sequence[frozenset[str]]
    ) -> None:
        for ordinal, position in zip(every.ordinals, every.positions, strict=True):
            for key in sorted(keys[position]):
                bucket = self.keyed_buckets.get((currency, value, key))
                if bucket is None:
                    bucket = self.keyed_buckets[(currency, value, key)] = _DateIndex([], [])
                bucket.ordinals.append(ordinal)
                bucket.positions.append(position)

    def bucket(self, currency: str, value: int) -> _DateIndex | None:
        """Every item of (currency, value), dates ascending."""
        by_value = self.buckets.get(currency)
        return None if by_value is None else by_value.get(value)

    def keyed(
        self,
        *,
        currency: str,
        value: int,
        keys: Iterable[str],
        first: int,
        last: int,
        per_key_max: int | None = None,
    ) -> set[int]:
        """Positions that share one of `keys`, dated from ordinal `first` to `last`;
        a key shared by more than `per_key_max` of them says nothing and is passed over."""
        found: set[int] = set()
        for key in keys:
            bucket = self.keyed_buckets.get((currency, value, key))
            if bucket is not None:
                places = _slice(bucket, first_ordinal=first, last_ordinal=last)
                if per_key_max is None or len(places) <= per_key_max:
                    found.update(bucket.positions[places.start : places.stop])
        return found

    def window(
        self, currency: str, value: int, *, first: int, last: int
    ) -> tuple[_DateIndex, range] | None:
        """The bucket of (currency, value) and its places dated from ordinal `first` to
        `last`; None when there are none."""
        by_value = self.buckets.get(currency)
        bucket = None if by_value is None else by_value.get(value)
        if bucket is None:
            return None
        low = bisect.bisect_left(bucket.ordinals, first)
        high = bisect.bisect_right(bucket.ordinals, last, low)
        return (bucket, range(low, high)) if low < high else None


def _nearest(
    bucket: _DateIndex,
    places: range,
    *,
    center: int,
    first: int,
    scores: Sequence[float],
    count: int,
    scan_max: int,
) -> list[tuple[float, int]]:
    """Up to `count` (score, position) of `places` in `bucket`, best first; at most
    `scan_max` items are looked at. `scores[ordinal - first]` falls away from `center`
    on both sides."""
    ordinals, positions = bucket.ordinals, bucket.positions
    low, high = places.start, places.stop
    right = bisect.bisect_left(ordinals, center, low, high)
    left = right - 1
    found: list[tuple[float, int]] = []
    for _ in range(min(scan_max, high - low)):
        left_score = scores[ordinals[left] - first] if left >= low else -math.inf
        right_score = scores[ordinals[right] - first] if right < high else -math.inf
        if right_score >= left_score:
            place, score, right = right, right_score, right + 1
        else:
            place, score, left = left, left_score, left - 1
        found.append((score, positions[place]))
        if len(found) >= count:
            break
    return found


def _keys(texts: Sequence[_Text], references: Sequence[str | None]) -> list[frozenset[str]]:
    """For each item: the word keys of its text, and its reference marked with "#"."""
    return [
        text.keys | {"#" + reference} if reference else text.keys
        for text, reference in zip(texts, references, strict=True)
    ]


def _slice(bucket: _DateIndex | _ReadingBucket, *, first_ordinal: int, last_ordinal: int) -> range:
    low = bisect.bisect_left(bucket.ordinals, first_ordinal)
    return range(low, bisect.bisect_right(bucket.ordinals, last_ordinal, low))


class _Reading(NamedTuple):
    """How an entry would show on a bank line: as itself, or with a fee added."""

    fee_pattern: FeePattern | None
    fee_minor: int
    base_points: float  # amount (or fee) points plus rarity points
    rarity: float  # 1 / (1 + entries of this amount a date window holds on average)


class _ReadingBucket(NamedTuple):
    ordinals: list[int]  # entry dates, ascending
    positions: list[int]  # the entry at the same place
    readings: list[_Reading]  # and how it would show


class _BankAmountIndex:
    """Entries filed under every bank amount they could show, by currency: their own
    amount, and their amount plus each fee a pattern may charge (money out only), as
    far as some bank line shows that amount. Buckets crowded in some date window are
    also filed by word key."""

    def __init__(
        self,
        amount_keys: Sequence[tuple[str, int]],
        *,
        ordinals: Sequence[int],
        keys: Sequence[frozenset[str]],
        rarities: dict[tuple[str, int], float],
        line_amounts: Container[tuple[str, int]],
        settings: MatchSettings,
    ) -> None:
        # Filed amount by amount, not entry by entry: all entries of one amount show as
        # the same bank amounts, each in the same reading.
        groups: dict[tuple[str, int], _DateIndex] = {}
        for position, amount_key in enumerate(amount_keys):  # canonical: dates ascending
            group = groups.get(amount_key)
            if group is None:
                group = groups[amount_key] = _DateIndex([], [])
            group.ordinals.append(ordinals[position])
            group.positions.append(position)
        sources: dict[tuple[str, int], list[tuple[_DateIndex, _Reading]]] = defaultdict(list)
        readings = _readings_by_amount(rarities, line_amounts=line_amounts, settings=settings)
        for (currency, amount), shown in readings.items():
            for bank_minor, reading in shown:
                sources[(currency, bank_minor)].append((groups[(currency, amount)], reading))
        self.buckets: dict[str, dict[int, _ReadingBucket]] = defaultdict(dict)
        for (currency, bank_minor), shown_as in sources.items():
            self.buckets[currency][bank_minor] = _merged_bucket(shown_as)
        self._keys = keys
        self._by_key: dict[tuple[str, int], dict[str, _ReadingBucket]] = {}

    def by_key(self, currency: str, bank_minor: int) -> dict[str, _ReadingBucket]:
        """The bucket of (currency, bank amount) filed by word key, built when a crowded
        window first needs it."""
        found = self._by_key.get((currency, bank_minor))
        if found is None:
            found = self._by_key[(currency, bank_minor)] = {}
            every = self.buckets[currency][bank_minor]
            for ordinal, position, reading in zip(*every, strict=True):
                for key in self._keys[position]:
                    bucket = found.get(key)
                    if bucket is None:
                        bucket = found[key] = _ReadingBucket([], [], [])
                    bucket.ordinals.append(ordinal)
                    bucket.positions.append(position)
                    bucket.readings.append(reading)
        return found


def _merged_bucket(sources: Sequence[tuple[_DateIndex, _Reading]]) -> _ReadingBucket:
    """The entries of every source (a group of entries, positions ascending, and how
    they read), in position order; an entry in two sources keeps their order."""
    if len(sources) == 1:
        group, reading = sources[0]
        count = len(group.positions)
        return _ReadingBucket(list(group.ordinals), list(group.positions), [reading] * count)
    ordinals: list[int] = []
    positions: list[int] = []
    readings: list[_Reading] = []
    for group, reading in sources:
        ordinals += group.ordinals
        positions += group.positions
        readings += [reading] * len(group.positions)
    # A stable sort of the places by position, applied by itemgetter: no Python-level
    # step per entry. Two or more sources, none empty: itemgetter returns tuples.
    pick = operator.itemgetter(*sorted(range(len(positions)), key=positions.__getitem__))
    return _ReadingBucket(list(pick(ordinals)), list(pick(positions)), list(pick(readings)))


def _readings_by_amount(
    rarities: dict[tuple[str, int], float],
    *,
    line_amounts: Container[tuple[str, int]],
    settings: MatchSettings,
) -> dict[tuple[str, int], list[tuple[int, _Reading]]]:
    """For each (currency, amount) of the entries: the bank amounts such an entry could
    show, and as what, leaving out the amounts no bank line of that currency has (no
    line would look them up). The rarity of an amount is 1 / (1 + how many other
    entries of it a date window holds on average)."""
    found: dict[tuple[str, int], list[tuple[int, _Reading]]] = {}
    for (currency, amount), rarity in rarities.items():
        rare_points = AMOUNT_RARITY_POINTS * rarity
        shown = found[(currency, amount)] = []
        if (currency, amount) in line_amounts:
            shown.append((amount, _Reading(None, 0, AMOUNT_EQUAL_POINTS + rare_points, rarity)))
        if amount < 0:  # money out may carry a fee
            shown += [
                (amount - fee, _Reading(pattern, fee, FEE_POINTS + rare_points, rarity))
                for pattern in settings.fee_patterns
                for fee in fee_images(entry_minor=-amount, pattern=pattern)
                if (currency, amount - fee) in line_amounts
            ]
    return found


class _PairSearch:
    """Candidate pairs of bank lines and entries, and the rivals left out of them."""

    def __init__(
        self,
        lines: Sequence[MatchBankLine],
        entries: Sequence[MatchEntry],
        texts: TextModel,
        settings: MatchSettings,
    ) -> None:
        self.lines, self.entries, self.texts, self.settings = lines, entries, texts, settings
        # Plain per-position lists: the hot loops read these, not the scattered objects.
        self.line_ordinals = [line.date.toordinal() for line in lines]
        self.entry_ordinals = [entry.date.toordinal() for entry in entries]
        self.line_amounts = [line.amount_minor for line in lines]
        self.entry_amounts = [entry.amount_minor for entry in entries]
        self.line_currencies = [line.currency for line in lines]
        self.entry_currencies = [entry.currency for entry in entries]
        self.line_references = [line.reference or None for line in lines]
        self.entry_references = [entry.reference or None for entry in entries]
        self.line_texts = texts.texts(line.text for line in lines)
        self.entry_texts = texts.texts(entry.text for entry in entries)
        self.line_keys = _keys(self.line_texts, self.line_references)
        self.entry_keys = _keys(self.entry_texts, self.entry_references)
        window = settings.date_window_days
        amount_keys = list(zip(self.entry_currencies, self.entry_amounts, strict=True))
        self.entry_rarities = _amount_rarities(amount_keys, self.entry_ordinals, window_days=window)
        self.index = _BankAmountIndex(
            amount_keys,
            ordinals=self.entry_ordinals,
            keys=self.entry_keys,
            rarities=self.entry_rarities,
            line_amounts=set(zip(self.line_currencies, self.line_amounts, strict=True)),
            settings=settings,
        )
        # Date points by delta_days + window (delta_days = bank date - entry date) ...
        self.date_points_by_delta = [
            DATE_POINTS_MAX * date_closeness(delta_days=delta - window, window_days=window)
            for delta in range(2 * window + 1)
        ]
        # ... and by entry date - (bank date - window), for looking up entries of a line.
        self.date_points_by_entry_offset = self.date_points_by_delta[::-1]

    def pairs(self) -> dict[tuple[int, int], _Pair]:
        """Every candidate pair: the entries that could show as the line's amount (as
        themselves or with a fee) within the date window and share a word key or the
        reference; when none does, the `BLIND_PAIRS_PER_LINE_MAX` equal-amount ones
        closest in date."""
        found: dict[tuple[int, int], _Pair] = {}
        window, buckets = self.settings.date_window_days, self.index.buckets
        ordinals_of, amounts = self.line_ordinals, self.line_amounts
        for position, currency in enumerate(self.line_currencies):
            bucket = buckets[currency].get(amounts[position]) if currency in buckets else None
            if bucket is None:
                continue
            ordinal = ordinals_of[position]
            low = bisect.bisect_left(bucket.ordinals, ordinal - window)
            high = bisect.bisect_right(bucket.ordinals, ordinal + window, low)
            if low == high:
                continue
            if high - low <= PAIR_SCAN_MAX:
                shared, blind = self._scan(position, bucket, range(low, high))
            else:
                shared, blind = self._look_up(position, bucket, range(low, high))
            self._add_pairs(found, position, shared or blind, shared=bool(shared))
        return found

    def _scan(
        self, line: int, bucket: _ReadingBucket, places: range
    ) -> tuple[list[tuple[int, _Reading]], list[tuple[int, _Reading]]]:
        """A few entries in the window: those sharing a key with the line, and the
        equal-amount others closest in date."""
        keys, entry_keys = self.line_keys[line], self.entry_keys
        first = self.line_ordinals[line] - self.settings.date_window_days
        points = self.date_points_by_entry_offset
        shared: list[tuple[int, _Reading]] = []
        blind: list[tuple[float, int, _Reading]] = []
        low, high = places.start, places.stop
        for entry, reading, entry_ordinal in zip(
            bucket.positions[low:high],
            bucket.readings[low:high],
            bucket.ordinals[low:high],
            strict=True,
        ):
            if not keys.isdisjoint(entry_keys[entry]):
                shared.append((entry, reading))
            elif reading.fee_pattern is None:  # a fee reading needs something in common
                blind.append((-points[entry_ordinal - first], entry, reading))
        if shared:
            return shared, []
        blind.sort(key=operator.itemgetter(0, 1))
        return [], [(entry, reading) for _, entry, reading in blind[:BLIND_PAIRS_PER_LINE_MAX]]

    def _look_up(
        self, line: int, bucket: _ReadingBucket, places: range
    ) -> tuple[list[tuple[int, _Reading]], list[tuple[int, _Reading]]]:
        """Many entries in the window: find the sharing ones by key, the others by date."""
        window, currency = self.settings.date_window_days, self.line_currencies[line]
        ordinal, amount = self.line_ordinals[line], self.line_amounts[line]
        shared: dict[int, _Reading] = {}
        by_key = self.index.by_key(currency, amount)
        for key in self.line_keys[line]:
            keyed = by_key.get(key)
            if keyed is not None:
                for place in _slice(
                    keyed, first_ordinal=ordinal - window, last_ordinal=ordinal + window
                ):
                    shared.setdefault(keyed.positions[place], keyed.readings[place])
        if shared:
            chosen = sorted(shared)[: self.settings.candidates_per_line_max]
            return [(entry, shared[entry]) for entry in chosen], []
        points, first = self.date_points_by_entry_offset, ordinal - window
        blind = sorted(
            (-points[bucket.ordinals[place] - first], bucket.positions[place], place)
            for place in places[: self.settings.candidates_per_line_max]
            if bucket.readings[place].fee_pattern is None
        )[:BLIND_PAIRS_PER_LINE_MAX]
        return [], [(entry, bucket.readings[place]) for _, entry, place in blind]

    def learn_date_points(self, pairs: dict[tuple[int, int], _Pair]) -> None:
        """Learn how many days the bank books after the entry from the pairs that stand
        alone (the only candidate of both their line and their entry, with text or
        reference in common), and score dates by that instead of the default slope."""
        lines = Counter(map(operator.itemgetter(0), pairs))
        entries = Counter(map(operator.itemgetter(1), pairs))
        window = self.settings.date_window_days
        counts = [0] * (2 * window + 1)
        for (line, entry), pair in pairs.items():
            strong = pair.reference_equal or pair.similarity >= LAG_LEARNING_SIMILARITY_MIN
            if strong and pair.fee_pattern is None and lines[line] == entries[entry] == 1:
                counts[pair.delta_days + window] += 1
        prior = [points / sum(self.date_points_by_delta) for points in self.date_points_by_delta]
        weight = LAG_PRIOR_MATCHES
        likelihood = [
            (count + weight * share) / (sum(counts) + weight)
            for count, share in zip(counts, prior, strict=True)
        ]
        self.date_points_by_delta = [DATE_POINTS_MAX * p / max(likelihood) for p in likelihood]
        self.date_points_by_entry_offset = self.date_points_by_delta[::-1]
        date_points = self.date_points_by_delta
        for key, pair in pairs.items():
            points = pair.base_points + date_points[pair.delta_days + window]
            points += TEXT_POINTS_MAX * pair.similarity / 100
            if pair.reference_equal:
                points += REFERENCE_POINTS
            if pair.text_conflict:
                points -= TEXT_CONFLICT_POINTS
            pairs[key] = _Pair(round(points, CONFIDENCE_DECIMALS), *pair[1:])

    def _add_pairs(
        self,
        found: dict[tuple[int, int], _Pair],
        line: int,
        candidates: list[tuple[int, _Reading]],
        *,
        shared: bool,
    ) -> None:
        """File the pair of `line` and each candidate entry; an entry with two readings
        keeps the first (fee patterns in their order). Text similarity only for those
        that share a key: the others have none."""
        ordinal, reference, text = (
            self.line_ordinals[line],
            self.line_references[line],
            self.line_texts[line],
        )
        entry_ordinals, entry_references = self.entry_ordinals, self.entry_references
        entry_texts, similarity_of = self.entry_texts, self.texts.similarity
        for entry, reading in candidates:
            if (line, entry) in found:
                continue
            similarity = similarity_of(text, entry_texts[entry]) if shared else 0
            found[(line, entry)] = _Pair(
                0.0,  # scored once the booking lag is learnt (`learn_date_points`)
                line,
                entry,
                ordinal - entry_ordinals[entry],
                reading.fee_pattern,
                reading.fee_minor,
                reference is not None and reference == entry_references[entry],
                similarity,
                reading.rarity,
                reading.base_points,
                similarity == 0 and text.names,
            )

    def hidden_rivals(self, held: dict[int, _Pair]) -> _HiddenRivals:
        """Free items (held by no pair) by amount, to find rivals left out of the pairs."""
        free_lines = set(range(len(self.lines))).difference(held)
        free_entries = set(range(len(self.entries))).difference(p.entry for p in held.values())
        return _HiddenRivals(
            self,
            lines=_Index(
                self.lines, keys=self.line_keys, by_amount=True, keyed_min=_NEVER, only=free_lines
            ),
            entries=_Index(
                self.entries,
                keys=self.entry_keys,
                by_amount=True,
                keyed_min=_NEVER,
                only=free_entries,
            ),
        )


class _HiddenRivals:
    """The best free same-amount item either side of a held pair could have had."""

    def __init__(self, search: _PairSearch, *, lines: _Index, entries: _Index) -> None:
        self.search, self.free_lines, self.free_entries = search, lines, entries

    def evidence(self, held: _Pair) -> float:
        """Evidence, text aside, of the best such rival (-inf: none). Candidates left
        out of the pair list (blind ones past the closest few) count here. A rival
        sharing no word key with the other side loses `TEXT_CONFLICT_POINTS` when the
        bank text names a payee, as it would as a pair, or when the held pair reads
        well: its payee shows in bank text, and the rival's text shows none of it."""
        search, window = self.search, self.search.settings.date_window_days
        currency = search.line_currencies[held.line]
        line_keys, entry_keys, line_texts = search.line_keys, search.entry_keys, search.line_texts
        reads = held.similarity >= READ_SIMILARITY_MIN
        best = -math.inf
        # Most held pairs have no free look-alike in the window: find that out first.
        center = search.line_ordinals[held.line]
        rivals = self.free_entries.window(
            currency, search.entry_amounts[held.entry], first=center - window, last=center + window
        )
        if rivals is not None:
            keys = line_keys[held.line]
            names = reads or line_texts[held.line].names
            best = self._nearest(
                rivals,
                center,
                search.date_points_by_entry_offset,
                lambda rival: names and keys.isdisjoint(entry_keys[rival]),
            )
        center = search.entry_ordinals[held.entry]
        rivals = self.free_lines.window(
            currency, search.line_amounts[held.line], first=center - window, last=center + window
        )
        if rivals is not None:
            keys = entry_keys[held.entry]
            best = max(
                best,
                self._nearest(
                    rivals,
                    center,
                    search.date_points_by_delta,
                    lambda rival: (
                        (reads or line_texts[rival].names) and keys.isdisjoint(line_keys[rival])
                    ),
                ),
            )
        return held.base_points + best

    def _nearest(
        self,
        rivals: tuple[_DateIndex, range],
        center: int,
        scores: list[float],
        conflicts: Callable[[int], bool],
    ) -> float:
        """The best date score of a free rival, less the conflict points of its text."""
        best = -math.inf
        for score, rival in _nearest(
            *rivals,
            center=center,
            first=center - self.search.settings.date_window_days,
            scores=scores,
            count=HIDDEN_RIVALS_SCAN_MAX,
            scan_max=self.search.settings.candidates_per_line_max,
        ):
            if not conflicts(rival):
                return max(best, score)  # closest first: no later one scores more
            best = max(best, score - TEXT_CONFLICT_POINTS)
        return best


def _amount_rarities(
    amount_keys: Sequence[tuple[str, int]], ordinals: Sequence[int], *, window_days: int
) -> dict[tuple[str, int], float]:
    """For each (currency, amount) of `amount_keys` (the items' in canonical order,
    `ordinals` their dates): 1 / (1 + how many other items of it a date window holds
    on average)."""
    currencies = [currency for currency, _ in amount_keys]
    counts = Counter(amount_keys)
    # Canonical order sorts by currency, then date: the last write per currency wins.
    first = dict(zip(reversed(currencies), reversed(ordinals), strict=True))
    last = dict(zip(currencies, ordinals, strict=True))
    window = 2 * window_days + 1
    span_days = {currency: max(last[currency] - first[currency] + 1, window) for currency in first}
    return {
        (currency, amount): 1 / (1 + (count - 1) * window / span_days[currency])
        for (currency, amount), count in counts.items()
    }


# --- pair assignment ---------------------------------------------------------------


class _Assignment:
    """Which pair holds each line and entry, with every candidate to revise it."""

    def __init__(self, pairs: dict[tuple[int, int], _Pair]) -> None:
        # Best evidence first, then by line and entry: a stable sort keeps the order of
        # equal keys, also in reverse, so two sorts on C-level keys do it.
        self.pairs = sorted(pairs.values(), key=operator.itemgetter(1, 2))
        self.pairs.sort(key=operator.itemgetter(0), reverse=True)
        self.by_key = pairs
        self.line_options: dict[int, list[_Pair]] = defaultdict(list)
        self.entry_options: dict[int, list[_Pair]] = defaultdict(list)
        for pair in self.pairs:  # best first
            self.line_options[pair.line].append(pair)
            self.entry_options[pair.entry].append(pair)
        self.of_line: dict[int, _Pair] = {}
        self.of_entry: dict[int, _Pair] = {}

    def take(self, pair: _Pair) -> None:
        self.of_line[pair.line] = pair
        self.of_entry[pair.entry] = pair

    def drop(self, pair: _Pair) -> None:
        del self.of_line[pair.line]
        del self.of_entry[pair.entry]

    def swap_partner(self, held: _Pair, option: _Pair) -> tuple[_Pair, _Pair] | None:
        """For `option` (held's line, another entry): the match holding that entry and
        the pair its line would form with held's entry, if both exist."""
        other = self.of_entry.get(option.entry)
        if other is None or other is held:
            return None
        crossed = self.by_key.get((other.line, held.entry))
        return None if crossed is None else (other, crossed)


def _assign_greedily(assignment: _Assignment) -> None:
    for pair in assignment.pairs:
        if pair.line not in assignment.of_line and pair.entry not in assignment.of_entry:
            assignment.take(pair)


def _swap_improvements(assignment: _Assignment) -> None:
    """Swap the entries of two matches wherever that raises their total evidence.

    A line's verdict depends only on the pair holding it and on those holding its
    options' entries, so a pass looks again only at the lines a swap touched: the
    same swaps in the same order as looking at every line in every pass.
    """
    contested = sorted(
        line for line, options in assignment.line_options.items() if len(options) > 1
    )
    due = set(contested)  # lines whose verdict may have changed since last looked at
    for _ in range(SWAP_PASSES_MAX):
        swapped = False
        for line in contested:
            if line not in due:
                continue
            due.discard(line)
            held = assignment.of_line.get(line)
            if held is None:
                continue
            for option in assignment.line_options[line]:
                partner = assignment.swap_partner(held, option)
                if partner is None:
                    continue
                other, crossed = partner
                if option.evidence + crossed.evidence > held.evidence + other.evidence + 1e-9:
                    for pair in (held, other):
                        assignment.drop(pair)
                    for pair in (option, crossed):
                        assignment.take(pair)
                    for entry in (held.entry, other.entry):
                        due.update(pair.line for pair in assignment.entry_options[entry])
                    swapped = True
                    break
        if not swapped:
            return


def _rival_gaps(assignment: _Assignment, search: _PairSearch) -> dict[int, float]:
    """For each held pair, by its line, the evidence its best alternative would lose
    (inf: none)."""
    gaps = dict.fromkeys(assignment.of_line, math.inf)
    hidden = search.hidden_rivals(assignment.of_line)
    of_line, of_entry = assignment.of_line, assignment.of_entry
    date_points_max = max(search.date_points_by_delta)  # no rival's date scores more
    for held in of_line.values():
        gap = gaps[held.line]
        line_options = assignment.line_options[held.line]
        for option in line_options if len(line_options) > 1 else ():
            if option is held:
                continue
            if option.entry not in of_entry:
                gap = min(gap, held.evidence - option.evidence)
                continue
            partner = assignment.swap_partner(held, option)
            if partner is not None:
                other, crossed = partner
                loss = held.evidence + other.evidence - option.evidence - crossed.evidence
                gap = min(gap, loss)
                gaps[other.line] = min(gaps[other.line], loss)
        entry_options = assignment.entry_options[held.entry]
        for option in entry_options if len(entry_options) > 1 else ():
            if option.line not in of_line:
                gap = min(gap, held.evidence - option.evidence)
        # A rival left out of the pairs has no text and no reference: skip the search
        # when even the best such rival could not come close, or not closer than the
        # alternatives above (its evidence is at most the base and the best date points).
        if (
            held.evidence - held.base_points - DATE_POINTS_MAX < DISTINCT_GAP_FULL
            and held.evidence - (held.base_points + date_points_max) < gap
        ):
            gap = min(gap, held.evidence - hidden.evidence(held))
        gaps[held.line] = gap
    return gaps


def _confidence(
    evidence: float, gap: float, cap: float, settings: MatchSettings
) -> tuple[float, bool]:
    """Evidence plus the distinctness bonus, capped; and whether the match is ambiguous."""
    ambiguous = gap < settings.ambiguity_margin
    points = evidence + DISTINCT_POINTS * min(1.0, max(0.0, gap) / DISTINCT_GAP_FULL)
    confidence = min(points, cap)
    if ambiguous:
        confidence = min(confidence, settings.ambiguous_confidence_max)
    return round(confidence, CONFIDENCE_DECIMALS), ambiguous


@functools.cache
def _reason(name: str, value: int, unit: str = "") -> str:
    return f"{name}_{value}{unit}"


def _gap_reason(gap: float) -> str:
    if gap >= DISTINCT_GAP_FULL:
        return "no_rival"  # none, or none within DISTINCT_GAP_FULL
    return _reason("rival_gap", round(100 * gap))


def _pair_match(
    pair: _Pair,
    *,
    gap: float,
    lines: Sequence[MatchBankLine],
    entries: Sequence[MatchEntry],
    settings: MatchSettings,
) -> Match:
    if pair.fee_pattern is None:
        exact = pair.delta_days == 0 and pair.reference_equal
        kind = MatchKind.EXACT if exact else MatchKind.FUZZY
        evidence = EXACT_CONFIDENCE if exact else pair.evidence
        cap = EXACT_CONFIDENCE if exact else FUZZY_CONFIDENCE_MAX
        reasons = ["amount_equal"]
    else:
        kind, evidence, cap = MatchKind.FEE, pair.evidence, FEE_CONFIDENCE_MAX
        reasons = [fee_reason(pair.fee_pattern), _reason("fee_minor", pair.fee_minor)]
    if pair.reference_equal:
        reasons.append("reference_equal")
    reasons.append(_reason("date_delta", pair.delta_days, "d"))
    reasons.append(_reason("text_similarity", pair.similarity))
    if pair.text_conflict:
        reasons.append("text_conflict")
    if pair.rarity >= RARE_AMOUNT_RARITY_MIN:
        reasons.append("amount_rare")
    confidence, ambiguous = _confidence(evidence, gap, cap, settings)
    if pair.similarity == 0 and not pair.reference_equal:
        confidence = round(confidence * AMOUNT_DATE_ONLY_FACTOR, CONFIDENCE_DECIMALS)
        reasons.append("amount_and_date_only")
    reasons.append(_gap_reason(gap))
    if ambiguous:
        reasons.append("ambiguous")
    return Match(
        bank_line_ids=(lines[pair.line].id,),
        entry_ids=(entries[pair.entry].id,),
        confidence=confidence,
        reasons=tuple(reasons),
        kind=kind,
    )


# --- groups ------------------------------------------------------------------------


class _Member(NamedTuple):
    position: int
    amount_minor: int  # absolute
    delta_days: int  # bank date - entry date
    keyed: bool  # shares a word key with the anchor


class _Group(NamedTuple):
    confidence: float
    kind: MatchKind
    anchor: int  # the single line (one_to_many) or the single entry (many_to_one)
    members: tuple[int, ...]  # positions, ascending
    reasons: tuple[str, ...]


def _pairs_summing(members: Sequence[_Member], *, target: int) -> list[tuple[int, ...]]:
    """Index pairs of `members` whose amounts add up to `target` (hashing, one pass)."""
    seen: dict[int, list[int]] = defaultdict(list)
    found: list[tuple[int, ...]] = []
    for place, member in enumerate(members):
        for earlier in seen.get(target - member.amount_minor, ()):
            found.append((earlier, place))
            if len(found) >= GROUP_SOLUTIONS_MAX:
                return found
        seen[member.amount_minor].append(place)
    return found


def _subsets_summing(amounts: Sequence[int], *, target: int, size: int) -> list[tuple[int, ...]]:
    """Index sets of exactly `size` of `amounts` (descending, > 0) that sum to `target`."""
    negated = [-amount for amount in amounts]  # ascending, for bisect
    prefix = [0, *itertools.accumulate(amounts)]
    found: list[tuple[int, ...]] = []
    _extend_subsets(found, (), amounts, negated, prefix, 0, target, size)
    return found


def _extend_subsets(
    found: list[tuple[int, ...]],
    chosen: tuple[int, ...],
    amounts: Sequence[int],
    negated: list[int],
    prefix: list[int],
    start: int,
    remaining: int,
    slots: int,
) -> None:
    """Add to `found` each `chosen` plus `slots` places from `start` on summing to
    `remaining`, in lexicographic order of the places, until `found` holds
    `GROUP_SOLUTIONS_MAX`. A plain function, not a closure: a recursive closure is a
    reference cycle, and the matcher runs with the cyclic collector paused."""
    count = len(amounts)
    first = bisect.bisect_left(negated, -remaining, start)  # skip amounts > remaining
    for place in range(first, count - slots + 1):
        if len(found) >= GROUP_SOLUTIONS_MAX:
            return
        rest = remaining - amounts[place]
        if prefix[place + slots] - prefix[place] < remaining:
            return  # the largest completion falls short, and later ones are smaller
        if slots == 1:
            if rest == 0:
                found.append((*chosen, place))
            continue
        if prefix[count] - prefix[count - slots + 1] > rest:
            continue  # even the smallest completion is too big
        if slots == 2:
            # The last place found by bisection, not by one more call per place: the
            # places after this one whose amount is exactly the rest.
            last = bisect.bisect_left(negated, -rest, place + 1)
            while last < count and amounts[last] == rest and len(found) < GROUP_SOLUTIONS_MAX:
                found.append((*chosen, place, last))
                last += 1
            continue
        _extend_subsets(
            found, (*chosen, place), amounts, negated, prefix, place + 1, rest, slots - 1
        )


def _pool_size(size: int, subsets_max: int, available: int) -> int:
    """How many candidates keep the subsets of `size` at most `subsets_max`."""
    pool = size
    while pool < available and math.comb(pool + 1, size) <= subsets_max:
        pool += 1
    return min(pool, available)


def _combinations(
    members: list[_Member], *, target: int, pool_sizes: dict[int, int]
) -> list[tuple[_Member, ...]]:
    """Combinations of 2..group_max members summing to `target`, with bounded work:
    pairs among all members, bigger groups among the `pool_sizes[size]` most relevant."""
    found = [
        tuple(members[place] for place in pair) for pair in _pairs_summing(members, target=target)
    ]
    if len(members) < min(pool_sizes, default=_NEVER):
        return found  # too few for a bigger group
    relevant = sorted(members, key=lambda m: (not m.keyed, _lag_days(m.delta_days), m.position))
    pools: dict[int, tuple[list[_Member], list[int]]] = {}  # by length: few members, one pool
    for size, pool_size in pool_sizes.items():
        length = min(pool_size, len(relevant))
        if length < size:
            break
        if length not in pools:
            pool = sorted(
                relevant[:length], key=lambda member: (-member.amount_minor, member.position)
            )
            pools[length] = (pool, [member.amount_minor for member in pool])
        pool, amounts = pools[length]
        for subset in _subsets_summing(amounts, target=target, size=size):
            found.append(tuple(pool[place] for place in subset))
    return found


class _GroupSearch:
    """Group search over the open lines and entries, in both directions."""

    def __init__(
        self, search: _PairSearch, *, open_lines: set[int], open_entries: set[int]
    ) -> None:
        # Per-position lists come from the pair search; amounts are absolute here.
        settings = search.settings
        self.search, self.texts, self.settings = search, search.texts, settings
        self.line_keys, self.entry_keys = search.line_keys, search.entry_keys
        self.pool_sizes = {
            size: _pool_size(size, settings.group_subsets_max, settings.group_subsets_max)
            for size in range(3, settings.group_max + 1)
        }
        self.open_lines, self.open_entries = open_lines, open_entries
        self.line_side = _Index(
            search.lines, keys=self.line_keys, by_amount=False, keyed_min=1, only=open_lines
        )
        self.entry_side = _Index(
            search.entries, keys=self.entry_keys, by_amount=False, keyed_min=1, only=open_entries
        )
        self._by_date: dict[tuple[bool, str, int, int], list[int]] = {}
        self.line_amounts = list(map(abs, search.line_amounts))
        self.entry_amounts = list(map(abs, search.entry_amounts))
        self.line_ordinals, self.entry_ordinals = search.line_ordinals, search.entry_ordinals
        line_amount_keys = list(zip(search.line_currencies, search.line_amounts, strict=True))
        line_rarities = _amount_rarities(
            line_amount_keys, self.line_ordinals, window_days=settings.date_window_days
        )
        self.line_rarity = [line_rarities[key] for key in line_amount_keys]
        entry_amount_keys = zip(search.entry_currencies, search.entry_amounts, strict=True)
        self.entry_rarity = [search.entry_rarities[key] for key in entry_amount_keys]

    def groups(self) -> list[_Group]:
        """The best group of every open line (one_to_many) and open entry (many_to_one)."""
        found = [self._search(anchor, one_to_many=True) for anchor in sorted(self.open_lines)]
        found += [self._search(anchor, one_to_many=False) for anchor in sorted(self.open_entries)]
        return [group for group in found if group is not None]

    def _range(self, center: int, *, one_to_many: bool) -> tuple[int, int]:
        """Dates members may have: the bank side from GROUP_EARLY_DAYS_MAX days before
        to `group_date_window_days` after the entry side."""
        window = self.settings.group_date_window_days
        if one_to_many:  # members are entries, the anchor a bank line
            return center - window, center + GROUP_EARLY_DAYS_MAX
        return center - GROUP_EARLY_DAYS_MAX, center + window

    def _closest(self, *, one_to_many: bool, currency: str, sign: int, center: int) -> list[int]:
        """Open items of the other side in the anchor's range, closest in date first
        (cached: anchors of one day share it)."""
        key = (one_to_many, currency, sign, center)
        found = self._by_date.get(key)
        if found is None:
            side = self.entry_side if one_to_many else self.line_side
            bucket = side.bucket(currency, sign)
            found = []
            if bucket is not None:
                first, last = self._range(center, one_to_many=one_to_many)
                places = _slice(bucket, first_ordinal=first, last_ordinal=last)
                sign_of_delta = 1 if one_to_many else -1  # delta = bank date - entry date
                found = [
                    bucket.positions[place]
                    for place in sorted(
                        places,
                        key=lambda place: (
                            _lag_days(sign_of_delta * (center - bucket.ordinals[place])),
                            place,
                        ),
                    )
                ]
            self._by_date[key] = found
        return found

    def _members(self, position: int, *, one_to_many: bool) -> list[_Member]:
        search = self.search
        if one_to_many:
            side, currency = self.entry_side, search.line_currencies[position]
            center, signed = self.line_ordinals[position], search.line_amounts[position]
        else:
            side, currency = self.line_side, search.entry_currencies[position]
            center, signed = self.entry_ordinals[position], search.entry_amounts[position]
        sign, target, count = int(signed > 0), abs(signed), self.settings.group_candidates_max
        first, last = self._range(center, one_to_many=one_to_many)
        keyed = side.keyed(
            currency=currency,
            value=sign,
            keys=self.line_keys[position] if one_to_many else self.entry_keys[position],
            first=first,
            last=last,
            per_key_max=count,
        )
        near: list[int] = []
        if sign:  # money in: a deposit's bank text names no payer, so look by date too
            amounts = self.entry_amounts if one_to_many else self.line_amounts
            closest = self._closest(
                one_to_many=one_to_many, currency=currency, sign=sign, center=center
            )
            near = [m for m in closest[: GROUP_SCAN_FACTOR * count] if amounts[m] < target]
        members = []
        ordinals = self.entry_ordinals if one_to_many else self.line_ordinals
        amounts = self.entry_amounts if one_to_many else self.line_amounts
        for member in sorted(keyed.union(near[:count])):
            amount = amounts[member]
            if 0 < amount < target:
                delta = center - ordinals[member]
                members.append(
                    _Member(member, amount, delta if one_to_many else -delta, member in keyed)
                )
        return members

    def _search(self, position: int, *, one_to_many: bool) -> _Group | None:
        target = (self.line_amounts if one_to_many else self.entry_amounts)[position]
        members = self._members(position, one_to_many=one_to_many)
        found = _combinations(members, target=target, pool_sizes=self.pool_sizes)
        if not found:
            return None
        scored = sorted(
            ((self._evidence(position, group, one_to_many), group) for group in found),
            key=lambda item: (-item[0], sorted(member.position for member in item[1])),
        )
        evidence, best = scored[0]
        gap = evidence - scored[1][0] if len(scored) > 1 else math.inf
        confidence, ambiguous = _confidence(evidence, gap, GROUP_CONFIDENCE_MAX, self.settings)
        reasons = [
            "amount_sum_equal",
            f"group_size_{len(best)}",
            f"date_delta_max_{max(abs(member.delta_days) for member in best)}d",
            _gap_reason(gap),
        ]
        if ambiguous:
            reasons.append("ambiguous")
        kind = MatchKind.ONE_TO_MANY if one_to_many else MatchKind.MANY_TO_ONE
        positions = tuple(sorted(member.position for member in best))
        return _Group(confidence, kind, position, positions, tuple(reasons))

    def _evidence(self, anchor: int, group: tuple[_Member, ...], one_to_many: bool) -> float:
        similarities, references = [], []
        rarities = self.entry_rarity if one_to_many else self.line_rarity
        rarity = min(rarities[member.position] for member in group)
        search = self.search
        for member in group:
            line = anchor if one_to_many else member.position
            entry = member.position if one_to_many else anchor
            bank, book = search.line_texts[line], search.entry_texts[entry]
            similarities.append(self.texts.similarity(bank, book))
            reference = search.line_references[line]  # None when empty
            references.append(reference is not None and reference == search.entry_references[entry])
        worst_delta = max(group, key=lambda member: abs(member.delta_days)).delta_days
        points = GROUP_POINTS - GROUP_SIZE_PENALTY_POINTS * (len(group) - 2)
        points += TEXT_POINTS_MAX * sum(similarities) / len(similarities) / 100
        points += DATE_POINTS_MAX * date_closeness(
            delta_days=worst_delta, window_days=self.settings.group_date_window_days
        )
        points += REFERENCE_POINTS if all(references) else 0.0
        points += GROUP_RARITY_POINTS * rarity
        return round(points, CONFIDENCE_DECIMALS)


# --- selection and entry point -----------------------------------------------------


class _Proposal(NamedTuple):
    rank: float  # minus the confidence: best first in ascending order
    lines: tuple[int, ...]  # canonical positions
    entries: tuple[int, ...]
    match: Match


def _group_proposal(
    group: _Group, *, lines: Sequence[MatchBankLine], entries: Sequence[MatchEntry]
) -> _Proposal:
    line_positions: tuple[int, ...] = (group.anchor,)
    entry_positions: tuple[int, ...] = group.members
    if group.kind is MatchKind.MANY_TO_ONE:
        line_positions, entry_positions = group.members, (group.anchor,)
    match = Match(
        bank_line_ids=tuple(lines[position].id for position in line_positions),
        entry_ids=tuple(entries[position].id for position in entry_positions),
        confidence=group.confidence,
        reasons=group.reasons,
        kind=group.kind,
    )
    return _Proposal(-group.confidence, line_positions, entry_positions, match)


def _select(
    pairs: list[_Proposal], groups: list[_Proposal], *, min_confidence: float
) -> list[Match]:
    """Take proposals best first while all their lines and entries are still free.

    Held pairs never share an item, so only those that share one with a group compete;
    the others are taken as they are.
    """
    grouped_lines = {line for group in groups for line in group.lines}
    grouped_entries = {entry for group in groups for entry in group.entries}
    selected: list[_Proposal] = []
    contested: list[_Proposal] = list(groups)
    for pair in pairs:
        if pair.lines[0] in grouped_lines or pair.entries[0] in grouped_entries:
            contested.append(pair)
        elif -pair.rank >= min_confidence:
            selected.append(pair)
    taken_lines: set[int] = set()
    taken_entries: set[int] = set()
    for proposal in sorted(contested, key=operator.itemgetter(0, 1, 2)):
        if -proposal.rank < min_confidence:
            break
        if taken_lines.isdisjoint(proposal.lines) and taken_entries.isdisjoint(proposal.entries):
            taken_lines.update(proposal.lines)
            taken_entries.update(proposal.entries)
            selected.append(proposal)
    # The selected share no line, so their first lines alone give the order of
    # (lines, entries).
    selected.sort(key=lambda proposal: proposal.lines[0])
    return [proposal.match for proposal in selected]


_Item = TypeVar("_Item", MatchBankLine, MatchEntry)


def _canonical(items: Sequence[_Item], what: str) -> list[_Item]:
    """`items` by currency, date, amount and id."""
    if len(set(map(operator.attrgetter("id"), items))) != len(items):
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise DuplicateMatchId(f"two {what} share the id {item.id!r}")
            seen.add(item.id)
    # Stable sorts on one field each, the least significant first: same order as one
    # sort on the tuple of all four, but each comparison is one plain value's.
    ordered = sorted(items, key=operator.attrgetter("id"))
    for field in ("amount_minor", "date", "currency"):
        ordered.sort(key=operator.attrgetter(field))
    return ordered


def reconcile(
    lines: Sequence[MatchBankLine], entries: Sequence[MatchEntry], settings: MatchSettings
) -> list[Match]:
    """Match bank lines to ledger entries; each line and entry is used at most once."""
    # Millions of small acyclic objects: the collector would rescan them over and over
    # (a third of the time).
    with collector_paused():
        return _reconcile(lines, entries, settings)


def _reconcile(
    lines: Sequence[MatchBankLine], entries: Sequence[MatchEntry], settings: MatchSettings
) -> list[Match]:
    lines, entries = _canonical(lines, "bank lines"), _canonical(entries, "entries")
    texts = TextModel(entry.text for entry in entries)
    pair_search = _PairSearch(lines, entries, texts, settings)
    pairs = pair_search.pairs()
    pair_search.learn_date_points(pairs)
    assignment = _Assignment(pairs)
    _assign_greedily(assignment)
    _swap_improvements(assignment)
    gaps = _rival_gaps(assignment, pair_search)
    pair_proposals: list[_Proposal] = []
    open_lines, open_entries = set(range(len(lines))), set(range(len(entries)))
    for pair in assignment.of_line.values():
        match = _pair_match(
            pair, gap=gaps[pair.line], lines=lines, entries=entries, settings=settings
        )
        pair_proposals.append(_Proposal(-match.confidence, (pair.line,), (pair.entry,), match))
        if match.confidence > CONTESTED_PAIR_CONFIDENCE_MAX:
            open_lines.discard(pair.line)
            open_entries.discard(pair.entry)
    search = _GroupSearch(pair_search, open_lines=open_lines, open_entries=open_entries)
    group_proposals = [
        _group_proposal(group, lines=lines, entries=entries) for group in search.groups()
    ]
    return _select(pair_proposals, group_proposals, min_confidence=settings.min_confidence)
