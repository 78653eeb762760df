"""Multiplication of two square n x n integer matrices (lists of rows).

>>> a = [[1, 2], [3, 4]]
>>> b = [[5, 6], [7, 8]]
>>> matmul_naive(a, b) == matmul_transposed(a, b) == matmul_strassen(a, b) == [[19, 22], [43, 50]]
True
"""

import operator
import random

Matrix = list[list[int]]


def matmul_naive(a: Matrix, b: Matrix) -> Matrix:
    """Return the product a * b with the textbook triple loop over indices.

    O(n^3): n^2 entries, each a dot product of length n.

    >>> matmul_naive([[1, 2], [3, 4]], [[5, 6], [7, 8]])
    [[19, 22], [43, 50]]
    >>> matmul_naive([], [])
    []
    """
    n = len(a)
    m = len(b[0]) if b else 0
    inner = len(b)
    c = [[0] * m for _ in range(n)]
    for i in range(n):
        for j in range(m):
            total = 0
            for k in range(inner):
                total += a[i][k] * b[k][j]
            c[i][j] = total
    return c


def matmul_transposed(a: Matrix, b: Matrix) -> Matrix:
    """Return the product a * b by pairing rows of a with rows of b transposed.

    O(n^3): the same n^3 multiplications, but each dot product runs over two
    row lists with map and sum (loops in C), a much smaller constant factor.

    >>> matmul_transposed([[1, 2], [3, 4]], [[5, 6], [7, 8]])
    [[19, 22], [43, 50]]
    >>> matmul_transposed([[2]], [[3]])
    [[6]]
    """
    columns = [list(col) for col in zip(*b)]
    return [[sum(map(operator.mul, row, col)) for col in columns] for row in a]


def _add(x: Matrix, y: Matrix) -> Matrix:
    """Entry-wise sum of two equal-shape matrices, O(n^2)."""
    return [[p + q for p, q in zip(rx, ry)] for rx, ry in zip(x, y)]


def _sub(x: Matrix, y: Matrix) -> Matrix:
    """Entry-wise difference of two equal-shape matrices, O(n^2)."""
    return [[p - q for p, q in zip(rx, ry)] for rx, ry in zip(x, y)]


def _strassen_square(a: Matrix, b: Matrix, size: int, cutoff: int) -> Matrix:
    """Multiply two size x size matrices, size a power of two, by Strassen's scheme."""
    if size <= cutoff:
        return matmul_transposed(a, b)
    h = size // 2
    a11 = [row[:h] for row in a[:h]]
    a12 = [row[h:] for row in a[:h]]
    a21 = [row[:h] for row in a[h:]]
    a22 = [row[h:] for row in a[h:]]
    b11 = [row[:h] for row in b[:h]]
    b12 = [row[h:] for row in b[:h]]
    b21 = [row[:h] for row in b[h:]]
    b22 = [row[h:] for row in b[h:]]
    m1 = _strassen_square(_add(a11, a22), _add(b11, b22), h, cutoff)
    m2 = _strassen_square(_add(a21, a22), b11, h, cutoff)
    m3 = _strassen_square(a11, _sub(b12, b22), h, cutoff)
    m4 = _strassen_square(a22, _sub(b21, b11), h, cutoff)
    m5 = _strassen_square(_add(a11, a12), b22, h, cutoff)
    m6 = _strassen_square(_sub(a21, a11), _add(b11, b12), h, cutoff)
    m7 = _strassen_square(_sub(a12, a22), _add(b21, b22), h, cutoff)
    c11 = _add(_sub(_add(m1, m4), m5), m7)
    c12 = _add(m3, m5)
    c21 = _add(m2, m4)
    c22 = _add(_add(_sub(m1, m2), m3), m6)
    return [r1 + r2 for r1, r2 in zip(c11, c12)] + [r1 + r2 for r1, r2 in zip(c21, c22)]


def matmul_strassen(a: Matrix, b: Matrix, cutoff: int = 16) -> Matrix:
    """Return the product of square matrices a * b with Strassen's algorithm.

    O(n^log2(7)) ~ O(n^2.81): seven half-size products instead of eight per
    level. Matrices are zero-padded to a power of two and blocks of size
    <= cutoff are multiplied directly, so the advantage only shows for large n.

    >>> matmul_strassen([[1, 2], [3, 4]], [[5, 6], [7, 8]])
    [[19, 22], [43, 50]]
    >>> a = [[i * 5 + j - 7 for j in range(5)] for i in range(5)]
    >>> matmul_strassen(a, a, cutoff=1) == matmul_naive(a, a)
    True
    >>> matmul_strassen([], [])
    []
    """
    n = len(a)
    if n == 0:
        return []
    size = 1
    while size < n:
        size *= 2
    pad = size - n
    ap = [row + [0] * pad for row in a] + [[0] * size for _ in range(pad)]
    bp = [row + [0] * pad for row in b] + [[0] * size for _ in range(pad)]
    c = _strassen_square(ap, bp, size, max(cutoff, 1))
    return [row[:n] for row in c[:n]]


def make_input(n: int, rng: random.Random) -> tuple[Matrix, Matrix]:
    """Arguments for size n: two n x n matrices of random integers in [-9, 9].

    >>> a, b = make_input(3, random.Random(0))
    >>> len(a), len(a[0]), len(b), len(b[0])
    (3, 3, 3, 3)
    """
    a = [[rng.randint(-9, 9) for _ in range(n)] for _ in range(n)]
    b = [[rng.randint(-9, 9) for _ in range(n)] for _ in range(n)]
    return (a, b)


ANALYSIS = {
    "implementations": [matmul_naive, matmul_transposed, matmul_strassen],
    "reference": matmul_transposed,
    "input": make_input,
    "sizes": [4, 8, 16, 24, 32, 48, 64, 96, 128],
    "max_size": {},
    "compare": None,
}
