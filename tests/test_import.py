"""POST /transactions/import: CSV or JSON, all or nothing, duplicates skipped, on either engine."""

import csv
import io
import json
from decimal import Decimal as D

import pytest
from helpers import SOME_ID, add_row, assert_problem, json_body

from cashman.schemas.imports import MAX_BODY_BYTES

HEADER = "id,type,date,description,amount,category,created_at\n"
INVALID_ROWS = "The import has invalid rows; nothing was imported."
TOO_DEEP = "The JSON is nested more than 16 levels deep."


def import_csv(client, account, text, query=""):
    return client.post(
        f"/transactions/import{query}",
        data=text.encode(),
        headers={**account.headers, "Content-Type": "text/csv"},
    )


def import_json(client, account, rows, query=""):
    return client.post(f"/transactions/import{query}", json=rows, headers=account.headers)


def result(created, skipped):
    return {"created": created, "skipped_duplicates": skipped}


def rows_of(client, account):
    """The caller's rows, newest first, as (type, date, description, amount, category)."""
    body = json_body(client.get("/transactions?limit=100", headers=account.headers))
    return [
        (row["type"], row["date"], row["description"], row["amount"], row["category"])
        for row in body
    ]


def cells_but_created_at(exported: str) -> list[list[str]]:
    """An export's records without their created_at cell, in any order (rows of a day created
    by one import are listed in the order the import created them)."""
    header, *records = csv.reader(io.StringIO(exported))
    kept = [n for n, column in enumerate(header) if column != "created_at"]
    return sorted([[record[n] for n in kept] for record in [header, *records]])


def default_account_id(client, account) -> str:
    """The id of the caller's default account, as `GET /auth/me` gives it."""
    return json_body(client.get("/auth/me", headers=account.headers))["default_account_id"]


def moved_to(client, exported: str, source, target) -> str:
    """An export of `source` with its default account's id replaced by `target`'s: another
    user's account is absent to the caller, so a file moves between users with its ids changed."""
    return exported.replace(default_account_id(client, source), default_account_id(client, target))


def balance(client, account):
    return json_body(client.get("/balance", headers=account.headers))


BANK = (
    "type,date,description,amount,category\n"
    "EXPENSE,2026-11-03,Coffee,3.20,Food\n"
    "EXPENSE,2026-11-03,Coffee,3.20,Food\n"
    "INCOME,2026-11-01,Salary,3000,\n"
    "EXPENSE,2026-11-02,Rent,-950.00,Home\n"
)


def test_a_bank_csv_imported_twice_is_all_duplicates_the_second_time(client, alice):
    response = import_csv(client, alice, BANK)
    assert json_body(response) == result(4, 0)
    assert response.headers["Cache-Control"] == "no-store"
    assert rows_of(client, alice) == [
        ("EXPENSE", "2026-11-03", "Coffee", D("-3.20"), "Food"),
        ("EXPENSE", "2026-11-03", "Coffee", D("-3.20"), "Food"),
        ("EXPENSE", "2026-11-02", "Rent", D("-950.00"), "Home"),
        ("INCOME", "2026-11-01", "Salary", D("3000.00"), None),
    ]
    assert json_body(import_csv(client, alice, BANK)) == result(0, 4)
    assert balance(client, alice) == {
        "currency": "USD",
        "income": D("3000.00"),
        "expenses": D("-956.40"),
        "balance": D("2043.60"),
        "count": 4,
    }


def test_the_nth_identical_row_of_the_file_matches_the_nth_stored_one(client, alice):
    coffee = {"description": "Coffee", "amount": "3.20", "date": "2026-11-03"}
    add_row(client, alice, "expenses", **coffee, category="Food")
    add_row(client, alice, "expenses", **coffee, category="Drinks")  # category aside
    rows = [{"type": "EXPENSE", **coffee}] * 3
    assert json_body(import_json(client, alice, rows)) == result(1, 2)
    assert len(rows_of(client, alice)) == 3
    # The rows an import creates match nothing in it: stored means stored before.
    assert json_body(import_json(client, alice, rows * 2)) == result(3, 3)


