"""What one resource method takes and answers, declared next to it with `@documented`."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema


@dataclass(frozen=True)
class Operation:
    """One operation of the document; the errors it can give follow from these details."""

    returns: Schema | tuple[Schema, ...] | None = None  # several: the body is one of them
    status: int = 200
    headers: tuple[str, ...] = ()  # sent with every success
    only: dict[str, str] = field(default_factory=dict)  # header -> when it is sent
    query: Schema | None = None
    body: Schema | Callable[[type], Schema] | None = None  # or: resource class -> schema
    request_headers: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    also: dict[int, str] = field(default_factory=dict)  # other successes, e.g. 304
    alike: dict[int, str] = field(default_factory=dict)  # successes with the same body, headers
    database: bool = True
    csv: bool = False  # answers text/csv, too
    csv_body: bool = False  # takes text/csv, too
    tag: str = "transactions"


def documented(**details: Any) -> Callable:
    """Attach an `Operation` to a resource method."""

    def attach(method: Callable) -> Callable:
        method.openapi = Operation(**details)
        return method

    return attach
