"""The isolated-pymcp worker: runs inside the bubblewrap sandbox, one per sandbox.

Everything here treats the server as trusted and the code it runs as hostile. The worker only
sets limits on itself (which the code it runs cannot raise again) and reports what happened;
the sandbox boundary is bubblewrap, not this file.

Protocol: newline-delimited JSON on file descriptor 3 (a socket from the server).
  server -> worker  {"op": "run", "id": int, "code": str, "globals": {..} | null}
                    {"op": "interrupt", "id": int}   (timeout or cancellation of run `id`)
                    {"op": "file", "id": int, "action": "list" | "read" | "write", ...}
                    (a session's scratch files; see session_files.py)
  worker -> server  {"type": "ready", "python": "3.11.2"}
                    {"type": "result", "id": int, ...}   (see _run)
                    {"type": "file", "id": int, "ok": bool, ...}
Stdout and stderr of the code are captured in-process (print, sys.stdout.write) and at the
file-descriptor level (os.write(1, ..), subprocesses), each capped at a byte limit.
An interrupt message is read by a thread of its own, which raises KeyboardInterrupt in the code
of the run it names (a SIGINT to the main thread; SIGINT is blocked except while user code runs,
so it never lands in the worker's own bookkeeping). An interrupt that arrives before its run's
code starts is remembered, so it is never lost.
"""

import ast
import collections
import builtins
import codecs
import io
import json
import linecache
import os
import queue
import resource
import signal
import sys
import threading
import traceback

PROTOCOL_FD = 3
FILENAME = "main.py"
ERROR_TEXT_CHARS = 64 * 1024  # cap on an exception's message and traceback
# Frames kept of a deeper traceback: the outermost (where the user's code started) and the
# innermost (where it failed). Formatting every frame of a deep recursion takes seconds.
TRACEBACK_HEAD = 20
TRACEBACK_TAIL = 80
# inspect.CO_COROUTINE, without importing inspect (and asyncio) into every sandbox at start-up:
# together they cost ~45 ms and ~8 MiB a sandbox, and only top-level await needs them.
CO_COROUTINE = 0x0080
STREAMS = ("stdout", "stderr")
OUTPUTS_SCAN = 256  # entries of the outputs directory looked at, before and after a run
OUTPUTS_REPORTED = 50  # new or changed output files named in one result


class Capture:
    """Ordered output of one run, capped per stream in UTF-8 bytes.

    The first `limit` bytes of each stream are kept in order; past that, only the last
    `tail_limit` bytes of each stream are kept (the error is usually at the end), and the bytes
    in between are counted as dropped.
    """

    def __init__(self, limit, tail_limit):
        self.limit = limit
        self.tail_limit = tail_limit
        self.chunks = []  # [stream_index, text], consecutive same-stream writes merged
        self.size = [0, 0]
        self.dropped = [0, 0]
        self.tails = [collections.deque(), collections.deque()]  # [text, nbytes] past the head
        self.tail_size = [0, 0]
        self.lock = threading.Lock()

    def add(self, index, text):
        if not text:
            return
        nbytes = _utf8_len(text)
        with self.lock:
            room = self.limit - self.size[index]
            if room <= 0:
                self._keep_tail(index, text, nbytes)
                return
            if nbytes > room:
                encoded = text.encode("utf-8", "replace")
                cut = encoded[:room].decode("utf-8", "ignore")
                kept = len(cut.encode("utf-8", "replace"))
                rest = encoded[kept:].decode("utf-8", "replace")
                self._keep_tail(index, rest, nbytes - kept)
                text, nbytes = cut, kept
            self.size[index] += nbytes
            if self.chunks and self.chunks[-1][0] == index:
                self.chunks[-1][1] += text
            else:
                self.chunks.append([index, text])

    def _keep_tail(self, index, text, nbytes):
        tail = self.tails[index]
        tail.append([text, nbytes])
        self.tail_size[index] += nbytes
        excess = self.tail_size[index] - self.tail_limit
        while excess > 0 and tail:
            first = tail[0]
            if first[1] <= excess:
                tail.popleft()
                self.tail_size[index] -= first[1]
                self.dropped[index] += first[1]
            else:
                keep = first[0].encode("utf-8", "replace")[excess:].decode("utf-8", "ignore")
                kept = _utf8_len(keep)
                self.tail_size[index] -= first[1] - kept
                self.dropped[index] += first[1] - kept
                first[0], first[1] = keep, kept
            excess = self.tail_size[index] - self.tail_limit

    def tail_texts(self):
        return ["".join(text for text, _ in tail) for tail in self.tails]


