"""All prime numbers below a bound n, in increasing order.

>>> primes_sieve(30)
[2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
"""

import math
import random


def primes_naive(n: int) -> list[int]:
    """Return all primes < n by testing every smaller number as a divisor.

    O(n^2 / log n): each composite stops at its smallest factor, but each of
    the ~n/log n primes p is divided by all of 2..p-1, so the total is
    quadratic (up to the log factor).

    >>> primes_naive(20)
    [2, 3, 5, 7, 11, 13, 17, 19]
    >>> primes_naive(2)
    []
    """
    result: list[int] = []
    for candidate in range(2, n):
        for d in range(2, candidate):
            if candidate % d == 0:
                break
        else:
            result.append(candidate)
    return result


def primes_trial_division(n: int) -> list[int]:
    """Return all primes < n by trial division by the primes found so far, up to sqrt.

    O(n sqrt(n) / log n): each candidate m is divided by at most the
    ~sqrt(m)/log(m) primes not exceeding sqrt(m).

    >>> primes_trial_division(30)
    [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
    >>> primes_trial_division(0), primes_trial_division(3)
    ([], [2])
    """
    result: list[int] = []
    for candidate in range(2, n):
        limit = math.isqrt(candidate)
        for p in result:
            if p > limit:
                result.append(candidate)
                break
            if candidate % p == 0:
                break
        else:
            result.append(candidate)
    return result


def primes_sieve(n: int) -> list[int]:
    """Return all primes < n with the sieve of Eratosthenes.

    O(n log log n): for each prime p <= sqrt(n) its multiples from p^2 are
    crossed out (done with slice assignment, so the inner loop runs in C).

    >>> primes_sieve(30)
    [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
    >>> primes_sieve(0), primes_sieve(2), primes_sieve(3)
    ([], [], [2])
    """
    if n < 3:
        return []
    is_prime = bytearray([1]) * n
    is_prime[0] = is_prime[1] = 0
    for p in range(2, math.isqrt(n - 1) + 1):
        if is_prime[p]:
            is_prime[p * p :: p] = bytes(len(range(p * p, n, p)))
    return [i for i in range(n) if is_prime[i]]


def make_input(n: int, rng: random.Random) -> tuple[int]:
    """Arguments for size n: the bound n itself (the problem has no random data).

    >>> make_input(100, random.Random(0))
    (100,)
    """
    return (n,)


ANALYSIS = {
    "implementations": [primes_naive, primes_trial_division, primes_sieve],
    "reference": primes_sieve,
    "input": make_input,
    "sizes": [100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000],
    "max_size": {"primes_naive": 5000, "primes_trial_division": 200000},
    "compare": None,
}
