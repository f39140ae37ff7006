"""The reconciliation matcher, with literal data and no database."""

import itertools
import math
import random
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nexus.ingest import matching
from nexus.ingest.matching import (
    DuplicateMatchId,
    FeePattern,
    Match,
    MatchBankLine,
    MatchEntry,
    MatchKind,
    MatchSettings,
    auto_accepted,
    reconcile,
)

SETTINGS = MatchSettings()
DAY = date(2026, 3, 2)


def line(
    id: str,
    amount_minor: int,
    text: str,
    *,
    days: int = 0,
    currency: str = "EUR",
    reference: str | None = None,
) -> MatchBankLine:
    return MatchBankLine(id, DAY + timedelta(days=days), amount_minor, currency, text, reference)


def entry(
    id: str,
    amount_minor: int,
    text: str,
    *,
    days: int = 0,
    currency: str = "EUR",
    reference: str | None = None,
) -> MatchEntry:
    return MatchEntry(id, DAY + timedelta(days=days), amount_minor, currency, text, reference)


def pairs_of(matches: list[Match]) -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
    return {(match.bank_line_ids, match.entry_ids) for match in matches}


def only(matches: list[Match]) -> Match:
    assert len(matches) == 1, matches
    return matches[0]


def test_same_amount_day_and_reference_is_an_exact_match() -> None:
    found = only(
        reconcile(
            [line("b1", -45_000, "SEPA TRANSFER ACME TOOLS", reference="RE-2026-0042")],
            [entry("e1", -45_000, "Acme Tools", reference="RE-2026-0042")],
            SETTINGS,
        )
    )
    assert found.kind is MatchKind.EXACT
    assert found.confidence == 1.0
    assert {"amount_equal", "reference_equal", "date_delta_0d"} <= set(found.reasons)
    assert auto_accepted(found, SETTINGS)


def test_shifted_date_and_bank_style_payee_still_match_and_are_accepted() -> None:
    found = only(
        reconcile(
            [line("b1", -2_599, "CARD PAYMENT AMZN Mktp DE*2K4", days=2)],
            [entry("e1", -2_599, "Amazon")],
            SETTINGS,
        )
    )
    assert found.kind is MatchKind.FUZZY
    assert "date_delta_2d" in found.reasons
    similarity = next(int(r.rsplit("_", 1)[1]) for r in found.reasons if "similarity" in r)
    assert similarity >= 70  # "amzn" stands for "amazon"; card codes cost nothing
    assert auto_accepted(found, SETTINGS)


def test_text_decides_between_entries_of_the_same_amount() -> None:
    matches = reconcile(
        [line("b1", -999, "CARD PAYMENT NETFLIX.COM", days=1)],
        [entry("e-spotify", -999, "Spotify"), entry("e-netflix", -999, "Netflix")],
        SETTINGS,
    )
    assert pairs_of(matches) == {(("b1",), ("e-netflix",))}


def test_two_look_alike_entries_make_the_match_ambiguous_and_not_accepted() -> None:
    found = only(
        reconcile(
            [line("b1", -1_299, "NETFLIX.COM", days=1)],
            [entry("e1", -1_299, "Netflix"), entry("e2", -1_299, "Netflix")],
            SETTINGS,
        )
    )
    assert "ambiguous" in found.reasons
    assert found.confidence <= SETTINGS.ambiguous_confidence_max
    assert not auto_accepted(found, SETTINGS)


def test_twin_lines_and_twin_entries_are_each_matched_once_and_left_for_review() -> None:
    matches = reconcile(
        [line("b1", -450, "STARBUCKS 1234"), line("b2", -450, "STARBUCKS 1234")],
        [entry("e1", -450, "Starbucks"), entry("e2", -450, "Starbucks")],
        SETTINGS,
    )
    assert len(matches) == 2
    assert sorted(m.bank_line_ids[0] for m in matches) == ["b1", "b2"]
    assert sorted(m.entry_ids[0] for m in matches) == ["e1", "e2"]
    assert not any(auto_accepted(match, SETTINGS) for match in matches)


def test_card_fx_fee_matches_as_fee_below_exact_confidence() -> None:
    found = only(
        reconcile(
            [line("b1", -10_150, "CARD PAYMENT HOTEL LISBOA", days=2)],
            [entry("e1", -10_000, "Hotel Lisboa")],
            SETTINGS,
        )
    )
    assert found.kind is MatchKind.FEE
    assert {"fee_1.5pct", "fee_minor_150"} <= set(found.reasons)
    assert found.confidence < 1.0


