"""Two sum: find indices i < j with items[i] + items[j] == target.

Each function returns the pair (i, j) with i < j, or (-1, -1) when there is
no such pair. The generated inputs have exactly one solution, so all
implementations must return the same pair.

>>> two_sum_brute([2, 7, 11, 15], 9), two_sum_sorted([2, 7, 11, 15], 9), two_sum_hash([2, 7, 11, 15], 9)
((0, 1), (0, 1), (0, 1))
"""

import random
from collections.abc import Sequence


def two_sum_brute(items: Sequence[int], target: int) -> tuple[int, int]:
    """Return (i, j), i < j, with items[i] + items[j] == target, checking every pair.

    O(n^2): tries all n(n-1)/2 pairs in the worst case.

    >>> two_sum_brute([3, 2, 4], 6)
    (1, 2)
    >>> two_sum_brute([1, 2], 7), two_sum_brute([], 0)
    ((-1, -1), (-1, -1))
    """
    n = len(items)
    for i in range(n):
        need = target - items[i]
        for j in range(i + 1, n):
            if items[j] == need:
                return (i, j)
    return (-1, -1)


def two_sum_sorted(items: Sequence[int], target: int) -> tuple[int, int]:
    """Return (i, j), i < j, with items[i] + items[j] == target, via sorting and two pointers.

    O(n log n): sorts the indices by value, then moves a left and a right
    pointer inwards in a single O(n) pass.

    >>> two_sum_sorted([3, 2, 4], 6)
    (1, 2)
    >>> two_sum_sorted([1, 2], 7), two_sum_sorted([], 0)
    ((-1, -1), (-1, -1))
    """
    order = sorted(range(len(items)), key=items.__getitem__)
    lo, hi = 0, len(order) - 1
    while lo < hi:
        total = items[order[lo]] + items[order[hi]]
        if total == target:
            i, j = order[lo], order[hi]
            return (i, j) if i < j else (j, i)
        if total < target:
            lo += 1
        else:
            hi -= 1
    return (-1, -1)


def two_sum_hash(items: Sequence[int], target: int) -> tuple[int, int]:
    """Return (i, j), i < j, with items[i] + items[j] == target, using a hash map.

    O(n) expected: one pass, remembering the index of each value seen and
    looking up target - value in O(1) average time.

    >>> two_sum_hash([3, 2, 4], 6)
    (1, 2)
    >>> two_sum_hash([3, 3], 6)
    (0, 1)
    >>> two_sum_hash([1, 2], 7), two_sum_hash([], 0)
    ((-1, -1), (-1, -1))
    """
    seen: dict[int, int] = {}
    for j, value in enumerate(items):
        i = seen.get(target - value)
        if i is not None:
            return (i, j)
        if value not in seen:
            seen[value] = j
    return (-1, -1)


def make_input(n: int, rng: random.Random) -> tuple[list[int], int]:
    """Arguments for size n: a list of n distinct integers and a target with exactly one solution.

    All values are even except one odd value; the target is odd (the odd
    value plus one random even value), so the only pair summing to it is
    that odd value with that even value. For n < 2 there is no solution.

    >>> items, target = make_input(10, random.Random(4))
    >>> len(items), len(set(items)), sum(x % 2 for x in items), target % 2
    (10, 10, 1, 1)
    >>> sum(1 for i in range(10) for j in range(i + 1, 10) if items[i] + items[j] == target)
    1
    """
    if n < 2:
        return ([2 * rng.randrange(10)] * n, 1)
    evens = [2 * v for v in rng.sample(range(10 * n), n - 1)]
    odd = 2 * rng.randrange(10 * n) + 1
    partner = evens[rng.randrange(n - 1)]
    items = evens[:]
    items.insert(rng.randrange(n), odd)
    return (items, odd + partner)


ANALYSIS = {
    "implementations": [two_sum_brute, two_sum_sorted, two_sum_hash],
    "reference": two_sum_hash,
    "input": make_input,
    "sizes": [10, 30, 100, 300, 1000, 2000, 4000, 10000, 30000, 100000, 300000],
    "max_size": {"two_sum_brute": 4000, "two_sum_sorted": 100000},
    "compare": None,
}
