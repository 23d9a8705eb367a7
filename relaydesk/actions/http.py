"""Actions that call the company's own HTTP API, declared as data.

    - name: lookup_customer
      description: The customer's profile in the CRM.
      method: GET
      url: "{base_url}/customers/{customer_id}"
      resource: Account            # what Cedar checks it against
      risk: read
      parameters:
        customer_id: {type: string, pattern: "^[A-Za-z0-9_-]{1,64}$"}
      response:                    # only these fields reach the model, the handoff, the log
        name: customer.name
        open_cases: cases.open

Parameters are typed and must match their pattern (a safe default when none is given), and
every value is percent-encoded into the URL, so an argument cannot add a path, a query or a
host. The credential comes from settings (``RELAYDESK_ACTIONS_API_TOKEN``) and is sent as a
bearer token; it is never part of an action's arguments or result. The response is mapped
field by field: whatever else the API returns is dropped.

I/O goes through a ``Transport`` (a plain function), so tests pass their own server.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, create_model

from relaydesk.actions.context import RunContext
from relaydesk.actions.registry import ActionSpec, Params, Risk
from relaydesk.errors import RelaydeskError

SAFE_VALUE = r"^[A-Za-z0-9_.@-]{1,64}$"
MAX_RESPONSE_BYTES = 256 * 1024


class ActionFailed(RelaydeskError):
    """The company's API failed or answered with an error: the action did not happen."""

    status_code = 502
    code = "action_failed"


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes


Transport = Callable[[HttpRequest], HttpResponse]


def urllib_transport(timeout: float = 10.0) -> Transport:
    def send(request: HttpRequest) -> HttpResponse:
        built = urllib.request.Request(  # noqa: S310 - the URL's scheme is checked at load
            request.url, data=request.body, headers=request.headers, method=request.method
        )
        try:
            with urllib.request.urlopen(built, timeout=timeout) as response:  # noqa: S310
                return HttpResponse(response.status, response.read(MAX_RESPONSE_BYTES))
        except urllib.error.HTTPError as error:
            return HttpResponse(error.code, error.read(MAX_RESPONSE_BYTES))
        except (urllib.error.URLError, TimeoutError) as error:
            raise ActionFailed(f"the company API could not be reached: {error}") from None

    return send


class HttpParam(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["string", "integer", "number"] = "string"
    pattern: str = SAFE_VALUE
    required: bool = True


class HttpAction(BaseModel):
    """One action on the company's API, as declared in the actions file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
    description: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: str
    resource: Literal["Order", "Account"]
    risk: Risk = Risk.READ
    parameters: dict[str, HttpParam] = Field(default_factory=dict)
    body: tuple[str, ...] = ()  # parameters sent as a JSON body instead of in the URL
    response: dict[str, str] = Field(default_factory=dict)  # field → dotted path

    def params_model(self) -> type[Params]:
        fields: dict[str, Any] = {}
        for name, spec in self.parameters.items():
            base: Any = {"string": str, "integer": int, "number": float}[spec.type]
            kind = Annotated[str, StringConstraints(pattern=spec.pattern)] if base is str else base
            fields[name] = (kind, ...) if spec.required else (kind | None, None)
        model: type[Params] = create_model(f"{self.name}_params", __base__=Params, **fields)
        return model


@dataclass(frozen=True)
class HttpConfig:
    base_url: str
    token: SecretStr | None = None
    transport: Transport = field(default_factory=urllib_transport)


def http_spec(action: HttpAction, config: HttpConfig) -> ActionSpec:
    if not config.base_url.startswith(("http://", "https://")):
        raise ValueError(f"actions API base URL must be http(s): {config.base_url!r}")

    def run(context: RunContext, params: Params) -> dict[str, Any]:
        del context  # the company's API keeps its own records
        values = params.model_dump(exclude_none=True)
        response = config.transport(build_request(action, config, values))
        if not 200 <= response.status < 300:
            raise ActionFailed(f"{action.name}: the company API answered {response.status}")
        try:
            document = json.loads(response.body or b"{}")
        except ValueError:
            raise ActionFailed(f"{action.name}: the company API's answer is not JSON") from None
        return map_response(document, action.response)

    return ActionSpec(
        action.name,
        action.description,
        action.params_model(),
        action.risk,
        action.resource,
        run,
        kind="http",
    )


def build_request(action: HttpAction, config: HttpConfig, values: dict[str, Any]) -> HttpRequest:
    in_url = {k: urllib.parse.quote(str(v), safe="") for k, v in values.items()}
    url = action.url.format(base_url=config.base_url.rstrip("/"), **in_url)
    headers = {"Accept": "application/json", "User-Agent": "relaydesk-actions"}
    if config.token is not None:
        headers["Authorization"] = f"Bearer {config.token.get_secret_value()}"
    body = None
    if action.body:
        headers["Content-Type"] = "application/json"
        body = json.dumps({k: values[k] for k in action.body if k in values}).encode()
    return HttpRequest(action.method, url, headers, body)


def map_response(document: Any, mapping: dict[str, str]) -> dict[str, Any]:
    """Only the declared fields, each read by its dotted path (missing: None)."""
    result: dict[str, Any] = {}
    for name, path in mapping.items():
        value = document
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        result[name] = (
            value
            if isinstance(value, str | int | float | bool) or value is None
            else (json.loads(json.dumps(value)))
        )
    return result


def load_http_actions(path: Path) -> list[HttpAction]:
    document = yaml.safe_load(path.read_text("utf-8")) or {}
    return [HttpAction.model_validate(entry) for entry in document.get("http_actions", [])]