def test_fixed_atm_fee_matches_as_fee() -> None:
    found = only(
        reconcile(
            [line("b1", -5_035, "ATM 4471 CASH", days=1)],
            [entry("e1", -5_000, "ATM cash")],
            SETTINGS,
        )
    )
    assert found.kind is MatchKind.FEE
    assert "fee_fixed_35" in found.reasons


def test_one_deposit_of_three_receipts_is_one_to_many() -> None:
    found = only(
        reconcile(
            [line("b1", 8_250, "CASH DEPOSIT BRANCH 12", days=4)],
            [
                entry("e1", 1_500, "Receipt R-0001 Meyer"),
                entry("e2", 2_750, "Receipt R-0002 Okafor", days=1),
                entry("e3", 4_000, "Receipt R-0003 Lindqvist", days=2),
            ],
            SETTINGS,
        )
    )
    assert found.kind is MatchKind.ONE_TO_MANY
    assert found.bank_line_ids == ("b1",)
    assert sorted(found.entry_ids) == ["e1", "e2", "e3"]
    assert "group_size_3" in found.reasons


def test_payment_split_in_two_bank_lines_is_many_to_one() -> None:
    found = only(
        reconcile(
            [
                line("b1", -70_000, "SEPA TRANSFER ACME TOOLS RE 4711 PART 1/2", days=1),
                line("b2", -50_000, "SEPA TRANSFER ACME TOOLS RE 4711 PART 2/2", days=3),
            ],
            [entry("e1", -120_000, "Acme Tools invoice 4711")],
            SETTINGS,
        )
    )
    assert found.kind is MatchKind.MANY_TO_ONE
    assert sorted(found.bank_line_ids) == ["b1", "b2"]
    assert found.entry_ids == ("e1",)


def test_lone_deposit_with_a_unique_sum_is_auto_accepted() -> None:
    found = only(
        reconcile(
            [line("b1", 21_737, "CASH DEPOSIT", days=2)],
            [
                entry("e1", 13_452, "Receipt R-0001 Meyer"),
                entry("e2", 8_285, "Receipt R-0002 Okafor", days=1),
            ],
            SETTINGS,
        )
    )
    assert found.kind is MatchKind.ONE_TO_MANY
    assert sorted(found.entry_ids) == ["e1", "e2"]
    assert "no_rival" in found.reasons
    assert auto_accepted(found, SETTINGS)  # no payer named, but no other sum fits


def test_a_bigger_group_is_less_sure_than_a_pair_of_members() -> None:
    lines = [line("b1", 21_737, "CASH DEPOSIT", days=2)]
    two = [entry("e1", 13_452, "Receipt 1"), entry("e2", 8_285, "Receipt 2", days=1)]
    four = [
        entry("e1", 6_001, "Receipt 1"),
        entry("e2", 5_203, "Receipt 2"),
        entry("e3", 7_452, "Receipt 3", days=1),
        entry("e4", 3_081, "Receipt 4", days=1),
    ]
    of_two, of_four = only(reconcile(lines, two, SETTINGS)), only(reconcile(lines, four, SETTINGS))
    assert "group_size_4" in of_four.reasons
    # Among many candidates four amounts add up by chance far more often than two.
    assert of_four.confidence < of_two.confidence


def test_a_free_entry_naming_nobody_on_the_line_is_no_rival() -> None:
    found = only(
        reconcile(
            [line("b1", -2_000, "CARD PAYMENT ISAR FITNESS", days=4)],
            # Vodafone is closer in date, but the bank text shows none of it.
            [entry("e1", -2_000, "Isar Fitness"), entry("e2", -2_000, "Vodafone", days=4)],
            SETTINGS,
        )
    )
    assert found.entry_ids == ("e1",)
    assert "no_rival" in found.reasons
    assert auto_accepted(found, SETTINGS)


def test_amount_and_date_alone_are_proposed_never_auto_accepted() -> None:
    """A lone pair with nothing else in common waits for a person, however sure."""
    [lonely, read] = sorted(
        reconcile(
            [
                line("b1", -5_500, "Bookshop Lindner", days=1),
                line("b2", -2_990, "Isar Fitness", days=1),
            ],
            [entry("e1", -5_500, "Gift for Anna"), entry("e2", -2_990, "Isar Fitness")],
            SETTINGS,
        ),
        key=lambda match: match.bank_line_ids,
    )
    assert lonely.entry_ids == ("e1",)
    assert "amount_and_date_only" in lonely.reasons
    assert 0.9 <= lonely.confidence < SETTINGS.auto_accept_confidence
    assert not auto_accepted(lonely, SETTINGS)
    assert auto_accepted(read, SETTINGS)  # the same pair with the payee in common
    assert "amount_and_date_only" not in read.reasons


