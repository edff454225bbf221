"""How large what a client sends may be: each limit declared once.

The validators, the English error texts (placeholders such as `{max}`, formatted at use, so
every catalog follows) and the OpenAPI document take their numbers from here. The widths of text
that is stored are read from its column, so what validates always fits.
"""

from sqlalchemy import Column

from ..models import Account, IdempotencyRecord, LoginSession, Transaction, User
from ..money import MAX_AMOUNT


def _width(column: Column) -> int:
    return column.type.length


DESCRIPTION_LENGTH = _width(Transaction.__table__.c.description)  # 255
CATEGORY_LENGTH = _width(Transaction.__table__.c.category)  # 64, as a budget's
ACCOUNT_NAME_LENGTH = _width(Account.__table__.c.name)  # 64
DEVICE_LENGTH = _width(LoginSession.__table__.c.device)  # 100
USERNAME_LENGTH = (3, _width(User.__table__.c.username))  # (3, 64)
PASSWORD_LENGTH = (8, 128)
IDEMPOTENCY_KEY_LENGTH = _width(IdempotencyRecord.__table__.c.key)  # 255
MAX_ABS_AMOUNT = MAX_AMOUNT  # 1000000000000

PAGE_SIZE = 50  # rows of a list page unless `limit` says otherwise
MAX_PAGE_SIZE = 500
SYNC_PAGE_SIZE = 500  # changes of a GET /sync page unless `limit` says otherwise
MAX_SYNC_PAGE_SIZE = 1000
MAX_OPERATIONS = 500  # of a POST /sync batch
