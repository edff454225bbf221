"""Property-based budget arithmetic (hypothesis): a month's plan and the category list equal what
is computed here from the rows and budgets sent, for any month, names and amounts; renaming a
category adds its rows and budgets to the new name's."""

import itertools
from calendar import monthrange
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from urllib.parse import quote

import pytest
from helpers import add_row, json_body
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from cashman.money import MAX_AMOUNT

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run and engine
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
USERS = itertools.count()
CURRENCY = "USD"  # every user's default account's (DEFAULT_CURRENCY): budgets and totals are in it

# Any month a date can hold, often at a year's ends and at the calendar's (0001-01 and 9999-12
# have a side without a month next to it).
MONTHS = st.builds(
    date,
    st.one_of(st.sampled_from([1, 9999]), st.integers(2020, 2030), st.integers(1, 9999)),
    st.one_of(st.sampled_from([1, 12]), st.integers(1, 12)),
    st.just(1),
)
# Names as transactions store them: trimmed, 1 to 64 characters. Everyday ones that differ only
# in case, spaces, "/", "%" or accents, and any text a database can store (all but NUL).
EVERYDAY_NAMES = ["Food", "food", "Eating out", "Food/Drink", "Food / Drink", "/", "/x", "x/"]
EVERYDAY_NAMES += ["a//b", "a\nb", "100%", "a?b#c", "Café ☕", "Cafe\u0301", "家計", "ß", "SS", "."]
NAMES = st.one_of(
    st.sampled_from(EVERYDAY_NAMES),
    st.text(
        st.one_of(
            st.sampled_from("aAbz /%?#.\né€ß中😀"),
            st.characters(codec="utf-8", exclude_characters="\x00"),
        ),
        min_size=1,
        max_size=64,
    )
    .map(str.strip)
    .filter(bool),
)
PADDING = st.sampled_from(["", " ", " \t "])  # sent around a name: the server trims it
SMALL_CENTS = st.integers(1, 10_000)
EXPENSE_CENTS = st.one_of(SMALL_CENTS, st.integers(1, 10**11))  # up to 1e9
BUDGET_CENTS = st.one_of(SMALL_CENTS, st.integers(1, int(MAX_AMOUNT * 100)))


def yyyy_mm(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"  # strftime writes year 1 as "1"


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def shifted(month: date, by: int) -> date | None:
    """The month `by` months away, if a date can hold it."""
    year, index = divmod(month.year * 12 + month.month - 1 + by, 12)
    return date(year, index + 1, 1) if 1 <= year <= 9999 else None


def in_month(month: date, day: int) -> date:
    """The day of the month, or its last day (day 31 of every month is its last)."""
    return month.replace(day=min(day, monthrange(month.year, month.month)[1]))


@dataclass(frozen=True)
class Row:
    kind: str  # "incomes" or "expenses"
    cents: int  # as stored: expenses negative
    category: str | None
    date: date


@dataclass(frozen=True)
class Scenario:
    month: date
    months: tuple[date, ...]  # the month and those next to it: rows and budgets are in these
    names: tuple[str, ...]
    rows: tuple[Row, ...]
    budgets: dict[tuple[date, str], int]  # the last one PUT for a month and name, in cents
    sent: tuple  # the requests, in order: ("row", body) or ("budget", month, path name, amount)


@st.composite
def scenarios(draw, min_budgets: int = 0) -> Scenario:
    """Rows and budgets of one user in a month and the months either side of it."""
    month = draw(MONTHS)
    months = tuple(m for m in (shifted(month, -1), month, shifted(month, 1)) if m is not None)
    names = tuple(draw(st.lists(NAMES, min_size=1, max_size=4, unique=True)))
    categories = st.one_of(st.none(), st.sampled_from(names))
    rows, budgets, sent = [], {}, []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["expenses", "expenses", "incomes"]))
        cents = draw(EXPENSE_CENTS)
        category = draw(categories)
        day = in_month(draw(st.sampled_from(months)), draw(st.integers(1, 31)))
        rows.append(Row(kind, -cents if kind == "expenses" else cents, category, day))
        # An expense is stored negative whatever sign it is sent with.
        sign = draw(st.sampled_from([1, -1])) if kind == "expenses" else 1
        body = {"kind": kind, "amount": sign * money(cents), "date": day.isoformat()}
        body["category"] = None if category is None else draw(PADDING) + category + draw(PADDING)
        sent.append(("row", body))
    for _ in range(draw(st.integers(min_budgets, 6))):
        key = (draw(st.sampled_from(months)), draw(st.sampled_from(names)))
        budgets[key] = draw(BUDGET_CENTS)  # a PUT replaces the budget
        sent.append(("budget", key[0], draw(PADDING) + key[1], money(budgets[key])))
    return Scenario(month, months, names, tuple(rows), budgets, tuple(sent))


