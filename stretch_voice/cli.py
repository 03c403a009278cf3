"""Talk to the coach: microphone in, speech out; or recorded WAV files in, JSON lines out.

    python -m stretch_voice                        # listen on the default microphone
    python -m stretch_voice --device 2             # another input (see --list-devices)
    python -m stretch_voice --wav a.wav b.wav      # one JSON line per file
    python -m stretch_voice --wav a.wav --speak-to replies/   # also write the replies
    python -m stretch_voice --wav talk.wav --split # one JSON line per utterance
    python -m stretch_voice --wav a.wav --no-nlu   # speech recognition only

The coach is reached over socket.io (``--url``, default http://localhost:5005), so the hold cues
it pushes on its own are spoken too. The session id is shared with the text chat
(``.chat_session``): you can switch between typing and talking. ``--new`` starts a new one.

With ``--wav`` each file is one utterance (or several with ``--split``): it is recognised, its
text parsed by the NLU (``/model/parse``: intent and confidence), then sent to the conversation;
the replies are synthesised (and with ``--speak-to`` written as WAV files). Each JSON line holds
``file``, ``transcript``, ``rejected``, ``noise``, ``safety``, ``intent``, ``confidence``, ``replies``,
``wavs`` and ``ms`` = {recognition, nlu, reply, synthesis}. Rejected speech is sent as
``/nlu_fallback`` (the coach's re-prompt), as in the live loop.

Exit status: 0 ok; 2 the coach's server cannot be reached; 3 no microphone (the message says so
and what to do instead).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

from .audio import read_wav
from .nlu import NLUUnavailable, ParseFn, make_rasa_parse
from .speech_cache import DEFAULT_DIR

NO_MIC_EXIT = 3
SERVER_EXIT = 2


def transcribe(recognizer: Any, pcm: bytes, parse: Optional[ParseFn] = None,
               **extra: Any) -> Dict[str, Any]:
    """Transcribe one utterance and, if there is text and ``parse`` is given, parse it.

    ``confidence`` is the NLU's intent confidence; ``asr_logprob`` Whisper's average
    log-probability per token."""
    res = recognizer.transcribe(pcm)
    row: Dict[str, Any] = dict(extra)
    row.update({"transcript": res.text, "rejected": res.rejected, "noise": res.noise,
                "safety": res.safety, "source": res.source, "asr_logprob": round(res.logprob, 3),
                "metadata": res.heard(), "intent": None, "confidence": None,
                "ms": {"recognition": round(res.ms, 1)}})
    if parse is not None and not res.rejected and res.text:
        nlu = parse(res.text)
        row.update({"intent": nlu.get("intent"), "confidence": nlu.get("confidence"),
                    "entities": nlu.get("entities")})
        row["ms"]["nlu"] = nlu.get("nlu_ms")
    return row


def utterances(paths: Iterable[str], split: bool) -> Iterable[tuple[Dict[str, Any], bytes]]:
    from .vad import split_pcm

    for path in paths:
        pcm = read_wav(path)
        if not split:
            yield {"file": path}, pcm
            continue
        for i, utt in enumerate(split_pcm(pcm)):
            yield ({"file": path, "utterance": i, "start_s": round(utt.speech_start_s, 2),
                    "end_s": round(utt.speech_end_s, 2)}, utt.pcm)


class Conversation:
    """A socket.io conversation that collects the coach's replies to each message."""

    def __init__(self, url: str, sid: str) -> None:
        from stretch_chat import Chat

        self.replies: List[str] = []
        self.first_reply: Optional[float] = None
        self._lock = threading.Lock()
        self.chat = Chat(url, sid, on_text=self._on_text)
        try:
            self.chat.connect(timeout=10)
        except Exception as exc:  # noqa: BLE001
            raise NLUUnavailable(f"cannot reach the coach at {url} over socket.io ({exc})"
                                 ) from exc

    def _on_text(self, text: str) -> None:
        with self._lock:
            if self.first_reply is None:
                self.first_reply = time.perf_counter()
            self.replies.append(text)

    def send(self, text: str, metadata: Optional[dict] = None, quiet: float = 0.6
             ) -> tuple[List[str], Optional[float]]:
        """Send ``text`` (and message ``metadata``); return the replies and ms to the first one."""
        with self._lock:
            self.replies, self.first_reply = [], None
        t0 = time.perf_counter()
        self.chat.send(text, metadata)
        self.chat.settle(quiet=quiet, limit=10)
        with self._lock:
            first = None if self.first_reply is None else (self.first_reply - t0) * 1000
            return list(self.replies), first

    def close(self) -> None:
        self.chat.close()