NAMES = (
    "Atlas", "Orion", "Vega", "Polar", "Kaiser", "Ritter", "Meister", "Falken", "Adler",
    "Kranich", "Hansa", "Baltic", "Linden", "Eichen", "Rhein", "Elbe", "Isar", "Nova",
    "Prima", "Royal", "Urban", "Metro", "Delta", "Sonnen",
)  # fmt: skip


def test_a_bank_text_naming_another_payee_counts_against_the_pair() -> None:
    entries = [entry(f"e-{name}", -1_000 - 7 * n, name) for n, name in enumerate(NAMES)]
    found = only(reconcile([line("b1", -1_000, "SEPA TRANSFER ORION", days=1)], entries, SETTINGS))
    assert found.entry_ids == ("e-Atlas",)  # the only one of that amount
    assert "text_conflict" in found.reasons
    assert not auto_accepted(found, SETTINGS)


def test_a_bank_abbreviation_of_the_payee_reads_as_the_payee() -> None:
    found = only(
        reconcile(
            [line("b1", -3_320, "SEPA DD TLSRSN O KG MANDAT", days=1)],
            [entry("e1", -3_320, "Atlas Reisen invoice"), entry("e2", -3_320, "Vodafone")],
            SETTINGS,
        )
    )
    assert found.entry_ids == ("e1",)
    similarity = next(int(r.rsplit("_", 1)[1]) for r in found.reasons if "similarity" in r)
    assert similarity >= matching.READ_SIMILARITY_MIN  # "invoice" weighs as much here
    assert auto_accepted(found, SETTINGS)
    credits = matching.abbreviation_credits("lpnhnd", ["office", "alpen", "handel"])
    assert credits == [0.0, matching.WORD_PREFIX_CREDIT, matching.WORD_PREFIX_CREDIT]
    assert matching.abbreviation_credits("nvmrkt", ["nova", "markt"]) == [0.9, 0.9]
    assert matching.abbreviation_credits("tlsrsn", ["rhein", "atlas"]) == [0.0, 0.0]


def test_a_bank_line_naming_another_payee_with_a_shared_word_reads_poorly() -> None:
    texts = matching.TextModel(
        ["Alpha Optik", "Alpha Getraenke", "Kranich Labor", "Kranich Telecom"]
        + [f"{name} Handel" for name in NAMES]  # enough payees for names to be rare
    )

    def similarity(bank: str, book: str) -> int:
        return texts.similarity(texts.text(bank), texts.text(book))

    assert similarity("CARD PAYMENT ALPHA OPTIK AG", "Alpha Optik") == 100
    # "optik" names a payee the entry is not, "getraenke" one the bank does not show.
    assert similarity("CARD PAYMENT ALPHA OPTIK AG", "Alpha Getraenke") < 20
    # A bank text cut short in its last word ("LABO") still shows it.
    assert similarity("SEPA TRANSFER KRANICH LABO", "Kranich Labor") >= 90
    assert similarity("SEPA TRANSFER KRANICH LABO", "Kranich Telecom") < 50


def test_a_reference_in_the_bank_text_tells_look_alikes_apart() -> None:
    matches = reconcile(
        [
            line("b1", -2_500, "SEPA TRANSFER NOVA VERLAG", days=2),
            # The bank's own id in the reference field, the invoice number in the text.
            line("b2", -2_500, "SEPA TRANSFER NOVA VERLAG RE-2026-17", days=3, reference="FT9"),
        ],
        [
            entry("e1", -2_500, "Nova Verlag", reference="RE-2026-17"),
            entry("e2", -2_500, "Nova Verlag", days=1),
        ],
        SETTINGS,
    )
    assert pairs_of(matches) == {(("b1",), ("e2",)), (("b2",), ("e1",))}
    by_line = {match.bank_line_ids: match for match in matches}
    assert "reference_equal" in by_line[("b2",)].reasons
    assert all(auto_accepted(match, SETTINGS) for match in matches)