def test_a_duplicate_is_of_the_same_type_date_amount_and_description(client, alice):
    add_row(client, alice, "expenses", description="Coffee", amount="3.20", date="2026-11-03")
    others = [
        {"type": "INCOME", "description": "Coffee", "amount": "3.20", "date": "2026-11-03"},
        {"type": "EXPENSE", "description": "Coffee", "amount": "3.21", "date": "2026-11-03"},
        {"type": "EXPENSE", "description": "Coffee", "amount": "3.20", "date": "2026-11-04"},
        {"type": "EXPENSE", "description": "coffee", "amount": "3.20", "date": "2026-11-03"},
        {"type": "EXPENSE", "description": "Coffee", "amount": "-3.20", "date": "2026-11-03"},
    ]
    assert json_body(import_json(client, alice, others)) == result(4, 1)


def test_a_row_with_an_id_the_caller_has_is_a_duplicate_whatever_its_content(client, alice):
    row = add_row(client, alice, "incomes", description="Salary", amount="10")
    changed = {"id": row["id"].upper(), "type": "EXPENSE", "description": "Other", "amount": 5}
    assert json_body(import_json(client, alice, [changed])) == result(0, 1)
    assert json_body(client.get(f"/incomes/{row['id']}", headers=alice.headers)) == row


def test_a_row_with_a_new_id_is_created_under_it_and_the_id_is_per_user(client, alice, bob):
    add_row(client, bob, "incomes", id=SOME_ID)
    rows = [
        {
            "id": SOME_ID,
            "type": "INCOME",
            "description": "Salary",
            "amount": 1,
            "date": "2026-11-01",
        },
        {"id": SOME_ID, "type": "INCOME", "description": "Again", "amount": 2},  # in the file twice
    ]
    assert json_body(import_json(client, alice, rows)) == result(1, 1)
    stored = json_body(client.get(f"/incomes/{SOME_ID}", headers=alice.headers))
    assert (stored["description"], stored["amount"], stored["date"]) == (
        "Salary",
        D("1.00"),
        "2026-11-01",
    )


def test_export_then_import_changes_nothing(client, alice):
    add_row(client, alice, "incomes", description="=1+2", amount="10.10", category="@risk")
    add_row(client, alice, "expenses", description="'quoted", amount="2", category="-minus")
    add_row(client, alice, "expenses", description="'=sneaky", amount="3.33")
    exported = client.get("/transactions.csv", headers=alice.headers).get_data(as_text=True)
    knowledge = json_body(client.get("/sync", headers=alice.headers))["server_knowledge"]
    assert json_body(import_csv(client, alice, exported)) == result(0, 3)
    assert json_body(client.get("/sync", headers=alice.headers))["server_knowledge"] == knowledge


def test_exported_rows_imported_by_another_user_are_the_same_rows(client, alice, bob):
    add_row(client, alice, "incomes", description="=1+2", amount="10.10", category="@risk")
    add_row(client, alice, "expenses", description="'quoted", amount="2", category="-minus")
    add_row(client, alice, "expenses", description="'=sneaky", amount="3.33", category="\tTab")
    exported = client.get("/transactions.csv", headers=alice.headers).get_data(as_text=True)
    foreign = {"account_id": ["The account does not exist."]}
    assert_problem(
        import_csv(client, bob, exported),
        422,
        "Unprocessable Content",
        INVALID_ROWS,
        {f"row {n}": foreign for n in range(1, 4)},
    )
    exported = moved_to(client, exported, alice, bob)
    assert json_body(import_csv(client, bob, exported)) == result(3, 0)
    again = client.get("/transactions.csv", headers=bob.headers).get_data(as_text=True)
    assert cells_but_created_at(again) == cells_but_created_at(exported)
    descriptions = {
        row["description"] for row in json_body(client.get("/transactions", headers=bob.headers))
    }
    assert descriptions == {"=1+2", "'quoted", "'=sneaky"}


