"""The n-th Fibonacci number modulo a prime (F(0) = 0, F(1) = 1, F(n) = F(n-1) + F(n-2)).

Five implementations with very different growth: exponential naive recursion,
linear memoised recursion, a linear loop, and two logarithmic methods.

Every result is taken modulo MODULUS (the prime 1_000_000_007), as in
`power.py`: the numbers then stay below 2^31, one digit of CPython's int, so
an addition or a multiplication costs the same at every n and the growth that
is measured is the number of steps the textbook counts. Without the modulus
F(n) has about 0.69 n bits, and beyond n = 44 the additions themselves get
slower as n grows (the loop would fit O(n log n), then O(n^2)).

>>> [fib_iterative(i) for i in range(10)]
[0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
>>> fib_iterative(50) == 12586269025 % MODULUS
True
"""

import random

MODULUS = 1_000_000_007


def fib_naive(n: int) -> int:
    """Return F(n) by the textbook double recursion, with no caching.

    O(phi^n) ~ O(1.618^n): every call spawns two more, so the call tree has
    about F(n) leaves -- exponential time, linear recursion depth.

    >>> fib_naive(0), fib_naive(1), fib_naive(10)
    (0, 1, 55)
    """
    if n < 2:
        return n
    return (fib_naive(n - 1) + fib_naive(n - 2)) % MODULUS


def fib_memo(n: int) -> int:
    """Return F(n) by recursion with memoisation (a fresh cache per call).

    O(n): each F(k) for k <= n is computed once and then looked up, so there
    are about 2n calls; recursion depth is n, so keep n below the recursion
    limit. The cache is rebuilt on every call, so repeated calls are not free.

    >>> fib_memo(0), fib_memo(1), fib_memo(10), fib_memo(90) == 2880067194370816120 % MODULUS
    (0, 1, 55, True)
    """
    memo: dict[int, int] = {0: 0, 1: 1}

    def go(k: int) -> int:
        if k in memo:
            return memo[k]
        value = (go(k - 1) + go(k - 2)) % MODULUS
        memo[k] = value
        return value

    return go(n)


def fib_iterative(n: int) -> int:
    """Return F(n) by iterating the pair (F(k), F(k+1)) forward n times.

    O(n): one addition (modulo MODULUS) per step.

    >>> fib_iterative(0), fib_iterative(1), fib_iterative(10)
    (0, 1, 55)
    >>> fib_iterative(100) == 354224848179261915075 % MODULUS
    True
    """
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) % MODULUS
    return a


def fib_fast_doubling(n: int) -> int:
    """Return F(n) with the fast-doubling identities.

    O(log n): uses F(2k) = F(k) * (2F(k+1) - F(k)) and
    F(2k+1) = F(k)^2 + F(k+1)^2, walking the bits of n from the top, so only
    a logarithmic number of multiplications is needed.

    >>> fib_fast_doubling(0), fib_fast_doubling(1), fib_fast_doubling(10)
    (0, 1, 55)
    >>> fib_fast_doubling(100) == fib_iterative(100)
    True
    """
    a, b = 0, 1  # (F(k), F(k+1)) for k = the bits of n read so far
    for bit in bin(n)[2:] if n > 0 else "":
        c = a * (2 * b - a) % MODULUS  # F(2k)
        d = (a * a + b * b) % MODULUS  # F(2k+1)
        if bit == "1":
            a, b = d, c + d
        else:
            a, b = c, d
    return a


def fib_matrix(n: int) -> int:
    """Return F(n) as an entry of the matrix power [[1, 1], [1, 0]]^n.

    O(log n): square-and-multiply on 2x2 matrices, i.e. a logarithmic number
    of 2x2 matrix products (each a constant number of multiplications).

    >>> fib_matrix(0), fib_matrix(1), fib_matrix(10)
    (0, 1, 55)
    >>> fib_matrix(100) == fib_iterative(100)
    True
    """

    def mul(
        x: tuple[int, int, int, int], y: tuple[int, int, int, int]
    ) -> tuple[int, int, int, int]:
        return (
            (x[0] * y[0] + x[1] * y[2]) % MODULUS,
            (x[0] * y[1] + x[1] * y[3]) % MODULUS,
            (x[2] * y[0] + x[3] * y[2]) % MODULUS,
            (x[2] * y[1] + x[3] * y[3]) % MODULUS,
        )

    result = (1, 0, 0, 1)
    base = (1, 1, 1, 0)
    k = n
    while k > 0:
        if k & 1:
            result = mul(result, base)
        base = mul(base, base)
        k >>= 1
    return result[1]


def make_input(n: int, rng: random.Random) -> tuple[int]:
    """Arguments for size n: just the index n (the problem has no random data).

    >>> make_input(7, random.Random(0))
    (7,)
    """
    return (n,)


ANALYSIS = {
    "implementations": [fib_naive, fib_memo, fib_iterative, fib_fast_doubling, fib_matrix],
    "reference": fib_iterative,
    "input": make_input,
    # Dense small sizes for the exponential recursion, then about three sizes a decade up to
    # 10^15 for the logarithmic methods. fib_memo stops at 100: beyond, CPython 3.11 charges
    # about twice as much per recursive step (measured: 0.16 µs per step up to n = 100, 0.3 to
    # 0.4 µs from 110 on), a step in the interpreter's cost of deep recursion that would read as
    # O(n log n); fib_naive stops where a call takes ~0.1 s.
    "sizes": [4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 40, 64, 100, 160, 250, 400, 640,
              1000, 1600, 2500, 4000, 6400, 10_000, 16_000, 25_000, 40_000, 64_000, 100_000, 250_000,
              10**6, 10**7, 10**8, 10**9, 10**10, 10**11, 10**12, 10**13, 10**14, 10**15],
    "max_size": {"fib_naive": 30, "fib_memo": 100, "fib_iterative": 250_000},
    "compare": None,
}
