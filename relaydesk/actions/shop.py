"""The demo shop's actions, backed by ``relaydesk/demo/orders.json``.

The orders file is the shop's system of record for who owns an order and what it cost; every
side effect (a refund, a return, an account change, a case) is a row in ``shop_effects``
written in the same transaction as the run's evidence. What is left to refund on an order is
its total less the refunds already in that ledger.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from relaydesk.actions.context import RunContext
from relaydesk.actions.models import ShopEffect
from relaydesk.actions.registry import ActionSpec, Params, Risk
from relaydesk.conversations.models import Customer
from relaydesk.errors import NotFound, Unprocessable
from relaydesk.permissions.actors import Actor
from relaydesk.permissions.authz import Resource
from relaydesk.settings import DEMO_DIR

OrderId = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-\d{3,10}$", max_length=16)]
CustomerRef = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@+-]{1,64}$")]
Text = Annotated[str, StringConstraints(max_length=500)]


class OrderRef(Params):
    order_id: OrderId


class RefundParams(OrderRef):
    amount: Annotated[
        Decimal,
        Field(gt=0, le=100_000, decimal_places=2),
        AfterValidator(lambda amount: amount.quantize(Decimal("0.01"))),
    ]
    reason: Text = ""


class ReturnParams(OrderRef):
    reason: Text = ""


class AccountRef(Params):
    # Whose account; when absent, the customer the actor acts for.
    customer_id: CustomerRef | None = None


class ChangeEmailParams(AccountRef):
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]


class ChangeAddressParams(AccountRef):
    line1: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    line2: Annotated[str, StringConstraints(max_length=200)] = ""
    city: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    postal_code: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class CloseAccountParams(AccountRef):
    reason: Text = ""


class CreateCaseParams(AccountRef):
    subject: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    details: Annotated[str, StringConstraints(max_length=4000)] = ""


class ShopRefused(Unprocessable):
    """The shop's own rules refuse the action (a final-sale return): nothing changed."""

    code = "refused_by_shop"


def _cents(value: float | int | str) -> int:
    return int(Decimal(str(value)) * 100)


