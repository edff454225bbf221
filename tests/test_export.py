"""CSV export: header, quoting, formula defusing, filters, negotiation and batching."""

import csv
import io

import pytest
from helpers import add_row, assert_problem

from cashman.stores import transactions as store

HEADER = "id,type,date,description,amount,category,created_at,account_id,transfer_id\r\n"


def default_account_id(client, account) -> str:
    """The id of the account's default account, as `GET /auth/me` gives it."""
    response = client.get("/auth/me", headers=account.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["default_account_id"]


def export(client, account, url="/transactions.csv", **headers):
    response = client.get(url, headers={**account.headers, **headers})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="cashman-transactions.csv"'
    )
    return response.get_data(as_text=True)


def test_export_has_the_header_and_one_record_per_row_newest_first(client, alice):
    salary = add_row(
        client, alice, description="Salary", amount=5000, category="work", date="2026-11-01"
    )
    pizza = add_row(client, alice, "expenses", description="pizza", amount=50, date="2026-11-02")
    main = default_account_id(client, alice)
    assert export(client, alice) == (
        HEADER
        + f"{pizza['id']},EXPENSE,2026-11-02,pizza,-50.00,,{pizza['created_at']},{main},\r\n"
        + f"{salary['id']},INCOME,2026-11-01,Salary,5000.00,work,{salary['created_at']},{main},\r\n"
    )


def test_an_empty_export_is_the_header_alone(client, alice):
    assert export(client, alice) == HEADER


@pytest.mark.parametrize(
    ("description", "cell"),
    [
        ("a, b", '"a, b"'),
        ('say "hi"', '"say ""hi"""'),
        ("two\nlines", '"two\nlines"'),
        ("ünïcødé €", "ünïcødé €"),
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ('=HYPERLINK("http://x", "y")', '"\'=HYPERLINK(""http://x"", ""y"")"'),
        ("1=1", "1=1"),
    ],
)
def test_text_is_quoted_and_formulas_are_defused(client, alice, description, cell):
    row = add_row(client, alice, description=description, category=description[:64])
    main = default_account_id(client, alice)
    record = f"{row['id']},INCOME,{row['date']},{cell},1.00,{cell},{row['created_at']},{main},\r\n"
    text = export(client, alice)
    assert text == HEADER + record
    parsed = list(csv.reader(io.StringIO(text)))
    defused = description.startswith(("=", "+", "-", "@"))
    assert parsed[1][3] == ("'" + description if defused else description)


def test_amounts_always_have_two_decimals(client, alice):
    for amount in ["1", "0.5", "1234567.89", "999999999999.99"]:
        add_row(client, alice, amount=amount)
    amounts = [record[4] for record in csv.reader(io.StringIO(export(client, alice)))][1:]
    assert sorted(amounts) == ["0.50", "1.00", "1234567.89", "999999999999.99"]


def test_export_takes_the_list_filters_but_no_page_limit(client, alice):
    add_row(client, alice, description="old", date="2025-01-01")
    kept = [add_row(client, alice, description=f"food {n}", category="food") for n in range(3)]
    add_row(client, alice, "expenses", description="food too", category="food")
    text = export(client, alice, "/transactions.csv?type=income&category=food&q=FOOD&limit=1")
    records = list(csv.reader(io.StringIO(text)))[1:]
    assert [record[0] for record in records] == [row["id"] for row in reversed(kept)]


def test_accept_text_csv_on_transactions_is_the_export(client, alice):
    add_row(client, alice)
    by_path = export(client, alice, "/transactions.csv?q=sal")
    assert export(client, alice, "/transactions?q=sal", Accept="text/csv") == by_path
    assert (
        export(client, alice, "/transactions", Accept="application/json;q=0.5, text/csv") == by_path
    )
    json = client.get("/transactions", headers={**alice.headers, "Accept": "*/*"})
    assert json.headers["Content-Type"] == "application/json"
    csv_response = client.get("/transactions", headers={**alice.headers, "Accept": "text/csv"})
    assert json.headers["Vary"] == csv_response.headers["Vary"] == "Accept, Accept-Language"


def test_export_streams_every_row_across_batches(client, alice, monkeypatch):
    monkeypatch.setattr(store, "EXPORT_BATCH", 3)
    rows = [add_row(client, alice, description=f"row {n}", date="2026-01-01") for n in range(10)]
    response = client.get("/transactions.csv", headers=alice.headers)
    assert response.is_streamed
    records = list(csv.reader(io.StringIO(response.get_data(as_text=True))))[1:]
    assert [record[0] for record in records] == [row["id"] for row in reversed(rows)]


def test_export_holds_only_ones_own_rows(client, alice, bob):
    add_row(client, alice)
    assert export(client, bob) == HEADER


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("from=2026-13-01", {"from": ["Not a valid date."]}),
        ("type=all", {"type": ["Must be one of: income, expense, transfer."]}),
    ],
)
def test_export_rejects_bad_filters_with_a_json_problem(prod_client, make_account, query, errors):
    alice = make_account(prod_client, "alice")
    response = prod_client.get(f"/transactions.csv?{query}", headers=alice.headers)
    assert_problem(response, 400, "Bad Request", "The query has invalid parameters.", errors)
