"""Errors in the client's language: complete catalogs, and real translated answers."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from helpers import login, register
from live import ROOT

TRANSLATIONS = ROOT / "cashman" / "translations"
LOCALES = ["pt_BR", "es", "de"]
PLACEHOLDER = re.compile(r"\{\w*\}")
GERMAN_AMOUNT = 'Kein gültiger Betrag: senden Sie eine Zahl oder eine Zahl als Text wie "12.50".'


def catalog(path: Path):
    with path.open("rb") as file:
        return read_po(file)


def template_ids(path: Path) -> set[str]:
    return {message.id for message in catalog(path) if message.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_catalog_translates_every_message_of_the_template(locale):
    messages = {
        message.id: message
        for message in catalog(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po")
        if message.id
    }
    template = template_ids(TRANSLATIONS / "messages.pot")
    assert template - messages.keys() == set(), "run: make i18n-extract, then translate"
    for message_id in template:
        message = messages[message_id]
        assert message.string and not message.fuzzy, f"{locale}: {message_id!r} is not translated"
        placeholders = sorted(PLACEHOLDER.findall(message_id))
        assert sorted(PLACEHOLDER.findall(message.string)) == placeholders, message_id


def test_the_template_holds_every_message_of_the_code(tmp_path):
    """Fails when code gains a message that `make i18n-extract` has not put in the template."""
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-k",
            "_l",
            "--no-location",
            "--omit-header",
            "-o",
            str(fresh),
            "cashman",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert template_ids(fresh) == template_ids(TRANSLATIONS / "messages.pot")


@pytest.mark.parametrize(
    ("accept", "language"),
    [
        (None, "en"),
        ("de", "de"),
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("pt-BR", "pt-BR"),
        ("pt", "pt-BR"),
        ("es-419", "es"),
        ("de;q=0.5, es;q=0.9", "es"),
        ("fr, de;q=0.1", "de"),
        ("fr", "en"),
        ("*", "en"),
        ("not a language", "en"),
    ],
)
def test_the_language_is_the_best_match_of_accept_language(client, accept, language):
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get("/nowhere", headers=headers)
    assert response.headers["Content-Language"] == language
    assert "Accept-Language" in response.headers["Vary"]


EXPECTED = {
    "en": {
        401: ("Unauthorized", "A bearer access token is required."),
        404: (
            "Not Found",
            "The requested URL was not found on the server. If you entered the URL manually "
            "please check your spelling and try again.",
        ),
        422: (
            "Unprocessable Content",
            "The request body has invalid fields.",
            {
                "amount": [
                    'Not a valid amount: send a number or a numeric string such as "12.50".'
                ],
                "description": ["Missing data for required field."],
                "colour": ["Unknown field."],
            },
        ),
        429: ("Too Many Requests", "Too many failed logins for this username; try again later."),
    },
    "de": {
        401: ("Nicht autorisiert", "Ein Bearer-Zugriffstoken ist erforderlich."),
        404: (
            "Nicht gefunden",
            "Die angefragte URL wurde auf dem Server nicht gefunden. Wenn Sie die URL von Hand "
            "eingegeben haben, prüfen Sie bitte die Schreibweise und versuchen Sie es erneut.",
        ),
        422: (
            "Nicht verarbeitbarer Inhalt",
            "Der Anfragekörper hat ungültige Felder.",
            {
                "amount": [GERMAN_AMOUNT],
                "description": ["Für ein Pflichtfeld fehlen Daten."],
                "colour": ["Unbekanntes Feld."],
            },
        ),
        429: (
            "Zu viele Anfragen",
            "Zu viele fehlgeschlagene Anmeldungen für diesen Benutzernamen; versuchen Sie es "
            "später erneut.",
        ),
    },
    "pt-BR": {
        401: ("Não autorizado", "Um token de acesso do tipo Bearer é obrigatório."),
        404: (
            "Não encontrado",
            "A URL solicitada não foi encontrada no servidor. Se você digitou a URL, verifique a "
            "ortografia e tente novamente.",
        ),
        422: (
            "Conteúdo não processável",
            "O corpo da requisição tem campos inválidos.",
            {
                "amount": ['Valor inválido: envie um número ou um texto numérico como "12.50".'],
                "description": ["Faltam dados para um campo obrigatório."],
                "colour": ["Campo desconhecido."],
            },
        ),
        429: (
            "Requisições demais",
            "Tentativas de login malsucedidas demais para este usuário; tente mais tarde.",
        ),
    },
    "es": {
        401: ("No autorizado", "Se requiere un token de acceso de tipo Bearer."),
        404: (
            "No encontrado",
            "La URL solicitada no se encontró en el servidor. Si escribió la URL a mano, revise "
            "la ortografía e inténtelo de nuevo.",
        ),
        422: (
            "Contenido no procesable",
            "El cuerpo de la solicitud tiene campos no válidos.",
            {
                "amount": [
                    'Importe no válido: envíe un número o una cadena numérica como "12.50".'
                ],
                "description": ["Faltan datos para un campo obligatorio."],
                "colour": ["Campo desconocido."],
            },
        ),
        429: (
            "Demasiadas solicitudes",
            "Demasiados inicios de sesión fallidos para este usuario; inténtelo más tarde.",
        ),
    },
}


def assert_translated(response, status: int, language: str, expected: tuple) -> None:
    title, detail, *errors = expected
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Content-Language"] == language
    body = response.get_json()
    assert body == {
        "type": "about:blank",  # machine-readable parts never change with the language
        "title": title,
        "status": status,
        "detail": detail,
        **({"errors": errors[0]} if errors else {}),
        "request_id": response.headers["X-Request-ID"],
    }


@pytest.mark.parametrize("language", list(EXPECTED))
def test_problems_are_in_the_clients_language(another_app, make_account, language):
    app = another_app(testing=False, RATE_LIMIT_LOGIN_USERNAME="1 per minute")
    client = app.test_client()
    account = make_account(client, "gina")
    speak = {"Accept-Language": language}
    expected = EXPECTED[language]

    assert_translated(client.get("/incomes", headers=speak), 401, language, expected[401])
    assert_translated(client.get("/nowhere", headers=speak), 404, language, expected[404])
    response = client.post(
        "/incomes", json={"amount": "abc", "colour": "red"}, headers={**account.headers, **speak}
    )
    assert_translated(response, 422, language, expected[422])

    register(client, "hugo")
    login(client, "hugo", "wrong")
    assert_translated(login(client, "hugo", **speak), 429, language, expected[429])


def test_a_german_client_posting_abc_reads_german(client, alice):
    response = client.post(
        "/expenses",
        json={"description": "Pizza", "amount": "abc"},
        headers={**alice.headers, "Accept-Language": "de-DE"},
    )
    title, detail, _ = EXPECTED["de"][422]
    assert_translated(response, 422, "de", (title, detail, {"amount": [GERMAN_AMOUNT]}))


def test_query_and_validator_messages_are_translated_with_their_numbers(client, alice):
    response = client.get(
        "/incomes?limit=0&from=x&category=", headers={**alice.headers, "Accept-Language": "es"}
    )
    errors = {
        "limit": ["Debe estar entre 1 y 500."],
        "from": ["Fecha no válida."],
        "category": ["La longitud debe estar entre 1 y 64."],
    }
    expected = ("Solicitud incorrecta", "La consulta tiene parámetros no válidos.", errors)
    assert_translated(response, 400, "es", expected)


def test_marshmallow_is_left_as_it_is(app):
    """Nothing changes marshmallow, at import or in init_i18n: its messages are translated as
    they are answered, so its fields, schemas and validators keep its own English ones."""
    from marshmallow import Schema, fields, validate

    assert fields.Field.make_error.__module__ == "marshmallow.fields"
    assert type(Schema().error_messages["unknown"]) is str
    assert type(fields.Integer().error_messages["invalid"]) is str
    assert validate.Length.message_min == "Shorter than minimum length {min}."


def test_the_catalogs_marshmallow_texts_are_still_marshmallows():
    """Each is what marshmallow answers, so an upgrade that rewords one fails here, not
    silently in English."""
    from marshmallow import Schema, ValidationError, fields, missing, validate

    from cashman.i18n import MARSHMALLOW_MESSAGES, MARSHMALLOW_TEMPLATES

    refused = [
        (fields.Field(required=True), missing),
        (fields.Field(), None),
        (fields.String(), 1),
        (fields.String(), b"\xff"),
        (fields.Integer(), "x"),
        (fields.Float(), "x"),
        (fields.Float(), 10**400),
        (fields.Date(), "x"),
        (fields.DateTime(), "x"),
        (fields.Dict(), 1),
        (fields.List(fields.Raw()), 1),
    ]
    answered = [fields.Field().error_messages["validator_failed"]]  # none of its validators fail
    for field, value in refused:
        with pytest.raises(ValidationError) as error:
            field.deserialize(value)
        answered += error.value.messages
    for body in (1, {"colour": "red"}):
        with pytest.raises(ValidationError) as error:
            Schema().load(body)
        answered += [text for texts in error.value.messages.values() for text in texts]
    assert sorted(answered) == sorted(MARSHMALLOW_MESSAGES)
    length = validate.Length
    templates = [length.message_min, length.message_max, length.message_all, length.message_equal]
    assert list(MARSHMALLOW_TEMPLATES) == [*templates, validate.OneOf.default_message]


@pytest.mark.parametrize(
    ("language", "choices", "length"),
    [
        ("en", "Must be one of: income, expense, transfer.", "Length must be between 1 and 64."),
        (
            "de",
            "Muss eines der folgenden sein: income, expense, transfer.",
            "Die Länge muss zwischen 1 und 64 liegen.",
        ),
    ],
)
def test_a_validators_filled_in_template_is_answered_in_the_clients_language(
    client, alice, language, choices, length
):
    headers = {**alice.headers, "Accept-Language": language}
    response = client.get("/transactions?type=all&category=", headers=headers)
    body = response.get_json()
    assert (response.status_code, body["errors"]) == (
        400,
        {"type": [choices], "category": [length]},
    )
