"""The document's fixed texts: headers, the CSV format, and what each error status means."""

RESPONSE_HEADERS = {
    "Cache-Control": (
        "How long the answer may be cached (JWKS_MAX_AGE).",
        {"type": "string", "examples": ["public, max-age=300"]},
    ),
    "Location": ("The path of the created transaction.", {"type": "string"}),
    "ETag": (
        "A strong validator of this version of the row; send it in If-Match or If-None-Match.",
        {"type": "string"},
    ),
    "Link": (
        'The next page: `<absolute URL>; rel="next"`.',
        {"type": "string"},
    ),
    "X-Total-Count": ("How many rows match the filters.", {"type": "integer", "minimum": 0}),
    "Vary": ("`Accept`: the answer is JSON or CSV by the Accept header.", {"type": "string"}),
    "Content-Disposition": (
        'attachment; filename="cashman-transactions.csv"',
        {"type": "string"},
    ),
    "WWW-Authenticate": (
        'The bearer challenge: `Bearer`, or `Bearer error="invalid_token"` when a token was '
        "presented but refused.",
        {"type": "string"},
    ),
    "Retry-After": ("Seconds to wait before trying again.", {"type": "integer"}),
    "RateLimit-Limit": ("Requests allowed in the window of the limit hit.", {"type": "integer"}),
    "RateLimit-Remaining": ("Requests left in that window.", {"type": "integer"}),
    "RateLimit-Reset": ("When the window ends, in Unix seconds.", {"type": "integer"}),
    "X-Request-ID": (
        "The request's ID: the client's X-Request-ID when it is 1 to 128 of [A-Za-z0-9._-], "
        "otherwise a new one. Also in problem bodies and in the server's log line.",
        {"type": "string"},
    ),
}

REQUEST_HEADERS = {
    "Idempotency-Key": (
        "Makes the POST safe to retry: a repeat with the same key and body returns the original "
        "201 and creates nothing; the same key with another body is a 422. Kept 24 hours.",
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$",
        },
    ),
    "If-Match": (
        "The ETag the change is based on; 412 if the row has changed since.",
        {"type": "string"},
    ),
    "If-None-Match": (
        "An ETag the client holds; 304 while the row still has it.",
        {"type": "string"},
    ),
}

CSV_DESCRIPTION = (
    "RFC 4180 CSV with the header `id,type,date,description,amount,category,created_at`; text "
    "cells starting with =, +, -, @, tab or CR (after any quotes) are prefixed with ' against "
    "formula injection."
)

CSV_IMPORT = (
    "RFC 4180 CSV in UTF-8, the header row first, naming the export's columns in any order "
    "(`type`, `description` and `amount` required; `id`, `date` and `category` optional; "
    "`created_at` ignored). An empty `id` is none (the server makes one), an empty `date` is "
    "today, an empty `category` is null. A cell the export prefixed with ' against formula "
    "injection is read back without it."
)

ERRORS = {
    400: "The body is not JSON, or a query parameter or header is invalid (`errors` names it).",
    401: "The bearer token is missing or refused, or the credentials are wrong.",
    403: "Authenticated by cookie, without an X-CSRF-TOKEN header matching the CSRF cookie.",
    404: "No such row, budget or category of the caller's (absent, of the other kind, or "
    "someone else's), or a month that is not a real YYYY-MM.",
    409: "A conflict with stored data.",
    410: "The changes after `since` are no longer kept, or `since` is above the counter.",
    412: "If-Match does not match the row's current ETag.",
    413: "The body is over 1 MiB (an import: over 14 MiB or 10,000 rows).",
    414: "The URL (path and query) is over 4096 bytes.",
    415: "The body is not application/json (an import: nor text/csv).",
    422: "The body has invalid fields (`errors` names each; an import names each bad row, "
    '`"row 3"`, with its fields).',
    429: "A rate limit was hit; wait for Retry-After seconds.",
    431: "More than 100 request headers, or a header line over 8190 bytes.",
    503: "The database is unavailable.",
}
ERROR_HEADERS = {
    401: ("WWW-Authenticate",),
    429: ("Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"),
    503: ("Retry-After",),
}