def test_an_alias_the_bank_uses_for_a_payee_is_learnt_from_lone_pairs() -> None:
    """Lone pairs on rare amounts teach that "DB VERTRIEB" is "Deutsche Bahn"."""
    lines = [
        line(f"a{n}", -3_001 - 113 * n, "VISA DB VERTRIEB GMBH", days=7 * n - 79)
        for n in range(matching.ALIAS_EXAMPLES_MIN + 1)
    ]
    entries = [
        entry(f"d{n}", -3_001 - 113 * n, "Deutsche Bahn", days=7 * n - 80)
        for n in range(matching.ALIAS_EXAMPLES_MIN + 1)
    ]
    look_alike = [entry("e-db", -999, "Deutsche Bahn"), entry("e-spotify", -999, "Spotify")]
    bank = line("b1", -999, "DB VERTRIEB GMBH", days=1)
    untaught = only(reconcile([bank], look_alike, SETTINGS))
    assert "amount_and_date_only" in untaught.reasons
    assert not auto_accepted(untaught, SETTINGS)
    matches = reconcile([*lines, bank], [*entries, *look_alike], SETTINGS)
    found = next(match for match in matches if match.bank_line_ids == ("b1",))
    assert found.entry_ids == ("e-db",)
    assert "text_alias" in found.reasons
    assert auto_accepted(found, SETTINGS)


def test_other_currency_is_never_matched() -> None:
    assert (
        reconcile(
            [line("b1", -1_000, "ACME TOOLS", currency="EUR", reference="R1")],
            [entry("e1", -1_000, "Acme Tools", currency="USD", reference="R1")],
            SETTINGS,
        )
        == []
    )


def test_amounts_apart_by_more_than_any_fee_do_not_match() -> None:
    assert (
        reconcile(
            [line("b1", -10_500, "CARD PAYMENT HOTEL LISBOA")],  # 5 %, not 1.5 %
            [entry("e1", -10_000, "Hotel Lisboa")],
            SETTINGS,
        )
        == []
    )


def test_money_in_carries_no_fee() -> None:
    assert (
        reconcile(
            [line("b1", 10_150, "HOTEL LISBOA REFUND")],
            [entry("e1", 10_000, "Hotel Lisboa refund")],
            SETTINGS,
        )
        == []
    )


def test_dates_outside_the_window_do_not_match() -> None:
    window = SETTINGS.date_window_days
    assert (
        reconcile(
            [line("b1", -777, "ACME", days=window + 1)], [entry("e1", -777, "Acme")], SETTINGS
        )
        == []
    )


def test_each_line_and_entry_is_used_at_most_once() -> None:
    matches = reconcile(
        [line(f"b{n}", -2_000, "REWE MARKT 12", days=n) for n in range(3)],
        [entry(f"e{n}", -2_000, "Rewe", days=n) for n in range(2)],
        SETTINGS,
    )
    assert len(matches) == 2
    ids = [i for match in matches for i in (*match.bank_line_ids, *match.entry_ids)]
    assert len(ids) == len(set(ids))


def test_empty_inputs_match_nothing() -> None:
    assert reconcile([], [], SETTINGS) == []
    assert reconcile([line("b1", -100, "X")], [], SETTINGS) == []
    assert reconcile([], [entry("e1", -100, "X")], SETTINGS) == []


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(DuplicateMatchId):
        reconcile([line("b1", -1, "A"), line("b1", -2, "B")], [], SETTINGS)


def mixed_book() -> tuple[list[MatchBankLine], list[MatchEntry]]:
    """A small month: unique payments, look-alikes, a fee, a split and a deposit."""
    lines = [
        line(f"b{n}", -1_000 - 37 * n, f"CARD PAYMENT SHOP {n} GMBH", days=n % 7) for n in range(12)
    ]
    entries = [entry(f"e{n}", -1_000 - 37 * n, f"Shop {n}", days=n % 7 - 1) for n in range(12)]
    lines += [line("b-twin1", -999, "NETFLIX.COM"), line("b-twin2", -999, "NETFLIX.COM", days=1)]
    entries += [entry("e-twin1", -999, "Netflix"), entry("e-twin2", -999, "Netflix")]
    lines += [line("b-fee", -20_300, "VISA HOTEL ROMA", days=2)]
    entries += [entry("e-fee", -20_000, "Hotel Roma")]
    lines += [line("b-p1", -30_000, "ACME PART 1"), line("b-p2", -12_500, "ACME PART 2", days=2)]
    entries += [entry("e-split", -42_500, "Acme invoice")]
    lines += [line("b-dep", 9_000, "CHEQUE DEPOSIT 2 ITEMS", days=3)]
    entries += [entry("e-r1", 4_000, "Receipt 1"), entry("e-r2", 5_000, "Receipt 2", days=1)]
    return lines, entries


def test_the_result_does_not_depend_on_input_order() -> None:
    lines, entries = mixed_book()
    expected = reconcile(lines, entries, SETTINGS)
    assert len(expected) >= 15
    rng = random.Random(7)
    for _ in range(5):
        rng.shuffle(lines)
        rng.shuffle(entries)
        assert reconcile(lines, entries, SETTINGS) == expected


