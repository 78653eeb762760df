"""Greatest common divisor of two non-negative integers.

>>> gcd_iterative(48, 18), gcd_recursive(48, 18), gcd_binary(48, 18), gcd_math(48, 18)
(6, 6, 6, 6)
"""

import math
import random


def gcd_recursive(a: int, b: int) -> int:
    """Return gcd(a, b) by Euclid's algorithm, recursively: gcd(a, b) = gcd(b, a mod b).

    O(log min(a, b)): the number of division steps is logarithmic (worst case
    consecutive Fibonacci numbers, ~n steps for F(n+1), F(n)); recursion depth
    equals the step count.

    >>> gcd_recursive(48, 18), gcd_recursive(0, 5), gcd_recursive(7, 0)
    (6, 5, 7)
    """
    if b == 0:
        return a
    return gcd_recursive(b, a % b)


def gcd_iterative(a: int, b: int) -> int:
    """Return gcd(a, b) by Euclid's algorithm with a loop.

    O(log min(a, b)): a logarithmic number of division steps (worst case
    consecutive Fibonacci numbers), constant extra space.

    >>> gcd_iterative(48, 18), gcd_iterative(0, 5), gcd_iterative(7, 0)
    (6, 5, 7)
    >>> gcd_iterative(2**40 * 3, 2**35 * 9)
    103079215104
    """
    while b:
        a, b = b, a % b
    return a


def gcd_binary(a: int, b: int) -> int:
    """Return gcd(a, b) by Stein's binary GCD (shifts and subtractions only).

    O(log a + log b): each step removes at least one bit from one of the
    numbers, so the step count is linear in the number of bits.

    >>> gcd_binary(48, 18), gcd_binary(0, 5), gcd_binary(7, 0), gcd_binary(17, 5)
    (6, 5, 7, 1)
    """
    if a == 0:
        return b
    if b == 0:
        return a
    shift = ((a | b) & -(a | b)).bit_length() - 1  # common factors of two
    a >>= (a & -a).bit_length() - 1
    while b:
        b >>= (b & -b).bit_length() - 1
        if a > b:
            a, b = b, a
        b -= a
    return a << shift


def gcd_math(a: int, b: int) -> int:
    """Return gcd(a, b) with the standard library's math.gcd.

    O(log min(a, b)) division steps, done in C (Lehmer's algorithm for big
    integers), so it is very fast in practice.

    >>> gcd_math(48, 18), gcd_math(0, 5), gcd_math(7, 0)
    (6, 5, 7)
    """
    return math.gcd(a, b)


def make_input(n: int, rng: random.Random) -> tuple[int, int]:
    """Arguments for size n: (k * F(n+1), k * F(n)) for a random k from 1 to 5.

    Consecutive Fibonacci numbers are the worst case for Euclid's algorithm
    (every quotient is 1, so it needs about n steps); the random factor k
    makes the gcd equal to k instead of always 1.

    >>> a, b = make_input(10, random.Random(0))
    >>> a % 89 == 0 and b % 55 == 0 and a // 89 == b // 55
    True
    """
    k = rng.randint(1, 5)
    x, y = 0, 1  # F(0), F(1)
    for _ in range(n):
        x, y = y, x + y
    return (k * y, k * x)


ANALYSIS = {
    "implementations": [gcd_recursive, gcd_iterative, gcd_binary, gcd_math],
    "reference": gcd_math,
    "input": make_input,
    # Up to n = 40, k * F(n+1) < 2^30: one digit of CPython's int, so every step costs the same
    # and the growth measured is the number of steps. Past that each step gets slower as the
    # numbers grow (two, then three digits: about n^1.3 up to n = 90, n^1.5 over thousands of
    # bits), which is true of Python's integers but not the step count.
    # Every n from 8: Euclid takes exactly n steps, but Stein's binary GCD takes about n/2 with a
    # jagged +-15 % (it depends on the bits of F(n)) and stays at 2 to 4 steps from n = 3 to 9.
    # With n = 4 and 6 that flat start bent the curve up (O(n log n) in every run); every size
    # from 8 to 40 averages the jaggedness out, and the time is linear in the steps.
    "sizes": list(range(8, 41)),
    "max_size": {},
    "compare": None,
}
