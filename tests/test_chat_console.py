"""The text chat at a terminal (stretch_chat.Console, converse): the "You:" prompt comes after the
coach's reply, never before it on the same line, and a cue pushed while the prompt shows is printed
above it. A stand-in for the coach's connection answers like the coach; no servers."""

from __future__ import annotations

import io
import threading
import time

from stretch_chat.chat import PROMPT, Chat, Console, converse


class Coach:
    """Answers each line after ``delay_s``, one message at a time, as socket.io delivers them."""

    settle = Chat.settle  # the real wait for a reply

    def __init__(self, console: Console, replies: dict, delay_s: float = 0.2) -> None:
        self.console, self.replies, self.delay_s = console, replies, delay_s
        self.last_message = time.monotonic()

    def send(self, text: str) -> bool:
        def answer() -> None:
            time.sleep(self.delay_s)
            for reply in self.replies.get(text, []):
                self.last_message = time.monotonic()
                self.console.show(reply)
            self.last_message = time.monotonic()  # the view: not shown, but part of the turn

        threading.Thread(target=answer, daemon=True).start()
        return True


class Terminal:
    """Typed lines, echoed as a terminal echoes them (with the Enter)."""

    def __init__(self, lines: list[str]) -> None:
        self.out = io.StringIO()
        self.lines = list(lines)

    def read(self) -> str:
        if not self.lines:
            raise EOFError
        line = self.lines.pop(0)
        self.out.write(line + "\n")
        return line


def test_the_prompt_comes_after_the_coachs_reply():
    term = Terminal(["start", "/quit"])
    console = Console(term.out, term.read)
    coach = Coach(console, {"start": ["Warm up first.", "Which routine?"]})
    converse(coach, console)  # type: ignore[arg-type]
    assert term.out.getvalue() == (f"{PROMPT}start\nCoach: Warm up first.\nCoach: Which routine?\n"
                                   f"{PROMPT}/quit\n")


def test_a_cue_pushed_while_the_prompt_shows_is_printed_above_it():
    typed = threading.Event()
    out = io.StringIO()

    def read() -> str:
        typed.wait(5)
        raise EOFError

    console = Console(out, read)
    reader = threading.Thread(target=lambda: converse(Coach(console, {}), console))  # type: ignore
    reader.start()
    while PROMPT not in out.getvalue():
        time.sleep(0.01)
    console.show("Five more seconds.")
    typed.set()
    reader.join(5)
    assert out.getvalue() == f"{PROMPT}\r\033[KCoach: Five more seconds.\n{PROMPT}"