def test_json_takes_transaction_objects_as_the_api_answers_them(client, alice, bob):
    add_row(client, alice, "incomes", description="Salary", amount="3000", category="Work")
    add_row(client, alice, "expenses", description="Rent", amount="950")
    bob_main = default_account_id(client, bob)
    rows = [
        {**row, "account_id": bob_main}
        for row in json_body(client.get("/transactions", headers=alice.headers))
    ]
    assert json_body(import_json(client, bob, rows)) == result(2, 0)
    mine = json_body(client.get("/transactions", headers=bob.headers))
    ignored = ("created_at", "updated_at", "version")
    content = lambda row: {k: v for k, v in row.items() if k not in ignored}  # noqa: E731
    assert sorted(map(content, mine), key=str) == sorted(map(content, rows), key=str)


def test_a_dry_run_answers_the_same_and_writes_nothing(client, alice):
    add_row(client, alice, "expenses", description="Coffee", amount="3.20", date="2026-11-03")
    before = json_body(client.get("/sync", headers=alice.headers))
    assert json_body(import_csv(client, alice, BANK, "?dry_run=true")) == result(3, 1)
    assert json_body(client.get("/sync", headers=alice.headers)) == before
    assert json_body(import_csv(client, alice, BANK, "?dry_run=false")) == result(3, 1)


def test_a_bad_dry_run_value_is_a_400(client, alice):
    response = import_csv(client, alice, BANK, "?dry_run=maybe")
    assert_problem(
        response,
        400,
        "Bad Request",
        "The query has invalid parameters.",
        {"dry_run": ["Not a valid boolean."]},
    )


def test_import_bumps_versions_and_keeps_the_running_totals(client, alice):
    add_row(client, alice, "incomes", description="Before", amount="1")
    assert json_body(import_csv(client, alice, BANK)) == result(4, 0)
    changes = json_body(client.get("/sync?since=2", headers=alice.headers))
    assert changes["server_knowledge"] == 6
    assert [row["version"] for row in changes["changed"]] == [3, 4, 5, 6]
    assert [row["description"] for row in changes["changed"]] == [
        "Coffee",
        "Coffee",
        "Salary",
        "Rent",
    ]
    listed = client.get("/expenses", headers=alice.headers)
    assert listed.headers["X-Total-Count"] == "3"
    assert balance(client, alice)["balance"] == D("2044.60")


def test_empty_cells_mean_no_id_today_and_no_category(client, alice):
    text = HEADER + ",INCOME,,Gift,5,,\n"
    assert json_body(import_csv(client, alice, text)) == result(1, 0)
    (row,) = json_body(client.get("/incomes", headers=alice.headers))
    today = json_body(client.get("/incomes", headers=alice.headers))[0]["created_at"][:10]
    assert (row["date"], row["category"], row["description"]) == (today, None, "Gift")


def test_columns_may_come_in_any_order_with_a_byte_order_mark(client, alice):
    text = "\ufeffamount,description,type\n12.5,Book,EXPENSE\n"
    assert json_body(import_csv(client, alice, text)) == result(1, 0)
    assert json_body(client.get("/expenses", headers=alice.headers))[0]["amount"] == D("-12.50")


def test_an_empty_file_or_array_imports_nothing(client, alice):
    assert json_body(import_csv(client, alice, "")) == result(0, 0)
    assert json_body(import_csv(client, alice, HEADER)) == result(0, 0)
    assert json_body(import_json(client, alice, [])) == result(0, 0)


