"""The change modal: opening, live summary, validation in the modal, direct changes."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from storage.engine import unit_of_work
from storage.models import AuditEvent, ChangeRequest, Product, SeatAssignment
from tests.conftest import NOW
from tests.factories import account_data, make_account
from tests.slack.conftest import RunningBot, blocks_text, forged_submission, open_modal, seats, submit


@pytest.fixture
def account(engine: Engine) -> None:
    make_account(engine, now=NOW)


def _seats(engine: Engine, key: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Product.seats).where(Product.key == key)).one()


def _values(view: dict) -> dict[str, str]:
    """Initial values of the seat inputs, by product."""
    return {
        b["block_id"].split(":", 1)[1]: b["element"].get("initial_value")
        for b in view["blocks"]
        if b.get("block_id", "").startswith("seats:")
    }


OWNERS_BILLING_NOTE = (
    "Payment method and invoices aren't changed in seatbot: change them with the vendor directly,"
    " in its billing portal."
)


@pytest.mark.parametrize(
    ("user", "text", "title", "submit_label", "billing_note"),
    [
        # admin: a request; billing is the owner's business
        (
            "U0ADMIN",
            "request",
            "Request seats",
            "Send request",
            "Payment method and invoice changes can't be requested here: ask the account owner.",
        ),
        # self-service owner: nobody to ask, so where it is done
        ("U0OWNER", "manage", "Manage seats", "Update subscription", OWNERS_BILLING_NOTE),
        # billing admin, in French
        (
            "U0BILL",
            "manage",
            "Gérer les sièges",
            "Mettre à jour",
            "Le moyen de paiement et les factures ne se changent pas dans seatbot : changez-les"
            " directement auprès du fournisseur, dans son portail de facturation.",
        ),
    ],
)
def test_modal_title_submit_label_and_billing_note_follow_role(
    bot: RunningBot, account: None, user: str, text: str, title: str, submit_label: str, billing_note: str
) -> None:
    view = open_modal(bot, user, text)
    assert view["title"]["text"] == title
    assert view["submit"]["text"] == submit_label
    assert _values(view) == {"support": "10", "guide": "5", "talk": "2"}
    notes = [e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert notes[-1] == billing_note


def test_the_owner_asking_for_invoices_is_told_where_they_change(bot: RunningBot, account: None) -> None:
    reply = bot.command("U0OWNER", "request invoice")
    assert OWNERS_BILLING_NOTE in reply.text
    assert "ask the account owner" not in reply.text
    assert bot.slack.open_views("U0OWNER") == []


def test_sales_assisted_owner_processes_an_order(bot: RunningBot, engine: Engine) -> None:
    data = account_data()
    data["account"].update(plan="sales_assisted", sales_contact="U0AG2")
    make_account(engine, now=NOW, account=data["account"])
    assert open_modal(bot, "U0OWNER", "manage")["submit"]["text"] == "Process order"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("request support +5", "15"),  # relative
        ("request Support -3", "7"),  # by display name, any case
        ("request guide 12", "12"),  # absolute
    ],
)
def test_request_is_prefilled(bot: RunningBot, account: None, text: str, expected: str) -> None:
    view = open_modal(bot, "U0ADMIN", text)
    key = text.split()[1].lower()
    assert _values(view)[key] == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("request chat +2", "There is no product “chat”"),
        ("request support five", "“five” is not a seat count"),
        ("request support -50", "can't go below zero"),
        ("request +5", "Which product?"),
        ("request invoice", "Payment method and invoice changes can't be requested here"),
        ("request paiement +1", "Payment method and invoice changes can't be requested here"),
    ],
)
def test_bad_prefill_is_explained_and_opens_nothing(
    bot: RunningBot, account: None, text: str, message: str
) -> None:
    reply = bot.command("U0ADMIN", text)
    assert message in reply.text
    assert bot.slack.open_views("U0ADMIN") == []


def test_members_cannot_open_it(bot: RunningBot, account: None) -> None:
    reply = bot.command("U0AG2", "request support +1")
    assert "You can't send a change request" in reply.text
    assert "<@U0OWNER>" in reply.text
    assert bot.slack.open_views("U0AG2") == []


def test_admins_cannot_request_when_the_account_does_not_allow_it(bot: RunningBot, engine: Engine) -> None:
    data = account_data()
    data["account"]["change_requests"] = False
    make_account(engine, now=NOW, account=data["account"])
    reply = bot.command("U0ADMIN", "request")
    assert "doesn't take seat change requests" in reply.text
    assert "<@U0OWNER>" in reply.text


def test_live_summary_updates_as_values_change(bot: RunningBot, account: None) -> None:
    view = open_modal(bot, "U0OWNER", "manage")
    bot.driver.click(
        "U0OWNER",
        view=view,
        action_id="seats",
        block_id="seats:support",
        value="15",
        state_values=seats("support", "15"),
    )
    updated = bot.slack.wait_for(
        lambda: (
            "Support: 10 → 15 (+5)" in blocks_text(bot.slack.open_views("U0OWNER")[-1]["blocks"])
            and bot.slack.open_views("U0OWNER")[-1]
        )
    )
    summary = next(b for b in updated["blocks"] if b.get("block_id") == "live_summary")
    # Signed, and the account's monthly total it moves (10 × €115 + 5 × €49 today).
    assert "+€575.00/month · total €1,395.00 → €1,970.00" in summary["text"]["text"]


def test_reduction_below_usage_lists_the_agents_and_asks_to_confirm(bot: RunningBot, account: None) -> None:
    view = open_modal(bot, "U0OWNER", "request support 1")  # 2 agents hold support seats
    summary = next(b for b in view["blocks"] if b.get("block_id") == "live_summary")["text"]["text"]
    assert "<@U0AG2> would lose their seat" in summary  # assigned last, loses first
    assert "<@U0AG1>" not in summary
    assert any(b.get("block_id", "").startswith("confirm_downgrade:") for b in view["blocks"])


def _state(value: str) -> dict:
    return {"seats:support": {"seats": {"type": "number_input", "value": value}}}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Enter a whole number"),  # Slack's number input never sends this: forged
        ("2.5", "Enter a whole number"),
        ("-4", "can't be negative"),
        ("1000000", "At most 100,000 seats"),
        ("9" * 40, "Enter a whole number"),  # absurdly long
        ("10", "Change at least one product"),  # nothing changed
    ],
)
def test_invalid_values_are_reported_in_the_modal(
    bot: RunningBot, engine: Engine, account: None, value: str, message: str
) -> None:
    view = open_modal(bot, "U0OWNER", "manage")
    answer = forged_submission(bot, "U0OWNER", view, _state(value))
    assert answer["response_action"] == "errors"
    assert message in answer["errors"]["seats:support"]
    assert _seats(engine, "support") == 10


def test_full_width_digits_are_read_as_digits(bot: RunningBot, engine: Engine, account: None) -> None:
    view = open_modal(bot, "U0OWNER", "manage")
    answer = forged_submission(bot, "U0OWNER", view, _state("１２"))
    assert answer["response_action"] == "update"
    assert _seats(engine, "support") == 12


def test_a_forged_product_key_changes_nothing(bot: RunningBot, engine: Engine, account: None) -> None:
    view = open_modal(bot, "U0OWNER", "manage")
    answer = forged_submission(
        bot,
        "U0OWNER",
        view,
        {**_state("11"), "seats:evil": {"seats": {"type": "number_input", "value": "5"}}},
    )
    assert answer["response_action"] == "errors"
    assert _seats(engine, "support") == 10


def test_a_member_forging_a_submission_changes_nothing(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    view = open_modal(bot, "U0OWNER", "manage")
    answer = forged_submission(bot, "U0AG2", view, _state("50"))
    assert answer["response_action"] == "update"
    assert "You can't send a change request" in blocks_text(answer["view"]["blocks"])
    assert _seats(engine, "support") == 10


def test_suite_products_must_move_together(bot: RunningBot, engine: Engine) -> None:
    data = account_data()
    for product in data["products"][:2]:
        product.update(suite="Support Suite", seats=10)
    make_account(engine, now=NOW, products=data["products"])
    view = open_modal(bot, "U0OWNER", "manage")
    answer = submit(bot, "U0OWNER", view, seats("support", "12"))
    assert answer["response_action"] == "errors"
    assert "Support Suite" in answer["errors"]["seats:support"]
    assert "Support Suite" in answer["errors"]["seats:guide"]
    answer = submit(bot, "U0OWNER", view, {**seats("support", "12"), **seats("guide", "12")})
    assert answer["response_action"] == "update"
    assert (_seats(engine, "support"), _seats(engine, "guide")) == (12, 12)


def test_direct_increase_is_applied_and_audited(bot: RunningBot, engine: Engine, account: None) -> None:
    view = open_modal(bot, "U0OWNER", "manage")
    answer = submit(bot, "U0OWNER", view, {**seats("support", "14"), "justification": {"text": "Q4 hires"}})
    assert answer["response_action"] == "update"
    assert "The subscription is updated" in blocks_text(answer["view"]["blocks"])
    assert "Support: 10 → 14 (+4)" in blocks_text(answer["view"]["blocks"])
    assert _seats(engine, "support") == 14
    with Session(engine) as session:
        change = session.exec(select(ChangeRequest)).one()
        assert (change.direct, change.status, change.justification) == (True, "applied", "Q4 hires")
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "seats.changed")).one()
        assert (event.actor_id, event.before, event.after["seats"]) == ("U0OWNER", {"seats": 10}, 14)


def test_direct_reduction_needs_confirmation_then_unassigns_exactly_the_listed_agents(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    view = open_modal(bot, "U0OWNER", "request support 1")
    confirm = next(b for b in view["blocks"] if b["block_id"].startswith("confirm_downgrade:"))
    confirm_block = confirm["block_id"]
    # A required field: Slack itself asks for the tick, and its label says nothing of "optional".
    assert not confirm.get("optional")
    assert confirm["label"]["text"] == "Seat removal"
    token = confirm_block.split(":", 1)[1]
    # The server refuses all the same what no Slack client sends: no tick, or another list's.
    seats_state = {"seats:support": {"seats": {"type": "number_input", "value": "1"}}}
    unticked = {**seats_state, confirm_block: {"confirm": {"type": "checkboxes", "selected_options": []}}}
    stale = {
        **seats_state,
        confirm_block: {
            "confirm": {"type": "checkboxes", "selected_options": [{"value": "0123456789abcdef"}]}
        },
    }
    for forged in (unticked, stale):
        answer = forged_submission(bot, "U0OWNER", view, forged)
        assert answer["response_action"] == "errors"
        assert answer["errors"] == {confirm_block: "Confirm that 1 agent loses their seat."}
        assert _seats(engine, "support") == 10
    answer = submit(bot, "U0OWNER", view, {confirm_block: {"confirm": [token]}})
    assert answer["response_action"] == "update"
    assert _seats(engine, "support") == 1
    with Session(engine) as session:
        holders = session.exec(
            select(SeatAssignment.user_id).join(Product).where(Product.key == "support")
        ).all()
    assert holders == ["U0AG1"]
    notice = bot.slack.wait_for(lambda: bot.slack.dm("U0AG2") or None)[0]
    assert "Your *Support* seat was removed" in notice.text or "Support" in blocks_text(notice.blocks)


def test_sales_assisted_change_sends_an_order_to_the_sales_contact(bot: RunningBot, engine: Engine) -> None:
    data = account_data()
    data["account"].update(plan="sales_assisted", sales_contact="U0AG2")
    make_account(engine, now=NOW, account=data["account"])
    view = open_modal(bot, "U0OWNER", "manage")
    submit(bot, "U0OWNER", view, seats("guide", "8"))
    order = bot.slack.wait_for(lambda: bot.slack.dm("U0AG2") or None)[0]
    assert "Order from Acme Support" in blocks_text(order.blocks)
    assert "Guide: 5 → 8 seats (+3)" in blocks_text(order.blocks)


def _guide(bot: RunningBot) -> tuple[str, str]:
    """The Guide field's hint and count in a form opened now (then closed)."""
    view = open_modal(bot, "U0ADMIN", "request")
    bot.driver.close_view("U0ADMIN", view)
    block = next(b for b in view["blocks"] if b.get("block_id") == "seats:guide")
    return str(block["hint"]["text"]), _values(view)["guide"]


