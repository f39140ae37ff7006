"""Events the ingest service publishes (outbox `data` payloads, documented as models)."""

import uuid

from pydantic import BaseModel

IMPORT_COMMITTED = "ingest.import_committed"
IMPORT_UNDONE = "ingest.import_undone"
MATCH_ACCEPTED = "ingest.match_accepted"


class ImportCommitted(BaseModel):
    """A batch's lines are in the books: posted as new entries or matched to old ones."""

    import_id: uuid.UUID
    account_id: uuid.UUID
    posted: int
    matched: int
    proposed: int
    duplicates: int


class ImportUndone(BaseModel):
    """Every entry a batch posted was reversed and its matches released."""

    import_id: uuid.UUID
    account_id: uuid.UUID


class MatchAccepted(BaseModel):
    """A person (or auto-acceptance) said these bank lines are these ledger entries."""

    match_id: uuid.UUID
    bank_line_ids: list[uuid.UUID]
    entry_ids: list[uuid.UUID]
