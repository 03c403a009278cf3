"""The text client: chat with the coach over socket.io (``python -m stretch_chat``)."""

from .chat import Chat, session_id

__all__ = ["Chat", "session_id"]
