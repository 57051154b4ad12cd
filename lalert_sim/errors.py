"""The project's own exceptions: what went wrong, said so a person can fix it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Loc = tuple[str | int, ...]
LineLookup = Callable[[Loc], "int | None"]


def shown(value: object, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters, so a message never carries a whole hostile input."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-1]} ({len(text)} characters)"


class LalertError(Exception):
    """Base of every error lalert-sim raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input: where (file, field path, line) and what."""

    message: str
    loc: Loc = ()
    file: str | None = None
    line: int | None = None

    @property
    def field(self) -> str:
        """The field path written as people read it: ``links[3].target``."""
        text = ""
        for part in self.loc:
            if isinstance(part, int):
                text += f"[{part}]"
            else:
                text += f".{part}" if text else str(part)
        return text

    def __str__(self) -> str:
        where = [w for w in (self.file, f"line {self.line}" if self.line else None) if w]
        prefix = ": ".join(where)
        field = self.field
        body = f"{field}: {self.message}" if field else self.message
        return f"{prefix}: {body}" if prefix else body


class ScenarioError(LalertError, ValueError):
    """A scenario (or a file it names) is not valid; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def located(self, file: str, line_of: LineLookup | None = None) -> ScenarioError:
        """The same problems, tagged with the file and (where known) the line."""
        return type(self)(
            [
                Problem(
                    p.message, p.loc, p.file or file, p.line or (line_of(p.loc) if line_of and not p.file else None)
                )
                for p in self.problems
            ]
        )


class InvalidInput(LalertError, ValueError):
    """An input the command cannot use as given, such as an option out of range (exit code 2)."""


class TopologyError(ScenarioError):
    """The network a scenario describes cannot be built (unknown node, duplicate id...)."""


class BridgeError(LalertError):
    """The hardware-in-the-loop bridge or a field node cannot go on."""


class BrokerUrlError(BridgeError, InvalidInput):
    """A broker URL that cannot be used: not mqtt://, no host, a bad port (exit code 2)."""


class NodeConfigError(BridgeError, InvalidInput):
    """A field node's node.toml (or a file it names) is not what it should be (exit code 2)."""
