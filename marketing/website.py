"""What crm's website contact form asks of the website settings (see crm.extensions)."""

from .selectors import bot_deep_link

__all__ = ["bot_deep_link"]
