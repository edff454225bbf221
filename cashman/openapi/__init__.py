"""The OpenAPI 3.1 document, generated at start-up from the resources and their schemas.

Each resource method declares what it takes and answers with `@documented(...)` (`operation`),
next to the code; `spec` builds the document from those declarations, the marshmallow schemas
that validate and dump, the docstrings and each resource's token requirement.
"""