class Shop:
    """The demo shop's orders, read once; its effects live in the database."""

    def __init__(self, orders_file: Path = DEMO_DIR / "orders.json") -> None:
        orders = json.loads(orders_file.read_text("utf-8"))
        self.orders: dict[str, dict[str, Any]] = {order["id"]: order for order in orders}

    def order(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise NotFound(f"order {order_id} does not exist")
        return order

    def resource(self, session: Session, kind: str, params: Params, actor: Actor) -> Resource:
        """The resource with its owner and amounts from the system of record, never from text."""
        if kind == "Order":
            return self._order_resource(session, str(getattr(params, "order_id", "")))
        ref = getattr(params, "customer_id", None) or actor.on_behalf_of
        if ref is None:
            raise Unprocessable("customer_id is required: this actor acts for no customer")
        customer = find_customer(session, ref)
        if customer is None:
            raise NotFound(f"customer {ref} does not exist")
        return Resource("Account", customer.id, customer.id)

    def resource_by_id(self, session: Session, kind: str, resource_id: str) -> Resource:
        if kind == "Order":
            return self._order_resource(session, resource_id)
        return Resource("Account", resource_id, resource_id)

    def _order_resource(self, session: Session, order_id: str) -> Resource:
        order = self.order(order_id)
        owner = find_customer(session, order["customer_id"])
        total = _cents(order["total"])
        refunded = session.scalar(
            select(func.coalesce(func.sum(ShopEffect.amount_cents), 0)).where(
                ShopEffect.order_id == order_id, ShopEffect.kind == "refund"
            )
        )
        attrs = {
            "status": order["status"],
            "total_cents": total,
            "refundable_cents": total - int(refunded or 0),
            "final_sale": all(item.get("final_sale", False) for item in order["items"]),
        }
        # An order whose customer is not in this database belongs to nobody who can act.
        owner_id = owner.id if owner is not None else f"unknown:{order['customer_id']}"
        return Resource("Order", order_id, owner_id, attrs)

    def specs(self) -> list[ActionSpec]:
        return [
            ActionSpec(
                "order_status",
                "Where an order is.",
                OrderRef,
                Risk.READ,
                "Order",
                self.order_status,
            ),
            ActionSpec(
                "start_return",
                "Start a return of a delivered order.",
                ReturnParams,
                Risk.LOW,
                "Order",
                self.start_return,
            ),
            ActionSpec(
                "refund",
                "Refund part or all of an order.",
                RefundParams,
                Risk.MEDIUM,
                "Order",
                refund,
            ),
            ActionSpec(
                "change_email",
                "Change the account's email.",
                ChangeEmailParams,
                Risk.MEDIUM,
                "Account",
                change_email,
            ),
            ActionSpec(
                "change_address",
                "Change the account's address.",
                ChangeAddressParams,
                Risk.MEDIUM,
                "Account",
                change_address,
            ),
            ActionSpec(
                "close_account",
                "Close the account.",
                CloseAccountParams,
                Risk.HIGH,
                "Account",
                close_account,
            ),
            ActionSpec(
                "create_case",
                "Open a case for the support team.",
                CreateCaseParams,
                Risk.LOW,
                "Account",
                create_case,
            ),
        ]

    def order_status(self, _: RunContext, params: OrderRef) -> dict[str, Any]:
        order = self.order(params.order_id)
        fields = ("status", "carrier", "tracking_number", "placed_at", "shipped_at", "delivered_at")
        return {
            "order_id": order["id"],
            **{name: order.get(name) for name in fields},
            "items": [item["name"] for item in order["items"]],
        }

    def start_return(self, context: RunContext, params: ReturnParams) -> dict[str, Any]:
        attrs = context.resource.attrs
        if attrs["status"] != "delivered":
            raise ShopRefused(f"order {params.order_id} is {attrs['status']}, not delivered yet")
        if attrs["final_sale"]:
            raise ShopRefused(f"order {params.order_id} was a final sale")
        effect = _effect(context, "return", order_id=params.order_id, reason=params.reason)
        return {"order_id": params.order_id, "return_id": f"RT-{effect.id}", "label": "emailed"}


def find_customer(session: Session, ref: str) -> Customer | None:
    """A customer by Relaydesk id or by the company's own id."""
    return session.scalar(
        select(Customer).where(or_(Customer.id == ref, Customer.external_id == ref))
    )


def _effect(
    context: RunContext, kind: str, order_id: str | None = None, amount: int = 0, **data: Any
) -> ShopEffect:
    effect = ShopEffect(
        action_run_id=context.run.id,
        kind=kind,
        customer_id=context.resource.owner,
        order_id=order_id,
        amount_cents=amount,
        data=data,
    )
    context.session.add(effect)
    context.session.flush()
    return effect


def refund(context: RunContext, params: RefundParams) -> dict[str, Any]:
    cents = params.amount_cents()
    effect = _effect(context, "refund", params.order_id, cents, reason=params.reason)
    return {
        "order_id": params.order_id,
        "refund_id": f"RF-{effect.id}",
        "amount": f"{params.amount:.2f}",
        "arrives": "in 5-10 business days",
    }


def change_email(context: RunContext, params: ChangeEmailParams) -> dict[str, Any]:
    _effect(context, "change_email", email=params.email)
    return {"changed": "email"}


def change_address(context: RunContext, params: ChangeAddressParams) -> dict[str, Any]:
    _effect(context, "change_address", **params.model_dump(exclude={"customer_id"}))
    return {"changed": "address"}


def close_account(context: RunContext, params: CloseAccountParams) -> dict[str, Any]:
    _effect(context, "close_account", reason=params.reason)
    return {"closed": True}


def create_case(context: RunContext, params: CreateCaseParams) -> dict[str, Any]:
    effect = _effect(context, "case", subject=params.subject, details=params.details)
    return {"case_id": f"CS-{effect.id}", "subject": params.subject}
