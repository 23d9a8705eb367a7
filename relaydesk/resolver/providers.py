"""LLM providers behind one small seam: ``Provider.complete(system, messages) -> Completion``.

Two implementations: ``OpenAICompatible`` (the ``openai`` SDK with a ``base_url``: OpenAI,
vLLM, Ollama, llama.cpp server, any server speaking ``POST /v1/chat/completions``) and
``AnthropicMessages`` (the ``anthropic`` SDK, ``POST /v1/messages``). Both SDKs are the
``llm`` install extra and are imported only when a provider is built.

Errors, drawn once::

    ProviderError            the provider gave no usable completion; ``kind`` says why:
                             "timeout", "connection", "status" (HTTP 4xx/5xx after retries),
                             "empty" (no text), "sdk" (anything else the SDK raised)

A caller treats every ``ProviderError`` as "no answer": a provider failure hands the
conversation to a person, it never crashes the message path. Timeouts, 429s and 5xxs are
retried by the SDK, ``max_retries`` times, with its own backoff; the timeout bounds each try
while no data flows, so the worst case is about ``(max_retries + 1) * timeout_seconds``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from relaydesk.settings import Settings

CONNECT_SECONDS = 5.0
NO_KEY = "not-needed"  # local OpenAI-compatible servers ignore the key; the SDK wants one


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class Completion:
    text: str
    model: str  # as the server reports it
    usage: Usage = Usage()
    finish_reason: str | None = None


class ProviderError(RuntimeError):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


class Provider(Protocol):
    """What the LLM attempt needs from a model server."""

    name: str  # "openai" | "anthropic"
    model: str

    def complete(
        self,
        system: str,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Completion: ...


def _timeout(seconds: float) -> Any:
    import httpx2

    return httpx2.Timeout(seconds, connect=min(seconds, CONNECT_SECONDS))


class OpenAICompatible:
    """Chat Completions on any OpenAI-compatible server."""

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_seconds: float = 20.0,
        max_retries: int = 1,
    ) -> None:
        import openai

        self.model = model
        self._errors = openai
        self._client = openai.OpenAI(
            api_key=api_key or NO_KEY,
            base_url=base_url,
            timeout=_timeout(timeout_seconds),
            max_retries=max_retries,
        )

    def complete(
        self,
        system: str,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Completion:
        chat: list[Any] = [{"role": "system", "content": system}]
        chat += [{"role": m.role, "content": m.content} for m in messages]
        errors = self._errors
        try:
            reply = self._client.chat.completions.create(
                model=self.model, messages=chat, max_tokens=max_tokens, temperature=temperature
            )
        except errors.APIError as error:
            raise _classify(error, errors.APITimeoutError, errors.APIConnectionError) from error
        except errors.OpenAIError as error:
            raise ProviderError("sdk", str(error)) from error
        if not reply.choices or not (reply.choices[0].message.content or "").strip():
            raise ProviderError("empty", f"{self.model} returned no text")
        choice = reply.choices[0]
        usage = reply.usage
        return Completion(
            text=choice.message.content or "",
            model=reply.model or self.model,
            usage=Usage(usage.prompt_tokens, usage.completion_tokens) if usage else Usage(),
            finish_reason=choice.finish_reason,
        )


class AnthropicMessages:
    """Anthropic's Messages API. Its SDK takes no sampling temperature: it is ignored."""

    name = "anthropic"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_seconds: float = 20.0,
        max_retries: int = 1,
    ) -> None:
        import anthropic

        self.model = model
        self._errors = anthropic
        self._client = anthropic.Anthropic(
            api_key=api_key,
            base_url=base_url,
            timeout=_timeout(timeout_seconds),
            max_retries=max_retries,
        )

    def complete(
        self,
        system: str,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Completion:
        del temperature
        turns: list[Any] = [{"role": m.role, "content": m.content} for m in messages]
        errors = self._errors
        try:
            reply = self._client.messages.create(
                model=self.model, system=system, messages=turns, max_tokens=max_tokens
            )
        except errors.APIError as error:
            raise _classify(error, errors.APITimeoutError, errors.APIConnectionError) from error
        except errors.AnthropicError as error:
            raise ProviderError("sdk", str(error)) from error
        text = "".join(block.text for block in reply.content if block.type == "text")
        if not text.strip():
            raise ProviderError("empty", f"{self.model} returned no text")
        return Completion(
            text=text,
            model=reply.model or self.model,
            usage=Usage(reply.usage.input_tokens, reply.usage.output_tokens),
            finish_reason=reply.stop_reason,
        )


def _classify(error: Exception, timeout: type, connection: type) -> ProviderError:
    if isinstance(error, timeout):
        return ProviderError("timeout", str(error))
    if isinstance(error, connection):
        return ProviderError("connection", str(error))
    status = getattr(error, "status_code", None)
    if status is not None:
        return ProviderError("status", f"HTTP {status}: {error}")
    return ProviderError("sdk", str(error))


def provider_from_settings(settings: Settings) -> Provider | None:
    """The configured provider, or ``None`` for the extractive default (``llm_provider=none``)."""
    if settings.llm_provider == "none":
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    options: dict[str, Any] = {
        "base_url": settings.llm_base_url,
        "api_key": key,
        "timeout_seconds": settings.llm_timeout_seconds,
        "max_retries": settings.llm_max_retries,
    }
    if settings.llm_provider == "openai":
        return OpenAICompatible(settings.llm_model, **options)
    return AnthropicMessages(settings.llm_model, **options)
