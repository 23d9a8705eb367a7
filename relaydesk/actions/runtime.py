"""Building the action runtime from settings, once per process."""

from __future__ import annotations

from datetime import timedelta

from relaydesk.actions.http import HttpConfig, http_spec, load_http_actions
from relaydesk.actions.registry import Registry
from relaydesk.actions.service import ActionRuntime
from relaydesk.actions.shop import Shop
from relaydesk.db import Database
from relaydesk.permissions.authz import Authorizer
from relaydesk.settings import Settings


def build_registry(settings: Settings, shop: Shop) -> Registry:
    registry = Registry(shop.specs())
    if settings.actions_file is not None and settings.actions_api_base_url:
        config = HttpConfig(settings.actions_api_base_url, settings.actions_api_token)
        for action in load_http_actions(settings.actions_file):
            registry.add(http_spec(action, config))
    return registry


def build_runtime(settings: Settings, database: Database) -> ActionRuntime:
    shop = Shop()
    return ActionRuntime(
        database=database,
        registry=build_registry(settings, shop),
        authorizer=Authorizer.from_file(settings.authz_policies_file),
        shop=shop,
        secret=settings.secret_key,
        approval_ttl=timedelta(minutes=settings.approval_ttl_minutes),
    )