def test_every_bad_row_is_named_and_nothing_is_written(client, alice):
    text = (
        HEADER
        + ",INCOME,2026-11-01,Fine,5,,\n"
        + ",INCOME,2026-11-01,Negative,-5,,\n"
        + "not-a-uuid,EXPENSE,2026-11-01,Bad id,5,,\n"
        + ",TRANSFER,2026-11-01,What,5,,\n"
        + ",EXPENSE,2026-13-01,,1.001,,\n"
        + ",EXPENSE,2026-11-01,Short\n"
        + ",EXPENSE,2026-11-01,Decimals,1.001,,\n"
    )
    response = import_csv(client, alice, text)
    assert_problem(
        response,
        422,
        "Unprocessable Content",
        INVALID_ROWS,
        {
            "row 2": {"amount": ["An income must be positive."]},
            "row 3": {"id": ["Not a valid UUID."]},
            "row 4": {"type": ["A TRANSFER row needs the transfer_id of its transfer."]},
            # The decimals are checked once the row's account is known: after its other fields.
            "row 5": {
                "date": ["Not a valid date."],
                "description": ["Length must be between 1 and 255."],
            },
            "row 6": {"_schema": ["The row has 4 cells; the header names 7 columns."]},
            "row 7": {"amount": ["An amount has at most 2 decimal places."]},
        },
    )
    assert rows_of(client, alice) == []


def test_json_rows_are_checked_as_creates(client, alice):
    rows = [
        {"type": "EXPENSE", "description": "Fine", "amount": 5},
        {"description": "No type", "amount": 5},
        {"type": "INCOME", "description": "x", "amount": 1, "colour": "red"},
        "not an object",
        {"type": "INCOME", "description": "x", "amount": "HUGE"},
        {"type": "INCOME", "description": "a\u0000b", "amount": 1},
    ]
    text = json.dumps(rows).replace('"HUGE"', "1.5e400")  # exact, never a float
    headers = {**alice.headers, "Content-Type": "application/json"}
    assert_problem(
        client.post("/transactions/import", data=text, headers=headers),
        422,
        "Unprocessable Content",
        INVALID_ROWS,
        {
            "row 2": {"type": ["Missing data for required field."]},
            "row 3": {"colour": ["Unknown field."]},
            "row 4": {"_schema": ["Invalid input type."]},
            "row 5": {"amount": ["An amount must be at most 1000000000000 in absolute value."]},
            "row 6": {"description": ["Must not contain the NUL character."]},
        },
    )
    assert rows_of(client, alice) == []


def test_at_most_100_bad_rows_are_listed(client, alice):
    rows = [{"type": "INCOME", "description": "x", "amount": -1}] * 150
    body = json_body(import_json(client, alice, rows), 422)
    assert list(body["errors"]) == [f"row {n}" for n in range(1, 101)]


def test_a_bad_row_after_full_batches_writes_nothing(client, alice):
    rows = [{"type": "EXPENSE", "description": f"r{n}", "amount": 1} for n in range(2500)]
    rows.append({"type": "EXPENSE", "description": "", "amount": 1})
    body = json_body(import_json(client, alice, rows), 422)
    assert body["errors"] == {"row 2501": {"description": ["Length must be between 1 and 255."]}}
    assert balance(client, alice)["count"] == 0
    # The default account made at registration is the user's one change.
    assert json_body(client.get("/sync", headers=alice.headers))["server_knowledge"] == 1


def test_more_than_10000_rows_is_a_413_and_nothing_is_written(client, alice):
    text = HEADER + ",EXPENSE,2026-11-01,x,1,,\n" * 10_001
    response = import_csv(client, alice, text)
    assert_problem(response, 413, "Content Too Large", "An import takes at most 10000 rows.")
    assert balance(client, alice)["count"] == 0


