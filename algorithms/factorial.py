"""n! = 1 * 2 * ... * n (with 0! = 1).

Usage, from the repository root::

    import sys; sys.path.append('.')
    from algorithms.factorial import factorial_iterative
    print(factorial_iterative(5))  # 120

>>> factorial_iterative(5)
120
"""

import math
import random


def factorial_recursive(n: int) -> int:
    """Return n! by the recursion n! = n * (n-1)!.

    O(n): n multiplications and n nested calls (recursion depth n, so keep n
    below the interpreter's recursion limit).

    >>> factorial_recursive(0), factorial_recursive(1), factorial_recursive(5)
    (1, 1, 120)
    """
    if n <= 1:
        return 1
    return n * factorial_recursive(n - 1)


def factorial_iterative(n: int) -> int:
    """Return n! by multiplying 2, 3, ..., n in a loop.

    O(n): n - 1 multiplications (of a growing big integer by a small one).

    >>> factorial_iterative(0), factorial_iterative(1), factorial_iterative(5)
    (1, 1, 120)
    >>> factorial_iterative(20)
    2432902008176640000
    """
    result = 1
    for k in range(2, n + 1):
        result *= k
    return result


def factorial_math(n: int) -> int:
    """Return n! with the standard library's math.factorial.

    O(n): n multiplications in the worst case, but done in C with a
    divide-and-conquer product (binary splitting), so much faster in practice.

    >>> factorial_math(0), factorial_math(5), factorial_math(20)
    (1, 120, 2432902008176640000)
    """
    return math.factorial(n)


def make_input(n: int, rng: random.Random) -> tuple[int]:
    """Arguments for size n: just n itself (the problem has no random data).

    >>> make_input(5, random.Random(0))
    (5,)
    """
    return (n,)


ANALYSIS = {
    "implementations": [factorial_recursive, factorial_iterative, factorial_math],
    "reference": factorial_iterative,
    "input": make_input,
    "sizes": [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384],
    "max_size": {"factorial_recursive": 512},
    "compare": None,
}