def test_fee_images_are_the_fees_a_pattern_may_charge() -> None:
    fx = FeePattern(fixed_minor=0, percent_basis_points=150, max_minor=10_000)
    assert matching.fee_images(entry_minor=10_000, pattern=fx) == [150]
    assert matching.fee_images(entry_minor=269, pattern=fx) == [4, 5]  # 4.035: either way
    assert matching.fee_images(entry_minor=1_000_000, pattern=fx) == [10_000]  # capped
    atm = FeePattern(fixed_minor=35, percent_basis_points=0, max_minor=35)
    assert matching.fee_images(entry_minor=5_000, pattern=atm) == [35]
    assert not matching.fee_allowed(entry_minor=5_000, fee_minor=36, pattern=atm)


@given(
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=0, max_value=500),
    st.integers(min_value=0, max_value=900),
    st.integers(min_value=1, max_value=10**6),
)
def test_fee_images_and_fee_allowed_agree(
    entry_minor: int, fixed_minor: int, basis_points: int, max_minor: int
) -> None:
    if fixed_minor == basis_points == 0:
        basis_points = 1
    pattern = FeePattern(
        fixed_minor=fixed_minor, percent_basis_points=basis_points, max_minor=max_minor
    )
    images = matching.fee_images(entry_minor=entry_minor, pattern=pattern)
    assert images
    for fee in range(max(1, min(images) - 3), max(images) + 4):
        assert matching.fee_allowed(entry_minor=entry_minor, fee_minor=fee, pattern=pattern) == (
            fee in images
        )


def test_word_keys_tie_bank_abbreviations_to_names() -> None:
    assert matching.word_key("amzn") == matching.word_key("amazon")
    assert matching.word_key("4471") == "4471"
    assert matching.clean_text("CARD PAYMENT AMZN Mktp DE*2K4") == "amzn mktp de 2k4"


def test_settings_keep_ambiguous_matches_below_auto_acceptance() -> None:
    with pytest.raises(ValueError, match="ambiguous"):
        MatchSettings(auto_accept_confidence=0.7, ambiguous_confidence_max=0.75)
    with pytest.raises(ValueError, match="fee"):
        FeePattern(fixed_minor=0, percent_basis_points=0, max_minor=10)


# --- properties ----------------------------------------------------------------------

TEXTS = ("ACME TOOLS", "Acme Tools", "NETFLIX.COM", "Netflix", "REWE 12", "Rewe", "CASH DEPOSIT")
AMOUNTS = (-999, -1_000, -1_015, -1_035, -2_000, -3_000, 999, 1_000, 2_000, 3_000)


Row = tuple[date, int, str, str, str | None]  # date, amount, currency, text, reference


@st.composite
def books(draw: st.DrawFn) -> tuple[list[MatchBankLine], list[MatchEntry]]:
    def rows() -> list[Row]:
        return [
            (
                DAY + timedelta(days=draw(st.integers(min_value=0, max_value=8))),
                draw(st.sampled_from(AMOUNTS)),
                draw(st.sampled_from(("EUR", "EUR", "USD"))),
                draw(st.sampled_from(TEXTS)),
                draw(st.sampled_from((None, None, "R1", "R2"))),
            )
            for _ in range(draw(st.integers(min_value=0, max_value=12)))
        ]

    lines = [MatchBankLine(f"b{n}", *row) for n, row in enumerate(rows())]
    entries = [MatchEntry(f"e{n}", *row) for n, row in enumerate(rows())]
    return lines, entries


def check_amounts(
    match: Match, lines: dict[str, MatchBankLine], entries: dict[str, MatchEntry]
) -> None:
    bank = [lines[i] for i in match.bank_line_ids]
    book = [entries[i] for i in match.entry_ids]
    assert len({x.currency for x in bank} | {x.currency for x in book}) == 1
    bank_minor = sum(item.amount_minor for item in bank)
    book_minor = sum(item.amount_minor for item in book)
    if match.kind is MatchKind.FEE:
        assert len(bank) == len(book) == 1
        assert bank_minor < 0
        assert book_minor < 0
        assert any(
            matching.fee_allowed(
                entry_minor=-book_minor, fee_minor=book_minor - bank_minor, pattern=p
            )
            for p in SETTINGS.fee_patterns
        )
        return
    assert bank_minor == book_minor
    if match.kind in (MatchKind.EXACT, MatchKind.FUZZY):
        assert len(bank) == len(book) == 1
    if match.kind is MatchKind.EXACT:
        assert bank[0].date == book[0].date
        assert bank[0].reference == book[0].reference
    if match.kind is MatchKind.ONE_TO_MANY:
        assert len(bank) == 1
        assert 2 <= len(book) <= SETTINGS.group_max
    if match.kind is MatchKind.MANY_TO_ONE:
        assert len(book) == 1
        assert 2 <= len(bank) <= SETTINGS.group_max


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_no_id_is_used_twice_and_every_match_obeys_its_kind(
    book: tuple[list[MatchBankLine], list[MatchEntry]],
) -> None:
    lines, entries = book
    matches = reconcile(lines, entries, SETTINGS)
    ids = [i for match in matches for i in (*match.bank_line_ids, *match.entry_ids)]
    assert len(ids) == len(set(ids))
    by_line, by_entry = {x.id: x for x in lines}, {x.id: x for x in entries}
    for match in matches:
        check_amounts(match, by_line, by_entry)
        assert SETTINGS.min_confidence <= match.confidence <= 1.0
        assert not (auto_accepted(match, SETTINGS) and "ambiguous" in match.reasons)


