"""The tamper-evident chain: every entry sealed into a hash chain per organisation.

Posting an entry hashes its content. On PostgreSQL it then queues it (`chain_pending`,
in the posting transaction), so concurrent writers never wait on one chain head; a
sealer takes committed entries from the queue in blocks and links each to the previous
seal (`link = H(seq, previous link, entry hash)`). On SQLite, where writers take turns
anyway, the writer links its entries itself, in the same transaction (`seal_in_place`).
Verification walks the chain from the start, recomputes every hash from the rows as
they are now, and names the first link that no longer matches; entries outside both
the chain and the queue (rows inserted behind the ledger's back) are reported too.
"""

import asyncio
import uuid
from collections.abc import Sequence

import structlog
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.core.clock import utc_now
from nexus.core.config import Settings
from nexus.core.db import Database
from nexus.ledger import domain, repository, writer
from nexus.ledger.models import chain_links, chain_pending, entries
from nexus.ledger.schemas import ChainBreak, ChainReport

log = structlog.get_logger(__name__)
VERIFY_CHUNK = 2000
SEAL_BLOCK_MAX = 5000


async def sealed_facts(
    session: AsyncSession, *, org_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, domain.SealedFacts]:
    """Load what the seal of each entry covers, straight from the rows."""
    lines: dict[uuid.UUID, list[tuple[int, uuid.UUID, int, str, str | None]]] = {
        i: [] for i in entry_ids
    }
    for posting in await repository.posting_rows(session, org_id=org_id, entry_ids=entry_ids):
        lines.setdefault(posting.entry_id, []).append(
            (
                posting.line_no,
                posting.account_id,
                posting.amount_minor,
                posting.currency,
                posting.memo,
            )
        )
    return {
        row.id: domain.SealedFacts(
            entry_id=row.id,
            org_id=row.org_id,
            date=row.date,
            description=row.description,
            payee=row.payee,
            reference=row.reference,
            metadata=row.metadata,
            recorded_at=row.recorded_at,
            reverses_entry_id=row.reverses_entry_id,
            postings=tuple(lines.get(row.id, ())),
        )
        for row in await repository.entry_rows(session, org_id=org_id, entry_ids=entry_ids)
    }


async def _head(session: AsyncSession, org_id: uuid.UUID) -> tuple[int, str]:
    row = (
        await session.execute(
            select(chain_links.c.seq, chain_links.c.link_hash)
            .where(chain_links.c.org_id == org_id)
            .order_by(chain_links.c.seq.desc())
            .limit(1)
        )
    ).first()
    return (row.seq, row.link_hash) if row else (0, domain.GENESIS_HASH)


async def seal_org(session: AsyncSession, *, org_id: uuid.UUID, block_max: int) -> int:
    """Seal up to `block_max` queued entries of one org; return how many."""
    if repository.dialect_of(session) == "postgresql":
        # One sealer per org at a time, across processes.
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"nexus.chain.{org_id}"}
        )
    queued = await repository.take_queued(session, org_id=org_id, limit=block_max)
    if queued:
        await _append(session, org_id=org_id, sealed=queued)
    return len(queued)


async def seal_in_place(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    entry_ids: Sequence[uuid.UUID],
    entry_hashes: Sequence[str],
) -> None:
    """Seal entries in the transaction that writes them (`writer.seals_in_place`).

    Entries still queued (posted by a version that queued them) are sealed first, so
    the chain keeps the order entries were committed in.
    """
    while await seal_org(session, org_id=org_id, block_max=SEAL_BLOCK_MAX):
        pass
    await _append(session, org_id=org_id, sealed=list(zip(entry_ids, entry_hashes, strict=True)))


async def _append(
    session: AsyncSession, *, org_id: uuid.UUID, sealed: Sequence[tuple[uuid.UUID, str]]
) -> None:
    """Link (entry id, entry hash) pairs, in order, after the org's chain head."""
    seq, previous = await _head(session, org_id)
    links = writer.ChainLinks(org_id=org_id, sealed_at=utc_now())
    for entry_id, entry_digest in sealed:
        seq += 1
        previous = domain.link_hash(
            previous_link_hash=previous, entry_hash_hex=entry_digest, seq=seq
        )
        links.seqs.append(seq)
        links.entry_ids.append(entry_id)
        links.entry_hashes.append(entry_digest)
        links.link_hashes.append(previous)
    await writer.write_links(session, links)


