"""Input channels. ``credentials.yml`` names them as ``bot.channels.<Class>``; each validates its
requests (4xx for bad input), redacts secrets before anything is stored, and never answers with silence.
"""
from bot.channels.common import MAX_BODY_BYTES, RequestError
from bot.channels.desks import AgentDesks
from bot.channels.rest import MAX_SENDER_CHARS, SafeRestInput, parse_rest_body
from bot.channels.socketio import SafeSocketIOInput
from bot.channels.telegram import TelegramInput
from bot.channels.webchat import WebChatAssets
from bot.channels.whatsapp import WhatsAppInput

__all__ = ["AgentDesks", "MAX_BODY_BYTES", "MAX_SENDER_CHARS", "RequestError", "SafeRestInput", "SafeSocketIOInput",
           "TelegramInput", "WebChatAssets", "WhatsAppInput", "parse_rest_body"]
