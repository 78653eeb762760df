# pyright: reportUnsupportedDunderAll=false
"""A small library of classic algorithms, several implementations per problem.

Each module defines a few top-level functions that solve the same problem in
different ways (with different growth classes), a ``make_input`` function that
builds arguments of a given size, and a plain ``ANALYSIS`` dict that the
project's ``analyze`` command reads to time and cross-check the implementations.

Modules:

- ``fibonacci``    -- n-th Fibonacci number: naive recursion, memoised, iterative, fast doubling, matrix power.
- ``factorial``    -- n!: recursive, iterative, ``math.factorial``.
- ``sorting``      -- bubble, insertion, merge, quick, heap sort and the built-in ``sorted``.
- ``searching``    -- linear and binary search in a sorted list.
- ``primes``       -- all primes below n: trial division and the sieve of Eratosthenes.
- ``gcd``          -- greatest common divisor: recursive / iterative Euclid, binary GCD, ``math.gcd``.
- ``max_subarray`` -- maximum subarray sum: O(n^3), O(n^2), divide and conquer, Kadane.
- ``power``        -- modular exponentiation: repeated multiplication vs square-and-multiply.
- ``two_sum``      -- find two entries summing to a target: brute force, sort + two pointers, hash map.
- ``matrix``       -- square matrix multiplication: naive triple loop, transposed rows, Strassen.

Submodules are not imported eagerly; import the one you need, e.g.
``from algorithms.factorial import factorial_iterative``.
See ``algorithms/README.md`` for the ``ANALYSIS`` convention.
"""

__all__ = [
    "fibonacci",
    "factorial",
    "sorting",
    "searching",
    "primes",
    "gcd",
    "max_subarray",
    "power",
    "two_sum",
    "matrix",
]
