"""socket.io channel for the web chat widget: Rasa's ``SocketIOInput`` with checks at the door.

Registered in ``credentials.yml`` as ``bot.channels.SafeSocketIOInput`` (same settings and events as
Rasa's builtin ``socketio``: ``user_uttered`` / ``bot_uttered``, ``session_persistence``). On top of it:

- only browsers on allowed origins can connect: ``WEBCHAT_ORIGINS`` (comma-separated, ``*`` for any;
  default the local demo page ``http://127.0.0.1:5005``, ``http://localhost:5005`` and the origin of
  ``RASA_HOST``/``RASA_PORT`` when set), plus the server's own origin (the demo page it serves). Other
  origins get 403 at the Engine.IO handshake, WebSocket included, where browsers apply no CORS;
- malformed events (not an object, a non-string message, over 1 MB, bad session id or metadata) are
  ignored with a log line instead of crashing the handler;
- with ``session_persistence`` a connection may only speak in the session it asked for with
  ``session_request`` (no writing into somebody else's conversation by guessing its id);
- secrets are redacted and personal data masked before the ``UserMessage`` exists (metadata
  ``redacted_secrets``, ``masked_personal_data``), and the widget is told the cleaned text (event
  ``user_redacted``) so it does not keep them either;
- a failure while handling a message is answered with an apology, never with silence; a flood from one
  customer and overload of the whole server are handled by :mod:`bot.channels.intake` (one "slow down"
  message; a short "sedang ramai" message when too many messages wait for Rasa);
- once every reply to a message has been emitted (none while an agent holds the conversation), the
  connection that sent it gets ``reply_done`` with its ``message_id``, so the widget can stop its typing
  indicator instead of showing it until its timeout.
"""
from __future__ import annotations

import inspect
import json
import logging
import os
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Collection, Dict, Iterable, List, Mapping, Optional, Set, Text, Tuple
from urllib.parse import urlsplit

import engineio
import rasa.core.channels.channel
import socketio
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import MAX_BODY_BYTES, RequestError, redact_at_entry
from bot.channels.intake import WhenBusy, intake
from bot.handoff.customers import SocketIOSender, customer_senders
from bot.health import OK, health
from bot.wording import APOLOGY

logger = logging.getLogger(__name__)

DEFAULT_WEBCHAT_ORIGINS: Tuple[str, ...] = ("http://127.0.0.1:5005", "http://localhost:5005")
ANY_ORIGIN = "*"
MAX_SESSION_ID_CHARS = 128
MAX_MESSAGE_ID_CHARS = 64
REDACTED_EVENT = "user_redacted"
REPLY_DONE_EVENT = "reply_done"
_LOOPBACK_HOSTS = {"", "0.0.0.0", "::", "127.0.0.1", "localhost", "::1"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


# --- allowed origins ------------------------------------------------------------------------------------

def normalize_origin(value: str) -> Optional[str]:
    """``scheme://host[:port]`` the way browsers send it in ``Origin`` (lower case, no default port), or
    None when ``value`` is not an http(s) origin (a path, query or user info make it invalid too)."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS[scheme] else "")


def parse_origins(text: str) -> Tuple[str, ...]:
    """Origins from a comma-separated list (``WEBCHAT_ORIGINS``), normalised, without duplicates.
    ``*`` means any origin; entries that are not origins are skipped with a warning."""
    origins: List[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        origin = ANY_ORIGIN if item == ANY_ORIGIN else normalize_origin(item)
        if origin is None:
            logger.warning("WEBCHAT_ORIGINS: %r is not an http(s) origin (scheme://host[:port]); ignored", item)
        elif origin not in origins:
            origins.append(origin)
    return tuple(origins)


def server_origins(host: str, port: str) -> Tuple[str, ...]:
    """The browser origins of a server bound to ``host``:``port`` (both loopback names for a loopback
    or wildcard address)."""
    if not port.isdigit() or not 0 < int(port) < 65536:
        return ()
    hosts = ["127.0.0.1", "localhost"] if host.strip().lower() in _LOOPBACK_HOSTS else [host.strip()]
    return tuple(filter(None, (normalize_origin(f"http://{f'[{h}]' if ':' in h else h}:{port}") for h in hosts)))


def webchat_origins(env: Optional[Mapping[str, str]] = None) -> Tuple[str, ...]:
    """Origins allowed to use the web chat: ``WEBCHAT_ORIGINS`` when set, else the local demo page and
    the origin of ``RASA_HOST``/``RASA_PORT`` when either is set."""
    env = os.environ if env is None else env
    configured = (env.get("WEBCHAT_ORIGINS") or "").strip()
    if configured:
        return parse_origins(configured)
    origins = list(DEFAULT_WEBCHAT_ORIGINS)
    host, port = (env.get("RASA_HOST") or "").strip(), (env.get("RASA_PORT") or "").strip()
    if host or port:
        origins += [o for o in server_origins(host or "127.0.0.1", port or "5005") if o not in origins]
    return tuple(origins)


def cors_pattern(origins: Iterable[str]) -> str:
    """Rasa's ``--cors`` value for ``origins``: ``*``, or one anchored regular expression (Sanic-CORS
    matches patterns), because the server runner passes a single ``--cors`` argument."""
    origins = list(origins)
    if ANY_ORIGIN in origins:
        return ANY_ORIGIN
    if not origins:
        return "^$"   # no cross-origin browser access at all
    return "^(?:" + "|".join(re.escape(origin) for origin in origins) + ")$"


def origin_allowed(origin: Optional[str], allowed: Collection[str], host: Optional[str] = None) -> bool:
    """Whether a request with this ``Origin`` header may use the channel. No header (not a browser, or a
    same-origin GET) is allowed; so is the server's own origin (``host`` is the request's Host header)."""
    if not origin:
        return True
    if ANY_ORIGIN in allowed:
        return True
    normalized = normalize_origin(origin)
    if normalized is None:      # "null" (sandboxed frame, file://) or garbage
        return False
    if normalized in allowed:
        return True
    scheme = normalized.split("://", 1)[0]
    return bool(host) and normalize_origin(f"{scheme}://{host}") == normalized


# --- payload validation ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SocketMessage:
    """A validated ``user_uttered`` event."""

    text: str
    session_id: Optional[str] = None
    metadata: Dict[str, Any] = field(default_factory=dict)
    message_id: Optional[str] = None


def _check_id(value: Any, name: str, limit: int) -> Optional[str]:
    """A session or message id: None when absent, else a printable string of at most ``limit`` characters."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit or not value.isprintable() or not value.strip():
        raise RequestError(400, f"'{name}' must be a printable string of at most {limit} characters")
    return value


