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
    """Arguments for size n: n distinct integers and a target only the last two sum to.

    The worst case for the brute force and the hash map (both find the pair
    only at the end, after n(n-1)/2 pairs and n lookups), so the work done
    depends on n alone, not on where a random pair happened to land. Every
    value is a multiple of 3 except one, which is 1 more; the target is 1 more
    than a multiple of 3, so only that value and one partner sum to it.
    (Multiples of 3, not of 2, because CPython hashes a small int to itself:
    even values would all land in the even slots of the dict's table.) For
    n < 2 there is no solution.

    >>> items, target = make_input(10, random.Random(4))
    >>> len(items), len(set(items)), sum(x % 3 for x in items), target % 3
    (10, 10, 1, 1)
    >>> [(i, j) for i in range(10) for j in range(i + 1, 10) if items[i] + items[j] == target]
    [(8, 9)]
    """
    if n < 2:
        return ([3 * rng.randrange(10)] * n, 1)
    values = [3 * v for v in rng.sample(range(10 * n), n - 1)]
    partner = values.pop(rng.randrange(n - 1))
    odd = 3 * rng.randrange(10 * n) + 1
    last = [odd, partner] if rng.random() < 0.5 else [partner, odd]
    return (values + last, odd + partner)


ANALYSIS = {
    "implementations": [two_sum_brute, two_sum_sorted, two_sum_hash],
    "reference": two_sum_hash,
    "input": make_input,
    # two_sum_hash stops at 1000: its cost per element is flat (about 75 ns) up to a few hundred,
    # then rises by a third up to n = 3000 (every index past 256 is a new int object, kept in the
    # dict) and doubles or triples by n = 10^5 as the dict outgrows the caches: true of the
    # machine, not of the number of lookups (it read as O(n log n) in every run).
    "sizes": [10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 10000, 30000, 100000],
    "max_size": {"two_sum_brute": 3000, "two_sum_sorted": 100000, "two_sum_hash": 1000},
    "compare": None,
}
