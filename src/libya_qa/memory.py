"""What recent answers said, so a follow-up's "he" or "it" can mean the name an answer gave."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

Key = tuple[str, str, tuple[str, ...]]  # (index version, question, its own history)


@dataclass(frozen=True)
class Remembered:
    """The names an answer gave: those "he" or "it" may mean, and its short answer as shown."""

    names: tuple[str, ...] = ()  # every name its best sentences mark, none when they list too many to point into
    shown: tuple[str, ...] = ()  # the short answer, a long list cut to its doers: what "they" or "their" may mean
    source: str = ""  # the article its first quote came from: a conversation mostly stays in it


class AnswerMemory:
    """A bounded, thread-safe record of the short-answer names of recent questions."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._names: OrderedDict[Key, Remembered] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, key: Key, names: Remembered) -> None:
        """Keep the names an answer gave (the oldest entry goes when full)."""
        with self._lock:
            self._names[key] = names
            self._names.move_to_end(key)
            while len(self._names) > self.size:
                self._names.popitem(last=False)

    def names(self, key: Key) -> Remembered:
        """The names remembered for a question (none if forgotten)."""
        with self._lock:
            return self._names.get(key, Remembered())

    def recall(self, key: Key, answer: Callable[[], Remembered]) -> Remembered:
        """The names an earlier answer gave: remembered, or found by answering it again (once)."""
        with self._lock:
            names = self._names.get(key)
        if names is None:
            names = answer()
            self.remember(key, names)
        return names
