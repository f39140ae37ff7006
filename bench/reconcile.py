"""Reconciliation matcher: speed and accuracy on a noisy, generated year of a busy account.

The generator books `--lines` ledger entries over a year and writes the bank lines the
bank would report for them, recording the truth as it goes:

- payees from a Zipf-weighted list of merchants (well-known ones with real-world bank
  descriptors such as "AMZN Mktp DE*2K4HJ" for "Amazon", made-up ones from word lists),
  the bank text in bank style: upper case, boilerplate prefixes ("CARD PAYMENT ",
  "SEPA DD "), store numbers, transaction codes, truncation;
- bank dates 0-4 days after the entry (most 1-2 days);
- common amounts (9.99, 50.00, 4.50 ...) on a large share of entries, and fixed monthly
  subscriptions, so that equal amounts inside the date window are frequent;
- card fees (1.5 % foreign-exchange fee, 0.35 fixed ATM fee) on some payments;
- payments split into two bank lines, and bank deposits of 2-3 receipts;
- references (invoice numbers) on transfers, most of them echoed by the bank;
- 5 % of bank lines with no entry and 5 % of entries with no bank line.

It then waits (bounded) for the machine to be quiet, runs `reconcile` once on the
shuffled lists, and prints ONE JSON object on stdout (progress on stderr): counts,
wall and CPU seconds, matches by kind, auto-accepted count, precision and recall of
the auto-accepted and of all proposed matches against the truth (a match is correct
iff its exact set of bank line ids and entry ids is one true pair or group), recall
per kind of truth, and the targets. `truth.pairs_with_twin` counts the true pairs no
matcher can tell apart: another true pair with the same payee and amounts whose
dates, swapped, still fit the bank's 0-4 day lag. Nothing here is collected by pytest.

    .venv/bin/python bench/reconcile.py [--lines 100000] [--seed 7] [--days 365]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import orjson

from nexus.ingest.matching import (
    Match,
    MatchBankLine,
    MatchEntry,
    MatchSettings,
    auto_accepted,
    reconcile,
)

TARGETS = {"seconds_max": 10.0, "precision_min": 0.99, "recall_min": 0.97}
START = date(2025, 1, 1)
DAYS = 365
CURRENCY = "EUR"

SHIFT_WEIGHTS = {0: 20, 1: 35, 2: 25, 3: 12, 4: 8}  # bank date - entry date, days
COMMON_AMOUNTS_MINOR = (999, 5000, 450, 1999, 10000, 2500, 1299, 2000, 4999, 350)
COMMON_AMOUNT_SHARE = 0.18
ENTRY_ORPHAN_SHARE = 0.05  # entries the bank never reports
BANK_ORPHAN_SHARE = 0.05  # bank lines with no entry
SPLIT_SHARE = 0.02  # entries (transfers) the bank shows as two lines
DEPOSIT_RECEIPT_SHARE = 0.015  # entries that are receipts paid in by a deposit
FX_FEE_SHARE_OF_FOREIGN = 0.9
ATM_FEE_SHARE = 0.5
TRUNCATE_SHARE = 0.25
BANK_TEXT_CHARS_MAX = (22, 27)

# Well-known payees: ledger name, bank descriptor stem, channel, median amount minor.
KNOWN = [
    ("Amazon", "AMZN Mktp DE*{code}", "card", 3500),
    ("Amazon Prime", "AMAZON PRIME*{code}", "card", 899),
    ("Netflix", "NETFLIX.COM 866-579-7172", "card", 1299),
    ("Spotify", "Spotify P{code}", "card", 999),
    ("Apple", "APPLE.COM/BILL", "card", 299),
    ("Google Workspace", "GOOGLE*GSUITE {code}", "card", 1150),
    ("Rewe", "REWE MARKT GMBH {store}", "card", 4200),
    ("Edeka", "EDEKA {store} SAGT DANKE", "card", 3800),
    ("Aldi", "ALDI SUED {store}", "card", 2900),
    ("Lidl", "LIDL DIENSTL {store}", "card", 2700),
    ("Shell", "SHELL {store} DEU", "card", 6500),
    ("Aral", "ARAL STATION {store}", "card", 6200),
    ("Deutsche Bahn", "DB VERTRIEB GMBH", "card", 4900),
    ("Starbucks", "STARBUCKS {store}", "card", 450),
    ("PayPal Ebay", "PAYPAL *EBAY {code}", "card", 2500),
    ("Uber", "UBER *TRIP {code}", "card", 1800),
    ("Vodafone", "VODAFONE GMBH", "debit", 3999),
    ("Telekom", "TELEKOM DEUTSCHLAND GMBH", "debit", 4995),
    ("Stadtwerke", "STADTWERKE MUENCHEN GMBH", "debit", 8500),
    ("Allianz", "ALLIANZ VERSICHERUNGS-AG", "debit", 12000),
    ("Microsoft 365", "MSFT *<E0400{code}>", "card", 1020),
    ("IKEA", "IKEA DEUTSCHLAND {store}", "card", 9900),
    ("Hotel Booking", "BOOKING.COM HOTEL", "card", 14000),
    ("Lufthansa", "LUFTHANSA 220{code}", "card", 28000),
    ("ATM withdrawal", "ATM {store} CASH", "atm", 10000),
]
# fmt: off
FIRST_WORDS = (
    "Acme", "Nord", "Sued", "Alpen", "Blau", "Gruen", "Stern", "Sonnen", "Berg", "Fluss",
    "Stadt", "Metro", "Alpha", "Beta", "Delta", "Nova", "Prima", "Optima", "Royal", "Urban",
    "Rhein", "Elbe", "Main", "Isar", "Linden", "Eichen", "Falken", "Adler", "Kranich", "Hansa",
    "Baltic", "Atlas", "Orion", "Vega", "Polar", "Kaiser", "Ritter", "Meister", "Werk",
    "Kontor", "Central", "Union", "Global", "Swift", "Bright", "Clear", "Smart", "Happy",
    "Golden", "Silver",
)
SECOND_WORDS = (
    "Tools", "Bakery", "Coffee", "Markt", "Apotheke", "Books", "Telecom", "Energie", "Fitness",
    "Garage", "Elektro", "Moebel", "Druck", "Logistik", "Reisen", "Optik", "Blumen",
    "Getraenke", "Software", "Consulting", "Catering", "Reinigung", "Sanitaer", "Holzbau",
    "Textil", "Medien", "Verlag", "Labor", "Service", "Handel",
)
# fmt: on
SUFFIXES = ("GMBH", "AG", "KG", "GMBH & CO KG", "E.K.", "UG", "")
CARD_PREFIXES = ("CARD PAYMENT ", "POS ", "VISA ", "DEBIT CARD ", "")
MEMOS = ("", "", "", " - office", " supplies", " invoice", " - team", " monthly", " order")
DEPOSIT_TEXTS = ("CASH DEPOSIT", "CHEQUE DEPOSIT {count} ITEMS", "DEPOSIT BRANCH {store}")


@dataclass
class Merchant:
    name: str  # how the bookkeeper writes it
    descriptor: str  # how the bank prints it, with {store} / {code} holes
    channel: str  # card, debit, transfer, atm, income
    median_minor: int
    subscription_minor: int | None = None  # a fixed monthly amount
    foreign: bool = False


@dataclass
class World:
    entries: list[MatchEntry] = field(default_factory=list)
    lines: list[MatchBankLine] = field(default_factory=list)
    truth: set[tuple[frozenset[str], frozenset[str]]] = field(default_factory=set)
    truth_kinds: Counter[str] = field(default_factory=Counter)
    payee_of: dict[str, str] = field(default_factory=dict)  # entry id -> merchant name


def log(message: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def made_up_merchants(rng: random.Random, count: int) -> list[Merchant]:
    merchants: list[Merchant] = []
    seen: set[str] = set()
    while len(merchants) < count:
        name = f"{rng.choice(FIRST_WORDS)} {rng.choice(SECOND_WORDS)}"
        if name in seen:
            continue
        seen.add(name)
        legal = f"{name.upper()} {rng.choice(SUFFIXES)}".strip()
        channel = rng.choices(("card", "debit", "transfer", "income"), (45, 15, 25, 15))[0]
        if rng.random() < 0.12:  # the bank knows it by a short alias, not by its name
            legal = "".join(c for c in name.upper() if c not in "AEIOU ")[:6] + " " + legal[-4:]
        descriptor = legal + (" {store}" if channel == "card" and rng.random() < 0.4 else "")
        median = int(rng.lognormvariate(8.0, 1.3))  # ~30.00, long tail
        merchant = Merchant(name, descriptor, channel, max(100, median))
        merchant.foreign = channel == "card" and rng.random() < 0.08
        if channel == "debit" and rng.random() < 0.6:
            merchant.subscription_minor = max(
                199, int(rng.lognormvariate(8.0, 0.9)) // 100 * 100 - 1
            )
        merchants.append(merchant)
    return merchants


def all_merchants(rng: random.Random) -> list[Merchant]:
    known = [Merchant(n, d, c, m) for n, d, c, m in KNOWN]
    for merchant in known:
        if merchant.name in ("Netflix", "Spotify", "Amazon Prime", "Vodafone", "Telekom"):
            merchant.subscription_minor = merchant.median_minor
        merchant.foreign = merchant.name in ("Hotel Booking", "Uber", "Apple")
    return known + made_up_merchants(rng, 700)


def bank_text(rng: random.Random, merchant: Merchant, reference: str | None) -> str:
    text = merchant.descriptor.format(
        store=rng.randrange(100, 9999),
        code="".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", k=5)),
    )
    if merchant.channel in ("card", "atm"):
        text = rng.choice(CARD_PREFIXES) + text
        if rng.random() < 0.3:
            text += f" {rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}"
    elif merchant.channel == "debit":
        text = f"SEPA DD {text} MANDATE M{rng.randrange(10**6, 10**7)}"
    elif merchant.channel == "transfer":
        text = f"SEPA TRANSFER {text}" + (f" {reference}" if reference else "")
    else:
        text = f"SEPA CREDIT {text}" + (f" {reference}" if reference else "")
    if rng.random() < TRUNCATE_SHARE:
        text = text[: rng.randrange(*BANK_TEXT_CHARS_MAX)]
    return text


def entry_amount(rng: random.Random, merchant: Merchant) -> int:
    if rng.random() < COMMON_AMOUNT_SHARE:
        return rng.choice(COMMON_AMOUNTS_MINOR)
    if merchant.channel == "atm":
        return rng.choice((5000, 10000, 20000, 30000))
    return max(50, int(rng.lognormvariate(0, 0.6) * merchant.median_minor))


def fee_on(rng: random.Random, merchant: Merchant, amount_minor: int) -> int:
    """The fee the bank adds to this payment (minor units, >= 0)."""
    if merchant.foreign and rng.random() < FX_FEE_SHARE_OF_FOREIGN:
        return (amount_minor * 150 + 5_000) // 10_000  # 1.5 %, half up
    if merchant.channel == "atm" and rng.random() < ATM_FEE_SHARE:
        return 35
    return 0


def shifted(rng: random.Random, day: date) -> date:
    return day + timedelta(days=rng.choices(list(SHIFT_WEIGHTS), list(SHIFT_WEIGHTS.values()))[0])


def generate(*, entries_count: int, seed: int, days: int = DAYS) -> World:
    """Entries, the bank lines for them, and the truth."""
    rng = random.Random(seed)
    merchants = all_merchants(rng)
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(merchants))]
    transfers = [m for m in merchants if m.channel == "transfer"]
    world = World()
    receipts: list[MatchEntry] = []
    lines = LineIds()
    subscriptions: dict[str, int] = {}  # merchant -> its day of the month
    billed: set[tuple[str, int]] = set()  # (merchant, month) already billed
    for number in range(entries_count):
        day = START + timedelta(days=rng.randrange(days))
        roll = rng.random()
        if roll < DEPOSIT_RECEIPT_SHARE:
            receipt = MatchEntry(
                id=f"e{number}",
                date=day,
                amount_minor=max(100, int(rng.lognormvariate(9.0, 1.0))),
                currency=CURRENCY,
                text=f"Receipt R-{number:06d} {rng.choice(merchants).name} customer",
            )
            world.entries.append(receipt)
            receipts.append(receipt)
            continue
        split = roll < DEPOSIT_RECEIPT_SHARE + SPLIT_SHARE
        merchant = rng.choice(transfers) if split else rng.choices(merchants, weights)[0]
        monthly = None
        if merchant.subscription_minor is not None and (merchant.name, day.month) not in billed:
            billed.add((merchant.name, day.month))  # once a month, on the merchant's day
            day = day.replace(day=subscriptions.setdefault(merchant.name, rng.randrange(1, 28)))
            monthly = merchant.subscription_minor
        entry = book_entry(rng, merchant, number=number, day=day, amount_minor=monthly)
        world.entries.append(entry)
        world.payee_of[entry.id] = merchant.name
        if rng.random() < ENTRY_ORPHAN_SHARE:
            continue
        if split and abs(entry.amount_minor) >= 200:
            report_split(rng, world, merchant, entry, lines)
        else:
            report_single(rng, world, merchant, entry, lines)
    add_deposits(rng, world, receipts, lines)
    add_bank_orphans(rng, world, merchants, weights, lines, days=days)
    return world


class LineIds:
    def __init__(self) -> None:
        self.count = 0

    def next(self) -> str:
        self.count += 1
        return f"b{self.count}"


def book_entry(
    rng: random.Random, merchant: Merchant, *, number: int, day: date, amount_minor: int | None
) -> MatchEntry:
    """What the bookkeeper enters: the payee's name, often with a memo."""
    amount = entry_amount(rng, merchant) if amount_minor is None else amount_minor
    reference = None
    if merchant.channel in ("transfer", "income") and rng.random() < 0.7:
        reference = f"RE-2025-{rng.randrange(10**5):05d}"
    memo = rng.choice(MEMOS)
    text = f"{merchant.name}{memo}" if rng.random() < 0.8 else f"{memo.strip(' -')} {merchant.name}"
    return MatchEntry(
        id=f"e{number}",
        date=day,
        amount_minor=amount if merchant.channel == "income" else -amount,
        currency=CURRENCY,
        text=text.strip(),
        reference=reference,
    )


