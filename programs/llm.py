"""The only module that talks to an LLM: any OpenAI-compatible chat API through the `openai` package
(OpenAI, ProxyAPI, YandexGPT's compatible endpoint, local servers)."""

from django.conf import settings
from openai import OpenAI


def is_configured() -> bool:
    return bool(settings.LLM_API_BASE_URL and settings.LLM_MODEL)


def chat(*, system: str, user: str, max_tokens: int = 1200) -> str:
    """The model's answer text. Raises openai errors (timeout, HTTP errors) after the retries."""
    client = OpenAI(
        base_url=settings.LLM_API_BASE_URL,
        api_key=settings.LLM_API_KEY or "not-needed",
        timeout=settings.LLM_TIMEOUT,
        max_retries=settings.LLM_MAX_RETRIES,
    )
    completion = client.chat.completions.create(
        model=settings.LLM_MODEL,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        temperature=0.6,
        max_tokens=max_tokens,
    )
    return completion.choices[0].message.content or ""
