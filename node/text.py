"""Accent- and case-folding of text, so "regisseur" finds "Régisseuse" on every engine."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable


def fold(value: str) -> str:
    """Lowercase `value` and strip its accents (NFKD, combining marks removed)."""
    folded = value.casefold()
    if folded.isascii():
        return folded  # nothing to decompose
    # Word by word, through a cache: card texts share most of their words. Folding is
    # character by character and a space blocks any reordering of marks, so it is exact.
    return " ".join(map(_fold_word, value.split(" ")))


@functools.lru_cache(maxsize=8192)
def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=4096)
def fold_term(value: str) -> str:
    """`fold` through a cache, for short values many records share (trades, skills, cities,
    territories, languages): a page of cards folds each of them once."""
    return fold(value)


def fold_all(parts: Iterable[str]) -> str:
    """One folded, space-joined string of every non-empty part (a search column's content)."""
    return " ".join(fold(p) for p in parts if p)


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Trimmed tags without duplicates (compared folded), first spelling kept, order kept."""
    seen: set[str] = set()
    result = []
    for tag in tags:
        tag = " ".join(tag.split())
        key = fold(tag)
        if tag and key not in seen:
            seen.add(key)
            result.append(tag)
    return result