def _utf8_len(text):
    return len(text) if text.isascii() else len(text.encode("utf-8", "replace"))


class _BufferProxy(io.RawIOBase):
    """sys.stdout.buffer for code that writes bytes."""

    def __init__(self, owner):
        self._owner = owner

    def writable(self):
        return True

    def write(self, data):
        self._owner.write(bytes(data).decode("utf-8", "replace"))
        return len(data)


class CaptureStream(io.TextIOBase):
    """Replacement for sys.stdout / sys.stderr that writes into the current Capture."""

    def __init__(self, worker, index):
        self._worker = worker
        self._index = index
        self.buffer = _BufferProxy(self)

    @property
    def encoding(self):
        return "utf-8"

    @property
    def errors(self):
        return "replace"

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return self._index + 1

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._worker.capture.add(self._index, text)
        return len(text)

    def flush(self):
        pass


class FdReader:
    """Reads what the code (or its children) write straight to fd 1 or 2."""

    def __init__(self, worker, index, read_fd):
        self._worker = worker
        self._index = index
        self._fd = read_fd
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._marker = None
        self._synced = threading.Event()
        threading.Thread(target=self._loop, daemon=True).start()

    def sync(self, marker, timeout=0.5):
        """Wait until everything written to the fd before `marker` has been captured."""
        self._synced.clear()
        self._marker = marker
        try:
            os.write(self._index + 1, marker.encode())
        except OSError:
            return  # the code closed or replaced its fd: nothing to wait for
        self._synced.wait(timeout)

    def _loop(self):
        pending = ""
        while True:
            try:
                data = os.read(self._fd, 65536)
            except OSError:
                return
            if not data:
                return
            text = pending + self._decoder.decode(data)
            pending = ""
            marker = self._marker
            if marker and marker in text:
                before, _, after = text.partition(marker)
                self._worker.capture.add(self._index, before)
                self._worker.capture.add(self._index, after)
                self._marker = None
                self._synced.set()
                continue
            if marker:
                # Keep a tail that could be the start of a marker split across reads.
                keep = len(marker) - 1
                text, pending = text[:-keep], text[-keep:]
            self._worker.capture.add(self._index, text)


def _json_fallback(value):
    """Convert common non-JSON values; anything else makes the whole value fall back to repr."""
    if isinstance(value, (set, frozenset)):
        try:
            return sorted(value)
        except TypeError:
            return list(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "backslashreplace")
    if hasattr(value, "model_dump"):  # pydantic models
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        import dataclasses

        return dataclasses.asdict(value)
    if hasattr(value, "isoformat"):  # datetime, date, time
        return value.isoformat()
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    if type(value).__name__ == "Decimal":
        return str(value)
    raise TypeError(type(value).__name__)


def _render_value(value, limit):
    """Return (kind, text, truncated) for the last expression's value."""
    try:
        text = json.dumps(value, default=_json_fallback, indent=2, ensure_ascii=False, allow_nan=False)
        kind = "json"
    except Exception:
        try:
            text = repr(value)
        except Exception as exc:  # a hostile __repr__
            text = f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
        kind = "repr"
    text, truncated = _cap_bytes(text, limit)
    return ("repr" if truncated else kind), text, truncated


def _cap_bytes(text, limit):
    """(text cut to at most `limit` bytes of UTF-8, whether it was cut)."""
    encoded = text.encode("utf-8", "replace")
    if len(encoded) <= limit:
        return text, False
    return encoded[:limit].decode("utf-8", "ignore"), True


