"""Reconciliation matching: which bank lines are which ledger entries.

A bank line and a ledger entry are the same money when they agree on currency and
amount (money in positive on both sides) and lie a few days apart. Everything else -
payee text, references, look-alikes nearby - says how sure we can be. All of it is
pure: values in, `Match` values out.

Evidence. Each candidate pair earns points (a score, not money):

- amount: equal amounts earn `AMOUNT_EQUAL_POINTS`. A payment bigger on the bank side
  by exactly what a `FeePattern` charges (a fixed part plus basis points of the entry
  amount, capped; the percentage rounded either way) earns `FEE_POINTS`; only money
  out carries fees, and a fee reading needs a word or the reference in common. How
  often the bank charges each fee to a payee is learnt from the pairs that stand
  alone (the only candidate of both their line and their entry, with text or
  reference in common): a shop abroad pays the exchange fee nearly every time, a shop
  at home never, and a reading loses `POINTS_PER_NAT` per factor e it is less likely
  than the payee's likeliest (payees with few lone pairs lean on all payees
  together, `READING_PRIOR_MATCHES`). A rare amount adds up to `AMOUNT_RARITY_POINTS`:
  the fewer entries of that amount a date window holds on average, the less likely a
  coincidence.
- date: `DATE_POINTS_MAX` for the delay from entry to bank line the bank takes most
  often, less `POINTS_PER_NAT` per factor e a delay is less likely (down to
  `DATE_POINTS_MIN`). How likely each delay is, is learnt from the lone pairs; until
  there are enough of them (`LAG_PRIOR_MATCHES`), a default slope falling over the
  window, twice as fast for a bank line dated before its entry.
- text: up to `TEXT_POINTS_MAX` from a 0-100 similarity. Texts are lower-cased and
  stripped of punctuation and bank boilerplate ("CARD PAYMENT", "SEPA DD"). Each word
  of the entry looks for itself among the bank words with the same key (its first
  three consonants: "amzn" and "amazon" are both "mzn"): equal, a truncated prefix,
  or a near spelling; words with digits count only when equal. The bank's last word
  may be cut short below a key ("LABO" for "Labor"): it counts as a prefix too. A bank
  word of consonants only may spell consecutive entry words ("TLSRSN" for "Atlas
  Reisen"). Aliases are learnt from lone pairs on rare amounts with no word in
  common: a bank word no entry uses that comes with the same entry words in
  `ALIAS_SHARE_MIN` of them (at least `ALIAS_EXAMPLES_MIN`) means those words ("DB
  VERTRIEB" for "Deutsche Bahn", reason "text_alias").
  Words weigh by their rarity among the entries' texts (squared inverse document
  frequency), so "Isar" in "Isar Fitness" counts far more than "fitness", and card
  codes or store numbers on the bank side cost nothing. A bank text that names a
  payee (a word at most `NAMING_WORD_SHARE_MAX` of the entry texts use) and shows
  nothing of the entry's text costs `TEXT_CONFLICT_POINTS` ("text_conflict"); when
  each text names its payee by a word the other lacks ("ALPHA OPTIK" for "Alpha
  Getraenke"), the similarity keeps `NAME_CONFLICT_FACTOR` of itself.
- reference: an entry's reference equal to the line's, or printed as a word of the
  bank text (where banks put the payer's invoice number), adds `REFERENCE_POINTS`.

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
pairwise swaps then fix crossings the greedy order left.

Blocks. Look-alikes - lines that read best as one payee (the same payee words: "Amazon
supplies" and "Amazon" are one payee, "Amazon Prime" another) at one entry amount,
and those entries, connected through their candidates - are assigned again as a
block, by dates alone: their texts cannot tell them apart. The likeliest assignment
under the learnt lag keeps the order of the dates (the k-th earliest line is the k-th
earliest entry), leaving out an item where counts differ; an alignment's probability
weighs every order-keeping alignment, an item left out at `BLOCK_ORPHAN_ODDS`. A
pair of the block is decided ("interchangeable_block") when it holds in
`BLOCK_CHANCE_MIN` of the alignments, its delay is one the bank takes
(`BLOCK_LAG_SHARE_MIN`), crossing it with a neighbour is at most
`BLOCK_CROSSING_RATIO_MAX` as likely (two lines of one day: as likely, undecided)
and reads no better crossed, and no pair of the block near it has a rival outside
the block within `ambiguity_margin`. Linking look-alikes in the likeliest order is
harmless where it errs: every line and entry is reconciled once, at the same amount.
The other pairs of a block are "block_undecided" and ambiguous. A line whose
reference is an entry's is no look-alike (the reference tells), and a block of more
than `BLOCK_CELLS_MAX` lines times entries is left as the greedy order made it.

A held pair's rival gap is the evidence its best alternative would lose: a free
candidate of its line or entry, a swap with another match, or a free same-amount item
left out of the candidates (less `TEXT_CONFLICT_POINTS` when its text shares no word
key with the other side and that side's text names a payee or, as the held pair
shows, reads well); for a decided block pair, only alternatives outside its block.
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
sums of common amounts (two 50.00 for a 100.00) cannot. A group with an item an open
pair reads well (similarity `READ_SIMILARITY_MIN` or the reference) has that pair as
a rival ("pair_rival") and is ambiguous. Groups compete with weak pairs: the final
selection takes proposals best first while their lines and entries are free.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Container, Iterable, Sequence
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
# Dates and fee readings score by how likely the run shows them to be: this many points
# per factor e below the likeliest (a delay 3.7 times rarer than the usual one: -0.13).
POINTS_PER_NAT = 0.10
DATE_POINTS_MAX = 0.15  # the likeliest delay
DATE_POINTS_MIN = -0.15  # a delay the bank (nearly) never takes
TEXT_POINTS_MAX = 0.45
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
READING_PRIOR_MATCHES = 20  # all payees' fee readings count as this many of one payee's
CONTESTED_PAIR_CONFIDENCE_MAX = 0.75  # weaker pairs compete with groups for their items
ALIAS_EXAMPLES_MIN = 5  # lone pairs that must show a bank word with an entry word ...
ALIAS_SHARE_MIN = 0.8  # ... being this share of the lone pairs showing either
BLOCK_ORPHAN_ODDS = 0.01  # weight of leaving a block's item out, against a link's lag share
BLOCK_CHANCE_MIN = 0.99  # a block's pair is decided when this share of alignments has it
BLOCK_LAG_SHARE_MIN = 0.1  # ... and its delay is at least this share as likely as the mode
BLOCK_CROSSING_RATIO_MAX = 0.5  # ... and crossing it with a neighbour is that unlikely
BLOCK_CROSSING_REACH = 3  # links after a link it may cross
BLOCK_EVIDENCE_TOLERANCE = 0.01  # evidence but the dates' that crossing may gain
BLOCK_CELLS_MAX = 4_096  # lines times entries of a block aligned at most (else left as is)

# Text: how entry words find themselves among bank words.
WORD_KEY_CHARS = 3
WORD_FUZZY_RATIO_MIN = 80
WORD_PREFIX_CHARS_MIN = 3
WORD_PREFIX_CREDIT = 0.9
ABBREVIATION_CHARS_MIN = 4  # a bank word of this many consonants may abbreviate names
NAMING_WORD_SHARE_MAX = 0.05  # a word in at most this share of entry texts names a payee
ENTRY_COVERAGE_SHARE = 0.8  # the rest: how much of the bank text the entry explains
# Each text names its payee by a word the other does not show ("ALPHA OPTIK" for "Alpha
# Getraenke"): two payees sharing a word, so the similarity keeps only this share.
NAME_CONFLICT_FACTOR = 0.25
NAME_SHOWN_CREDIT_MIN = 0.5  # a naming word counts as shown from this credit on
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
    stub: str  # the last word, which the bank may have cut short ("labo"); "" if none
    aliases: frozenset[str] = frozenset()  # entry words learnt aliases added ("bahn")


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
        self._aliases: dict[str, frozenset[str]] = {}  # bank word -> the entry words it means
        self._aliased: dict[int, _Text] = {}  # by the id of the text as the bank wrote it
        self._payees: dict[int, frozenset[str]] = {}  # by text id

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

    def learn_aliases(self, examples: Iterable[tuple[_Text, _Text]]) -> bool:
        """Learn aliases from pairs (bank text, entry text) known to be the same payment
        though they share no word: a bank word no entry uses means an entry word when
        `ALIAS_EXAMPLES_MIN` examples show both and `ALIAS_SHARE_MIN` of the examples
        showing either show the other. Whether any was learnt."""
        together: Counter[tuple[str, str]] = Counter()
        bank_counts: Counter[str] = Counter()
        entry_counts: Counter[str] = Counter()
        for bank, entry in examples:
            bank_words = {word for word in bank.words if word not in self._weight}
            entry_words = set(entry.words)
            bank_counts.update(bank_words)
            entry_counts.update(entry_words)
            together.update(itertools.product(bank_words, entry_words))
        aliases: dict[str, set[str]] = defaultdict(set)
        for (bank_word, entry_word), count in together.items():
            most = max(bank_counts[bank_word], entry_counts[entry_word])
            if count >= ALIAS_EXAMPLES_MIN and count >= ALIAS_SHARE_MIN * most:
                aliases[bank_word].add(entry_word)
        self._aliases = {word: frozenset(meant) for word, meant in aliases.items()}
        self._aliased.clear()
        return bool(self._aliases)

    def aliased(self, bank: _Text) -> _Text:
        """`bank` with the entry words its learnt aliases mean; itself when none."""
        if not self._aliases or self._aliases.keys().isdisjoint(bank.words):
            return bank
        found = self._aliased.get(bank.id)
        if found is None:
            meant = set().union(*(self._aliases.get(word, ()) for word in bank.words))
            added = sorted(meant.difference(bank.words))
            with_aliases = self._new_text((*bank.words, *added))
            found = self._aliased[bank.id] = with_aliases._replace(
                id=-1 - len(self._aliased), aliases=frozenset(added)
            )
        return found

    def payee(self, text: _Text) -> frozenset[str]:
        """The words of an entry's `text` that name its payee (few entry texts use
        them): "Amazon supplies" and "Amazon" are the same payee, "Amazon Prime" not."""
        found = self._payees.get(text.id)
        if found is None:
            naming = self._naming_weight
            found = self._payees[text.id] = frozenset(
                word
                for word, weight in zip(text.words, text.weights, strict=True)
                if weight >= naming
            )
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
        last = words[-1] if words else ""
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
            last if len(last) >= WORD_PREFIX_CHARS_MIN and last.isalpha() else "",
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
        unknown, naming = self._weight_unknown, self._naming_weight
        total = shown = 0.0
        bank_words = bank.words
        spelt = [0.0] * len(entry.words)
        for abbreviation in bank.abbreviations:
            credits = abbreviation_credits(abbreviation, entry.words)
            spelt = [max(pair) for pair in zip(spelt, credits, strict=True)]
        stub = bank.stub
        name_missing = False  # the entry names its payee by a word the bank does not show
        for word, key, weight, abbreviated in zip(
            entry.words, entry.word_keys, entry.weights, spelt, strict=True
        ):
            weight = weight or unknown
            total += weight
            if word in bank_words:
                shown += weight
            else:
                # A last word cut short keeps too few consonants for the key of the
                # word it starts ("labo" for "labor"): it counts as a prefix.
                cut = WORD_PREFIX_CREDIT if stub and word.startswith(stub) else 0.0
                credit = max(abbreviated, cut, self._best_credit(word, key, bank))
                shown += weight * credit
                name_missing = name_missing or (weight >= naming and credit < NAME_SHOWN_CREDIT_MIN)
        coverage = shown / total
        known_total = explained = 0.0
        other_name = False  # the bank names a payee by a word the entry does not have
        for word, key, weight in zip(bank.words, bank.word_keys, bank.weights, strict=True):
            if weight:  # words no entry uses cannot be explained
                known_total += weight
                credit = 1.0 if word in entry.words else self._best_credit(word, key, entry)
                explained += weight * credit
                other_name = other_name or (weight >= naming and credit < NAME_SHOWN_CREDIT_MIN)
        if known_total:
            share = explained / known_total
            coverage = ENTRY_COVERAGE_SHARE * coverage + (1 - ENTRY_COVERAGE_SHARE) * share
        if name_missing and other_name:
            coverage *= NAME_CONFLICT_FACTOR  # each names a payee the other does not show
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
    alias: bool = False  # the entry's text shows through an alias the bank uses for it


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


def _keys(texts: Sequence[_Text], references: Sequence[Collection[str]]) -> list[frozenset[str]]:
    """For each item: the word keys of its text, and its references marked with "#"."""
    return [
        text.keys.union("#" + reference for reference in shown) if shown else text.keys
        for text, shown in zip(texts, references, strict=True)
    ]


def _line_references(
    lines: Sequence[MatchBankLine], entry_references: set[str]
) -> list[frozenset[str]]:
    """For each line: its reference, and any word of its text that is the reference of
    an entry (banks print the payer's invoice number in the text, and put their own
    transaction id in the reference)."""
    none: frozenset[str] = frozenset()
    found = []
    for line in lines:
        shown = entry_references.intersection(line.text.split())
        if line.reference:
            shown.add(line.reference)
        found.append(frozenset(shown) if shown else none)
    return found


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
        self.entry_references = [entry.reference or None for entry in entries]
        self.line_references = _line_references(
            lines, {reference for reference in self.entry_references if reference}
        )
        self.line_texts = texts.texts(line.text for line in lines)
        self.entry_texts = texts.texts(entry.text for entry in entries)
        self.line_keys = _keys(self.line_texts, self.line_references)
        self.entry_keys = _keys(
            self.entry_texts,
            [(reference,) if reference else () for reference in self.entry_references],
        )
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
        # How likely each delta_days + window is, learnt from the run (`learn`).
        total = sum(self.date_points_by_delta)
        self.lag_likelihood = [points / total for points in self.date_points_by_delta]
        # Lone pairs by payee and reading (`_learn_readings`), and the points it gives.
        self.reading_counts: dict[frozenset[str], Counter[FeePattern | None]] = {}
        self.reading_shares: dict[FeePattern | None, float] = {None: 1.0}
        self.reading_points: dict[frozenset[str], dict[FeePattern | None, float]] = {}

    def pairs(self) -> dict[tuple[int, int], _Pair]:
        """Every candidate pair: the entries that could show as the line's amount (as
        themselves or with a fee) within the date window and share a word key or the
        reference; when none does, the `BLIND_PAIRS_PER_LINE_MAX` equal-amount ones
        closest in date."""
        found: dict[tuple[int, int], _Pair] = {}
        self._search(found, range(len(self.lines)))
        return found

    def _search(self, found: dict[tuple[int, int], _Pair], positions: Iterable[int]) -> None:
        """File the candidate pairs of the lines at `positions` (see `pairs`)."""
        window, buckets = self.settings.date_window_days, self.index.buckets
        ordinals_of, amounts, currencies = (
            self.line_ordinals,
            self.line_amounts,
            self.line_currencies,
        )
        for position in positions:
            currency = currencies[position]
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

    def learn(self, pairs: dict[tuple[int, int], _Pair]) -> None:
        """Learn the bank's booking lag, its aliases of payees and the fees it charges
        them from the pairs that stand alone, then score every pair (`pairs` is
        updated in place)."""
        lines = Counter(map(operator.itemgetter(0), pairs))
        entries = Counter(map(operator.itemgetter(1), pairs))
        self._learn_date_points(pairs, lines=lines, entries=entries)
        if self._learn_aliases(pairs, lines=lines, entries=entries):
            lines = Counter(map(operator.itemgetter(0), pairs))
            entries = Counter(map(operator.itemgetter(1), pairs))
        self._learn_readings(pairs, lines=lines, entries=entries)
        self._score(pairs)

    def _learn_readings(
        self, pairs: dict[tuple[int, int], _Pair], *, lines: Counter[int], entries: Counter[int]
    ) -> None:
        """Learn how often the bank adds each fee to a payee's payments, from the pairs
        that stand alone with text or reference in common: a shop abroad is charged
        the exchange fee nearly every time, a shop at home never. Payees with few such
        pairs lean on all payees together (`READING_PRIOR_MATCHES`)."""
        payee, entry_texts = self.texts.payee, self.entry_texts
        counts: dict[frozenset[str], Counter[FeePattern | None]] = defaultdict(Counter)
        for (line, entry), pair in pairs.items():
            strong = pair.reference_equal or pair.similarity >= LAG_LEARNING_SIMILARITY_MIN
            if strong and lines[line] == entries[entry] == 1:
                counts[payee(entry_texts[entry])][pair.fee_pattern] += 1
        overall: Counter[FeePattern | None] = Counter()
        for seen in counts.values():
            overall.update(seen)
        readings: list[FeePattern | None] = [None, *self.settings.fee_patterns]
        total = sum(overall.values())
        # Every reading keeps some chance, as if seen once in all the lone pairs.
        shares = {reading: (overall[reading] + 1) / (total + len(readings)) for reading in readings}
        self.reading_counts, self.reading_shares, self.reading_points = counts, shares, {}

    def _reading_points(self, payee: frozenset[str]) -> dict[FeePattern | None, float]:
        """Points for each reading of a payee's payments: 0 for the likeliest, less by
        `POINTS_PER_NAT` per factor e it is less likely (see `_learn_readings`)."""
        found = self.reading_points.get(payee)
        if found is None:
            seen = self.reading_counts.get(payee, Counter())
            total, prior = sum(seen.values()), READING_PRIOR_MATCHES
            chances = {
                reading: (seen[reading] + prior * share) / (total + prior)
                for reading, share in self.reading_shares.items()
            }
            top = max(chances.values())
            found = self.reading_points[payee] = {
                reading: POINTS_PER_NAT * math.log(chance / top)
                for reading, chance in chances.items()
            }
        return found

    def _learn_date_points(
        self, pairs: dict[tuple[int, int], _Pair], *, lines: Counter[int], entries: Counter[int]
    ) -> None:
        """Learn how many days the bank books after the entry from the pairs that stand
        alone (the only candidate of both their line and their entry, with text or
        reference in common), and score dates by that instead of the default slope."""
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
        self.lag_likelihood = likelihood
        top = max(likelihood)
        self.date_points_by_delta = [
            max(DATE_POINTS_MIN, DATE_POINTS_MAX + POINTS_PER_NAT * math.log(chance / top))
            if chance > 0
            else DATE_POINTS_MIN
            for chance in likelihood
        ]
        self.date_points_by_entry_offset = self.date_points_by_delta[::-1]

    def _learn_aliases(
        self, pairs: dict[tuple[int, int], _Pair], *, lines: Counter[int], entries: Counter[int]
    ) -> bool:
        """Learn the words a bank prints for a payee that its entries never write ("DB
        VERTRIEB" for "Deutsche Bahn") from the pairs that stand alone on a rare amount
        with nothing else in common, then search the lines showing such words again.
        Whether any was learnt (and `pairs` changed)."""
        examples = [
            (self.line_texts[line], self.entry_texts[entry])
            for (line, entry), pair in pairs.items()
            if lines[line] == entries[entry] == 1
            and pair.similarity == 0
            and not pair.reference_equal
            and pair.fee_pattern is None
            and pair.rarity >= RARE_AMOUNT_RARITY_MIN
        ]
        if not self.texts.learn_aliases(examples):
            return False
        aliased = []
        for position, text in enumerate(self.line_texts):
            found = self.texts.aliased(text)
            if found is not text:
                self.line_texts[position] = found
                aliased.append(position)
        new_keys = _keys(
            [self.line_texts[p] for p in aliased], [self.line_references[p] for p in aliased]
        )
        for position, keys in zip(aliased, new_keys, strict=True):
            self.line_keys[position] = keys
        for key in [key for key in pairs if self.line_texts[key[0]].aliases]:
            del pairs[key]
        self._search(pairs, aliased)
        return True

    def _score(self, pairs: dict[tuple[int, int], _Pair]) -> None:
        """Evidence of every pair: amount (or fee), date, text, reference, conflict."""
        window = self.settings.date_window_days
        date_points = self.date_points_by_delta
        payee, reading_points = self.texts.payee, self._reading_points
        by_text: dict[int, dict[FeePattern | None, float]] = {}  # entry text id -> points
        for text in self.entry_texts:
            if text.id not in by_text:
                by_text[text.id] = reading_points(payee(text))
        readings = [by_text[text.id] for text in self.entry_texts]
        for key, pair in pairs.items():
            points = pair.base_points + date_points[pair.delta_days + window]
            points += readings[pair.entry][pair.fee_pattern]
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
        ordinal, references, text = (
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
                0.0,  # scored once the booking lag is learnt (`learn`)
                line,
                entry,
                ordinal - entry_ordinals[entry],
                reading.fee_pattern,
                reading.fee_minor,
                entry_references[entry] in references,
                similarity,
                reading.rarity,
                reading.base_points,
                similarity == 0 and text.names,
                bool(text.aliases) and not text.aliases.isdisjoint(entry_texts[entry].words),
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

    def evidence(
        self,
        held: _Pair,
        *,
        lines_aside: Container[int] = (),
        entries_aside: Container[int] = (),
    ) -> float:
        """Evidence, text aside, of the best such rival (-inf: none). Candidates left
        out of the pair list (blind ones past the closest few) count here. A rival
        sharing no word key with the other side loses `TEXT_CONFLICT_POINTS` when the
        bank text names a payee, as it would as a pair, or when the held pair reads
        well: its payee shows in bank text, and the rival's text shows none of it.
        Items `lines_aside` and `entries_aside` are no rivals (the held pair's block)."""
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
                entries_aside,
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
                    lines_aside,
                ),
            )
        return held.base_points + best

    def _nearest(
        self,
        rivals: tuple[_DateIndex, range],
        center: int,
        scores: list[float],
        conflicts: Callable[[int], bool],
        aside: Container[int],
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
            if rival in aside:
                continue
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


def _rival_gaps(
    assignment: _Assignment,
    search: _PairSearch,
    *,
    blocks: _Blocks | None = None,
    lines: Iterable[int] | None = None,
    hidden: _HiddenRivals | None = None,
) -> dict[int, float]:
    """For each held pair (of `lines`, default all), by its line, the evidence its best
    alternative would lose (inf: none). For the pairs a block assigned (`blocks`), an
    alternative inside their block is none: the block weighed those."""
    of_line, of_entry = assignment.of_line, assignment.of_entry
    held_pairs = of_line.values() if lines is None else [of_line[line] for line in lines]
    gaps = {held.line: math.inf for held in held_pairs}
    hidden = search.hidden_rivals(of_line) if hidden is None else hidden
    date_points_max = max(search.date_points_by_delta)  # no rival's date scores more
    no_block: tuple[frozenset[int], frozenset[int]] = (frozenset(), frozenset())
    for held in held_pairs:
        gap = gaps[held.line]
        block_lines, block_entries = no_block
        if blocks is not None and held.line in blocks.pairs:
            block_lines, block_entries = blocks.members[blocks.of_line[held.line]]
        line_options = assignment.line_options[held.line]
        for option in line_options if len(line_options) > 1 else ():
            if option is held or option.entry in block_entries:
                continue
            if option.entry not in of_entry:
                gap = min(gap, held.evidence - option.evidence)
                continue
            partner = assignment.swap_partner(held, option)
            if partner is not None:
                other, crossed = partner
                loss = held.evidence + other.evidence - option.evidence - crossed.evidence
                gap = min(gap, loss)
                if other.line in gaps:
                    gaps[other.line] = min(gaps[other.line], loss)
        entry_options = assignment.entry_options[held.entry]
        for option in entry_options if len(entry_options) > 1 else ():
            if option.line not in of_line and option.line not in block_lines:
                gap = min(gap, held.evidence - option.evidence)
        # A rival left out of the pairs has no text and no reference: skip the search
        # when even the best such rival could not come close, or not closer than the
        # alternatives above (its evidence is at most the base and the best date points).
        if (
            held.evidence - held.base_points - DATE_POINTS_MAX < DISTINCT_GAP_FULL
            and held.evidence - (held.base_points + date_points_max) < gap
        ):
            rival = hidden.evidence(held, lines_aside=block_lines, entries_aside=block_entries)
            gap = min(gap, held.evidence - rival)
        gaps[held.line] = gap
    return gaps


# --- interchangeable blocks --------------------------------------------------------


class _Blocks(NamedTuple):
    """Look-alike lines and entries assigned as a block (see `_resolve_blocks`)."""

    members: list[tuple[frozenset[int], frozenset[int]]]  # lines and entries, by block
    of_line: dict[int, int]  # the block of each member line
    pairs: dict[int, int]  # line of each pair a block assigned -> the pairs of its block
    decided: set[int]  # lines of those pairs whose dates decide them


def _look_alike_pairs(assignment: _Assignment, search: _PairSearch) -> list[_Pair]:
    """The candidates of each line that show the payee its text reads best as: the
    same entry amount and the same payee words. A line that reads as well as two
    payees (or two amounts) has none, and so has a line whose reference (or one in its
    text) is an entry's: the reference tells which entry it is."""
    payee, entry_texts, entry_amounts = search.texts.payee, search.entry_texts, search.entry_amounts
    entry_options = assignment.entry_options
    found: list[_Pair] = []
    for options in assignment.line_options.values():
        if len(options) == 1 and len(entry_options[options[0].entry]) == 1:
            continue  # a pair alone: no block
        best = max(options, key=operator.attrgetter("similarity"))
        if best.similarity < READ_SIMILARITY_MIN or any(o.reference_equal for o in options):
            continue
        amount, names = entry_amounts[best.entry], payee(entry_texts[best.entry])
        if not names:
            continue
        alike = []
        for option in options:
            entry = option.entry
            if entry_amounts[entry] == amount and payee(entry_texts[entry]) == names:
                alike.append(option)
            elif option.similarity == best.similarity:
                break  # reads as another payee just as well
        else:
            found += alike
    return found


def _block_components(
    alike: list[_Pair], assignment: _Assignment
) -> list[tuple[list[int], list[int]]]:
    """Lines and entries connected by look-alike pairs, three or more, positions
    ascending; less those held by a pair that leaves them (they are rivals)."""
    line_degrees = Counter(pair.line for pair in alike)
    entry_degrees = Counter(pair.entry for pair in alike)
    parent: dict[int, int] = {}  # lines as themselves, entries as -1 - entry

    def root(item: int) -> int:
        path = []
        while (up := parent[item]) != item:
            path.append(item)
            item = up
        for step in path:
            parent[step] = item
        return item

    for pair in alike:
        if line_degrees[pair.line] == entry_degrees[pair.entry] == 1:
            continue  # a pair alone: no block
        line, entry = pair.line, -1 - pair.entry
        parent.setdefault(line, line)
        parent.setdefault(entry, entry)
        parent[root(line)] = root(entry)
    members: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for item in sorted(parent, key=abs):  # lines and entries each by position
        lines, entries = members[root(item)]
        if item >= 0:
            lines.append(item)
        else:
            entries.append(-1 - item)
    components = []
    for lines, entries in members.values():
        line_set, entry_set = set(lines), set(entries)
        inside_lines = [
            line
            for line in lines
            if (held := assignment.of_line.get(line)) is None or held.entry in entry_set
        ]
        inside_entries = [
            entry
            for entry in entries
            if (held := assignment.of_entry.get(entry)) is None or held.line in line_set
        ]
        if len(inside_lines) + len(inside_entries) >= 3:
            components.append((inside_lines, inside_entries))
    return components


def _block_alignment(
    weights: dict[tuple[int, int], float], *, lines: int, entries: int, orphan: float
) -> tuple[list[tuple[int, int]], list[float]]:
    """The likeliest order-keeping alignment of `lines` and `entries` (places in date
    order), and for each of its links the probability of that link over all such
    alignments: an alignment links line i and entry j at `weights[(i, j)]` and leaves
    an item out at `orphan`; links never cross.

    Every alignment leaves out lines + entries - 2 * links items, so the sums use odds
    `weight / orphan ** 2` per link and 1 per item left out: the same probabilities,
    and no underflow along a long run of items left out.
    """
    odds = {place: weight / orphan**2 for place, weight in weights.items()}
    path = _likeliest_alignment(odds, lines=lines, entries=entries)
    before, before_scales = _alignment_sums(odds, lines=lines, entries=entries)
    flipped = {(lines - 1 - i, entries - 1 - j): value for (i, j), value in odds.items()}
    after, after_scales = _alignment_sums(flipped, lines=lines, entries=entries)
    total = before_scales[lines] + math.log(before[lines][entries])
    chances = []
    for i, j in path:
        # The alignments through link (i, j): any of the items before it, times any
        # of the items after it (the flipped sums, counted from the end).
        scale = before_scales[i] + after_scales[lines - 1 - i] - total
        chance = before[i][j] * odds[(i, j)] * after[lines - 1 - i][entries - 1 - j]
        chances.append(min(1.0, chance * math.exp(scale)))
    return path, chances


def _alignment_sums(
    odds: dict[tuple[int, int], float], *, lines: int, entries: int
) -> tuple[list[list[float]], list[float]]:
    """`sums[i][j] * exp(scales[i])`: the total odds of the alignments of the first i
    lines and the first j entries (see `_block_alignment`). Each alignment is counted
    once, in its canonical order (between two links, the lines left out before the
    entries left out); each row is scaled to its largest value."""
    sums: list[list[float]] = []
    scales: list[float] = []
    scale = 0.0
    link_or_line = [0.0] * (entries + 1)  # the last step linked or left a line out
    entry_out = [0.0] * (entries + 1)  # the last step left an entry out
    for i in range(lines + 1):
        above_link_or_line, above_entry_out = link_or_line, entry_out
        link_or_line, entry_out = [0.0] * (entries + 1), [0.0] * (entries + 1)
        for j in range(entries + 1):
            if i == 0:
                value = 1.0 if j == 0 else 0.0
            else:
                value = above_link_or_line[j]
                link = odds.get((i - 1, j - 1)) if j else None
                if link:
                    value += (above_link_or_line[j - 1] + above_entry_out[j - 1]) * link
            link_or_line[j] = value
            if j:
                entry_out[j] = link_or_line[j - 1] + entry_out[j - 1]
        row = [a + b for a, b in zip(link_or_line, entry_out, strict=True)]
        largest = max(row)
        link_or_line = [value / largest for value in link_or_line]
        entry_out = [value / largest for value in entry_out]
        scale += math.log(largest)
        sums.append([value / largest for value in row])
        scales.append(scale)
    return sums, scales


def _likeliest_alignment(
    odds: dict[tuple[int, int], float], *, lines: int, entries: int
) -> list[tuple[int, int]]:
    """The links of the likeliest alignment (see `_block_alignment`); of equally likely
    ones, the one that links earliest."""
    logs = {place: math.log(value) for place, value in odds.items()}
    best = [[-math.inf] * (entries + 1) for _ in range(lines + 1)]
    step = [[0] * (entries + 1) for _ in range(lines + 1)]  # 0 link, 1 line out, 2 entry out
    best[0][0] = 0.0
    for i in range(lines + 1):
        row, above = best[i], best[i - 1] if i else None
        for j in range(entries + 1):
            if i == j == 0:
                continue
            value, move = -math.inf, 0
            if above is not None:
                link = logs.get((i - 1, j - 1)) if j else None
                if link is not None:
                    value = above[j - 1] + link
                if above[j] > value:
                    value, move = above[j], 1
            if j and row[j - 1] > value:
                value, move = row[j - 1], 2
            row[j], step[i][j] = value, move
    path = []
    i, j = lines, entries
    while i or j:
        move = step[i][j]
        if move == 0:
            i, j = i - 1, j - 1
            path.append((i, j))
        elif move == 1:
            i -= 1
        else:
            j -= 1
    path.reverse()
    return path


def _resolve_blocks(assignment: _Assignment, search: _PairSearch) -> _Blocks:
    """Assign look-alike lines and entries (one payee, one amount, several of each in
    a few days) as a block: text cannot tell them apart, dates can. The bank books a
    payment a few days after its entry, so the likeliest assignment keeps the order of
    the dates (the k-th earliest line is the k-th earliest entry); an item may be left
    out (`BLOCK_ORPHAN_ODDS`). The held pairs of a block give way to its likeliest
    alignment; a pair of it is decided when it holds in at least `BLOCK_CHANCE_MIN`
    of all alignments, weighed by the learnt booking lag, its delay is one the bank
    takes (`BLOCK_LAG_SHARE_MIN`), and crossing it with a neighbour is unlikely
    (`BLOCK_CROSSING_RATIO_MAX`) and reads no better."""
    blocks = _Blocks([], {}, {}, set())
    window, likelihood = search.settings.date_window_days, search.lag_likelihood
    date_points = search.date_points_by_delta
    lag_min = BLOCK_LAG_SHARE_MIN * max(likelihood)
    alike = _look_alike_pairs(assignment, search)
    alike_keys = {(pair.line, pair.entry) for pair in alike}
    for lines, entries in _block_components(alike, assignment):
        if len(lines) * len(entries) > BLOCK_CELLS_MAX:
            continue
        lines.sort(key=search.line_ordinals.__getitem__)  # stable: positions break ties
        entries.sort(key=search.entry_ordinals.__getitem__)
        place_of_entry = {entry: place for place, entry in enumerate(entries)}
        weights: dict[tuple[int, int], float] = {}
        undated: dict[tuple[int, int], float] = {}  # evidence but the date's
        for i, line in enumerate(lines):
            for option in assignment.line_options[line]:
                j = place_of_entry.get(option.entry)
                chance = likelihood[option.delta_days + window]
                if j is not None and chance > 0 and (line, option.entry) in alike_keys:
                    weights[(i, j)] = chance
                    undated[(i, j)] = option.evidence - date_points[option.delta_days + window]
        path, chances = _block_alignment(
            weights, lines=len(lines), entries=len(entries), orphan=BLOCK_ORPHAN_ODDS
        )
        number = len(blocks.members)
        blocks.members.append((frozenset(lines), frozenset(entries)))
        blocks.of_line.update(dict.fromkeys(lines, number))
        for line in lines:
            held = assignment.of_line.get(line)
            if held is not None:
                assignment.drop(held)
        by_key = assignment.by_key
        chosen = [by_key[(lines[i], entries[j])] for i, j in path]
        decided = [
            chance >= BLOCK_CHANCE_MIN
            and crossing <= BLOCK_CROSSING_RATIO_MAX
            and likelihood[pair.delta_days + window] >= lag_min
            for pair, chance, crossing in zip(
                chosen, chances, _crossing_ratios(path, weights, undated), strict=True
            )
        ]
        for pair, sure in zip(chosen, decided, strict=True):
            assignment.take(pair)
            blocks.pairs[pair.line] = len(chosen)
            if sure:
                blocks.decided.add(pair.line)
    return blocks


def _crossing_ratios(
    path: list[tuple[int, int]],
    weights: dict[tuple[int, int], float],
    undated: dict[tuple[int, int], float],
) -> list[float]:
    """For each link of `path`, how likely, at most, crossing it with a link near it is,
    against keeping both (1.0: as likely, as for two lines or two entries of one day);
    infinite where the crossed links have more evidence besides their dates."""
    ratios = [0.0] * len(path)
    for place, (i, j) in enumerate(path):
        for other in range(place + 1, min(place + 1 + BLOCK_CROSSING_REACH, len(path))):
            k, m = path[other]
            crossed = weights.get((i, m), 0.0) * weights.get((k, j), 0.0)
            ratio = crossed / (weights[(i, j)] * weights[(k, m)])
            if crossed and undated[(i, m)] + undated[(k, j)] > (
                undated[(i, j)] + undated[(k, m)] + BLOCK_EVIDENCE_TOLERANCE
            ):
                ratio = math.inf  # the texts (or references) read better crossed
            ratios[place] = max(ratios[place], ratio)
            ratios[other] = max(ratios[other], ratio)
    return ratios


def _settle_blocks(
    blocks: _Blocks, gaps: dict[int, float], *, assignment: _Assignment, search: _PairSearch
) -> list[int]:
    """Undecide the pairs of a block near one with a rival outside the block within
    `ambiguity_margin` (a line or entry of each within `date_window_days`): there the
    block may not be what it seems. Returns the lines of the pairs of blocks left
    undecided, whose rival gaps must count their block again."""
    settings = search.settings
    window = settings.date_window_days
    by_block: dict[int, list[tuple[int, int, bool]]] = defaultdict(list)
    for line in blocks.pairs:
        entry = assignment.of_line[line].entry
        rival = gaps.get(line, math.inf) < settings.ambiguity_margin
        by_block[blocks.of_line[line]].append((line, entry, rival))
    for members in by_block.values():
        rivalled = [
            (search.line_ordinals[line], search.entry_ordinals[entry])
            for line, entry, rival in members
            if rival
        ]
        for line, entry, _ in members if rivalled else ():
            dates = (search.line_ordinals[line], search.entry_ordinals[entry])
            if any(
                abs(mine - theirs) <= window
                for near in rivalled
                for mine in dates
                for theirs in near
            ):
                blocks.decided.discard(line)
    return sorted(line for line in blocks.pairs if line not in blocks.decided)


def _confidence(
    evidence: float, gap: float, cap: float, settings: MatchSettings, *, contested: bool = False
) -> tuple[float, bool]:
    """Evidence plus the distinctness bonus, capped; and whether the match is ambiguous
    (a rival within the margin, or `contested` on other grounds)."""
    ambiguous = contested or gap < settings.ambiguity_margin
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
    block_pairs: int = 0,
    block_decided: bool = False,
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
    if pair.alias:
        reasons.append("text_alias")
    if block_decided:
        # Look-alikes linked in the order of their dates: the gap is to rivals outside.
        reasons += ["interchangeable_block", _reason("block_pairs", block_pairs)]
    undecided = bool(block_pairs) and not block_decided
    if undecided:
        # One of look-alikes whose dates do not decide which is which.
        reasons.append("block_undecided")
    confidence, ambiguous = _confidence(evidence, gap, cap, settings, contested=undecided)
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
        self,
        search: _PairSearch,
        *,
        open_lines: set[int],
        open_entries: set[int],
        paired_lines: Container[int] = (),
        paired_entries: Container[int] = (),
    ) -> None:
        # Per-position lists come from the pair search; amounts are absolute here.
        settings = search.settings
        # Items an open pair reads as one payment: a group of them has that pair as
        # a rival, which the group's evidence cannot be weighed against.
        self.paired_lines, self.paired_entries = paired_lines, paired_entries
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
        reasons = [
            "amount_sum_equal",
            f"group_size_{len(best)}",
            f"date_delta_max_{max(abs(member.delta_days) for member in best)}d",
            _gap_reason(gap),
        ]
        lines_of, entries_of = (
            (self.paired_lines, self.paired_entries)
            if one_to_many
            else (self.paired_entries, self.paired_lines)
        )
        pair_rival = position in lines_of or any(member.position in entries_of for member in best)
        if pair_rival:
            reasons.append("pair_rival")
        confidence, ambiguous = _confidence(
            evidence, gap, GROUP_CONFIDENCE_MAX, self.settings, contested=pair_rival
        )
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
            references.append(search.entry_references[entry] in search.line_references[line])
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
    pair_search.learn(pairs)
    assignment = _Assignment(pairs)
    _assign_greedily(assignment)
    _swap_improvements(assignment)
    blocks = _resolve_blocks(assignment, pair_search)
    hidden = pair_search.hidden_rivals(assignment.of_line)
    gaps = _rival_gaps(assignment, pair_search, blocks=blocks, hidden=hidden)
    undecided = _settle_blocks(blocks, gaps, assignment=assignment, search=pair_search)
    gaps.update(_rival_gaps(assignment, pair_search, lines=undecided, hidden=hidden))
    pair_proposals: list[_Proposal] = []
    open_lines, open_entries = set(range(len(lines))), set(range(len(entries)))
    paired_lines: set[int] = set()  # of open pairs that read well (rivals of groups)
    paired_entries: set[int] = set()
    for pair in assignment.of_line.values():
        block_pairs = blocks.pairs.get(pair.line, 0)
        match = _pair_match(
            pair,
            gap=gaps[pair.line],
            block_pairs=block_pairs,
            block_decided=pair.line in blocks.decided,
            lines=lines,
            entries=entries,
            settings=settings,
        )
        pair_proposals.append(_Proposal(-match.confidence, (pair.line,), (pair.entry,), match))
        if match.confidence > CONTESTED_PAIR_CONFIDENCE_MAX:
            open_lines.discard(pair.line)
            open_entries.discard(pair.entry)
        elif pair.similarity >= READ_SIMILARITY_MIN or pair.reference_equal:
            paired_lines.add(pair.line)
            paired_entries.add(pair.entry)
    search = _GroupSearch(
        pair_search,
        open_lines=open_lines,
        open_entries=open_entries,
        paired_lines=paired_lines,
        paired_entries=paired_entries,
    )
    group_proposals = [
        _group_proposal(group, lines=lines, entries=entries) for group in search.groups()
    ]
    return _select(pair_proposals, group_proposals, min_confidence=settings.min_confidence)