def bank_reference(rng: random.Random, entry: MatchEntry) -> str:
    """The invoice number when the payer passed it on; else the bank's own id."""
    if entry.reference and rng.random() < 0.85:
        return entry.reference
    return f"FT{rng.randrange(10**9)}"


def report_single(
    rng: random.Random, world: World, merchant: Merchant, entry: MatchEntry, lines: LineIds
) -> None:
    amount = abs(entry.amount_minor)
    fee = fee_on(rng, merchant, amount) if entry.amount_minor < 0 else 0
    line_id = lines.next()
    world.lines.append(
        MatchBankLine(
            id=line_id,
            date=shifted(rng, entry.date),
            amount_minor=-(amount + fee) if entry.amount_minor < 0 else amount,
            currency=CURRENCY,
            text=bank_text(rng, merchant, entry.reference),
            reference=bank_reference(rng, entry),
        )
    )
    world.truth.add((frozenset({line_id}), frozenset({entry.id})))
    world.truth_kinds["fee" if fee else "pair"] += 1


def report_split(
    rng: random.Random, world: World, merchant: Merchant, entry: MatchEntry, lines: LineIds
) -> None:
    """An invoice paid in two instalments: two bank lines, each a part of the entry."""
    amount = abs(entry.amount_minor)
    first = rng.randrange(amount // 5, amount * 4 // 5)
    ids = []
    for part, part_minor in enumerate((first, amount - first), start=1):
        line_id = lines.next()
        ids.append(line_id)
        world.lines.append(
            MatchBankLine(
                id=line_id,
                date=shifted(rng, entry.date),
                amount_minor=-part_minor if entry.amount_minor < 0 else part_minor,
                currency=CURRENCY,
                text=f"{bank_text(rng, merchant, entry.reference)} PART {part}/2",
                reference=bank_reference(rng, entry),
            )
        )
    world.truth.add((frozenset(ids), frozenset({entry.id})))
    world.truth_kinds["many_to_one"] += 1


def add_deposits(
    rng: random.Random, world: World, receipts: list[MatchEntry], lines: LineIds
) -> None:
    """Receipts paid in together: one bank line for 2-3 receipts of the same few days."""
    receipts.sort(key=lambda entry: (entry.date, entry.id))
    place = 0
    while place + 1 < len(receipts):
        size = min(rng.choice((2, 2, 3)), len(receipts) - place)
        group = receipts[place : place + size]
        place += size
        if (group[-1].date - group[0].date).days > 2:
            continue  # not one trip to the bank: the bank reports none of them
        line_id = lines.next()
        world.lines.append(
            MatchBankLine(
                id=line_id,
                date=shifted(rng, group[-1].date),
                amount_minor=sum(entry.amount_minor for entry in group),
                currency=CURRENCY,
                text=rng.choice(DEPOSIT_TEXTS).format(count=size, store=rng.randrange(100, 999)),
                reference=f"FT{rng.randrange(10**9)}",
            )
        )
        world.truth.add((frozenset({line_id}), frozenset(entry.id for entry in group)))
        world.truth_kinds["one_to_many"] += 1


def add_bank_orphans(
    rng: random.Random,
    world: World,
    merchants: list[Merchant],
    weights: list[float],
    lines: LineIds,
    *,
    days: int,
) -> None:
    """Bank lines nobody booked: payments that look like any other, fees, interest."""
    count = int(len(world.lines) * BANK_ORPHAN_SHARE / (1 - BANK_ORPHAN_SHARE))
    for _ in range(count):
        day = START + timedelta(days=rng.randrange(days))
        roll = rng.random()
        if roll < 0.15:
            text, amount = "ACCOUNT MAINTENANCE FEE", -rng.choice((500, 790, 990))
        elif roll < 0.2:
            text, amount = "INTEREST", rng.randrange(1, 5000)
        else:
            merchant = rng.choices(merchants, weights)[0]
            amount = entry_amount(rng, merchant)
            amount = amount if merchant.channel == "income" else -amount
            text = bank_text(rng, merchant, None)
        world.lines.append(
            MatchBankLine(
                id=lines.next(),
                date=day,
                amount_minor=amount,
                currency=CURRENCY,
                text=text,
                reference=f"FT{rng.randrange(10**9)}",
            )
        )


Truth = set[tuple[frozenset[str], frozenset[str]]]


def score(matches: list[Match], truth: Truth) -> dict[str, float | int]:
    """Precision and recall: a match is correct iff its exact id sets are a true one."""
    correct = sum(
        (frozenset(match.bank_line_ids), frozenset(match.entry_ids)) in truth for match in matches
    )
    return {
        "matches": len(matches),
        "correct": correct,
        "precision": round(correct / len(matches), 4) if matches else 1.0,
        "recall": round(correct / len(truth), 4) if truth else 1.0,
    }


def recall_by_kind(world: World, matches: list[Match], accepted: list[Match]) -> dict[str, Any]:
    """Recall of proposed and of auto-accepted matches per kind of true pair or group."""
    lines = {line.id: line for line in world.lines}
    entries = {entry.id: entry for entry in world.entries}
    proposed = {(frozenset(m.bank_line_ids), frozenset(m.entry_ids)) for m in matches}
    auto = {(frozenset(m.bank_line_ids), frozenset(m.entry_ids)) for m in accepted}
    found: dict[str, list[int]] = {}
    for true in world.truth:
        line_ids, entry_ids = true
        if len(line_ids) > 1:
            kind = "many_to_one"
        elif len(entry_ids) > 1:
            kind = "one_to_many"
        else:
            same = (
                lines[next(iter(line_ids))].amount_minor
                == entries[next(iter(entry_ids))].amount_minor
            )
            kind = "pair" if same else "fee"
        counts = found.setdefault(kind, [0, 0, 0])
        counts[0] += 1
        counts[1] += true in proposed
        counts[2] += true in auto
    return {
        kind: {"true": total, "proposed": round(hit / total, 4), "auto": round(auto_hit / total, 4)}
        for kind, (total, hit, auto_hit) in sorted(found.items())
    }


def pairs_with_twin(world: World) -> int:
    """True one-to-one pairs that no matcher can tell from another: a second true pair
    with the same payee and amounts whose dates, swapped, are still 0-4 days apart."""
    lines = {line.id: line for line in world.lines}
    entries = {entry.id: entry for entry in world.entries}
    by_look: dict[tuple[str, int, int], list[tuple[MatchBankLine, MatchEntry]]] = {}
    for line_ids, entry_ids in world.truth:
        if len(line_ids) == len(entry_ids) == 1:
            line, entry = lines[next(iter(line_ids))], entries[next(iter(entry_ids))]
            look = (world.payee_of.get(entry.id, ""), line.amount_minor, entry.amount_minor)
            by_look.setdefault(look, []).append((line, entry))
    lag_max = max(SHIFT_WEIGHTS)
    twins = 0
    for group in by_look.values():
        for line, entry in group:
            twins += any(
                0 <= (line.date - other_entry.date).days <= lag_max
                and 0 <= (other_line.date - entry.date).days <= lag_max
                for other_line, other_entry in group
                if other_line is not line
            )
    return twins


def busy_cores(sample_s: float = 1.0) -> float:
    """Cores busy over `sample_s` (from /proc/stat) while this process sleeps."""

    def times() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields) - idle, sum(fields)

    busy_before, total_before = times()
    time.sleep(sample_s)
    busy_after, total_after = times()
    cores = os.cpu_count() or 1
    return cores * (busy_after - busy_before) / max(1, total_after - total_before)