def test_each_form_shows_each_product_as_it_is_now(bot: RunningBot, engine: Engine, account: None) -> None:
    """A product's field reads the same in every form until the product moves: a seat taken
    or seats bought show in the next form opened, its hint and its count."""
    assert _guide(bot) == ("Now 5 seats, 0 in use", "5")
    assert "now has a *Guide* seat" in bot.command("U0OWNER", "assign <@U0AG1|ana> guide").text
    assert _guide(bot) == ("Now 5 seats, 1 in use", "5")
    with unit_of_work(engine, write=True) as session:
        session.execute(update(Product).where(col(Product.key) == "guide").values(seats=7))
    assert _guide(bot) == ("Now 7 seats, 1 in use", "7")


@pytest.mark.parametrize(
    ("user", "said"), [("U0ADMIN", "No product is set up yet"), ("U0BILL", "Aucun produit")]
)
def test_an_account_with_no_product_yet_opens_no_form(
    bot: RunningBot, engine: Engine, account: None, user: str, said: str
) -> None:
    """An account without products is read as one row with no product: the form does not
    open on nothing to fill in; the person is told why, in their language."""
    with unit_of_work(engine, write=True) as session:
        session.execute(SeatAssignment.__table__.delete())  # type: ignore[attr-defined]
        session.execute(Product.__table__.delete())  # type: ignore[attr-defined]
    reply = bot.command(user, "request")
    assert said in reply.text + blocks_text(reply.blocks), reply
    assert bot.slack.open_views(user) == []