def test_a_body_of_15_mib_is_read_and_one_byte_more_is_a_413(client, alice):
    assert MAX_BODY_BYTES == 15 * 1024 * 1024  # the export of 10,000 of the longest rows

    def row(spaces: int) -> str:  # white space in a trimmed cell, under csv's 131,072 a cell
        return ",EXPENSE,2026-11-01,Coffee," + " " * spaces + "3.20,,\n"

    rows = (MAX_BODY_BYTES - len(HEADER)) // len(row(60_000))
    text = HEADER + row(60_000) * (rows - 1)
    text += row(60_000 + MAX_BODY_BYTES - len(text) - len(row(60_000)))
    assert len(text.encode()) == MAX_BODY_BYTES
    assert json_body(import_csv(client, alice, text)) == result(rows, 0)
    response = import_csv(client, alice, text + "\n")
    assert_problem(response, 413, "Content Too Large", "The request body is larger than 15 MiB.")
    assert balance(client, alice)["count"] == rows


def test_an_import_over_1_mib_is_read(client, alice):
    line = f",EXPENSE,2026-11-01,{'d' * 200},1,,\n"
    text = HEADER + line * (1024 * 1024 // len(line) + 10)  # over 1 MiB, under 10,000 rows
    assert json_body(import_csv(client, alice, text))["created"] == text.count("\n") - 1


def test_10000_of_the_longest_rows_export_to_a_file_the_import_takes(client, alice, bob):
    """Export then import holds at the import's limit: found when an import near 5 MiB exported
    to more than 5 MiB, whose import was a 413."""
    description, category = "\U0001f600" * 255, "\u00e9" + "\U0001f355" * 63
    lines = [
        f"EXPENSE,2026-11-{n % 28 + 1:02d},{description},-1000000000000.00,{category}\n"
        for n in range(10_000)
    ]
    text = "type,date,description,amount,category\n" + "".join(lines)
    assert len(text.encode()) > 5 * 1024 * 1024
    assert json_body(import_csv(client, alice, text)) == result(10_000, 0)
    exported = client.get("/transactions.csv", headers=alice.headers).get_data(as_text=True)
    assert 5 * 1024 * 1024 < len(exported.encode()) <= MAX_BODY_BYTES
    exported = moved_to(client, exported, alice, bob)
    assert json_body(import_csv(client, bob, exported)) == result(10_000, 0)
    again = client.get("/transactions.csv", headers=bob.headers).get_data(as_text=True)
    assert cells_but_created_at(again) == cells_but_created_at(exported)


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        ("a,type,description,amount\n", {"header": ["Unknown column: a."]}),
        ("type,description\n", {"header": ["Missing column: amount."]}),
        ("type,description,amount,amount\n", {"header": ["A column is named twice."]}),
    ],
)
def test_a_csv_header_must_name_the_exports_columns(client, alice, text, errors):
    detail = (
        "The CSV header must name the export's columns: "
        "id,type,date,description,amount,category,created_at,account_id,transfer_id."
    )
    assert_problem(import_csv(client, alice, text), 422, "Unprocessable Content", detail, errors)


def test_a_body_that_cannot_be_read_is_a_400_or_415(client, alice):
    headers = {**alice.headers, "Content-Type": "text/csv"}
    response = client.post("/transactions/import", data=b"type\n\xff\xfe\n", headers=headers)
    assert_problem(response, 400, "Bad Request", "The CSV is not UTF-8 text.")
    response = import_json(client, alice, {"type": "INCOME"})
    assert_problem(
        response, 400, "Bad Request", "An import in JSON is an array of transaction objects."
    )
    headers = {**alice.headers, "Content-Type": "application/json"}
    response = client.post("/transactions/import", data=b'[{"type": "INC', headers=headers)
    assert_problem(response, 400, "Bad Request", "The request body is not valid JSON.")
    response = client.post(
        "/transactions/import", data=b"x", headers={**alice.headers, "Content-Type": "text/plain"}
    )
    assert_problem(
        response,
        415,
        "Unsupported Media Type",
        "An import is CSV (Content-Type: text/csv) or JSON (Content-Type: application/json).",
    )


