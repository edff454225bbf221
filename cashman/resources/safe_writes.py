"""What makes a write safe to send twice or to base on an old copy, decided here, beside the
resources, from the request: `Idempotency-Key` (a create answered once), a client's own `id`
(a retried create is recognised) and `If-Match` (a change refused when the copy is outdated).
The stores only write; these decide what."""

import hashlib
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from sqlalchemy import Row
from werkzeug.exceptions import Conflict, PreconditionFailed

from ..errors import FieldErrors
from ..i18n import _
from ..models import Kind, etag
from ..schemas.fields import IDEMPOTENCY_KEY, idempotency_key_message
from ..stores.kept_answers import CreateAnswer, IdempotencyKey, KeptAnswers
from ..stores.ledger import Ledger

WRITE_ATTEMPTS = 3


def idempotency_key(kind: Kind, payload: Any) -> IdempotencyKey | None:
    """The request's `Idempotency-Key` with its fingerprint, or None when it has none."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise FieldErrors(
            {"Idempotency-Key": [idempotency_key_message()]},
            400,
            _("The request has an invalid header."),
        )
    canonical = current_app.json.dumps([kind.value, payload], sort_keys=True)
    return IdempotencyKey(key, hashlib.sha256(canonical.encode()).hexdigest())


def create_once(
    user_id: int,
    write: Callable[[Ledger], Row | None],
    retried: Callable[[], Row],
    dump: Callable[[Row], dict[str, Any]],
    key: IdempotencyKey | None,
) -> CreateAnswer:
    """Record something new (a row, a transfer) with `write`, under the client's `id` if it
    gives one, and answer it with `dump`.

    `write` answers None when the caller has the id already: `retried` then gives the stored
    one if it has the same content (nothing changes; `created` is False), or raises a 409.
    With a key, an earlier answer to it is replayed, and a new answer is kept with what it
    answers, in the same commit.
    """
    kept = KeptAnswers(user_id)
    if key is not None and (answer := kept.to_create(key)) is not None:
        return answer
    ledger = Ledger(user_id)
    if (row := write(ledger)) is None:
        ledger.discard()
        return _answer(retried(), dump, created=False)
    if key is None:
        ledger.commit()
        return _answer(row, dump, created=True)
    return kept.commit_create(ledger, key, _answer(row, dump, created=True))


def change_latest(read: Callable[[], Row], write: Callable[[Row], Row | None], what: str) -> Row:
    """Read the row (a transaction, a transfer, an account), check `If-Match` against it, write
    it; if another request changed it meanwhile, again.

    Every write names the version it read, so a write based on a stale read changes nothing
    (`write` answers None) instead of overwriting; `If-Match` is then judged against the fresh
    row, which is what would really be overwritten. `what` names it in the problems' texts.
    """
    for _attempt in range(WRITE_ATTEMPTS):
        row = read()
        if request.if_match and not request.if_match.contains(etag(row)):
            raise PreconditionFailed(_CHANGED[what]())
        if (written := write(row)) is not None:
            return written
    raise Conflict(_BUSY[what]())


_CHANGED = {
    "transaction": lambda: _("The transaction has changed: If-Match does not match its ETag."),
    "transfer": lambda: _("The transfer has changed: If-Match does not match its ETag."),
    "account": lambda: _("The account has changed: If-Match does not match its ETag."),
}
_BUSY = {
    "transaction": lambda: _("The transaction is being changed by other requests; try again."),
    "transfer": lambda: _("The transfer is being changed by other requests; try again."),
    "account": lambda: _("The account is being changed by other requests; try again."),
}


def _answer(row: Row, dump: Callable[[Row], dict[str, Any]], created: bool) -> CreateAnswer:
    return CreateAnswer(dump(row), row.public_id, etag(row), created)
