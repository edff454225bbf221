"""Marshmallow schemas, by what they serve: request bodies, query strings and responses.

Each is the one definition of its shape: it validates or dumps, and it feeds the OpenAPI
document. Custom fields live in `fields`.
"""
