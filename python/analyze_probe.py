"""Helpers the `analyze` workflow loads into a sandbox session (never into the server).

Each public function returns plain JSON-able data (the bulky ones as one compact JSON string).
They are defined in the session's globals and called one step at a time, so a slow or hanging
implementation costs only its own step. Every call of user code runs under `_guard`, an
interval timer that interrupts a call running past its limit, so one huge size cannot throw
away the sizes measured before it.
"""

import collections
import collections.abc
import copy
import difflib
import doctest
import gc
import importlib
import importlib.util
import inspect
import io
import json
import math
import random
import signal
import string
import sys
import time
import tracemalloc
import types
import typing

_STATE = {"modules": [], "spec": None, "reference_results": {}}

KNOWN_KEYS = ("implementations", "reference", "input", "sizes", "max_size", "compare")
DEFAULT_SIZES = [4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
                 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152, 65536, 98304, 131072,
                 196608, 262144, 393216, 524288, 786432, 1048576]
SAMPLE_SECONDS = 0.0003
# The cost of a call is the CPU time of this thread (CLOCK_THREAD_CPUTIME_ID): time spent waiting
# for a CPU on a loaded machine is not counted (a sandbox runs at a lower priority than its server,
# so it waits a lot), nor is sleeping or waiting for I/O. Budgets and limits are wall-clock.
_clock = time.thread_time
MAX_ROUNDS = 100


class _TooSlow(BaseException):
    """Raised by the interval timer inside a call that ran past its limit (a BaseException, so
    user code's `except Exception` cannot swallow it)."""


class _Guard:
    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        def ring(_signum, _frame):
            raise _TooSlow()

        self.previous = signal.signal(signal.SIGALRM, ring)
        signal.setitimer(signal.ITIMER_REAL, max(self.seconds, 0.001))
        return self

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        return False


class DeclarationError(Exception):
    """A mistake in ANALYSIS or in the command-line declaration, in words."""


# ---------------------------------------------------------------------------------------------
# Loading and describing


