"""The few shell commands the simulation understands in a container's command/args.

Tutorials keep a busybox pod alive with `sleep 3600`, or print with
`sh -c 'echo hello; sleep 5; exit 3'`, or loop with
`while true; do echo tick; sleep 5; done`. This module turns such commands
into a timeline: log lines at offsets from the start, and when (and with
which code) the process exits. Understood: `echo`, `sleep N|Ns|Nm|Nh|infinity`,
`exit [N]`, `true`, `false`, `date`, `tail -f /dev/null`, statements joined
by `;`, `&&` or newlines, a final `while true; do ...; done` loop, and
`$(date)` inside echo. Anything else returns None: the command is taken to
be the image's own program, and the image behaves as the catalogue says.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

SHELLS = {"sh", "ash", "bash"}
# `date` and `$(date)` print busybox's default format, in the simulated time.
DATE_TEMPLATE = "{time:%a %b %d %H:%M:%S UTC %Y}"
# A loop without a sleep would write lines without end; the simulation lets
# such a loop go round once a second.
BUSY_LOOP_PERIOD_SECONDS = 1.0
_SLEEP_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Longer than any sandbox lives: `sleep 1e300` is taken as `sleep infinity`
# rather than a date past the year 9999.
_FOREVER_SECONDS = 10**9


@dataclass(frozen=True)
class Script:
    """What a command does over time. Offsets are seconds after the start."""

    logs: tuple[tuple[float, str], ...]
    exit_after: float | None  # None: runs until stopped
    exit_code: int = 0
    # A final endless loop writes `loop_logs` (offsets within one round) every
    # `loop_period` seconds, starting at `loop_start`.
    loop_logs: tuple[tuple[float, str], ...] = ()
    loop_start: float = 0.0
    loop_period: float = 0.0


class _NotUnderstood(Exception):
    pass


def interpret(argv: list[str]) -> Script | None:
    """The timeline of `argv`, or None if it uses anything beyond the understood subset."""
    if not argv:
        return None
    program = argv[0].rsplit("/", 1)[-1]
    try:
        if program in SHELLS and len(argv) >= 3 and argv[1] == "-c":
            return _run(_statements(argv[2]))
        return _run([("", [program, *argv[1:]])])
    except _NotUnderstood:
        return None


def _statements(script: str) -> list[tuple[str, list[str]]]:
    """Split a script into (separator before it, words) pairs."""
    lexer = shlex.shlex(script.replace("\n", ";"), posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    statements: list[tuple[str, list[str]]] = []
    separator, words = "", []
    for token in lexer:
        if token in {";", "&&"}:
            if words:
                statements.append((separator, words))
            separator, words = token, []
        elif token and set(token) <= set(";&|"):
            raise _NotUnderstood(token)
        else:
            words.append(token)
    if words:
        statements.append((separator, words))
    return statements


def _run(statements: list[tuple[str, list[str]]]) -> Script:
    clock, status = 0.0, 0
    logs: list[tuple[float, str]] = []
    for index, (separator, words) in enumerate(statements):
        if separator == "&&" and status != 0:
            continue
        if words[0] == "while":
            return _loop(words, statements[index + 1 :], clock, logs)
        outcome = _command(words, clock, logs)
        if outcome == "forever":
            return Script(tuple(logs), exit_after=None)
        if outcome == "exit":
            return Script(tuple(logs), exit_after=clock, exit_code=_exit_code(words))
        clock, status = outcome
    return Script(tuple(logs), exit_after=clock, exit_code=status)


def _command(
    words: list[str], clock: float, logs: list[tuple[float, str]]
) -> tuple[float, int] | str:
    """Run one command: the new clock and exit status, or "exit" / "forever"."""
    name, args = words[0], words[1:]
    if name == "echo":
        text = " ".join(args[1:] if args[:1] == ["-n"] else args)
        logs.append((clock, _template(text)))
        return clock, 0
    if name == "date" and not args:
        logs.append((clock, DATE_TEMPLATE))
        return clock, 0
    if name == "sleep" and len(args) == 1:
        seconds = _sleep_seconds(args[0])
        return "forever" if seconds is None else (clock + seconds, 0)
    if name == "tail" and args == ["-f", "/dev/null"]:
        return "forever"
    if name == "exit" and len(args) <= 1:
        return "exit"
    if name in {"true", ":"} and not args:
        return clock, 0
    if name == "false" and not args:
        return clock, 1
    raise _NotUnderstood(name)


def _loop(
    head: list[str],
    rest: list[tuple[str, list[str]]],
    clock: float,
    logs: list[tuple[float, str]],
) -> Script:
    if head[1:] not in (["true"], [":"]) or not rest or rest[-1][1] != ["done"]:
        raise _NotUnderstood("while")
    body = [words for _, words in rest[:-1]]
    if not body or body[0][:1] != ["do"] or len(body[0]) < 2:
        raise _NotUnderstood("while")
    body[0] = body[0][1:]
    round_logs: list[tuple[float, str]] = []
    elapsed = 0.0
    for words in body:
        outcome = _command(words, elapsed, round_logs)
        if isinstance(outcome, str):
            raise _NotUnderstood(words[0])
        elapsed = outcome[0]
    return Script(
        tuple(logs),
        exit_after=None,
        loop_logs=tuple(round_logs),
        loop_start=clock,
        loop_period=elapsed or BUSY_LOOP_PERIOD_SECONDS,
    )


def _sleep_seconds(text: str) -> float | None:
    """Seconds to sleep; None for `infinity`."""
    if text == "infinity":
        return None
    unit = _SLEEP_UNITS.get(text[-1:])
    number = text[:-1] if unit else text
    try:
        seconds = float(number) * (unit or 1)
    except ValueError:
        raise _NotUnderstood("sleep") from None
    if seconds < 0 or seconds != seconds:
        raise _NotUnderstood("sleep")
    return None if seconds > _FOREVER_SECONDS else seconds


def _exit_code(words: list[str]) -> int:
    if len(words) == 1:
        return 0
    try:
        # A shell keeps the low 8 bits: `exit 256` exits 0, `exit -1` exits 255.
        return int(words[1]) % 256
    except ValueError:
        raise _NotUnderstood("exit") from None


def _template(text: str) -> str:
    # Log lines are str.format templates (for the simulated time); a user's
    # braces must survive as braces.
    escaped = text.replace("{", "{{").replace("}", "}}")
    return escaped.replace("$(date)", DATE_TEMPLATE)