def wait_for_quiet(max_wait_s: float, threshold_cores: float = 0.5) -> dict[str, float]:
    """Wait (bounded) until other processes leave a core free; return what was seen."""
    started = time.monotonic()
    load = busy_cores()
    while load > threshold_cores and time.monotonic() - started < max_wait_s:
        log(f"machine busy with foreign load ({load:.2f} cores); waiting")
        time.sleep(4)
        load = busy_cores()
    return {
        "foreign_load_cores_before": round(load, 2),
        "waited_s": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000, help="ledger entries to generate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=DAYS, help="days the entries spread over")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="before measuring, wait up to this many seconds for foreign CPU load to drop "
        "below half a core (default 120)",
    )
    args = parser.parse_args()
    log(f"generating {args.lines} entries over {args.days} days (seed {args.seed})")
    world = generate(entries_count=args.lines, seed=args.seed, days=args.days)
    rng = random.Random(args.seed + 1)
    rng.shuffle(world.lines)  # the matcher must not rely on the generator's order
    rng.shuffle(world.entries)
    settings = MatchSettings()
    quiet = wait_for_quiet(args.quiet_wait)
    log(f"reconciling {len(world.lines)} bank lines against {len(world.entries)} entries")
    started, cpu_started = time.perf_counter(), time.process_time()
    matches = reconcile(world.lines, world.entries, settings)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    log(f"done in {seconds:.2f} s ({cpu_seconds:.2f} s CPU): {len(matches)} matches")
    accepted = [match for match in matches if auto_accepted(match, settings)]
    auto, proposed = score(accepted, world.truth), score(matches, world.truth)
    checks = {
        "seconds": seconds <= TARGETS["seconds_max"],
        "auto_precision": auto["precision"] >= TARGETS["precision_min"],
        "auto_recall": auto["recall"] >= TARGETS["recall_min"],
        # Reported, not part of meets_target: the issue asks for the recall of what is
        # accepted without a person.
        "proposed_recall": proposed["recall"] >= TARGETS["recall_min"],
    }
    meets = checks["seconds"] and checks["auto_precision"] and checks["auto_recall"]
    record = {
        "benchmark": "reconcile",
        "params": {"lines": args.lines, "seed": args.seed, "days": args.days},
        "lines": len(world.lines),
        "entries": len(world.entries),
        "truth": {
            "total": len(world.truth),
            **dict(sorted(world.truth_kinds.items())),
            "pairs_with_twin": pairs_with_twin(world),
        },
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "matches_by_kind": dict(sorted(Counter(str(match.kind) for match in matches).items())),
        "auto_accepted": len(accepted),
        "auto_accepted_by_kind": dict(sorted(Counter(str(m.kind) for m in accepted).items())),
        "auto": auto,
        "proposed": proposed,
        "recall_by_truth_kind": recall_by_kind(world, matches, accepted),
        "targets": TARGETS,
        "target_rule": "seconds <= seconds_max and auto.precision >= precision_min "
        "and auto.recall >= recall_min",
        "checks": checks,
        "meets_target": meets,
        "machine": {"cores": os.cpu_count(), "python": sys.version.split()[0], **quiet},
    }
    sys.stdout.write(orjson.dumps(record).decode() + "\n")


if __name__ == "__main__":
    main()
