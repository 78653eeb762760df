"""Sorting a list of integers in ascending order.

Every function returns a new sorted list and leaves its argument unchanged.

>>> data = [5, 2, 9, 1, 5, 6]
>>> merge_sort(data), data
([1, 2, 5, 5, 6, 9], [5, 2, 9, 1, 5, 6])
"""

import heapq
import random
from collections.abc import Sequence


def bubble_sort(items: Sequence[int]) -> list[int]:
    """Return a sorted copy using bubble sort (with early exit).

    O(n^2): up to n passes, each swapping adjacent out-of-order pairs; stops
    early when a pass makes no swap, so already sorted input takes O(n).

    >>> bubble_sort([3, 1, 2])
    [1, 2, 3]
    >>> bubble_sort([])
    []
    """
    a = list(items)
    n = len(a)
    for end in range(n - 1, 0, -1):
        swapped = False
        for i in range(end):
            if a[i] > a[i + 1]:
                a[i], a[i + 1] = a[i + 1], a[i]
                swapped = True
        if not swapped:
            break
    return a


def insertion_sort(items: Sequence[int]) -> list[int]:
    """Return a sorted copy using insertion sort.

    O(n^2): each element is shifted left past all larger earlier elements,
    about n^2/4 shifts on random input (O(n) on already sorted input).

    >>> insertion_sort([4, 3, 2, 1])
    [1, 2, 3, 4]
    >>> insertion_sort([1])
    [1]
    """
    a = list(items)
    for i in range(1, len(a)):
        x = a[i]
        j = i - 1
        while j >= 0 and a[j] > x:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = x
    return a


def merge_sort(items: Sequence[int]) -> list[int]:
    """Return a sorted copy using top-down merge sort (stable).

    O(n log n): the list is halved log n times and each level merges n
    elements in total; recursion depth is only log n.

    >>> merge_sort([3, 1, 2, 3, 0])
    [0, 1, 2, 3, 3]
    >>> merge_sort([])
    []
    """

    def sort(a: list[int]) -> list[int]:
        if len(a) <= 1:
            return a
        mid = len(a) // 2
        left = sort(a[:mid])
        right = sort(a[mid:])
        merged: list[int] = []
        i = j = 0
        while i < len(left) and j < len(right):
            if left[i] <= right[j]:
                merged.append(left[i])
                i += 1
            else:
                merged.append(right[j])
                j += 1
        merged.extend(left[i:])
        merged.extend(right[j:])
        return merged

    return sort(list(items))


def quick_sort(items: Sequence[int]) -> list[int]:
    """Return a sorted copy using in-place quicksort on a copy.

    O(n log n) expected: median-of-three pivot with Hoare partitioning, so
    sorted, reversed and all-equal inputs split evenly; the worst case is
    still O(n^2) on adversarial input. Uses an explicit stack and always
    continues with the smaller part, so it never hits the recursion limit.

    >>> quick_sort([3, 6, 1, 8, 1, 9, 2])
    [1, 1, 2, 3, 6, 8, 9]
    >>> quick_sort(list(range(5, 0, -1)))
    [1, 2, 3, 4, 5]
    >>> quick_sort([2, 2, 2]), quick_sort([])
    ([2, 2, 2], [])
    """
    a = list(items)
    stack: list[tuple[int, int]] = [(0, len(a) - 1)]
    while stack:
        lo, hi = stack.pop()
        while lo < hi:
            mid = (lo + hi) // 2
            # Order a[lo] <= a[mid] <= a[hi]; the median a[mid] is the pivot.
            if a[mid] < a[lo]:
                a[lo], a[mid] = a[mid], a[lo]
            if a[hi] < a[lo]:
                a[lo], a[hi] = a[hi], a[lo]
            if a[hi] < a[mid]:
                a[mid], a[hi] = a[hi], a[mid]
            pivot = a[mid]
            i, j = lo - 1, hi + 1
            while True:  # Hoare partition: a[lo..j] <= pivot <= a[j+1..hi]
                i += 1
                while a[i] < pivot:
                    i += 1
                j -= 1
                while a[j] > pivot:
                    j -= 1
                if i >= j:
                    break
                a[i], a[j] = a[j], a[i]
            if j - lo < hi - j:
                stack.append((j + 1, hi))
                hi = j
            else:
                stack.append((lo, j))
                lo = j + 1
    return a


def heap_sort(items: Sequence[int]) -> list[int]:
    """Return a sorted copy using heap sort (hand-written binary max-heap).

    O(n log n): heapify in O(n), then n extractions of the maximum, each a
    sift-down of O(log n).

    >>> heap_sort([5, 1, 4, 2, 3])
    [1, 2, 3, 4, 5]
    >>> heap_sort([2, 2, 1])
    [1, 2, 2]
    """
    a = list(items)
    n = len(a)

    def sift_down(root: int, end: int) -> None:
        x = a[root]
        while True:
            child = 2 * root + 1
            if child >= end:
                break
            if child + 1 < end and a[child + 1] > a[child]:
                child += 1
            if a[child] <= x:
                break
            a[root] = a[child]
            root = child
        a[root] = x

    for start in range(n // 2 - 1, -1, -1):
        sift_down(start, n)
    for end in range(n - 1, 0, -1):
        a[0], a[end] = a[end], a[0]
        sift_down(0, end)
    return a


def heapq_sort(items: Sequence[int]) -> list[int]:
    """Return a sorted copy using the standard library's heapq (C heap).

    O(n log n): heapify in O(n), then n heappop calls of O(log n) each.

    >>> heapq_sort([3, 1, 2])
    [1, 2, 3]
    """
    h = list(items)
    heapq.heapify(h)
    return [heapq.heappop(h) for _ in range(len(h))]


def builtin_sort(items: Sequence[int]) -> list[int]:
    """Return sorted(items), Python's built-in Timsort (the reference).

    O(n log n): Timsort in C; O(n) on already sorted or reversed runs.

    >>> builtin_sort([3, 1, 2])
    [1, 2, 3]
    """
    return sorted(items)


def make_input(n: int, rng: random.Random) -> tuple[list[int]]:
    """Arguments for size n: a list of n random integers in [0, 10n] (duplicates possible).

    >>> make_input(5, random.Random(1)) == make_input(5, random.Random(1))
    True
    >>> len(make_input(5, random.Random(1))[0])
    5
    """
    return ([rng.randint(0, 10 * n) for _ in range(n)],)


ANALYSIS = {
    "implementations": [
        bubble_sort,
        insertion_sort,
        merge_sort,
        quick_sort,
        heap_sort,
        heapq_sort,
        builtin_sort,
    ],
    "reference": builtin_sort,
    "input": make_input,
    "sizes": [16, 32, 64, 128, 256, 512, 1000, 2000, 4000, 8000, 16000, 32000, 64000],
    "max_size": {"bubble_sort": 2000, "insertion_sort": 2000},
    "compare": None,
}