def run_wav(args: argparse.Namespace) -> int:
    from stretch_chat import session_id

    from .recognizer import Recognizer
    from .session import FALLBACK_MESSAGE
    from .tts import synthesize

    parse: Optional[ParseFn] = None if args.no_nlu else make_rasa_parse(f"{args.url}/model/parse")
    recognizer = Recognizer()
    talk: Optional[Conversation] = None
    out = Path(args.speak_to) if args.speak_to else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
    n_wav = 0
    try:
        if parse is not None:
            talk = Conversation(args.url, args.session or session_id(args.new))
        for extra, pcm in utterances(args.wav, args.split):
            row = transcribe(recognizer, pcm, parse, **extra)
            row["replies"], row["wavs"] = [], []
            if talk is not None:
                if row["noise"]:  # not speech: the live loop ignores it too
                    print(json.dumps(row), flush=True)
                    continue
                message = FALLBACK_MESSAGE if row["rejected"] else row["transcript"]
                row["replies"], row["ms"]["reply"] = talk.send(
                    message, None if row["rejected"] else row["metadata"])
                synth = 0.0
                for text in row["replies"]:
                    speech = synthesize(text, args.voice, args.speed)
                    synth += speech.synth_ms
                    if out:
                        n_wav += 1
                        path = out / f"{n_wav:03d}.wav"
                        path.write_bytes(speech.wav)
                        row["wavs"].append(str(path))
                row["ms"]["synthesis"] = round(synth, 1)
            print(json.dumps(row), flush=True)
    except NLUUnavailable as exc:
        print(f"error: {exc}. Start the coach first (make run, or scripts/run.sh), or pass "
              f"--no-nlu to recognise only.", file=sys.stderr)
        return SERVER_EXIT
    finally:
        if talk is not None:
            talk.close()
    return 0


def print_turn(turn: Any) -> None:
    if turn.action in ("sent", "barge-in"):
        extra = " (cut the coach off)" if turn.action == "barge-in" else ""
        print(f"You: {turn.transcript}{extra}   [{turn.recognition_ms:.0f} ms]", flush=True)
    elif turn.action == "reprompt":
        print("You: (not understood)", flush=True)
    else:
        print(f"     (ignored: {turn.action})", flush=True)


def run_listen(args: argparse.Namespace) -> int:
    from stretch_chat import device_secret, session_id

    from .client import VoiceClient
    from .mic import Microphone, input_problem
    from .recognizer import Recognizer
    from .speaker import Speaker
    from .speech_cache import cached_voice
    from .tts import Player

    problem = input_problem(args.device)
    if problem:
        print(f"No microphone: {problem}.\nThe voice coach needs a microphone. You can type to the "
              f"coach instead (make run), or try recorded speech: python -m stretch_voice "
              f"--wav FILE.wav --speak-to replies/. See --list-devices to pick another input.",
              file=sys.stderr)
        return NO_MIC_EXIT
    print("Loading the recogniser ...", flush=True)
    recognizer = Recognizer()  # releases the GIL while it decodes: audio threads keep running
    player = Player(args.output)
    speaker = Speaker(player, cached_voice(args.voice, args.speech_cache), args.speed,
                      Path(args.speak_to) if args.speak_to else None)

    client = VoiceClient(args.url, args.session or session_id(args.new), recognizer, speaker,
                         on_coach_text=lambda text: print(f"Coach: {text}", flush=True),
                         on_held=lambda text: print(
                             f"(The coach can't be reached right now; {text!r} goes to it as "
                             "soon as it is back.)", flush=True),
                         on_turn=print_turn, echo_guard=args.echo_guard, device=device_secret())
    try:
        client.connect(timeout=30)
    except Exception as exc:  # noqa: BLE001
        print(f"Can't reach the coach at {args.url}: {exc}", file=sys.stderr)
        speaker.close()
        return SERVER_EXIT
    if player.backend == "null":
        print(f"No speaker ({player.fallback_reason}): replies are printed only.", flush=True)
    print("Listening. Say 'start' to begin; 'stop' or 'pause' any time. Ctrl-C leaves.",
          flush=True)
    try:
        with Microphone(args.device) as mic:
            while True:
                pcm, t = mic.read()
                client.session.feed(pcm, t)
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        print(f"Microphone failed: {exc}", file=sys.stderr)
        return NO_MIC_EXIT
    finally:
        client.close()
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stretch_voice", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wav", nargs="+", metavar="FILE", help="recorded utterances to send")
    ap.add_argument("--split", action="store_true",
                    help="with --wav: split each file into utterances with the VAD first")
    ap.add_argument("--no-nlu", action="store_true",
                    help="with --wav: recognise only, do not talk to the coach")
    ap.add_argument("--speak-to", metavar="DIR", help="write the spoken replies as WAV files")
    ap.add_argument("--url", default="http://localhost:5005", help="the coach's Rasa server")
    ap.add_argument("--session", help="session id (default: shared with the text chat)")
    ap.add_argument("--new", action="store_true", help="start a new session")
    ap.add_argument("--device", default=None,
                    help="microphone: a device number or part of its name (--list-devices)")
    ap.add_argument("--output", default="auto", choices=["auto", "sounddevice", "sox", "null"],
                    help="speaker backend (auto: PortAudio, then sox's play, else none)")
    ap.add_argument("--voice", default="piper",
                    help="the coach's voice: piper (default), or an espeak-ng voice such as "
                         "espeak:en-us")
    ap.add_argument("--speed", type=int, default=165, help="words per minute")
    ap.add_argument("--speech-cache", default=str(DEFAULT_DIR), metavar="DIR",
                    help="the coach's sentences recorded at set-up (stretch_voice/sentences.py); "
                         "'none' synthesises every sentence")
    ap.add_argument("--echo-guard", action="store_true",
                    help="open speakers without echo cancellation: ignore a safety word heard "
                         "while the coach itself is saying it")
    ap.add_argument("--list-devices", action="store_true", help="list audio devices and exit")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if args.device is not None and args.device.isdigit():
        args.device = int(args.device)

    if args.list_devices:
        from .mic import list_devices

        print(list_devices())
        return 0
    if args.wav:
        return run_wav(args)
    return run_listen(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
