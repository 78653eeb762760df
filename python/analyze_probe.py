"""Helpers the `analyze` workflow loads into a sandbox session (never into the server).

Each public function returns plain JSON-able data. They are defined in the session's globals
and called one step at a time, so a slow or hanging implementation costs only its own step.
"""

import doctest
import importlib
import inspect
import importlib.util
import io
import math
import random
import sys
import time
import traceback

_MODULE = None


def _pymcp_load(path, dotted):
    """Import the target: as a package module when it lives in one, else straight from its file."""
    global _MODULE
    if "." not in sys.path and "" not in sys.path:
        sys.path.insert(0, ".")
    if dotted:
        _MODULE = importlib.import_module(dotted)
    else:
        spec = importlib.util.spec_from_file_location("_pymcp_target", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules["_pymcp_target"] = module
        spec.loader.exec_module(module)
        _MODULE = module
    return _MODULE


def _name(fn):
    return getattr(fn, "__name__", repr(fn))


def _signature(name, value):
    """`def f(n: int) -> int` or `class C(x)`, as written; None when Python cannot tell."""
    try:
        signature = str(inspect.signature(value))
    except (TypeError, ValueError):
        return None
    prefix = "class" if inspect.isclass(value) else "async def" if inspect.iscoroutinefunction(value) else "def"
    return f"{prefix} {name}{signature}"


def _spec():
    spec = getattr(_MODULE, "ANALYSIS", None)
    return spec if isinstance(spec, dict) else None


def _pymcp_describe(path, dotted):
    """What the module declares: implementations, sizes, functions, and its doctest results."""
    module = _pymcp_load(path, dotted)
    spec = _spec()
    functions = []
    for name, value in vars(module).items():
        if callable(value) and getattr(value, "__module__", None) == module.__name__ and not name.startswith("_"):
            functions.append(
                {"name": name, "doc": (value.__doc__ or "").strip()[:2000], "signature": _signature(name, value)}
            )
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    out = io.StringIO()
    tests = finder.find(module, module.__name__)
    for test in tests:
        runner.run(test, out=out.write)
    results = runner.summarize(verbose=False)
    declared = None
    if spec is not None:
        impls = spec.get("implementations") or []
        declared = {
            "implementations": [_name(f) for f in impls],
            "reference": _name(spec.get("reference") or (impls[0] if impls else None)),
            "sizes": [int(n) for n in spec.get("sizes") or []],
            "max_size": {str(k): int(v) for k, v in (spec.get("max_size") or {}).items()},
            "has_input": callable(spec.get("input")),
        }
    return {
        "module": module.__name__,
        "doc": (module.__doc__ or "").strip()[:2000],
        "functions": functions,
        "doctests": {"attempted": results.attempted, "failed": results.failed, "report": out.getvalue()[-20000:]},
        "declared": declared,
    }


def _impl(name):
    for fn in _spec()["implementations"]:
        if _name(fn) == name:
            return fn
    raise KeyError(name)


def _copy_args(args):
    # Implementations must not see each other's mutations of a shared input.
    import copy

    return copy.deepcopy(args)


def _equal(a, b):
    compare = _spec().get("compare")
    if compare is not None:
        return bool(compare(a, b))
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        except TypeError:
            return a == b
    return a == b


def _short(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _pymcp_crosscheck(name, sizes, seed=1234, per_size=3):
    """Compare one implementation with the reference on the same inputs, smallest first; stop at
    the first disagreement (the smallest failing input)."""
    spec = _spec()
    reference = spec.get("reference") or spec["implementations"][0]
    fn = _impl(name)
    cap = (spec.get("max_size") or {}).get(name)
    rng = random.Random(seed)
    agreed = 0
    for n in sizes:
        if cap is not None and n > cap:
            break
        for _ in range(per_size):
            args = tuple(spec["input"](n, rng))
            expected = reference(*_copy_args(args))
            if fn is reference:
                continue
            try:
                got = fn(*_copy_args(args))
            except Exception as exc:
                return {"agreed": agreed, "failure": {"n": n, "input": _short(args), "expected": _short(expected),
                                                      "got": f"raised {type(exc).__name__}: {exc}"[:300]}}
            if not _equal(got, expected):
                return {"agreed": agreed, "failure": {"n": n, "input": _short(args), "expected": _short(expected),
                                                      "got": _short(got)}}
            agreed += 1
    return {"agreed": agreed, "failure": None}


def _mutates(fn, args):
    """Whether fn changes its arguments (then every timed call needs a fresh copy)."""
    trial = _copy_args(args)
    fn(*trial)
    try:
        return not bool(trial == args)
    except Exception:
        return True


def _time_call(fn, args, min_seconds, mutates):
    """Seconds per call, from calls repeated until min_seconds of them have been timed. Like
    timeit, the garbage collector is off while timing: its pauses land on whichever call happens
    to allocate past a threshold and would be noise, not cost."""
    import gc

    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        return _timed(fn, args, min_seconds, mutates)
    finally:
        if enabled:
            gc.enable()


def _timed(fn, args, min_seconds, mutates):
    if not mutates:
        loops = 1
        while True:
            start = time.perf_counter()
            for _ in range(loops):
                fn(*args)
            total = time.perf_counter() - start
            if total >= min_seconds or loops >= 10_000_000:
                return total / loops
            loops *= 2 if total == 0 else max(2, min(10, int(min_seconds / total) + 1))
    total = 0.0
    calls = 0
    wall = time.perf_counter()
    while total < min_seconds and time.perf_counter() - wall < 20 * min_seconds + 1:
        fresh = _copy_args(args)  # copying is not timed
        start = time.perf_counter()
        fn(*fresh)
        total += time.perf_counter() - start
        calls += 1
    return total / calls


def _pymcp_measure(name, sizes, budget_seconds, repeats=40, sample_seconds=0.005, seed=99):
    """Time one implementation over growing n and return the best time per call for each n.

    A first pass walks the sizes in ascending order, taking one sample each, until a per-size
    cap, half the budget, or a single call longer than a quarter of the budget stops it. Further
    passes sample every size again, round-robin, while the budget lasts (at most `repeats` in
    all): a slow spell of the machine then spoils one sample of several sizes instead of every
    sample of one size, and the best of them is kept. Fast implementations get many passes."""
    spec = _spec()
    fn = _impl(name)
    cap = (spec.get("max_size") or {}).get(name)
    rng = random.Random(seed)
    started = time.perf_counter()
    stopped = None
    measured = []  # [n, args, mutates, best]
    for n in sizes:
        if cap is not None and n > cap:
            stopped = f"max_size {cap} reached"
            break
        if time.perf_counter() - started > budget_seconds / 2:
            stopped = f"time budget of {budget_seconds} s spent"
            break
        args = tuple(spec["input"](n, rng))
        single_start = time.perf_counter()
        mutates = _mutates(fn, args)
        single = time.perf_counter() - single_start
        measured.append([n, args, mutates, _time_call(fn, args, sample_seconds, mutates)])
        if single > budget_seconds / 4:
            stopped = f"one call at n={n} took {single:.3f} s"
            break
    for _ in range(repeats - 1):
        if time.perf_counter() - started > budget_seconds:
            break
        for entry in measured:
            entry[3] = min(entry[3], _time_call(fn, entry[1], sample_seconds, entry[2]))
            if time.perf_counter() - started > budget_seconds * 1.5:
                break
    points = [{"n": n, "seconds": best} for n, _args, _mutates, best in measured]
    return {"name": name, "points": points, "stopped": stopped}
