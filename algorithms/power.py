"""Modular exponentiation: base ** exponent % modulus.

A fixed modulus keeps every intermediate number small, so the cost is the
number of multiplications and not the size of huge integers.

>>> power_naive(3, 13, 1000), power_fast(3, 13, 1000), power_recursive(3, 13, 1000), power_builtin(3, 13, 1000)
(323, 323, 323, 323)
"""

import random

MODULUS = 1_000_000_007


def power_naive(base: int, exponent: int, modulus: int) -> int:
    """Return base ** exponent % modulus by multiplying by base exponent times.

    O(n) in the exponent n: one modular multiplication per unit of exponent.

    >>> power_naive(2, 10, 1000), power_naive(5, 0, 7), power_naive(7, 3, 1)
    (24, 1, 0)
    """
    result = 1 % modulus
    b = base % modulus
    for _ in range(exponent):
        result = result * b % modulus
    return result


def power_fast(base: int, exponent: int, modulus: int) -> int:
    """Return base ** exponent % modulus by iterative square-and-multiply.

    O(log n) in the exponent n: one squaring per bit of the exponent plus one
    multiplication per set bit.

    >>> power_fast(2, 10, 1000), power_fast(5, 0, 7), power_fast(7, 3, 1)
    (24, 1, 0)
    >>> power_fast(3, 10**18, 1_000_000_007) == pow(3, 10**18, 1_000_000_007)
    True
    """
    result = 1 % modulus
    b = base % modulus
    e = exponent
    while e > 0:
        if e & 1:
            result = result * b % modulus
        b = b * b % modulus
        e >>= 1
    return result


def power_recursive(base: int, exponent: int, modulus: int) -> int:
    """Return base ** exponent % modulus by recursive halving of the exponent.

    O(log n) in the exponent n: x^e = (x^(e//2))^2 * (x if e is odd), so the
    recursion depth and the number of multiplications are logarithmic.

    >>> power_recursive(2, 10, 1000), power_recursive(5, 0, 7), power_recursive(7, 3, 1)
    (24, 1, 0)
    """
    if exponent == 0:
        return 1 % modulus
    half = power_recursive(base, exponent // 2, modulus)
    result = half * half % modulus
    if exponent & 1:
        result = result * (base % modulus) % modulus
    return result


def power_builtin(base: int, exponent: int, modulus: int) -> int:
    """Return base ** exponent % modulus with the built-in three-argument pow.

    O(log n) in the exponent n: square-and-multiply (with windowing) in C.

    >>> power_builtin(2, 10, 1000), power_builtin(5, 0, 7), power_builtin(7, 3, 1)
    (24, 1, 0)
    """
    return pow(base, exponent, modulus)


def make_input(n: int, rng: random.Random) -> tuple[int, int, int]:
    """Arguments for size n: (random base, exponent n, the fixed prime MODULUS).

    >>> base, exponent, modulus = make_input(1000, random.Random(0))
    >>> 2 <= base < modulus, exponent, modulus
    (True, 1000, 1000000007)
    """
    return (rng.randrange(2, MODULUS), n, MODULUS)


ANALYSIS = {
    "implementations": [power_naive, power_fast, power_recursive, power_builtin],
    "reference": power_builtin,
    "input": make_input,
    "sizes": [10, 100, 1000, 3000, 10000, 30000, 100000, 300000, 1000000, 3000000, 10000000, 1_000_000_000, 1_000_000_000_000, 1_000_000_000_000_000],
    "max_size": {"power_naive": 1000000},
    "compare": None,
}
