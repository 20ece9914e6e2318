"""The only module that talks to an LLM: any OpenAI-compatible chat API through the `openai` package
(OpenAI, ProxyAPI, YandexGPT's compatible endpoint, local servers)."""

from django.conf import settings
from openai import OpenAI, OpenAIError

LLMError = OpenAIError  # what callers catch, so they never import openai themselves


def is_configured() -> bool:
    return bool(settings.LLM_API_BASE_URL and settings.LLM_MODEL)


def complete(
    *,
    base_url: str,
    api_key: str,
    model: str,
    messages: list[dict[str, str]],
    timeout: float,
    max_retries: int,
    max_tokens: int = 1200,
    temperature: float = 0.6,
) -> str:
    """The model's answer to a conversation. Raises LLMError (timeout, HTTP errors) after retries."""
    client = OpenAI(
        base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=max_retries
    )
    completion = client.chat.completions.create(
        model=model, messages=messages, temperature=temperature, max_tokens=max_tokens
    )
    return completion.choices[0].message.content or ""


def chat(*, system: str, user: str, max_tokens: int = 1200) -> str:
    """The configured model's answer (LLM_* settings). Raises LLMError after the retries."""
    return complete(
        base_url=settings.LLM_API_BASE_URL,
        api_key=settings.LLM_API_KEY,
        model=settings.LLM_MODEL,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        timeout=settings.LLM_TIMEOUT,
        max_retries=settings.LLM_MAX_RETRIES,
        max_tokens=max_tokens,
    )
