"""Field types for message payloads: strict shape, size bounds, field names.

Each message kind declares its payload as a frozen dataclass plus a tuple of
``(name, FieldType)`` pairs (its wire order). A payload is encoded as a
canonical array in that order; decoding checks every element against its type
and names the offending field in any error (``payload.founders[3]``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any

from .canonical import Value
from .errors import NotSorted, OutOfRange, Oversize, WrongLength, WrongType


class FieldType:
    """A wire type: ``check`` turns a decoded value into the Python value."""

    def check(self, value: Value, path: str) -> Any:
        raise NotImplementedError

    def to_wire(self, value: Any) -> Value:
        return value

    def describe(self) -> str:
        raise NotImplementedError


class UInt(FieldType):
    def __init__(self, maximum: int = 2**32 - 1, minimum: int = 0) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def check(self, value: Value, path: str) -> int:
        if type(value) is not int:
            raise WrongType(f"expected an unsigned integer, got {_tname(value)}", field=path)
        if not self.minimum <= value <= self.maximum:
            raise OutOfRange(f"{value} is outside [{self.minimum}, {self.maximum}]", field=path)
        return value

    def describe(self) -> str:
        return f"uint {self.minimum}..{self.maximum}"


class Bin(FieldType):
    """Bytes of an exact size (keys, ids, signatures)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def check(self, value: Value, path: str) -> bytes:
        if type(value) is not bytes:
            raise WrongType(f"expected bin, got {_tname(value)}", field=path)
        if len(value) != self.size:
            raise WrongLength(f"expected {self.size} bytes, got {len(value)}", field=path)
        return value

    def describe(self) -> str:
        return f"bin[{self.size}]"


class BinMax(FieldType):
    def __init__(self, maximum: int) -> None:
        self.maximum = maximum

    def check(self, value: Value, path: str) -> bytes:
        if type(value) is not bytes:
            raise WrongType(f"expected bin, got {_tname(value)}", field=path)
        if len(value) > self.maximum:
            raise Oversize(f"{len(value)} bytes exceeds {self.maximum}", field=path)
        return value

    def describe(self) -> str:
        return f"bin[0..{self.maximum}]"


class Text(FieldType):
    """UTF-8 text bounded by its encoded size in bytes (not characters)."""

    def __init__(self, max_bytes: int, *, min_bytes: int = 0) -> None:
        self.max_bytes = max_bytes
        self.min_bytes = min_bytes

    def check(self, value: Value, path: str) -> str:
        if type(value) is not str:
            raise WrongType(f"expected str, got {_tname(value)}", field=path)
        n = len(value.encode("utf-8")) if not value.isascii() else len(value)
        if n > self.max_bytes:
            raise Oversize(f"{n} bytes of text exceeds {self.max_bytes}", field=path)
        if n < self.min_bytes:
            raise OutOfRange(f"text must have at least {self.min_bytes} bytes", field=path)
        return value

    def describe(self) -> str:
        return f"str[{self.min_bytes}..{self.max_bytes} bytes]"


class Bool(FieldType):
    def check(self, value: Value, path: str) -> bool:
        if type(value) is not bool:
            raise WrongType(f"expected bool, got {_tname(value)}", field=path)
        return value

    def describe(self) -> str:
        return "bool"


class Enum(FieldType):
    def __init__(self, enum: type[IntEnum]) -> None:
        self.enum = enum

    def check(self, value: Value, path: str) -> IntEnum:
        if type(value) is not int:
            raise WrongType(f"expected an enum number, got {_tname(value)}", field=path)
        try:
            return self.enum(value)
        except ValueError:
            names = ", ".join(f"{m.value}={m.name.lower()}" for m in self.enum)
            raise OutOfRange(f"{value} is not one of {names}", field=path) from None

    def to_wire(self, value: Any) -> Value:
        return int(value)

    def describe(self) -> str:
        return "enum " + ", ".join(f"{m.value}={m.name.lower()}" for m in self.enum)


