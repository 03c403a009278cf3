"""The web client of Stretch Coach: a page that listens, speaks and shows the hold.

``python -m stretch_web`` (``make web``) serves the page and the voice gateway. The page streams
16 kHz mono PCM from the microphone over a WebSocket; the gateway runs the same VAD, Whisper
recogniser and Piper voice as ``make voice`` (:mod:`stretch_voice`), one socket.io conversation
with the coach per page, and streams the spoken replies back. Nothing here is imported by the
coach or the other clients.

Modules (the page's protocol: docs/protocol.md):
    view        -- the last view the coach sent a session, aged to now for a reloaded page.
    page        -- one page's voice session (the ``make voice`` wiring, the page as mic and speaker).
    stream      -- a page's microphone stream across reconnects.
    connection  -- one page's WebSocket: a handler per connection, a method per message kind.
    load        -- how loaded the gateway is: refusing new pages when full, /status, /metrics.
    recognition -- the shared recogniser's queue: pages in a hold (or paused) first.
    busy        -- the sentence a full gateway says to a new page (domain.yml's utter_busy).
    shared      -- a page's session kept in Redis, so another gateway can take it over (cluster).
    gateway     -- the aiohttp app: the page, its static files, the sessions by id.
    server      -- ``python -m stretch_web``: options, HTTP and HTTPS listeners.
"""
