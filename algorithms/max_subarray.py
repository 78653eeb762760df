"""Maximum subarray sum: the largest sum of a non-empty run of consecutive elements.

By convention the empty list gives 0.

>>> data = [-2, 1, -3, 4, -1, 2, 1, -5, 4]
>>> max_subarray_cubic(data), max_subarray_quadratic(data), max_subarray_divide(data), max_subarray_kadane(data)
(6, 6, 6, 6)
"""

import random
from collections.abc import Sequence


def max_subarray_cubic(items: Sequence[int]) -> int:
    """Return the maximum subarray sum by summing every (i, j) range from scratch.

    O(n^3): n^2/2 ranges, each summed element by element in O(n).

    >>> max_subarray_cubic([-2, 1, -3, 4, -1, 2, 1, -5, 4])
    6
    >>> max_subarray_cubic([-3, -1, -2]), max_subarray_cubic([])
    (-1, 0)
    """
    n = len(items)
    if n == 0:
        return 0
    best = items[0]
    for i in range(n):
        for j in range(i, n):
            total = 0
            for k in range(i, j + 1):
                total += items[k]
            if total > best:
                best = total
    return best


def max_subarray_quadratic(items: Sequence[int]) -> int:
    """Return the maximum subarray sum by extending a running sum from each start.

    O(n^2): for each start i, the sums of items[i..j] are built incrementally
    as j grows, so each of the n^2/2 ranges costs O(1).

    >>> max_subarray_quadratic([-2, 1, -3, 4, -1, 2, 1, -5, 4])
    6
    >>> max_subarray_quadratic([-3, -1, -2]), max_subarray_quadratic([])
    (-1, 0)
    """
    n = len(items)
    if n == 0:
        return 0
    best = items[0]
    for i in range(n):
        total = 0
        for j in range(i, n):
            total += items[j]
            if total > best:
                best = total
    return best


def max_subarray_divide(items: Sequence[int]) -> int:
    """Return the maximum subarray sum by divide and conquer.

    O(n log n): the best range lies in the left half, the right half, or
    crosses the middle; the crossing case is a linear scan outwards, and the
    recursion has log n levels.

    >>> max_subarray_divide([-2, 1, -3, 4, -1, 2, 1, -5, 4])
    6
    >>> max_subarray_divide([-3, -1, -2]), max_subarray_divide([])
    (-1, 0)
    """

    def best(lo: int, hi: int) -> int:  # inclusive bounds, lo <= hi
        if lo == hi:
            return items[lo]
        mid = (lo + hi) // 2
        total = 0
        left = items[mid]
        for k in range(mid, lo - 1, -1):
            total += items[k]
            if total > left:
                left = total
        total = 0
        right = items[mid + 1]
        for k in range(mid + 1, hi + 1):
            total += items[k]
            if total > right:
                right = total
        return max(best(lo, mid), best(mid + 1, hi), left + right)

    if not items:
        return 0
    return best(0, len(items) - 1)


def max_subarray_kadane(items: Sequence[int]) -> int:
    """Return the maximum subarray sum with Kadane's algorithm.

    O(n): one pass, keeping the best sum of a range ending at the current
    element (extend it, or restart here) and the best seen overall.

    >>> max_subarray_kadane([-2, 1, -3, 4, -1, 2, 1, -5, 4])
    6
    >>> max_subarray_kadane([-3, -1, -2]), max_subarray_kadane([])
    (-1, 0)
    """
    if not items:
        return 0
    best = current = items[0]
    for x in items[1:]:
        current = x if current < 0 else current + x
        if current > best:
            best = current
    return best


def make_input(n: int, rng: random.Random) -> tuple[list[int]]:
    """Arguments for size n: a list of n random integers in [-100, 100].

    >>> items, = make_input(8, random.Random(2))
    >>> len(items), all(-100 <= x <= 100 for x in items)
    (8, True)
    """
    return ([rng.randint(-100, 100) for _ in range(n)],)


ANALYSIS = {
    "implementations": [
        max_subarray_cubic,
        max_subarray_quadratic,
        max_subarray_divide,
        max_subarray_kadane,
    ],
    "reference": max_subarray_kadane,
    "input": make_input,
    "sizes": [10, 25, 50, 100, 150, 200, 300, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000],
    "max_size": {
        "max_subarray_cubic": 300,
        "max_subarray_quadratic": 2000,
        "max_subarray_divide": 100000,
    },
    "compare": None,
}