def _load(path, dotted, alias):
    if "." not in sys.path and "" not in sys.path:
        sys.path.insert(0, ".")
    if dotted:
        return importlib.import_module(dotted)
    spec = importlib.util.spec_from_file_location(alias, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module
    spec.loader.exec_module(module)
    return module


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


def _doctests(module):
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    out = io.StringIO()
    for test in finder.find(module, module.__name__):
        runner.run(test, out=out.write)
    results = runner.summarize(verbose=False)
    return {"attempted": results.attempted, "failed": results.failed, "report": out.getvalue()[-20000:]}


def _line(value):
    """The line that defines a function or class in its file, or None when Python cannot tell."""
    try:
        code = getattr(inspect.unwrap(value), "__code__", None)
        if code is not None:
            return code.co_firstlineno
        if inspect.isclass(value):
            return inspect.getsourcelines(value)[1]
    except Exception:
        pass
    return None


def _functions(module):
    out = []
    for name, value in vars(module).items():
        if callable(value) and getattr(value, "__module__", None) == module.__name__ and not name.startswith("_"):
            out.append({"name": name, "line": _line(value), "doc": (value.__doc__ or "").strip()[:2000],
                        "signature": _signature(name, value)})
    return out


def _suggest(word, choices):
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f'; did you mean "{close[0]}"?' if close else ""


def _pymcp_describe(targets, options):
    """Load every target, run each one's doctests, and build the specification from its
    ANALYSIS and the command-line options. Declaration mistakes are returned as `errors`, each
    naming the mistake; a module that does not import raises (the caller reports it)."""
    modules = []
    for index, target in enumerate(targets):
        module = _load(target["path"], target["dotted"], f"_pymcp_target_{index}")
        modules.append({"module": module, "label": target["label"], "file": target["file"]})
    _STATE["modules"] = modules
    _STATE["reference_results"] = {}
    described = []
    for entry in modules:
        module = entry["module"]
        described.append({
            "file": entry["file"],
            "module": module.__name__,
            "doc": (module.__doc__ or "").strip()[:2000],
            "functions": _functions(module),
            "doctests": _doctests(module),
        })
    errors = []
    notes = []
    spec = None
    try:
        spec = _build_spec(modules, options, notes)
    except DeclarationError as exc:
        errors.append(str(exc))
    _STATE["spec"] = spec
    declared = None
    if spec is not None:
        try:
            _check_generator(spec)
        except DeclarationError as exc:
            errors.append(str(exc))
        declared = {
            "implementations": [impl["name"] for impl in spec["impls"]],
            "reference": spec["reference"]["name"],
            "sizes": spec["sizes"],
            "max_size": spec["max_size"],
            "input": spec["input_label"],
            "source": spec["source"],
            "input_guessed": spec["input_guessed"],
        }
    return {"files": described, "declared": declared, "errors": errors, "notes": notes,
            "python": sys.version.split()[0]}


def _find(modules, name):
    """A function by name: `fn`, or `label.fn` / `label:fn` to pick one file of several."""
    for sep in (":", "."):
        if sep in name:
            label, _, short = name.rpartition(sep)
            for entry in modules:
                if entry["label"] == label:
                    value = getattr(entry["module"], short, None)
                    if callable(value):
                        return [(entry, value)]
    found = []
    for entry in modules:
        value = getattr(entry["module"], name, None)
        if callable(value):
            found.append((entry, value))
    if not found:
        names = sorted({f["name"] for entry in modules for f in _functions(entry["module"])})
        files = ", ".join(entry["file"] for entry in modules)
        raise DeclarationError(f'--impl {name}: no function named "{name}" in {files}{_suggest(name, names)}'
                               f" (functions: {', '.join(names) or 'none'})")
    return found


def _build_spec(modules, options, notes):
    several = len(modules) > 1
    impls = []

    def add(entry, fn):
        label = f"{entry['label']}.{_name(fn)}" if several else _name(fn)
        if not any(existing["name"] == label for existing in impls):
            impls.append({"name": label, "fn": fn, "short": _name(fn)})

    declared = []
    for entry in modules:
        analysis = getattr(entry["module"], "ANALYSIS", None)
        if analysis is None:
            continue
        if not isinstance(analysis, dict):
            raise DeclarationError(f"{entry['file']}: ANALYSIS is a {type(analysis).__name__}, expected a dict "
                                   f"with the keys {', '.join(KNOWN_KEYS)}")
        for key in analysis:
            if key not in KNOWN_KEYS:
                raise DeclarationError(f'{entry["file"]}: ANALYSIS has an unknown key "{key}"{_suggest(key, KNOWN_KEYS)}'
                                       f" (known keys: {', '.join(KNOWN_KEYS)})")
        declared.append((entry, analysis))

    if options.get("impls"):
        for name in options["impls"]:
            for entry, fn in _find(modules, name):
                add(entry, fn)
    else:
        for entry, analysis in declared:
            listed = analysis.get("implementations")
            if listed is None:
                raise DeclarationError(f'{entry["file"]}: ANALYSIS has no "implementations" (a list of functions)')
            if not isinstance(listed, (list, tuple)) or not listed:
                raise DeclarationError(f'{entry["file"]}: ANALYSIS["implementations"] must be a non-empty list of '
                                       f"functions, not {_short(listed, 80)}")
            for fn in listed:
                if not callable(fn):
                    raise DeclarationError(f'{entry["file"]}: ANALYSIS["implementations"] holds {_short(fn, 60)}, '
                                           "which is not a function")
                add(entry, fn)
    if not impls:
        return None

    first = declared[0][1] if declared else {}
    first_file = declared[0][0]["file"] if declared else modules[0]["file"]
    source = "options" if options.get("impls") else "ANALYSIS"

    guessed = False
    # The input generator: --input, else ANALYSIS["input"], else a preset guessed from the
    # first implementation's annotations.
    if options.get("input"):
        generator, label = _input_from_expression(options["input"])
    elif "input" in first:
        generator = first["input"]
        if not callable(generator):
            raise DeclarationError(f'{first_file}: ANALYSIS["input"] must be a function (n, rng) -> tuple of '
                                   f"arguments, not {_short(generator, 60)}")
        label = _name(generator)
        try:
            parameters = inspect.signature(generator).parameters
            required = [p for p in parameters.values() if p.default is p.empty
                        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            if len(required) > 2 or (len(parameters) < 2 and not any(p.kind == p.VAR_POSITIONAL for p in parameters.values())):
                raise DeclarationError(f'{first_file}: the input generator {label}{inspect.signature(generator)} '
                                       "must take two arguments (n, rng): the size and a random.Random")
        except (TypeError, ValueError):
            pass
    else:
        guessed = True
        generator, label = _guess_input(impls[0]["fn"])
        notes.append(f"No input was declared; guessed --input {label} from the signature of {impls[0]['name']}.")

    sizes = options.get("sizes") or first.get("sizes")
    default_sizes = sizes is None
    if default_sizes:
        sizes = DEFAULT_SIZES
        notes.append("No sizes were declared; measuring over a default ladder from 4 up, as far as the budget allows.")
    try:
        sizes = [int(n) for n in sizes]
    except (TypeError, ValueError):
        raise DeclarationError(f'sizes must be a list of integers, not {_short(sizes, 80)}') from None
    if not sizes or any(b <= a for a, b in zip(sizes, sizes[1:])) or sizes[0] < 0:
        raise DeclarationError(f"sizes must be non-negative and strictly ascending, not {_short(sizes, 120)}")

    max_size = {}
    for entry, analysis in declared:
        caps = analysis.get("max_size") or {}
        if not isinstance(caps, dict):
            raise DeclarationError(f'{entry["file"]}: ANALYSIS["max_size"] must be a dict of function name -> size')
        for key, value in caps.items():
            names = [impl["name"] for impl in impls if impl["short"] == key or impl["name"] == key]
            if not names and not options.get("impls"):
                listed = [impl["short"] for impl in impls]
                raise DeclarationError(f'{entry["file"]}: ANALYSIS["max_size"] names "{key}", which is not one of '
                                       f"the implementations{_suggest(key, listed)}")
            for name in names:
                max_size[name] = int(value)

    reference_name = options.get("reference")
    if reference_name:
        matches = [impl for impl in impls if impl["name"] == reference_name or impl["short"] == reference_name]
        if not matches:
            found = _find(modules, reference_name)
            entry, fn = found[0]
            add(entry, fn)
            matches = [impls[-1]]
        reference = matches[0]
    elif first.get("reference") is not None:
        fn = first["reference"]
        matches = [impl for impl in impls if impl["fn"] is fn]
        if not matches:
            if not callable(fn):
                raise DeclarationError(f'{first_file}: ANALYSIS["reference"] must be one of the implementations')
            impls.append({"name": _name(fn), "fn": fn, "short": _name(fn)})
            matches = [impls[-1]]
        reference = matches[0]
    else:
        reference = impls[0]

    compare = first.get("compare")
    if compare is not None and not callable(compare):
        raise DeclarationError(f'{first_file}: ANALYSIS["compare"] must be a function (a, b) -> bool or None')

    return {
        "impls": impls,
        "reference": reference,
        "input": generator,
        "input_label": label,
        "sizes": sizes,
        "default_sizes": default_sizes,
        "max_size": max_size,
        "compare": compare,
        "seed": int(options.get("seed", 0)),
        "inputs_per_size": max(1, int(options.get("inputs_per_size", 5))),
        "source": source,
        "input_guessed": guessed,
    }


# Named inputs for --input, each a function of n and rng returning ONE argument.
PRESETS = {
    "int": ("the integer n", lambda n, rng: n),
    "random_ints": ("n random ints in [0, 10n]", lambda n, rng: [rng.randint(0, 10 * n) for _ in range(n)]),
    "sorted_ints": ("n sorted random ints", lambda n, rng: sorted(rng.randint(0, 10 * n) for _ in range(n))),
    "distinct_ints": ("n distinct ints, shuffled", lambda n, rng: rng.sample(range(10 * n + 1), n)),
    "random_string": ("n random lowercase letters", lambda n, rng: "".join(rng.choice(string.ascii_lowercase) for _ in range(n))),
    "random_floats": ("n random floats in [0, 1)", lambda n, rng: [rng.random() for _ in range(n)]),
}


def _input_from_expression(text):
    """`--input EXPR`: a preset name, or a Python expression of n and rng. A tuple is the
    argument tuple; any other value is passed as the single argument."""
    text = text.strip()
    if text in PRESETS:
        make = PRESETS[text][1]
        return (lambda n, rng: (make(n, rng),)), text
    try:
        code = compile(text, "<--input>", "eval")
    except SyntaxError as exc:
        known = ", ".join(PRESETS)
        raise DeclarationError(f"--input {text!r} is not a Python expression ({exc.msg}) nor a preset ({known})") from None

    def generate(n, rng):
        scope = {"n": n, "rng": rng, "random": random, "math": math, "string": string}
        for key, (_doc, make) in PRESETS.items():
            scope[key] = make
        value = eval(code, scope)
        return value if isinstance(value, tuple) else (value,)

    return generate, text


# What a parameter's name says when it has no annotation (the names textbook code uses).
_SEQUENCE_NAMES = {"a", "arr", "array", "collection", "data", "elements", "input_list", "items", "list_",
                   "lst", "my_list", "nums", "numbers", "seq", "sequence", "unsorted", "values", "xs"}
_INT_NAMES = {"k", "limit", "n", "num", "number", "size", "upper", "upper_bound"}
_STR_NAMES = {"s", "sentence", "string", "text", "word"}
_TARGET_NAMES = {"item", "key", "needle", "query", "target", "value", "x"}
# A second parameter that is the sequence's length (recursive code passes it down).
_LENGTH_NAMES = {"count", "len", "length", "n", "size"}
_SEQUENCE_TYPES = {list, tuple, collections.abc.Sequence, collections.abc.MutableSequence,
                   collections.abc.Iterable, collections.abc.Collection}


def _parameter_kind(parameter, hint):
    """"int", "float", "str", "ints", "floats", "strs" or "items" (a sequence of anything
    comparable) for what a parameter takes, from its annotation, else from its name; None when
    neither says."""
    if hint is int:
        return "int"
    if hint is float:
        return "float"
    if hint is str:
        return "str"
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        # Optional[list[int]], list[int] | None: what it takes when it is given something.
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) == 1:
            hint = members[0]
    origin = typing.get_origin(hint) or hint
    if origin in _SEQUENCE_TYPES:
        args = []
        for arg in typing.get_args(hint):
            # list[int | float]: every member of a union counts.
            union = typing.get_origin(arg) in (typing.Union, types.UnionType)
            args.extend(typing.get_args(arg) if union else [arg] if arg is not Ellipsis else [])
        if not args or all(a is typing.Any or isinstance(a, typing.TypeVar) for a in args):
            return "items"
        if all(a is int for a in args):
            return "ints"
        if all(a in (int, float) for a in args):
            return "floats"
        if all(a is str for a in args):
            return "strs"
        return None
    if hint is None:
        name = parameter.name.lower()
        if name in _SEQUENCE_NAMES or "list" in name or "array" in name or "collection" in name:
            return "items"
        if name in _INT_NAMES:
            return "int"
        if name in _STR_NAMES:
            return "str"
    return None


def _type_hints(fn):
    """fn's annotations, evaluated; one that names something undefined (or imported only for
    type checkers) is left out alone, not with all the others as typing.get_type_hints does."""
    try:
        return typing.get_type_hints(fn)
    except Exception:
        pass
    hints = {}
    scope = getattr(fn, "__globals__", {})
    for name, annotation in (getattr(fn, "__annotations__", None) or {}).items():
        try:
            hints[name] = typing.get_type_hints(_Annotated(name, annotation), scope)[name]
        except Exception:
            continue
    return hints


class _Annotated:
    """An object with one annotation, for typing.get_type_hints to evaluate on its own."""

    def __init__(self, name, annotation):
        self.__annotations__ = {name: annotation}


def _guess_input(fn):
    """An input for fn from its signature: one parameter (an int, a float, a string, a list of
    ints, floats, strings or anything comparable), a sequence and its length, a sequence and
    what to look for in it, two strings, or two sequences of the same kind."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    # A class takes what its __init__ takes (the class's own annotations are its fields).
    hints = _type_hints(fn.__init__ if inspect.isclass(fn) else fn)
    required = [p for p in parameters if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    kinds = [_parameter_kind(p, hints.get(p.name)) for p in required]
    if kinds == ["int"]:
        return _input_from_expression("int")
    if kinds == ["str"]:
        return _input_from_expression("random_string")
    if kinds in (["ints"], ["items"]):
        return _input_from_expression("random_ints")
    if kinds == ["floats"]:
        return _input_from_expression("random_floats")
    if kinds == ["float"]:
        return _input_from_expression("float(n)")
    if kinds == ["strs"]:
        return _input_from_expression("[random_string(8, rng) for _ in range(n)]")
    if kinds == ["str", "str"]:
        return _input_from_expression("(random_string(n, rng), random_string(n, rng))")
    if kinds in (["ints", "ints"], ["items", "items"]):
        return _input_from_expression("(random_ints(n, rng), random_ints(n, rng))")
    if kinds == ["floats", "floats"]:
        return _input_from_expression("(random_floats(n, rng), random_floats(n, rng))")
    if len(kinds) == 2 and kinds[0] in ("ints", "items") and kinds[1] == "int" and \
            required[1].name.lower() in _LENGTH_NAMES:
        return _input_from_expression("(lambda xs: (xs, len(xs)))(random_ints(n, rng))")
    if len(kinds) == 2 and kinds[0] in ("ints", "items", "floats") and \
            (kinds[1] == "int" or required[1].name.lower() in _TARGET_NAMES):
        # A search: a sorted list (binary search needs one; any search works on one) and one of
        # its items, so that the search finds something.
        # At n=0 there is no item: it looks for 0 in the empty list.
        return _input_from_expression("(lambda xs: (xs, rng.choice(xs) if xs else 0))(sorted_ints(n, rng))")
    raise DeclarationError(f"{_name(fn)}{_signature_text(fn)} has no ANALYSIS input and its parameters do not say "
                           f"what to pass: give --input, a preset ({', '.join(PRESETS)}) or an expression of n and "
                           'rng such as "([rng.random() for _ in range(n)], 0.5)"')


def _signature_text(fn):
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return "(...)"


# ---------------------------------------------------------------------------------------------
# Inputs


def _rng(spec, n, index):
    # A string seed is hashed with SHA-512: the same inputs in every run and on every machine.
    return random.Random(f"{spec['seed']}:{n}:{index}")


def _make_args(spec, n, index):
    """The positional arguments of input `index` at size n, or a DeclarationError naming the
    generator (never blamed on an implementation)."""
    label = spec["input_label"]
    try:
        with _Guard(30):
            args = spec["input"](n, _rng(spec, n, index))
    except _TooSlow:
        raise DeclarationError(f"the input generator {label} took more than 30 s at n={n}") from None
    except Exception as exc:
        raise DeclarationError(f"the input generator {label} raised {_exception_line(exc)} at n={n}") from None
    if isinstance(args, list) and spec["source"] == "ANALYSIS":
        args = tuple(args)
    if not isinstance(args, tuple):
        raise DeclarationError(f"the input generator {label} returned {type(args).__name__} {_short(args, 60)} at n={n}; "
                               "it must return a tuple of positional arguments, e.g. (n,) or (items, target)")
    return args


def _inputs(spec, n):
    """The distinct inputs at size n (a generator that ignores rng yields one)."""
    out = []
    for index in range(spec["inputs_per_size"]):
        args = _make_args(spec, n, index)
        if index > 0 and _same(args, out[0]):
            if index == 1:
                break
        out.append(args)
    return out


def _same(a, b):
    try:
        return bool(a == b) and repr(a) == repr(b)
    except Exception:
        return False


def _check_generator(spec):
    sizes = spec["sizes"]
    args = _make_args(spec, sizes[0], 0)
    _make_args(spec, sizes[-1] if sizes[-1] <= 64 else sizes[min(len(sizes) - 1, 2)], 1)
    for impl in spec["impls"]:
        try:
            inspect.signature(impl["fn"]).bind(*args)
        except TypeError as exc:
            raise DeclarationError(f"the input {spec['input_label']} gives {len(args)} argument(s) {_short(args, 60)}, "
                                   f"but {impl['name']}{_signature_text(impl['fn'])} does not accept them ({exc})") from None
        except ValueError:
            pass


# ---------------------------------------------------------------------------------------------
# Cross-check


def _impl(name):
    for impl in _STATE["spec"]["impls"]:
        if impl["name"] == name:
            return impl
    raise KeyError(name)


def _copy_args(args):
    # Implementations must not see each other's mutations of a shared input.
    return copy.deepcopy(args)


def _equal(a, b):
    compare = _STATE["spec"]["compare"]
    if compare is not None:
        return bool(compare(a, b))
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        except TypeError:
            return a == b
    return a == b


def _short(value, limit=200):
    try:
        text = repr(value)
    except Exception as exc:
        text = f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _exception_line(exc):
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _lazy(value):
    """Whether value is an iterator (a generator, a generator expression, map, filter, zip...):
    the work of an implementation that returns one happens as it is iterated."""
    return isinstance(value, collections.abc.Iterator)


def _values(value):
    """A result to compare: an iterator's values as a list (two generators of the same values
    are equal), anything else as it is."""
    return list(value) if _lazy(value) else value


def _drain(value):
    """Run value to its end when it is an iterator (the work it stands for is done then);
    whether it was one."""
    if not _lazy(value):
        return False
    collections.deque(value, maxlen=0)
    return True


def _draining(fn):
    """fn, also running the iterator it returns to its end, so a timed call does the work."""
    def call(*args):
        result = fn(*args)
        _drain(result)
        return result

    return call


def _expected(spec, n, index, args, limit):
    key = (n, index)
    cache = _STATE["reference_results"]
    if key not in cache:
        with _Guard(limit):
            cache[key] = _values(spec["reference"]["fn"](*_copy_args(args)))
    return cache[key]


def _check_one(spec, impl, n, index, limit):
    """None when impl agrees with the reference on input `index` at n, else the failure."""
    args = _make_args(spec, n, index)
    try:
        expected = _expected(spec, n, index, args, limit)
    except _TooSlow:
        return "reference_slow", None
    except Exception as exc:
        return "reference_raised", f"the reference {spec['reference']['name']} raised {_exception_line(exc)} at n={n}"
    try:
        with _Guard(limit):
            got = _values(impl["fn"](*_copy_args(args)))
    except _TooSlow:
        return "did_not_finish", {"n": n, "input": _short(args), "expected": _short(expected),
                                  "got": f"did not finish within {limit:g} s"}
    except Exception as exc:
        return "raised", {"n": n, "input": _short(args), "expected": _short(expected),
                          "got": f"raised {_exception_line(exc)}"}
    if not _equal(got, expected):
        return "disagrees", {"n": n, "input": _short(args), "expected": _short(expected), "got": _short(got)}
    return None, None


def _pymcp_crosscheck(name, budget_seconds, call_limit):
    try:
        return _crosscheck(name, budget_seconds, call_limit)
    except DeclarationError as exc:
        # The generator failed, not the implementation: say so, in the generator's name.
        return {"status": "failed", "checked_inputs": 0, "checked_sizes": [], "unchecked_sizes": [],
                "failure": None, "bisected": False, "note": str(exc)}


def _crosscheck(name, budget_seconds, call_limit):
    """Compare one implementation with the reference on the same seeded inputs the timing uses,
    at every declared size up to its cap, smallest first; stop at the first disagreement, or at
    the first size it does not finish in time (on the default sizes, after agreeing below it,
    that ends the check without blaming it: it is timed where it finishes). Past
    half the budget only the first input of each size is checked; past the budget, checking
    stops and the sizes left are listed. When the failing size is not the first, the sizes in
    between are bisected for the smallest failing n."""
    spec = _STATE["spec"]
    impl = _impl(name)
    if impl is spec["reference"]:
        return {"status": "reference", "checked_inputs": 0, "checked_sizes": [], "unchecked_sizes": [],
                "failure": None, "bisected": False}
    caps = [c for c in (spec["max_size"].get(name), spec["max_size"].get(spec["reference"]["name"])) if c is not None]
    cap = min(caps) if caps else None
    sizes = [n for n in spec["sizes"] if cap is None or n <= cap]
    started = time.perf_counter()
    checked = 0
    checked_sizes = []
    last_pass = None

    def agrees_up_to(position, note=None):
        # It agreed wherever it was checked; the sizes from `position` on are left unchecked.
        return {"status": "agrees", "checked_inputs": checked, "checked_sizes": checked_sizes,
                "unchecked_sizes": sizes[position:], "failure": None, "bisected": False, "note": note}

    for position, n in enumerate(sizes):
        elapsed = time.perf_counter() - started
        if elapsed > budget_seconds:
            return agrees_up_to(position)
        count = 1 if elapsed > budget_seconds / 2 else len(_inputs(spec, n))
        for index in range(count):
            status, failure = _check_one(spec, impl, n, index, call_limit)
            if status in ("reference_slow", "reference_raised"):
                # Nothing to compare with from here on: the sizes left are unchecked, and the
                # implementation is not blamed for what the reference did.
                note = failure if status == "reference_raised" else \
                    f"the reference {spec['reference']['name']} took over {call_limit:g} s at n={n}"
                return agrees_up_to(position, note)
            if status == "did_not_finish" and last_pass is not None and spec["default_sizes"]:
                # The default ladder goes on "as far as the budget allows", and this one agreed
                # at every smaller size: that is where the ladder ends for it (exponential code
                # meets its first big n), which timing it below this size will show. On sizes
                # the user declared, not finishing is a failure, as is not finishing at all.
                return agrees_up_to(position, f"it did not finish within {call_limit:g} s at n={n} of the default "
                                              "sizes: too slow there, or it does not end")
            if status is not None:
                bisected = False
                if last_pass is not None and status in ("disagrees", "raised") and n - last_pass > 1:
                    smaller = _bisect(spec, impl, last_pass, n, index, call_limit, started, budget_seconds * 2)
                    if smaller is not None:
                        failure, bisected = smaller, True
                return {"status": "did_not_finish" if status == "did_not_finish" else
                        "raised" if status == "raised" else "disagrees",
                        "checked_inputs": checked, "checked_sizes": checked_sizes,
                        "unchecked_sizes": [m for m in sizes[position + 1:]], "failure": failure,
                        "bisected": bisected}
            checked += 1
        checked_sizes.append(n)
        last_pass = n
    return agrees_up_to(len(sizes))


def _bisect(spec, impl, good, bad, index, limit, started, budget):
    """The smallest n in (good, bad] on which impl disagrees, checking every input at each n
    tried (sizes in between are not declared ones; the generator accepts any n)."""
    failure = None
    while bad - good > 1 and time.perf_counter() - started < budget:
        middle = (good + bad) // 2
        found = None
        for j in range(spec["inputs_per_size"]):
            status, candidate = _check_one(spec, impl, middle, j, limit)
            if status in ("disagrees", "raised"):
                found = candidate
                break
            if status is not None:
                return failure
        if found is not None:
            bad, failure = middle, found
        else:
            good = middle
    return failure


# ---------------------------------------------------------------------------------------------
# Timing


def _mutates(fn, args, limit):
    """Whether fn changes its arguments (then every timed call needs a fresh copy), how long one
    call took (an iterator it returns run to its end), and whether it returned an iterator."""
    trial = _copy_args(args)
    start = _clock()
    with _Guard(limit):
        lazy = _drain(fn(*trial))
    single = _clock() - start
    try:
        return (not bool(trial == args)), single, lazy
    except Exception:
        return True, single, lazy


def _calibrate(fn, args, mutates, limit):
    """Calls per sample, so that a sample lasts about SAMPLE_SECONDS: short enough to fit in one
    scheduler slice on a busy machine (a sandbox runs at a lower priority than its server), so
    the best of many samples is a sample nobody interrupted."""
    if mutates:
        return 1
    loops = 1
    while True:
        with _Guard(limit):
            start = _clock()
            for _ in range(loops):
                fn(*args)
            total = _clock() - start
        if total >= SAMPLE_SECONDS or loops >= 1_000_000:
            return loops
        loops *= 2 if total == 0 else max(2, min(10, int(SAMPLE_SECONDS / total) + 1))


def _sample(fn, args, mutates, loops, limit):
    """Seconds per call over `loops` calls (one call on a fresh copy when fn mutates its
    arguments; copying is not timed)."""
    if mutates:
        fresh = _copy_args(args)
        with _Guard(limit):
            start = _clock()
            fn(*fresh)
            return _clock() - start
    with _Guard(limit):
        start = _clock()
        for _ in range(loops):
            fn(*args)
        return (_clock() - start) / loops


def _pymcp_measure(name, budget_seconds, limit):
    """Time one implementation over growing n on several seeded inputs per size.

    A first pass walks the sizes in ascending order, generating the inputs and taking one sample
    of each, until the cap, half the budget, or a call longer than a quarter of the budget stops
    it. Further rounds sample every (size, input) cell again, in a shuffled order, while the
    budget lasts (at most MAX_ROUNDS in all): a slow spell of the machine then spoils one sample
    of many cells instead of every sample of one. Like timeit, the garbage collector is off
    while timing (it runs between rounds): its pauses would land on whichever call allocates
    past a threshold. Every sample is returned (as one compact JSON string); the caller takes
    the minimum per input and the median over inputs. `limit`: the seconds one call may run
    (the caller decides it, and judges a slow_call stop against it)."""
    spec = _STATE["spec"]
    impl = _impl(name)
    fn = impl["fn"]
    cap = spec["max_size"].get(name)
    order_rng = random.Random(f"{spec['seed']}:order:{name}")
    started = time.perf_counter()
    stopped = None
    cells = []  # [n, index, args, mutates, loops, samples]
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for n in spec["sizes"]:
            if cap is not None and n > cap:
                stopped = {"reason": "max_size", "n": cap, "detail": f"max_size {cap} for {name}"}
                break
            if time.perf_counter() - started > budget_seconds / 2:
                stopped = {"reason": "budget", "n": n, "detail": f"half of the {budget_seconds:g} s budget spent before n={n}"}
                break
            try:
                inputs = _inputs(spec, n)
            except DeclarationError as exc:
                stopped = {"reason": "input_error", "n": n, "detail": str(exc)}
                break
            row = []
            slowest = 0.0
            try:
                for index, args in enumerate(inputs):
                    mutates, single, lazy = _mutates(fn, args, limit)
                    if lazy and fn is impl["fn"]:
                        fn = _draining(fn)
                    slowest = max(slowest, single)
                    loops = _calibrate(fn, args, mutates, limit)
                    row.append([n, index, args, mutates, loops, [_sample(fn, args, mutates, loops, limit)]])
            except _TooSlow:
                stopped = {"reason": "slow_call", "n": n, "detail": f"a call at n={n} ran past {limit:g} s and was stopped"}
                break
            except Exception as exc:
                stopped = {"reason": "raised", "n": n, "detail": _exception_line(exc)}
                break
            cells.extend(row)
            if slowest > budget_seconds / 4:
                stopped = {"reason": "slow_call", "n": n, "detail": f"one call at n={n} took {slowest:.3f} s"}
                break
        rounds = 1
        while rounds < MAX_ROUNDS and time.perf_counter() - started < budget_seconds and cells:
            gc.collect()
            order = list(range(len(cells)))
            order_rng.shuffle(order)
            for position in order:
                cell = cells[position]
                try:
                    cell[5].append(_sample(fn, cell[2], cell[3], cell[4], limit))
                except (_TooSlow, Exception):
                    pass
                if time.perf_counter() - started > budget_seconds * 1.5:
                    break
            rounds += 1
    finally:
        if enabled:
            gc.enable()
    samples = {}
    for n, _index, _args, _mutates_flag, _loops, times in cells:
        samples.setdefault(str(n), []).append([float(f"{t:.4g}") for t in times])
    text = json.dumps({"samples": samples, "stopped": stopped, "rounds": rounds if cells else 0,
                       "seconds": round(time.perf_counter() - started, 3)}, separators=(",", ":"))
    _STATE["results"] = {"text": text}
    return {"chars": len(text)}


def _pymcp_take(offset, size=12000):
    """A page of the last stored result: a tool result has a byte budget (40 KiB by default),
    and the samples of a long measurement are larger."""
    return _STATE["results"]["text"][offset:offset + size]


def _pymcp_memory(name, sizes, budget_seconds, limit):
    """Peak bytes allocated by one call at each size (tracemalloc, on input 0, arguments copied
    before tracing starts), measured apart from the timing since tracing slows every allocation.
    `limit`: the seconds one call may run."""
    spec = _STATE["spec"]
    fn = _impl(name)["fn"]
    started = time.perf_counter()
    points = []
    stopped = None
    for n in sizes:
        if time.perf_counter() - started > budget_seconds:
            stopped = {"reason": "budget", "n": n, "detail": f"memory budget of {budget_seconds:g} s spent before n={n}"}
            break
        args = _copy_args(_make_args(spec, n, 0))
        gc.collect()
        try:
            # The guard is armed before tracing starts, so its own few allocations are not counted.
            with _Guard(limit):
                tracemalloc.start()
                try:
                    base = tracemalloc.get_traced_memory()[0]
                    _drain(fn(*args))
                    peak = tracemalloc.get_traced_memory()[1] - base
                finally:
                    tracemalloc.stop()
        except _TooSlow:
            stopped = {"reason": "slow_call", "n": n, "detail": f"a traced call at n={n} ran past {limit:g} s"}
            break
        except Exception as exc:
            stopped = {"reason": "raised", "n": n, "detail": _exception_line(exc)}
            break
        points.append({"n": n, "bytes": max(int(peak), 0)})
    return {"points": points, "stopped": stopped}


# The value of loading this file: the interpreter's version, for the report even when the
# target module then fails to load.
sys.version.split()[0]