def send(client, user, scenario: Scenario) -> None:
    """Send the scenario's requests (each must succeed); shown if the test fails."""
    note(repr(scenario))  # this hypothesis prints the failing arguments blank
    for request in scenario.sent:
        if request[0] == "row":
            body = dict(request[1])
            add_row(client, user, body.pop("kind"), **body)
        else:
            _, month, name, amount = request
            json_body(
                client.put(budget_path(month, name), json={"amount": amount}, headers=user.headers)
            )


def budget_path(month: date, name: str) -> str:
    return f"/budgets/{yyyy_mm(month)}/{quote(name, safe='')}"


def plan_line(cents_budgeted: int, cents_spent: int) -> dict:
    return {
        "budgeted": money(cents_budgeted),
        "spent": money(cents_spent),
        "available": money(cents_budgeted + cents_spent),
    }


def expected_plan(month: date, rows, budgets: dict) -> dict:
    """GET /budgets/<month>, computed: budgets and expenses of that month only, by name, null
    last; incomes do not count."""
    budgeted, spent = Counter(), Counter()
    for (budget_month, name), cents in budgets.items():
        if budget_month == month:
            budgeted[name] += cents
    for row in rows:
        if row.kind == "expenses" and (row.date.year, row.date.month) == (month.year, month.month):
            spent[row.category] += row.cents
    listed = set(budgeted) | set(spent)
    order = sorted(listed - {None}) + ([None] if None in listed else [])
    return {
        "month": yyyy_mm(month),
        "currency": CURRENCY,
        "categories": [
            {"category": name, **plan_line(budgeted[name], spent[name])} for name in order
        ],
        "total": plan_line(sum(budgeted.values()), sum(spent.values())),
    }


def expected_categories(rows, budgets: dict) -> list[dict]:
    """GET /categories, computed: every named category of a row or budget, by name."""
    totals: dict[str, dict] = {}
    for _, name in budgets:
        totals.setdefault(name, {"count": 0, "income": 0, "expenses": 0})
    for row in rows:
        if row.category is None:
            continue
        sums = totals.setdefault(row.category, {"count": 0, "income": 0, "expenses": 0})
        sums["count"] += 1
        sums["income" if row.cents > 0 else "expenses"] += row.cents
    return [
        {
            "name": name,
            "currency": CURRENCY,
            "count": totals[name]["count"],
            "income": money(totals[name]["income"]),
            "expenses": money(totals[name]["expenses"]),
        }
        for name in sorted(totals)
    ]


def exactly(value):
    """An answer with each amount as written (Decimal equality would take 5 for "5.00")."""
    if isinstance(value, dict):
        return {key: exactly(item) for key, item in value.items()}
    if isinstance(value, list):
        return [exactly(item) for item in value]
    return str(value) if isinstance(value, Decimal) else value