async def seal_pending(database: Database, *, block_max: int) -> int:
    """Seal one block of every org with queued entries; return how many were sealed."""
    async with database.reading() as session:
        orgs = list((await session.execute(select(chain_pending.c.org_id).distinct())).scalars())
    sealed = 0
    for org_id in orgs:
        async with database.transaction() as session:
            sealed += await seal_org(session, org_id=org_id, block_max=block_max)
    return sealed


async def seal_all(database: Database, *, block_max: int = SEAL_BLOCK_MAX) -> int:
    """Seal until the queue is empty (before a verify, a backup, a test)."""
    total = 0
    while sealed := await seal_pending(database, block_max=block_max):
        total += sealed
    return total


async def run_sealer(database: Database, settings: Settings) -> None:
    """Background worker: seal committed entries shortly after they are posted."""
    while True:
        try:
            sealed = await seal_pending(database, block_max=settings.sealer_block_entries_max)
            if sealed < settings.sealer_block_entries_max:
                await asyncio.sleep(settings.sealer_interval_ms / 1000)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sealer_pass_failed")
            await asyncio.sleep(settings.sealer_interval_ms / 1000)


async def verify(session: AsyncSession, *, org_id: uuid.UUID) -> ChainReport:
    """Recompute the org's chain and name the first broken link."""
    previous, expected_seq, checked = domain.GENESIS_HASH, 1, 0
    last_seq = 0
    while True:
        links = (
            await session.execute(
                select(chain_links)
                .where(chain_links.c.org_id == org_id, chain_links.c.seq > last_seq)
                .order_by(chain_links.c.seq)
                .limit(VERIFY_CHUNK)
            )
        ).all()
        if not links:
            break
        facts = await sealed_facts(
            session, org_id=org_id, entry_ids=[link.entry_id for link in links]
        )
        for link in links:
            reason = None
            if link.seq != expected_seq:
                reason = f"sequence jumps from {expected_seq - 1} to {link.seq}"
            elif link.entry_id not in facts:
                reason = "the sealed entry is missing"
            elif domain.entry_hash(facts[link.entry_id]) != link.entry_hash:
                reason = "entry content does not match its seal"
            elif (
                domain.link_hash(
                    previous_link_hash=previous, entry_hash_hex=link.entry_hash, seq=link.seq
                )
                != link.link_hash
            ):
                reason = "link does not follow from the previous link"
            if reason is not None:
                return _report(
                    checked,
                    session_unsealed=await _unsealed(session, org_id),
                    head=previous,
                    broken=ChainBreak(seq=link.seq, entry_id=link.entry_id, reason=reason),
                )
            previous, expected_seq, checked = link.link_hash, expected_seq + 1, checked + 1
        last_seq = links[-1].seq
    unsealed = await _unsealed(session, org_id)
    total = (
        await session.execute(
            select(func.count()).select_from(entries).where(entries.c.org_id == org_id)
        )
    ).scalar_one()
    if total != checked + unsealed:
        return _report(
            checked,
            session_unsealed=unsealed,
            head=previous,
            broken=ChainBreak(
                seq=None,
                entry_id=None,
                reason=f"entries outside the chain and its queue: {total - checked - unsealed}",
            ),
        )
    return _report(checked, session_unsealed=unsealed, head=previous, broken=None)


async def _unsealed(session: AsyncSession, org_id: uuid.UUID) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(chain_pending)
                .where(chain_pending.c.org_id == org_id)
            )
        ).scalar_one()
    )


def _report(
    checked: int, *, session_unsealed: int, head: str, broken: ChainBreak | None
) -> ChainReport:
    return ChainReport(
        ok=broken is None,
        checked=checked,
        unsealed=session_unsealed,
        head_hash=None if head == domain.GENESIS_HASH else head,
        first_broken=broken,
    )


async def org_ids(session: AsyncSession) -> list[uuid.UUID]:
    """Return every org that has ledger entries."""
    return list((await session.execute(select(entries.c.org_id).distinct())).scalars())
