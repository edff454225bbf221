"""Errors in the client's language: English, Brazilian Portuguese, Spanish and German.

Flask-Babel picks the best match of Accept-Language (quality values count; anything else is
English). Every text a client can read goes through gettext: our own messages and problem
titles as they are made (`_`, or `_l` for those made at import), marshmallow's as they are
answered (`translated`, which cashman.errors applies to every validation message).
marshmallow copies its English messages into each field, schema and validator as it is built,
at import, before any app exists: nothing `init_i18n` could set would reach them, and nothing
here changes marshmallow. Its messages are found in the catalogs by their text, or by the
template a validator filled in. Machine-readable parts (types, statuses, field names, JSON
keys) never change with the language. Catalogs: cashman/translations/<locale>/messages.po.
"""

import re
from typing import Any

from babel import Locale
from flask import Flask, Response, request
from flask_babel import Babel, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

LANGUAGES = ["en", "pt_BR", "es", "de"]

babel = Babel()

__all__ = ["LANGUAGES", "_", "_l", "babel", "init_i18n", "translated"]


# Parsed once: Babel would parse (and look up on disk) the chosen locale on every request.
LOCALES = {tag: Locale.parse(tag) for tag in LANGUAGES}
CONTENT_LANGUAGE = {locale: tag.replace("_", "-") for tag, locale in LOCALES.items()}


def N_(message: str) -> str:
    """Mark one of marshmallow's texts for the catalogs; it is translated when answered."""
    return message


# marshmallow's own messages, as it writes them (tests/test_i18n.py checks that it still does).
MARSHMALLOW_MESSAGES = (
    N_("Invalid input type."),
    N_("Unknown field."),
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid mapping type."),
    N_("Not a valid list."),
)
# Its validators' templates, answered filled in with numbers or choices.
MARSHMALLOW_TEMPLATES = (
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be one of: {choices}."),
)
FILLED_IN = [
    (re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(template))), template)
    for template in MARSHMALLOW_TEMPLATES
]


def init_i18n(app: Flask) -> None:
    """Pick each request's language and say it in Content-Language."""
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_say_the_language)


def select_locale() -> Locale:
    return LOCALES[request.accept_languages.best_match(LANGUAGES, default="en")]


def translated(message: Any) -> str:
    """A validation message in the request's language. Ours are translated already (made in
    the request, or lazy); marshmallow's English ones are looked up by their text, or by the
    template they were filled in from."""
    text = str(message)
    if (found := _(text)) != text:
        return found
    for pattern, template in FILLED_IN:
        if filled := pattern.fullmatch(text):
            return _(template).format(**filled.groupdict())
    return text


def _say_the_language(response: Response) -> Response:
    response.headers["Content-Language"] = CONTENT_LANGUAGE[get_locale()]
    response.vary.add("Accept-Language")
    return response