@settings(max_examples=100, deadline=None)
@given(books(), st.randoms(use_true_random=False))
def test_shuffling_the_input_changes_nothing(
    book: tuple[list[MatchBankLine], list[MatchEntry]], rng: random.Random
) -> None:
    lines, entries = book
    expected = reconcile(lines, entries, SETTINGS)
    rng.shuffle(lines)
    rng.shuffle(entries)
    assert reconcile(lines, entries, SETTINGS) == expected


# --- search helpers --------------------------------------------------------------------


@given(
    st.lists(st.integers(min_value=1, max_value=60), max_size=14),
    st.integers(min_value=1, max_value=200),
    st.integers(min_value=1, max_value=5),
)
def test_subset_search_finds_the_first_sums_in_lexicographic_order(
    amounts: list[int], target: int, size: int
) -> None:
    amounts.sort(reverse=True)
    every = [
        places
        for places in itertools.combinations(range(len(amounts)), size)
        if sum(amounts[place] for place in places) == target
    ]
    found = matching._subsets_summing(amounts, target=target, size=size)
    assert found == every[: matching.GROUP_SOLUTIONS_MAX]


def test_merged_bucket_orders_by_position_and_keeps_the_readings_order() -> None:
    own = matching._Reading(None, 0, 0.5, 1.0)
    fee = matching._Reading(SETTINGS.fee_patterns[1], 35, 0.4, 1.0)
    other = matching._Reading(SETTINGS.fee_patterns[0], 15, 0.4, 1.0)
    first = matching._DateIndex([10, 12, 15], [0, 3, 7])
    second = matching._DateIndex([11, 15], [2, 6])
    bucket = matching._merged_bucket([(first, own), (first, fee), (second, other)])
    assert bucket.positions == [0, 0, 2, 3, 3, 6, 7, 7]
    assert bucket.ordinals == [10, 10, 11, 12, 12, 15, 15, 15]
    assert bucket.readings == [own, fee, other, own, fee, other, own, fee]
    alone = matching._merged_bucket([(second, other)])
    assert alone == matching._ReadingBucket([11, 15], [2, 6], [other, other])


@given(books())
def test_canonical_order_is_by_currency_date_amount_and_id(
    book: tuple[list[MatchBankLine], list[MatchEntry]],
) -> None:
    lines, _ = book
    expected = sorted(lines, key=lambda x: (x.currency, x.date, x.amount_minor, x.id))
    assert matching._canonical(lines, "bank lines") == expected


def swapped_over_every_line(assignment: matching._Assignment) -> None:
    """The swap passes as first written: every contested line in every pass."""
    contested = sorted(
        line for line, options in assignment.line_options.items() if len(options) > 1
    )
    for _ in range(matching.SWAP_PASSES_MAX):
        swapped = False
        for line in contested:
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
                    swapped = True
                    break
        if not swapped:
            return


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.integers(min_value=0, max_value=6), st.integers(min_value=0, max_value=6)),
        st.integers(min_value=0, max_value=20),
        max_size=30,
    )
)
# A swap that makes one of an earlier line pay: only a second pass finds it.
@example(
    {(0, 3): 13, (0, 1): 0, (1, 1): 12, (1, 3): 19, (1, 2): 19, (2, 0): 12, (3, 2): 18, (3, 3): 15}
)
def test_swaps_revisit_only_touched_lines_and_end_as_a_full_pass_would(
    evidences: dict[tuple[int, int], int],
) -> None:
    def assignment() -> matching._Assignment:
        pairs = {
            (line, entry): matching._Pair(
                points / 20, line, entry, 0, None, 0, False, 0, 0.0, 0.0, False
            )
            for (line, entry), points in evidences.items()
        }
        taken = matching._Assignment(pairs)
        matching._assign_greedily(taken)
        return taken

    fast, full = assignment(), assignment()
    matching._swap_improvements(fast)
    swapped_over_every_line(full)
    assert fast.of_line == full.of_line
    assert fast.of_entry == full.of_entry