def test_ten_thousand_rows_round_trip_through_export_and_import(client, alice, bob):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["type", "date", "description", "amount", "category"])
    for n in range(10_000):
        kind = "INCOME" if n % 7 == 0 else "EXPENSE"
        day = f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}"
        writer.writerow(
            [kind, day, f"Row {n % 500}", f"{n % 1000 + 1}.{n % 100:02d}", f"C{n % 13}"]
        )
    assert json_body(import_csv(client, alice, out.getvalue())) == result(10_000, 0)
    exported = client.get("/transactions.csv", headers=alice.headers).get_data(as_text=True)
    assert json_body(import_csv(client, alice, exported)) == result(0, 10_000)
    assert json_body(import_csv(client, alice, out.getvalue())) == result(0, 10_000)
    exported = moved_to(client, exported, alice, bob)
    assert json_body(import_csv(client, bob, exported)) == result(10_000, 0)
    assert balance(client, bob) == balance(client, alice)
    again = client.get("/transactions.csv", headers=bob.headers).get_data(as_text=True)
    assert cells_but_created_at(again) == cells_but_created_at(exported)


def post_json_text(client, account, text: bytes | str):
    headers = {**account.headers, "Content-Type": "application/json"}
    return client.post("/transactions/import", data=text, headers=headers)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        (b"[" + b"9" * 5000 + b"]", "The request body is not valid JSON."),  # no int of 5000 digits
        (b"[1e99999999999999999999]", "The request body is not valid JSON."),
        (b"[1] x", "The request body is not valid JSON."),
        (b"[" * 17 + b"]" * 17, TOO_DEEP),
        (b"[" + b"[" * 60_000 + b"]" * 60_000 + b"]", TOO_DEEP),
        (
            b" " * 10_000 + b'{"type": "INCOME"}',
            "An import in JSON is an array of transaction objects.",
        ),
    ],
)
def test_json_that_cannot_be_read_is_a_400(client, alice, text, detail):
    assert_problem(post_json_text(client, alice, text), 400, "Bad Request", detail)
    assert balance(client, alice)["count"] == 0


def test_json_with_a_byte_order_mark_or_much_leading_space_is_read(client, alice):
    row = b'{"type": "income", "description": "Gift", "amount": 5}'
    assert json_body(post_json_text(client, alice, b"\xef\xbb\xbf[" + row + b"]")) == result(1, 0)
    assert json_body(post_json_text(client, alice, b" " * 10_000 + b"[" + row + b"]")) == result(
        0, 1
    )


def test_json_rows_that_are_ambiguous_too_wide_or_not_text_are_bad_rows(client, alice):
    wide = {"type": "INCOME", "description": "x", "amount": 1} | {f"k{n}": n for n in range(300)}
    text = (
        b'[{"type": "INCOME", "description": "x", "amount": 1, "amount": 1000},'
        + json.dumps(wide).encode()
        + b',{"type": "INCOME", "description": "a\\ud800b", "amount": 1}]'
    )
    assert_problem(
        post_json_text(client, alice, text),
        422,
        "Unprocessable Content",
        INVALID_ROWS,
        {
            "row 1": {"_schema": ["A field is named twice."]},
            "row 2": {"_schema": ["A transaction has at most 12 fields."]},
            "row 3": {"description": ["Must not contain unpaired surrogate code points."]},
        },
    )


def test_json_16_levels_deep_is_read_as_a_request_body_is(client, alice):
    """The array is the first level, as a request body's outermost value is (17: a 400)."""
    response = post_json_text(client, alice, b"[" * 16 + b"]" * 16)
    errors = {"row 1": {"_schema": ["Invalid input type."]}}
    assert_problem(response, 422, "Unprocessable Content", INVALID_ROWS, errors)


@pytest.mark.parametrize("levels", [16, 17])
def test_a_json_row_16_levels_deep_is_checked_and_17_is_a_400(client, alice, levels):
    category = b"[" * (levels - 2) + b"]" * (levels - 2)  # inside the array and the row
    text = b'[{"type": "INCOME", "description": "x", "amount": 1, "category": ' + category + b"}]"
    response = post_json_text(client, alice, text)
    if levels == 16:
        errors = {"row 1": {"category": ["Not a valid string."]}}
        assert_problem(response, 422, "Unprocessable Content", INVALID_ROWS, errors)
    else:
        assert_problem(response, 400, "Bad Request", TOO_DEEP)