def _payload_size(data: Any) -> int:
    """Bytes of ``data`` as JSON (what the widget sent, give or take whitespace)."""
    try:
        return len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise RequestError(400, "event data must be JSON") from None


def parse_session_request(data: Any) -> Optional[str]:
    """Validate a ``session_request``; the requested session id, or None to start a new session."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise RequestError(400, "session_request data must be an object")
    return _check_id(data.get("session_id"), "session_id", MAX_SESSION_ID_CHARS)


def parse_user_message(data: Any, metadata_key: str = "metadata") -> SocketMessage:
    """Validate a ``user_uttered`` event or raise ``RequestError`` (400 malformed, 413 over 1 MB)."""
    if not isinstance(data, dict):
        raise RequestError(400, "event data must be an object")
    if _payload_size(data) > MAX_BODY_BYTES:
        raise RequestError(413, f"event larger than {MAX_BODY_BYTES} bytes")
    text = data.get("message", "")
    if not isinstance(text, str):
        raise RequestError(400, "'message' must be a string")
    metadata = data.get(metadata_key)
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata) if metadata.strip() else None
        except ValueError:
            raise RequestError(400, f"'{metadata_key}' must be a JSON object") from None
    if metadata is not None and not isinstance(metadata, dict):
        raise RequestError(400, f"'{metadata_key}' must be a JSON object")
    return SocketMessage(text=text, session_id=_check_id(data.get("session_id"), "session_id", MAX_SESSION_ID_CHARS),
                         metadata=dict(metadata or {}),
                         message_id=_check_id(data.get("message_id"), "message_id", MAX_MESSAGE_ID_CHARS))


# --- servers --------------------------------------------------------------------------------------------

_refused_origins: Set[str] = set()


def _log_refused(origin: str) -> None:
    """One warning per refused origin (a page retrying every few seconds must not flood the log)."""
    if origin not in _refused_origins and len(_refused_origins) < 1000:
        _refused_origins.add(origin)
        logger.warning("socketio: refused a connection from origin %r (not in WEBCHAT_ORIGINS)", origin)


class OriginCheckingEngineIO(engineio.AsyncServer):
    """Engine.IO server that answers 403 to requests from origins not allowed (polling and WebSocket).

    CORS response headers stay with Sanic-CORS (Rasa's ``--cors``), as in Rasa's own channel, so
    ``cors_allowed_origins=[]`` keeps Engine.IO from adding a second ``Access-Control-Allow-Origin``."""

    def __init__(self, *args: Any, allowed_origins: Iterable[str] = (), **kwargs: Any) -> None:
        kwargs["cors_allowed_origins"] = []
        super().__init__(*args, **kwargs)
        self.allowed_origins = tuple(allowed_origins)
        self.ready = False   # set once the server has started; until then clients are asked to retry

    async def handle_request(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        if not self.ready:
            # A web chat that reconnects the moment a restarted server accepts connections would
            # otherwise get a session whose replies never arrive; 503 makes it retry a moment later.
            return response.json({"error": "starting"}, status=503)
        origin = request.headers.get("origin")
        if not origin_allowed(origin, self.allowed_origins, request.headers.get("host")):
            _log_refused(str(origin))
            return response.json({"error": "origin not allowed"}, status=403)
        return await super().handle_request(request, *args, **kwargs)


class OriginCheckingSocketServer(socketio.AsyncServer):
    """socket.io server on top of ``OriginCheckingEngineIO`` (pass ``allowed_origins=``)."""

    def _engineio_server_class(self) -> type:
        return OriginCheckingEngineIO


async def _maybe_await(result: Any) -> None:
    """``enter_room``/``leave_room`` are plain calls in python-socketio 5.9 and coroutines from 5.10."""
    if inspect.isawaitable(result):
        await result


# --- the channel ----------------------------------------------------------------------------------------

class SafeSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with origin checks, payload validation and redaction at entry."""

    def __init__(self, *args: Any, allowed_origins: Optional[Iterable[str]] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_origins = tuple(webchat_origins() if allowed_origins is None else allowed_origins)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Same routes and events as Rasa's ``SocketIOInput.blueprint``, with the checks described above."""
        sio = OriginCheckingSocketServer(async_mode="sanic", allowed_origins=self.allowed_origins)
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio   # used by get_output_channel
        namespace = self.namespace
        # Flood limit, handoff gate, then the cap on Rasa; when too many messages wait, the customer is told
        # politely that it is busy (a bot message), like any other reply.
        handle = intake(on_new_message, WhenBusy.SAY_BUSY)
        customer_senders.register(self.name(), SocketIOSender(sio, self.bot_message_evt, namespace))
        logger.info("socketio: web chat origins allowed: %s (and the server's own)", ", ".join(self.allowed_origins))

        health.register(self.name(), lambda: {"status": OK, "connected_clients": len(sio.eio.sockets)})

        @socketio_webhook.route("/", methods=["GET"])
        async def socketio_health(_: Request) -> HTTPResponse:
            return response.json({"status": OK})

        @socketio_webhook.listener("after_server_start")
        async def accept_connections(*_: Any) -> None:
            sio.eio.ready = True

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            payload = (rasa.core.channels.channel.decode_bearer_token(token, self.jwt_key, self.jwt_algorithm)
                       if token else None)
            return bool(payload)

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: Text) -> None:
            logger.debug("socketio: %s disconnected", sid)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any = None) -> None:
            try:
                session_id = parse_session_request(data) or uuid.uuid4().hex
            except RequestError as error:
                logger.warning("socketio: ignored a session_request from %s: %s", sid, error)
                return
            if self.session_persistence:
                for room in list(sio.rooms(sid, namespace=namespace)):
                    if room not in (sid, session_id):      # leave the previous conversation
                        await _maybe_await(sio.leave_room(sid, room, namespace=namespace))
                await _maybe_await(sio.enter_room(sid, session_id, namespace=namespace))
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)
            await customer_senders.customer_back(session_id)   # agent messages kept while away

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:
            try:
                message = parse_user_message(data, self.metadata_key or "metadata")
            except RequestError as error:
                logger.warning("socketio: ignored a %s event from %s: %s", self.user_message_evt, sid, error)
                return
            if self.session_persistence:
                if not message.session_id or message.session_id not in sio.rooms(sid, namespace=namespace):
                    logger.warning("socketio: ignored a message from %s for a session it did not request "
                                   "with session_request", sid)
                    return
                sender_id = message.session_id
            else:
                sender_id = sid
            # Secrets (seed phrases, keys, passwords, OTPs) never reach the tracker store or the logs.
            text, metadata = redact_at_entry(message.text, message.metadata)
            if (metadata.get("redacted_secrets") or metadata.get("masked_personal_data")) and message.message_id:
                await sio.emit(REDACTED_EVENT, {"message_id": message.message_id, "text": text},
                               room=sid, namespace=namespace)
            output_channel = SocketIOOutput(sio, self.bot_message_evt)
            try:
                await handle(UserMessage(text, output_channel, sender_id, input_channel=self.name(),
                                         metadata=metadata))
            except Exception:  # noqa: BLE001 - the customer must get an answer whatever failed
                logger.exception("socketio: failed to handle a message from %s", sender_id)
                await sio.emit(self.bot_message_evt, {"text": APOLOGY}, room=sender_id)
            if message.message_id:   # every reply is out (the handoff gate may have sent none)
                await sio.emit(REPLY_DONE_EVENT, {"message_id": message.message_id}, room=sid, namespace=namespace)

        return socketio_webhook
