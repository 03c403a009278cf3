"""The text client: chat with the coach over socket.io (``python -m stretch_chat``)."""

from .chat import Chat, device_secret, session_id

__all__ = ["Chat", "device_secret", "session_id"]