def test_description_and_category_are_trimmed_as_post_incomes_trims_them(client, alice):
    """The docs said the import kept their white space; it trims, as POST /incomes does."""
    cells = ["  Coffee \t", " Food  ", "'=SUM(A1) ", "''-1", " '=x"]
    text = (
        "type,date,description,amount,category\n"
        f'EXPENSE,2026-11-03,"{cells[0]}",3.20,"{cells[1]}"\n'
        f'EXPENSE,2026-11-02,"{cells[2]}",1,"{cells[3]}"\n'
        f'EXPENSE,2026-11-01,"{cells[4]}",1,\n'
    )
    assert json_body(import_csv(client, alice, text)) == result(3, 0)
    rows = [
        {"type": "INCOME", "date": "2026-10-01", "description": " Gift ", "amount": 1},
        {
            "type": "INCOME",
            "date": "2026-09-01",
            "description": "x",
            "amount": 1,
            "category": "\u3000Work\n",
        },
    ]
    assert json_body(import_json(client, alice, rows)) == result(2, 0)
    posted = {"description": " Gift ", "amount": 1, "date": "2026-08-01", "category": " Work "}
    assert (
        json_body(client.post("/incomes", json=posted, headers=alice.headers), 201)["description"]
        == "Gift"
    )
    assert rows_of(client, alice) == [
        ("EXPENSE", "2026-11-03", "Coffee", D("-3.20"), "Food"),
        ("EXPENSE", "2026-11-02", "=SUM(A1)", D("-1.00"), "'-1"),
        ("EXPENSE", "2026-11-01", "'=x", D("-1.00"), None),
        ("INCOME", "2026-10-01", "Gift", D("1.00"), None),
        ("INCOME", "2026-09-01", "x", D("1.00"), "Work"),
        ("INCOME", "2026-08-01", "Gift", D("1.00"), "Work"),
    ]


def test_csv_cells_are_trimmed_and_types_read_in_any_case(client, alice):
    text = "type,date,description,amount,category\n income , 2026-11-01 ,Gift, 12.50 ,   \n"
    assert json_body(import_csv(client, alice, text)) == result(1, 0)
    assert rows_of(client, alice) == [("INCOME", "2026-11-01", "Gift", D("12.50"), None)]


def test_more_than_10000_json_rows_is_a_413(client, alice):
    rows = [{"type": "EXPENSE", "description": "x", "amount": 1}] * 10_001
    response = import_json(client, alice, rows)
    assert_problem(response, 413, "Content Too Large", "An import takes at most 10000 rows.")
    assert balance(client, alice)["count"] == 0


def test_a_dry_run_of_a_bad_file_is_the_same_422(client, alice):
    rows = [{"type": "INCOME", "description": "x", "amount": -1}]
    response = import_json(client, alice, rows, "?dry_run=true")
    assert_problem(
        response,
        422,
        "Unprocessable Content",
        INVALID_ROWS,
        {
            "row 1": {"amount": ["An income must be positive."]},
        },
    )


def test_rows_are_numbered_as_data_rows_whatever_their_lines(client, alice):
    text = HEADER + ',INCOME,2026-11-01,"two\nlines",5,,\n\n,INCOME,2026-11-01,Bad,-5,,\n'
    body = json_body(import_csv(client, alice, text), 422)
    assert body["errors"] == {"row 2": {"amount": ["An income must be positive."]}}


