"""Searching for a value in a sorted list; each function returns its index or -1.

>>> data = [1, 3, 5, 7, 9]
>>> linear_search(data, 7), binary_search(data, 7), bisect_search(data, 4)
(3, 3, -1)
"""

import bisect
import random
from collections.abc import Sequence


def linear_search(items: Sequence[int], target: int) -> int:
    """Return the index of the first occurrence of target, or -1, scanning left to right.

    O(n): looks at every element until a match (n/2 on average when present,
    n when absent); does not need the list to be sorted.

    >>> linear_search([4, 8, 15, 16, 23, 42], 15)
    2
    >>> linear_search([4, 8, 15], 5)
    -1
    >>> linear_search([], 1)
    -1
    """
    for i, value in enumerate(items):
        if value == target:
            return i
    return -1


def binary_search(items: Sequence[int], target: int) -> int:
    """Return the index of the first occurrence of target in sorted items, or -1.

    O(log n): halves the candidate range at each step (leftmost variant, so
    duplicates give the same answer as linear_search).

    >>> binary_search([4, 8, 15, 16, 23, 42], 42)
    5
    >>> binary_search([4, 8, 15, 16, 23, 42], 4)
    0
    >>> binary_search([1, 2, 2, 2, 3], 2)
    1
    >>> binary_search([4, 8, 15], 9), binary_search([], 1)
    (-1, -1)
    """
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    if lo < len(items) and items[lo] == target:
        return lo
    return -1


def bisect_search(items: Sequence[int], target: int) -> int:
    """Return the index of the first occurrence of target in sorted items, or -1, via bisect.

    O(log n): the standard library's bisect_left (binary search in C).

    >>> bisect_search([4, 8, 15, 16, 23, 42], 16)
    3
    >>> bisect_search([4, 8, 15], 100)
    -1
    """
    i = bisect.bisect_left(items, target)
    if i < len(items) and items[i] == target:
        return i
    return -1


def make_input(n: int, rng: random.Random) -> tuple[list[int], int]:
    """Arguments for size n: a sorted list of n distinct even integers and a target.

    From n = 16 on, the target is an absent odd value just below the largest
    element: the worst case for both searches (a full scan; a full-depth halving),
    so every size is timed on the same case. Below 16 it is a random element, so
    the cross-check also covers hits.

    >>> items, target = make_input(6, random.Random(3))
    >>> items == sorted(set(items)) and len(items) == 6 and target in items
    True
    >>> items, target = make_input(20, random.Random(3))
    >>> target not in items and items[-2] < target < items[-1]
    True
    """
    items: list[int] = []
    value = 0
    for _ in range(n):
        value += 2 * rng.randint(1, 5)
        items.append(value)
    if n == 0:
        return (items, 1)
    if n < 16:
        return (items, items[rng.randrange(n)])
    return (items, items[-1] - 1)


ANALYSIS = {
    "implementations": [linear_search, binary_search, bisect_search],
    "reference": linear_search,
    "input": make_input,
    "sizes": [8, 16, 32, 64, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 512000, 1024000],
    "max_size": {},
    "compare": None,
}
