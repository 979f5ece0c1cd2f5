"""A tiny name -> factory registry, one per swappable part (fusion, quantizer, backbone...).

A new part is a new module that decorates its factory with ``@REGISTRY.register("name")``
plus a config value naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from unisid.errors import UnisidError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            self._items[name] = obj
            return obj

        return deco

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise UnisidError(
                f"unknown {self.kind} {name!r}; available: {', '.join(sorted(self._items)) or 'none'}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        return name in self._items
