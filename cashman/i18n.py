"""Errors in the client's language: English, Brazilian Portuguese, Spanish and German.

Flask-Babel picks the best match of Accept-Language (quality values count; anything else is
English). Every text a client can read goes through gettext: our own messages, problem titles,
and marshmallow's built-in field and validator messages, which are swapped for lazy translations
here, once, before any schema is built. Machine-readable parts (types, statuses, field names,
JSON keys) never change with the language. Catalogs: cashman/translations/<locale>/messages.po.
"""

from typing import Any

from babel import Locale
from flask import Flask, Response, request
from flask_babel import Babel, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate

LANGUAGES = ["en", "pt_BR", "es", "de"]

babel = Babel()

__all__ = ["LANGUAGES", "_", "_l", "babel", "register_i18n"]


# Parsed once: Babel would parse (and look up on disk) the chosen locale on every request.
LOCALES = {tag: Locale.parse(tag) for tag in LANGUAGES}
CONTENT_LANGUAGE = {locale: tag.replace("_", "-") for tag, locale in LOCALES.items()}


def select_locale() -> Locale:
    return LOCALES[request.accept_languages.best_match(LANGUAGES, default="en")]


def register_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_say_the_language)


def _say_the_language(response: Response) -> Response:
    response.headers["Content-Language"] = CONTENT_LANGUAGE[get_locale()]
    response.vary.add("Accept-Language")
    return response


def _translate_marshmallow() -> None:
    """Replace marshmallow's English messages with lazy translations.

    A field turns its message into text when it raises (so in the request's language): marshmallow
    would keep a lazy message as is, unformatted and not wrapped in a list.
    """
    Schema._default_error_messages = {
        "type": _l("Invalid input type."),
        "unknown": _l("Unknown field."),
    }
    fields.Field.default_error_messages = {
        "required": _l("Missing data for required field."),
        "null": _l("Field may not be null."),
        "validator_failed": _l("Invalid value."),
    }
    messages = {
        fields.String: {
            "invalid": _l("Not a valid string."),
            "invalid_utf8": _l("Not a valid utf-8 string."),
        },
        fields.Integer: {"invalid": _l("Not a valid integer.")},
        fields.Number: {"invalid": _l("Not a valid number."), "too_large": _l("Number too large.")},
        fields.Date: {"invalid": _l("Not a valid date.")},
        fields.DateTime: {"invalid": _l("Not a valid datetime.")},
        fields.Dict: {"invalid": _l("Not a valid mapping type.")},
        fields.List: {"invalid": _l("Not a valid list.")},
    }
    for field_class, field_messages in messages.items():
        field_class.default_error_messages = {
            **field_class.default_error_messages,
            **field_messages,
        }
    validate.Length.message_min = _l("Shorter than minimum length {min}.")
    validate.Length.message_max = _l("Longer than maximum length {max}.")
    validate.Length.message_all = _l("Length must be between {min} and {max}.")
    validate.Length.message_equal = _l("Length must be {equal}.")
    validate.OneOf.default_message = _l("Must be one of: {choices}.")
    fields.Field.make_error = _make_error


def _make_error(self: fields.Field, key: str, **kwargs: Any) -> ValidationError:
    """marshmallow's Field.make_error, rendering the (lazy) message in the current language."""
    try:
        message = self.error_messages[key]
    except KeyError as error:
        raise AssertionError(f"{type(self).__name__} has no error message {key!r}") from error
    return ValidationError(str(message).format(**kwargs))


_translate_marshmallow()