def rival_gaps_looking_at_every_hidden_rival(
    assignment: matching._Assignment, search: matching._PairSearch
) -> dict[int, float]:
    """The rival gaps as first written: the hidden rivals of every held pair that
    could come within DISTINCT_GAP_FULL, whatever the other alternatives."""
    gaps = dict.fromkeys(assignment.of_line, math.inf)
    hidden = search.hidden_rivals(assignment.of_line)
    of_line, of_entry = assignment.of_line, assignment.of_entry
    for held in of_line.values():
        gap = gaps[held.line]
        if held.evidence - held.base_points - matching.DATE_POINTS_MAX < matching.DISTINCT_GAP_FULL:
            gap = min(gap, held.evidence - hidden.evidence(held))
        for option in assignment.line_options[held.line]:
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
        for option in assignment.entry_options[held.entry]:
            if option.line not in of_line:
                gap = min(gap, held.evidence - option.evidence)
        gaps[held.line] = gap
    return gaps


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(books())
def test_rival_gaps_skip_only_hidden_rivals_that_could_not_narrow_them(
    book: tuple[list[MatchBankLine], list[MatchEntry]],
) -> None:
    lines = matching._canonical(book[0], "bank lines")
    entries = matching._canonical(book[1], "entries")
    search = matching._PairSearch(
        lines, entries, matching.TextModel(entry.text for entry in entries), SETTINGS
    )
    pairs = search.pairs()
    search.learn(pairs)
    assignment = matching._Assignment(pairs)
    matching._assign_greedily(assignment)
    matching._swap_improvements(assignment)
    expected = rival_gaps_looking_at_every_hidden_rival(assignment, search)
    assert matching._rival_gaps(assignment, search) == expected


# --- interchangeable blocks ----------------------------------------------------------


def with_taught_lag(
    lines: list[MatchBankLine], entries: list[MatchEntry]
) -> tuple[list[MatchBankLine], list[MatchEntry]]:
    """`lines` and `entries` after a hundred lone pairs, months earlier, that teach the
    matcher the bank's booking lag: mostly a day, sometimes the same day, up to four."""
    taught_lines, taught_entries = [], []
    number = 0
    for delay_days, count in ((0, 20), (1, 35), (2, 25), (3, 12), (4, 8)):
        for _ in range(count):
            amount = -10_000 - 37 * number
            days = number // 2 - 90
            taught_entries.append(entry(f"t-e{number}", amount, f"Shop {number}", days=days))
            taught_lines.append(
                line(f"t-b{number}", amount, f"CARD PAYMENT SHOP {number}", days=days + delay_days)
            )
            number += 1
    return taught_lines + lines, taught_entries + entries


def block_matches(lines: list[MatchBankLine], entries: list[MatchEntry]) -> dict[str, Match]:
    """The matches of `lines` among a taught lag, by their bank line."""
    matches = reconcile(*with_taught_lag(lines, entries), SETTINGS)
    return {
        match.bank_line_ids[0]: match
        for match in matches
        if not match.bank_line_ids[0].startswith("t-")
    }


HAPPY_LINES = [
    line("b1", -450, "SEPA DD HAPPY COFFEE UG", days=1),
    line("b2", -450, "SEPA DD HAPPY COFFEE UG", days=3),
    line("b3", -450, "SEPA DD HAPPY COFFEE UG", days=4),
]
HAPPY_ENTRIES = [
    entry("e1", -450, "Happy Coffee"),
    entry("e2", -450, "Happy Coffee", days=1),
    entry("e3", -450, "Happy Coffee", days=3),
]


def test_a_block_of_three_look_alikes_is_accepted_in_the_order_of_their_dates() -> None:
    """Text cannot tell these apart; a swap of neighbours fits the bank's lag too,
    but less well than keeping the order of the dates."""
    found = block_matches(HAPPY_LINES, HAPPY_ENTRIES)
    assert {line_id: match.entry_ids for line_id, match in found.items()} == {
        "b1": ("e1",),
        "b2": ("e2",),
        "b3": ("e3",),
    }
    for match in found.values():
        assert {"interchangeable_block", "block_pairs_3"} <= set(match.reasons)
        assert "ambiguous" not in match.reasons
        assert auto_accepted(match, SETTINGS)