class Opt(FieldType):
    """The inner type, or nil."""

    def __init__(self, inner: FieldType) -> None:
        self.inner = inner

    def check(self, value: Value, path: str) -> Any:
        return None if value is None else self.inner.check(value, path)

    def to_wire(self, value: Any) -> Value:
        return None if value is None else self.inner.to_wire(value)

    def describe(self) -> str:
        return f"nil | {self.inner.describe()}"


class List(FieldType):
    """An array of one element type; ``ascending`` makes it a set: strictly
    increasing (sorted, no duplicates), so a set has one byte form."""

    def __init__(
        self,
        item: FieldType,
        *,
        maximum: int,
        minimum: int = 0,
        ascending: bool = False,
        sort_key: Callable[[Any], Any] | None = None,
    ) -> None:
        self.item = item
        self.minimum = minimum
        self.maximum = maximum
        self.ascending = ascending
        self.sort_key = sort_key or (lambda v: v)

    def check(self, value: Value, path: str) -> tuple[Any, ...]:
        if type(value) is not tuple:
            raise WrongType(f"expected array, got {_tname(value)}", field=path)
        if len(value) > self.maximum:
            raise Oversize(f"{len(value)} elements exceeds {self.maximum}", field=path)
        if len(value) < self.minimum:
            raise WrongLength(f"needs at least {self.minimum} elements", field=path)
        out = tuple(self.item.check(v, f"{path}[{i}]") for i, v in enumerate(value))
        if self.ascending:
            key = self.sort_key
            for i in range(1, len(out)):
                if not key(out[i - 1]) < key(out[i]):
                    raise NotSorted(
                        "elements must be strictly ascending (sorted, no duplicates)",
                        field=f"{path}[{i}]",
                    )
        return out

    def to_wire(self, value: Any) -> Value:
        return tuple(self.item.to_wire(v) for v in value)

    def describe(self) -> str:
        order = ", strictly ascending" if self.ascending else ""
        return f"array[{self.minimum}..{self.maximum}] of ({self.item.describe()}){order}"


class Tuple(FieldType):
    """A fixed-length array of named parts; decodes to a plain tuple."""

    def __init__(self, *parts: tuple[str, FieldType]) -> None:
        self.parts = parts

    def check(self, value: Value, path: str) -> tuple[Any, ...]:
        if type(value) is not tuple:
            raise WrongType(f"expected array, got {_tname(value)}", field=path)
        if len(value) != len(self.parts):
            raise WrongLength(f"expected {len(self.parts)} elements, got {len(value)}", field=path)
        return tuple(t.check(v, f"{path}.{n}") for (n, t), v in zip(self.parts, value, strict=True))

    def to_wire(self, value: Any) -> Value:
        return tuple(t.to_wire(v) for (_, t), v in zip(self.parts, value, strict=True))

    def describe(self) -> str:
        return "[" + ", ".join(f"{n}: {t.describe()}" for n, t in self.parts) + "]"


class Tagged(FieldType):
    """An array whose first element, a small uint tag, selects its shape."""

    def __init__(self, variants: dict[int, tuple[str, Tuple]]) -> None:
        self.variants = variants

    def check(self, value: Value, path: str) -> tuple[Any, ...]:
        if type(value) is not tuple or not value:
            raise WrongType(f"expected a tagged array, got {_tname(value)}", field=path)
        tag = value[0]
        if type(tag) is not int or tag not in self.variants:
            raise OutOfRange(f"unknown variant tag {tag!r}", field=f"{path}[0]")
        name, shape = self.variants[tag]
        return (tag, *shape.check(value[1:], f"{path}<{name}>"))

    def to_wire(self, value: Any) -> Value:
        _, shape = self.variants[value[0]]
        return (value[0], *shape.to_wire(value[1:]))

    def describe(self) -> str:
        return " | ".join(
            f"[{tag} ({name}), ...{shape.describe()}]"
            for tag, (name, shape) in self.variants.items()
        )


def _tname(value: Value) -> str:
    if value is None:
        return "nil"
    return {
        bool: "bool",
        int: "int",
        str: "str",
        bytes: "bin",
        tuple: "array",
        dict: "map",
    }.get(type(value), type(value).__name__)