def _user_traceback(exc):
    """The traceback text with the worker's own frames removed (user frames only)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != FILENAME:
        tb = tb.tb_next
    if isinstance(exc, SyntaxError) or tb is None:
        lines = traceback.format_exception_only(type(exc), exc)
        if isinstance(exc, SyntaxError):
            return "".join(lines)
        return "Traceback (most recent call last):\n" + "".join(lines) if tb else "".join(lines)
    return _format_frames(exc.with_traceback(tb), tb)


def _format_frames(exc, tb):
    """format_exception, bounded: a traceback of more than TRACEBACK_HEAD + TRACEBACK_TAIL frames
    keeps its first and last ones around a marker (a RecursionError under a raised recursion
    limit has a million frames, which take ~10 s to format, past any timeout), and a chained
    exception its first frames. A positive limit, as here, stops reading frames at the limit."""
    depth = 0
    node = tb
    while node is not None:
        depth += 1
        node = node.tb_next
    kept = TRACEBACK_HEAD + TRACEBACK_TAIL
    if depth <= kept:
        return "".join(traceback.format_exception(type(exc), exc, tb, limit=kept))
    tail = tb
    for _ in range(depth - TRACEBACK_TAIL):
        tail = tail.tb_next
    parts = traceback.format_exception(type(exc), exc, tail, limit=TRACEBACK_TAIL)
    header = "Traceback (most recent call last):\n"
    at = len(parts) - 1 - parts[::-1].index(header) if header in parts else 0
    head = traceback.format_tb(tb, limit=TRACEBACK_HEAD)
    marker = f"  [... {depth - kept} frames left out ...]\n"
    return "".join(parts[: at + 1] + head + [marker] + parts[at + 1:])


def _clip(text):
    """Keep the start and the end of an over-long text (the end of a traceback matters most)."""
    if len(text) <= ERROR_TEXT_CHARS:
        return text
    half = ERROR_TEXT_CHARS // 2
    return f"{text[:half]}\n[... {len(text) - ERROR_TEXT_CHARS} characters cut ...]\n{text[-half:]}"


def _safe_str(exc):
    try:
        return str(exc)
    except Exception:
        return f"<unprintable {type(exc).__name__}>"


class Worker:
    def __init__(self, config):
        self.config = config
        self.capture = Capture(config["output_bytes"], config["output_tail_bytes"])
        self.globals = {"__name__": "__main__", "__builtins__": builtins}
        self.loop = None
        self.readers = []
        self.run_count = 0
        self._inbuf = b""
        self.requests = queue.Queue()
        self.main_thread = threading.get_ident()
        self.lock = threading.Lock()
        self.running_id = None  # the run whose user code may be interrupted right now
        self.interrupt_id = None  # the latest run the server asked to interrupt
        self.images = None  # the current run's ImageCollector, if it made any images
        self._modules = {}

    # -- start-up ---------------------------------------------------------------------------

    def setup(self):
        # SIGINT only ever reaches user code (see _execute); children inherit the mask of the
        # thread that starts them, so the fd readers below never see it.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        signal.signal(signal.SIGINT, signal.default_int_handler)
        # A write past RLIMIT_FSIZE raises OSError(EFBIG) instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        os.set_inheritable(PROTOCOL_FD, False)
        self._limit_resources()
        self._capture_fds()
        sys.stdout = CaptureStream(self, 0)
        sys.stderr = CaptureStream(self, 1)
        sys.stdin = open(os.devnull)
        # Keep the worker's own directory off the import path; like `python -c`, make the
        # working directory (the workspace) importable.
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path[:] = [""] + [p for p in sys.path if p not in (here, "")]
        self.here = here
        try:
            os.makedirs(self.config["files"]["outputs"], exist_ok=True)
        except OSError:
            pass
        # Started with SIGINT blocked (inherited mask): only the main thread ever takes it.
        threading.Thread(target=self._read_protocol, daemon=True).start()

    def _limit_resources(self):
        limits = self.config["limits"]
        for name, key in (
            ("RLIMIT_AS", "memory_bytes"),
            ("RLIMIT_CPU", "cpu_seconds"),
            ("RLIMIT_NPROC", "max_processes"),
            ("RLIMIT_FSIZE", "file_size_bytes"),
            ("RLIMIT_NOFILE", "open_files"),
            ("RLIMIT_CORE", None),
        ):
            value = 0 if key is None else int(limits[key])
            # Security: hard limits set before any user code runs cannot be raised again by it.
            resource.setrlimit(getattr(resource, name), (value, value))
        # Security: user code runs at a lower CPU priority than the server and the language
        # server, so busy sandboxes cannot starve them; RLIMIT_NICE 0 keeps it from going back.
        resource.setrlimit(resource.RLIMIT_NICE, (0, 0))
        nice = int(limits["nice"])
        if os.getpriority(os.PRIO_PROCESS, 0) < nice:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
        # The kernel's OOM killer takes this sandbox before the server or anything else on the
        # host (a preference: code may lower it again, as far as 0).
        try:
            with open("/proc/self/oom_score_adj", "w") as adj:
                adj.write("1000")
        except OSError:
            pass

    def _capture_fds(self):
        for index in (0, 1):
            read_fd, write_fd = os.pipe()
            os.set_inheritable(read_fd, False)
            os.dup2(write_fd, index + 1)
            os.close(write_fd)
            self.readers.append(FdReader(self, index, read_fd))

    # -- protocol ---------------------------------------------------------------------------

    def send(self, message):
        data = (json.dumps(message, ensure_ascii=True) + "\n").encode()
        view = memoryview(data)
        while view:
            written = os.write(PROTOCOL_FD, view)
            view = view[written:]

    def receive(self):
        while b"\n" not in self._inbuf:
            chunk = os.read(PROTOCOL_FD, 1 << 20)
            if not chunk:
                return None
            self._inbuf += chunk
        line, _, self._inbuf = self._inbuf.partition(b"\n")
        return json.loads(line)

    def _read_protocol(self):
        """Reader thread: runs go to the main thread's queue; interrupts are acted on at once."""
        while True:
            try:
                message = self.receive()
            except (OSError, ValueError, RecursionError):
                # A message it cannot decode (RecursionError: nested past json's limit) ends
                # the worker, rather than leaving the main thread waiting for a run forever.
                message = None
            if message is None:
                self.requests.put(None)
                return
            if message.get("op") == "interrupt":
                with self.lock:
                    self.interrupt_id = message.get("id")
                    if self.running_id is not None and self.running_id == self.interrupt_id:
                        signal.pthread_kill(self.main_thread, signal.SIGINT)
            elif message.get("op") in ("run", "file"):
                self.requests.put(message)

    def serve(self):
        self.send({"type": "ready", "python": sys.version.split()[0]})
        while True:
            message = self.requests.get()
            if message is None:
                return
            if message.get("op") == "file":
                files = self._module("session_files")
                answer = files.handle(self.config["files"]["root"], message, self.config["files"]["list_limit"])
                self.send({"type": "file", "id": message["id"], **answer})
            else:
                self.send(self._run(message))

    def _module(self, name):
        """One of the worker's helper modules (beside it in the sandbox), loaded on first use."""
        module = self._modules.get(name)
        if module is None:
            import importlib.util

            spec = importlib.util.spec_from_file_location(f"_ipm_{name}", os.path.join(self.here, f"{name}.py"))
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            self._modules[name] = module
        return module

    # -- running code -----------------------------------------------------------------------

    def _run(self, message):
        self.run_count += 1
        self.capture = Capture(self.config["output_bytes"], self.config["output_tail_bytes"])
        result = {"type": "result", "id": message["id"], "status": "completed"}
        self.images = None
        outputs_before = self._outputs_state()
        try:
            globals_in = message.get("globals") or {}
            self.globals.update(globals_in)
            value = self._execute(message["code"], message["id"])
            if value is not None:
                result.update(self._render_result(value))
        except KeyboardInterrupt as exc:
            result.update(status="interrupted", error=self._describe(exc))
        except BaseException as exc:  # SystemExit included: the worker survives exit()
            result.update(status="raised", error=self._describe(exc))
        finally:
            for reader in self.readers:
                reader.sync(f"\x00ipm-sync-{os.getpid()}-{self.run_count}\x00")
        if self.images is not None:
            result["images"] = self.images.images
            result["images_omitted"] = self.images.omitted
            result["images_omitted_count"] = self.images.omitted_count
        self.images = None
        changed = self._outputs_changed(outputs_before)
        if changed:
            result["files"] = changed[:OUTPUTS_REPORTED]
            result["files_more"] = len(changed) - len(result["files"])
        capture = self.capture
        result["output"] = capture.chunks
        result["dropped_bytes"] = capture.dropped
        result["tails"] = capture.tail_texts()
        return result

    def _render_result(self, value):
        """The return value, or a table; a returned image or figure is among the images."""
        if "rich_results" in self._modules or _maybe_rich(value):
            rich = self._module("rich_results")
            if rich.is_rich(value):
                try:
                    table = rich.table_of(value, self.config["table"])
                except Exception as exc:  # a hostile cell: the value is still rendered below
                    self.capture.add(1, f"[the table could not be rendered: {type(exc).__name__}]\n")
                else:
                    if table is not None:
                        text, truncated = _cap_bytes(table.pop("text"), self.config["return_value_bytes"])
                        return {
                            "return_value": {"kind": "table", "text": text, "truncated": truncated},
                            "table": table,
                        }
                    return {}
        kind, text, truncated = _render_value(value, self.config["return_value_bytes"])
        return {"return_value": {"kind": kind, "text": text, "truncated": truncated}}

    def _capture_images(self, value):
        """Open pyplot figures and a returned image, as PNG (see rich_results.py)."""
        if "matplotlib.pyplot" not in sys.modules and not _maybe_rich(value):
            return
        try:
            rich = self._module("rich_results")
            collector = rich.collect_images(value, self.config["images"])
        except Exception as exc:  # code that broke pyplot must not lose its own result or error
            self.capture.add(1, f"[figures could not be captured: {type(exc).__name__}: {_safe_str(exc)[:200]}]\n")
            return
        if collector.images or collector.omitted_count:
            self.images = collector

    def _outputs_state(self):
        """{relative path: (size, mtime)} of regular files under the outputs directory (bounded)."""
        root = self.config["files"]["outputs"]
        state = {}
        stack = [""]
        seen = 0
        while stack and seen < OUTPUTS_SCAN:
            prefix = stack.pop()
            try:
                with os.scandir(os.path.join(root, prefix)) as entries:
                    for entry in entries:
                        seen += 1
                        if seen > OUTPUTS_SCAN:
                            break
                        rel = f"{prefix}/{entry.name}" if prefix else entry.name
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(rel)
                        elif entry.is_file(follow_symlinks=False):
                            info = entry.stat(follow_symlinks=False)
                            state[rel] = (info.st_size, info.st_mtime_ns)
            except OSError:
                continue
        return state

    def _outputs_changed(self, before):
        """Output files new or changed since `before`: [{"path": relative to the scratch root, "size"}]."""
        after = self._outputs_state()
        base = os.path.relpath(self.config["files"]["outputs"], self.config["files"]["root"])
        return [
            {"path": f"{base}/{rel}", "size": size}
            for rel, (size, mtime) in sorted(after.items())
            if before.get(rel) != (size, mtime)
        ]

    def _describe(self, exc):
        try:
            tb = _user_traceback(exc)
        except Exception:
            tb = f"{type(exc).__name__}: {_safe_str(exc)}\n"
        return {
            "type": type(exc).__name__[:256],
            "message": _clip(_safe_str(exc)),
            "traceback": _clip(tb),
        }

    def _execute(self, code, run_id):
        linecache.cache[FILENAME] = (len(code), None, code.splitlines(True), FILENAME)
        flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        tree = ast.parse(code, filename=FILENAME, mode="exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        body = compile(tree, FILENAME, "exec", flags=flags, dont_inherit=True)
        tail = compile(last, FILENAME, "eval", flags=flags, dont_inherit=True) if last else None
        value = None
        # Drop a SIGINT left over from an earlier run, then open this run to interrupts. An
        # interrupt the reader saw before this point is in interrupt_id; one after it arrives as
        # a SIGINT that stays pending until the unblock below, then raises in the user's code.
        while signal.sigtimedwait({signal.SIGINT}, 0) is not None:
            pass
        with self.lock:
            self.running_id = run_id
            early = self.interrupt_id == run_id
        try:
            if early:
                raise KeyboardInterrupt
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            try:
                self._evaluate(body)
                if tail is not None:
                    value = self._evaluate(tail)
            except KeyboardInterrupt:
                raise
            except BaseException:
                # Figures drawn before the error still come back (they often show what went wrong).
                self._capture_images(None)
                raise
            # Still interruptible: rendering runs the code's artists, which could take long.
            self._capture_images(value)
        finally:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            with self.lock:
                self.running_id = None
        return value

    def _evaluate(self, code):
        result = eval(code, self.globals)  # noqa: S307 - running the user's code is the job
        if code.co_flags & CO_COROUTINE:
            if self.loop is None:
                import asyncio

                self.loop = asyncio.new_event_loop()
            result = self.loop.run_until_complete(result)
        return result


def _maybe_rich(value):
    """Cheap pre-check (no import): could `value` be an image, a figure or a table?"""
    module = type(value).__module__ or ""
    return module.startswith(("matplotlib", "PIL", "pandas"))


def main():
    config = json.loads(sys.argv[1])
    worker = Worker(config)
    worker.setup()
    worker.serve()


if __name__ == "__main__":
    main()
