"""Answers kept so that a client's retry is answered again instead of done twice: a create's,
under its `Idempotency-Key`, and a POST /sync batch's that names an id more than once. Both
are kept in the commit of what they answer, and forgotten after IDEMPOTENCY_KEY_TTL."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import UnprocessableEntity

from ..database import db
from ..i18n import _
from ..models import IdempotencyRecord, ReplayedBatch
from .ledger import Ledger


@dataclass(frozen=True)
class IdempotencyKey:
    """An `Idempotency-Key` and the fingerprint of the request that first used it."""

    key: str
    request_hash: str


@dataclass(frozen=True)
class CreateAnswer:
    """What a create answers: the row's JSON, its id and ETag, and whether this request made it
    (False: the caller had the row already)."""

    body: dict[str, Any]
    transaction_id: UUID
    etag: str
    created: bool


class KeptAnswers:
    """One user's kept answers."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    def to_create(self, key: IdempotencyKey) -> CreateAnswer | None:
        """The answer to an earlier create with this key, if it is still kept; a key reused for
        a different request is a 422."""
        self._forget_old(IdempotencyRecord)
        record = db.session.get(IdempotencyRecord, (self.user_id, key.key))
        if record is None:
            return None
        if record.request_hash != key.request_hash:
            raise UnprocessableEntity(
                _("This Idempotency-Key was already used for a different request.")
            )
        return CreateAnswer(record.response, record.transaction_id, record.etag, True)

    def commit_create(
        self, ledger: Ledger, key: IdempotencyKey, answer: CreateAnswer
    ) -> CreateAnswer:
        """Commit the ledger's create with its answer kept under the key. Two concurrent
        requests with one key race on the key's primary key: the loser's row is rolled back and
        it gets the winner's answer."""
        db.session.add(
            IdempotencyRecord(
                user_id=self.user_id,
                key=key.key,
                request_hash=key.request_hash,
                transaction_id=answer.transaction_id,
                etag=answer.etag,
                response=answer.body,
            )
        )
        try:
            ledger.commit()
        except IntegrityError:
            ledger.discard()
            if (winner := self.to_create(key)) is None:
                raise
            return winner
        return answer

    def to_batch(self, fingerprint: str) -> dict[str, Any] | None:
        """The kept answer to this sync batch, if any."""
        self._forget_old(ReplayedBatch)
        kept = db.session.get(ReplayedBatch, (self.user_id, fingerprint))
        return None if kept is None else kept.response

    def keep_batch(self, fingerprint: str, answer: dict[str, Any]) -> None:
        """Keep a sync batch's answer, in the batch's own commit."""
        kept = ReplayedBatch(user_id=self.user_id, fingerprint=fingerprint, response=answer)
        db.session.add(kept)

    def _forget_old(self, kept: type[IdempotencyRecord] | type[ReplayedBatch]) -> None:
        cutoff = datetime.now(UTC) - current_app.config["IDEMPOTENCY_KEY_TTL"]
        db.session.execute(
            delete(kept).where(kept.user_id == self.user_id, kept.created_at < cutoff)
        )