def assert_answers(client, user, scenario: Scenario, rows, budgets: dict) -> None:
    """Every month's plan, every budget and the category list are the ones computed."""
    for month in scenario.months:
        plan = json_body(client.get(f"/budgets/{yyyy_mm(month)}", headers=user.headers))
        assert exactly(plan) == exactly(expected_plan(month, rows, budgets))
    for (month, name), cents in budgets.items():
        budget = json_body(client.get(budget_path(month, name), headers=user.headers))
        expected = {
            "month": yyyy_mm(month),
            "category": name,
            "currency": CURRENCY,
            "amount": money(cents),
        }
        assert exactly(budget) == exactly(expected)
    categories = json_body(client.get("/categories", headers=user.headers))
    assert exactly(categories) == exactly(expected_categories(rows, budgets))


@EXAMPLES
@given(scenario=scenarios())
def test_a_month_plan_and_the_categories_are_the_sums_of_what_was_sent(
    client, make_account, scenario
):
    user = make_account(client, f"planner{next(USERS)}")  # one per example: nothing before
    send(client, user, scenario)
    assert_answers(client, user, scenario, scenario.rows, scenario.budgets)


@st.composite
def renames(draw) -> tuple[Scenario, str, str]:
    """A scenario, a name in use in it, and a new name: unused, another one in use, or itself;
    often both with a budget in the same month (they add up)."""
    scenario = draw(scenarios(min_budgets=1))
    budgeted = sorted({name for _, name in scenario.budgets})
    used = {row.category for row in scenario.rows} - {None} | set(budgeted)
    old = draw(st.one_of(st.sampled_from(budgeted), st.sampled_from(sorted(used))))
    new = draw(st.one_of(st.sampled_from(sorted(used)), st.sampled_from(scenario.names), NAMES))
    months = sorted(month for month, name in scenario.budgets if name == old)
    if months and draw(st.booleans()):
        key = (draw(st.sampled_from(months)), new)
        cents = draw(BUDGET_CENTS)
        scenario = replace(
            scenario,
            budgets={**scenario.budgets, key: cents},
            sent=(*scenario.sent, ("budget", *key, money(cents))),
        )
    return scenario, old, new


@EXAMPLES
@given(rename=renames(), padding=PADDING)
def test_renaming_adds_a_categorys_rows_and_budgets_to_the_new_names(
    client, make_account, rename, padding
):
    scenario, old, new = rename
    note(f"PATCH /categories/{old!r} to {padding + new!r}")
    user = make_account(client, f"renamer{next(USERS)}")
    send(client, user, scenario)
    rows = tuple(
        replace(row, category=new) if row.category == old else row for row in scenario.rows
    )
    budgets = Counter()
    for (month, name), cents in scenario.budgets.items():
        budgets[month, new if name == old else name] += cents  # one month's budgets add up

    response = client.patch(
        f"/categories/{quote(old, safe='')}", json={"name": padding + new}, headers=user.headers
    )
    [renamed] = [c for c in expected_categories(rows, budgets) if c["name"] == new]
    assert exactly(json_body(response)) == exactly(renamed)
    assert_answers(client, user, scenario, rows, dict(budgets))
    if old != new:
        for month in {month for month, name in scenario.budgets if name == old}:
            assert client.get(budget_path(month, old), headers=user.headers).status_code == 404


@pytest.mark.parametrize("name", ["/x", "/", "a//b", "x/", "a\nb"])
def test_any_stored_name_can_be_budgeted_and_renamed(client, alice, name):
    add_row(client, alice, "expenses", amount=3, category=name, date="2026-11-05")
    budget = client.put(
        budget_path(date(2026, 11, 1), name), json={"amount": 5}, headers=alice.headers
    )
    assert json_body(budget) == {
        "month": "2026-11",
        "category": name,
        "currency": CURRENCY,
        "amount": money(500),
    }
    renamed = client.patch(
        f"/categories/{quote(name, safe='')}", json={"name": "y"}, headers=alice.headers
    )
    assert json_body(renamed)["name"] == "y"