def test_a_block_with_an_orphan_on_one_side_stays_proposed() -> None:
    """Two lines for three entries, or four lines for three: the dates do not say
    which one has no counterpart."""
    for lines, entries in (
        (HAPPY_LINES[:2], HAPPY_ENTRIES),
        ([*HAPPY_LINES, line("b4", -450, "SEPA DD HAPPY COFFEE UG", days=2)], HAPPY_ENTRIES),
    ):
        found = block_matches(lines, entries)
        assert len(found) == min(len(lines), len(entries))
        for match in found.values():
            assert "block_undecided" in match.reasons
            assert "interchangeable_block" not in match.reasons
            assert not auto_accepted(match, SETTINGS)


def test_a_rival_outside_the_block_keeps_it_for_review() -> None:
    """A line of another payee ("Berlin", whose own entry a reference took) reads the
    block's entries almost as well as the block's lines do."""
    found = block_matches(
        [
            *HAPPY_LINES,
            line("r1", -450, "HAPPY COFFEE BERLIN", days=2),
            line("r2", -450, "HAPPY COFFEE BERLIN", days=2, reference="RE-7"),
        ],
        [*HAPPY_ENTRIES, entry("x1", -450, "Happy Coffee Berlin", days=1, reference="RE-7")],
    )
    assert found["r2"].entry_ids == ("x1",)
    assert auto_accepted(found["r2"], SETTINGS)
    for line_id in ("b1", "b2", "b3", "r1"):
        match = found.get(line_id)
        if match is not None:
            assert "interchangeable_block" not in match.reasons
            assert not auto_accepted(match, SETTINGS)


def test_two_lines_of_one_day_for_two_look_alike_entries_are_left_for_review() -> None:
    """Either way round fits the lag as well: nothing decides which is which."""
    found = block_matches(
        [line("b1", -450, "HAPPY COFFEE", days=2), line("b2", -450, "HAPPY COFFEE", days=2)],
        [entry("e1", -450, "Happy Coffee"), entry("e2", -450, "Happy Coffee", days=1)],
    )
    assert len(found) == 2
    assert not any(auto_accepted(match, SETTINGS) for match in found.values())


def test_a_sum_of_items_look_alike_pairs_read_is_no_sure_group() -> None:
    """Two 25.00 entries a bank line of 50.00 adds up to, while two 25.00 lines read
    as them: the pairs are the likelier story, the group is not auto-accepted."""
    matches = reconcile(
        [
            line("b1", -2_500, "AMAZON PRIME*X1", days=1),
            line("b2", -2_500, "AMAZON PRIME*X2", days=1),
            line("b3", -5_000, "AMAZON PRIME*X3", days=2),
        ],
        [entry("e1", -2_500, "Amazon Prime"), entry("e2", -2_500, "Amazon Prime")],
        SETTINGS,
    )
    assert not any(auto_accepted(match, SETTINGS) for match in matches)
    assert all(match.kind is not MatchKind.ONE_TO_MANY for match in matches)


def alignments(weights: dict[tuple[int, int], float]) -> list[tuple[tuple[int, int], ...]]:
    """Every order-keeping alignment by brute force: chains of links (i, j) with both
    i and j increasing."""
    found: list[tuple[tuple[int, int], ...]] = [()]
    for i, j in sorted(weights):
        found += [
            (*links, (i, j))
            for links in found
            if not links or min(i - links[-1][0], j - links[-1][1]) > 0
        ]
    return found


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=1, max_value=4),
    st.dictionaries(
        st.tuples(st.integers(min_value=0, max_value=3), st.integers(min_value=0, max_value=3)),
        st.floats(min_value=0.01, max_value=1.0),
        max_size=10,
    ),
    st.sampled_from((0.01, 0.2)),
)
def test_block_alignment_is_the_likeliest_and_its_chances_sum_all_alignments(
    lines: int, entries: int, drawn: dict[tuple[int, int], float], orphan: float
) -> None:
    weights = {(i, j): w for (i, j), w in drawn.items() if i < lines and j < entries}
    path, chances = matching._block_alignment(weights, lines=lines, entries=entries, orphan=orphan)

    def weight(links: tuple[tuple[int, int], ...]) -> float:
        left_out = lines + entries - 2 * len(links)
        return math.prod(weights[link] for link in links) * orphan**left_out

    every = alignments(weights)
    total = sum(map(weight, every))
    assert weight(tuple(path)) == pytest.approx(max(map(weight, every)))
    for link, chance in zip(path, chances, strict=True):
        expected = sum(weight(links) for links in every if link in links) / total
        assert chance == pytest.approx(expected, rel=1e-6)