def test_versions_run_on_across_batches(client, alice):
    rows = [{"type": "EXPENSE", "description": f"r{n}", "amount": 1} for n in range(2500)]
    assert json_body(import_json(client, alice, rows)) == result(2500, 0)
    # Version 1 is the default account made at registration: row rN is version N + 2.
    changes = json_body(client.get("/sync?limit=1000&since=1500", headers=alice.headers))
    assert [row["version"] for row in changes["changed"]] == list(range(1501, 2501 + 1))[:1000]
    assert [row["description"] for row in changes["changed"][:2]] == ["r1499", "r1500"]
    assert (
        json_body(client.get("/sync?since=2501", headers=alice.headers))["server_knowledge"] == 2501
    )


def test_a_transfers_two_rows_import_as_the_transfer_they_were_exported_from(client, alice):
    accounts = client.get("/accounts", headers=alice.headers)
    main = json_body(accounts)[0]["id"]
    card = json_body(
        client.post(
            "/accounts",
            json={"name": "Card", "kind": "credit_card", "currency": "EUR"},
            headers=alice.headers,
        ),
        201,
    )["id"]
    made = {"from_account_id": main, "to_account_id": card, "amount": "100", "to_amount": "92.5"}
    transfer = json_body(client.post("/transfers", json=made, headers=alice.headers), 201)
    exported = client.get("/transactions.csv", headers=alice.headers).get_data(as_text=True)
    legs = json_body(client.get("/transactions?type=transfer", headers=alice.headers))
    balances = json_body(client.get("/accounts", headers=alice.headers))

    assert json_body(import_csv(client, alice, exported)) == result(0, 2)  # the caller has it
    client.delete(f"/transfers/{transfer['id']}", headers=alice.headers)
    assert json_body(import_csv(client, alice, exported)) == result(2, 0)
    again = json_body(client.get(f"/transfers/{transfer['id']}", headers=alice.headers))
    kept = ("from_account_id", "to_account_id", "amount", "to_amount", "description", "date")
    assert {name: again[name] for name in kept} == {name: transfer[name] for name in kept}
    legs_again = json_body(client.get("/transactions?type=transfer", headers=alice.headers))
    assert [(leg["id"], leg["amount"], leg["account_id"]) for leg in legs_again] == [
        (leg["id"], leg["amount"], leg["account_id"]) for leg in legs
    ]
    assert json_body(client.get("/accounts", headers=alice.headers)) == balances


def test_transfer_rows_that_make_no_transfer_are_bad_rows(client, alice):
    main = json_body(client.get("/accounts", headers=alice.headers))[0]["id"]
    transfer = "0192f1f4-7d3a-7cc0-8a4e-1d6b8c2f3e4b"
    leg = {"type": "TRANSFER", "description": "Move", "date": "2026-11-01", "account_id": main}
    rows = [
        {**leg, "amount": -5, "transfer_id": transfer},  # alone: its partner never comes
        {**leg, "amount": 5},  # no transfer_id
        {"type": "INCOME", "description": "x", "amount": 1, "transfer_id": transfer},
        {**leg, "amount": 5, "category": "Food", "transfer_id": transfer},
    ]
    assert_problem(
        import_json(client, alice, rows),
        422,
        "Unprocessable Content",
        INVALID_ROWS,
        {
            "row 1": {
                "type": ["A TRANSFER row needs the other row of its transfer (its transfer_id)."]
            },
            "row 2": {"type": ["A TRANSFER row needs the transfer_id of its transfer."]},
            "row 3": {"transfer_id": ["Only a TRANSFER row has a transfer_id."]},
            "row 4": {"category": ["A transfer's rows have no category."]},
        },
    )
    both_positive = [{**leg, "amount": 5, "transfer_id": transfer}] * 2
    assert json_body(import_json(client, alice, both_positive), 422)["errors"] == {
        "row 2": {"type": ["A transfer's rows are one negative and one positive amount."]}
    }
    same_account = [{**leg, "amount": amount, "transfer_id": transfer} for amount in (-5, 5)]
    assert json_body(import_json(client, alice, same_account), 422)["errors"] == {
        "row 2": {"to_account_id": ["A transfer goes to another account."]}
    }
    assert rows_of(client, alice) == []
