"""Files in and out of a session's scratch directory, inside the sandbox.

The server names a file by a relative path; it is opened here, one component at a time from a
descriptor of the scratch root (openat), never following a symbolic link (O_NOFOLLOW on every
component), and only a regular file is read or written. So a link planted by the session's own
code leads nowhere, not even to another place in the sandbox; and the sandbox's mount namespace
holds none of the host's files in the first place. Errors are short texts for the model.
"""

import base64
import errno
import os
import stat

ERROR_CHARS = 300
MAX_DEPTH = 16
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class FileError(Exception):
    pass


def _parts(name):
    if not isinstance(name, str) or name == "" or "\x00" in name or name.startswith("/"):
        raise FileError("the path must be a non-empty relative path")
    parts = name.split("/")
    # Security: no way up or around: "..", ".", empty components (//) are refused, not resolved.
    if any(part in ("", ".", "..") for part in parts) or len(parts) > MAX_DEPTH:
        raise FileError("the path must not contain '..', '.' or empty components")
    return parts


def _open_dir(root_fd, parts, create):
    """A descriptor of the directory holding the last component; no link followed on the way."""
    fd = os.dup(root_fd)
    try:
        for part in parts:
            try:
                if create:
                    try:
                        os.mkdir(part, 0o755, dir_fd=fd)
                    except FileExistsError:
                        pass
                # Security: O_NOFOLLOW: a symbolic link as a directory component is refused.
                nfd = os.open(part, DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                raise FileError(_describe(exc, part)) from None
            os.close(fd)
            fd = nfd
        return fd
    except BaseException:
        os.close(fd)
        raise


def _describe(exc, part):
    if exc.errno in (errno.ELOOP, errno.EMLINK):
        return f"{part!r} is a symbolic link; links are not followed"
    if exc.errno == errno.ENOTDIR:
        return f"{part!r} is not a directory (or is a symbolic link)"
    if exc.errno == errno.ENOENT:
        return f"{part!r} does not exist"
    if exc.errno == errno.ENXIO:
        return f"{part!r} is not a regular file"
    return f"{part!r}: {os.strerror(exc.errno or 0)}"


def _open_parent(root, name, create_dirs):
    """(descriptor of the directory that holds `name`, its last component, whether that exists)."""
    parts = _parts(name)
    root_fd = os.open(root, DIR_FLAGS)
    try:
        dir_fd = _open_dir(root_fd, parts[:-1], create_dirs)
    finally:
        os.close(root_fd)
    last = parts[-1]
    try:
        try:
            existing = os.stat(last, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            existing = None
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            kind = "a symbolic link" if stat.S_ISLNK(existing.st_mode) else "not a regular file"
            raise FileError(f"{name!r} is {kind}; only regular files are read or written")
    except BaseException:
        os.close(dir_fd)
        raise
    return dir_fd, last, existing is not None


def _open_in(dir_fd, last, name, flags):
    try:
        # Security: O_NOFOLLOW refuses a link swapped in since the check above; O_NONBLOCK
        # keeps a FIFO from blocking the open (it is refused by the fstat below).
        fd = os.open(last, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644, dir_fd=dir_fd)
    except OSError as exc:
        raise FileError(_describe(exc, name)) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise FileError(f"{name!r} is not a regular file")
    os.set_blocking(fd, True)
    return fd, info


def _open_file(root, name, flags):
    dir_fd, last, _ = _open_parent(root, name, False)
    try:
        return _open_in(dir_fd, last, name, flags)
    finally:
        os.close(dir_fd)


def read(root, message):
    offset = int(message.get("offset", 0))
    length = int(message.get("length", 0))
    fd, info = _open_file(root, message["path"], os.O_RDONLY)
    try:
        data = os.pread(fd, max(0, length), max(0, offset)) if offset < info.st_size else b""
    finally:
        os.close(fd)
    return {"size": info.st_size, "offset": offset, "data": base64.b64encode(data).decode("ascii")}


def write(root, message):
    """Write or append all of the data, or change nothing: a failed write (the scratch directory
    full, the file-size limit) leaves the file as it was, and creates none."""
    data = base64.b64decode(message["data"], validate=True)
    name = message["path"]
    dir_fd, last, existed = _open_parent(root, name, True)
    try:
        if message.get("append"):
            fd, info = _open_in(dir_fd, last, name, os.O_WRONLY | os.O_CREAT | os.O_APPEND)

            def undo():
                if existed:
                    os.ftruncate(fd, info.st_size)
                else:
                    _unlink_quietly(last, dir_fd)

            try:
                return {"size": _write_all(fd, data, name, undo)}
            finally:
                os.close(fd)
        # Replaced by a rename once complete: the old content stays until the new is all there.
        part = f".upload-{os.urandom(8).hex()}.part"
        fd, _ = _open_in(dir_fd, part, name, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        try:
            size = _write_all(fd, data, name, undo=lambda: _unlink_quietly(part, dir_fd))
        finally:
            os.close(fd)
        try:
            # Security: rename() replaces the name itself and follows no link planted there.
            os.rename(part, last, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except OSError as exc:
            _unlink_quietly(part, dir_fd)
            raise FileError(_describe(exc, name)) from None
        return {"size": size}
    finally:
        os.close(dir_fd)


def _write_all(fd, data, name, undo):
    """Write every byte of `data` to `fd`, its size after; on failure `undo()`, then FileError."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return os.fstat(fd).st_size
    except OSError as exc:
        try:
            undo()
        except OSError:
            pass
        raise FileError(f"could not write {name!r}: {os.strerror(exc.errno or 0)}") from None


def _unlink_quietly(last, dir_fd):
    try:
        os.unlink(last, dir_fd=dir_fd)
    except OSError:
        pass


def listing(root, limit):
    """Regular files under root (not hidden, no link followed): [path, size, mtime], sorted."""
    entries = []
    scanned = 0
    truncated = False
    # Directories still to read, by name: one held descriptor each would run out of open files
    # (RLIMIT_NOFILE) on a wide tree and silently leave directories out.
    stack = [[]]
    root_fd = os.open(root, DIR_FLAGS)
    try:
        while stack and not truncated:
            parts = stack.pop()
            try:
                # Security: reopened from the root one component at a time, never through a link.
                fd = _open_dir(root_fd, parts, False)
            except FileError:
                continue  # replaced since it was seen
            prefix = "/".join(parts)
            try:
                with os.scandir(fd) as it:
                    for entry in it:
                        scanned += 1
                        if scanned > limit * 4:
                            truncated = True
                            break
                        if entry.name.startswith("."):
                            continue
                        rel = f"{prefix}/{entry.name}" if prefix else entry.name
                        if entry.is_dir(follow_symlinks=False) and len(parts) + 1 < MAX_DEPTH:
                            stack.append(parts + [entry.name])
                        elif entry.is_file(follow_symlinks=False):
                            info = entry.stat(follow_symlinks=False)
                            entries.append([rel, info.st_size, int(info.st_mtime)])
            except OSError:
                pass
            finally:
                os.close(fd)
    finally:
        os.close(root_fd)
    entries.sort()
    if len(entries) > limit:
        entries, truncated = entries[:limit], True
    return {"entries": entries, "truncated": truncated}


def handle(root, message, list_limit):
    """One file request -> its answer (never raises for a bad request)."""
    action = message.get("action")
    try:
        if action == "read":
            return {"ok": True, **read(root, message)}
        if action == "write":
            return {"ok": True, **write(root, message)}
        if action == "list":
            return {"ok": True, **listing(root, list_limit)}
        raise FileError(f"unknown action {str(action)[:40]!r}")
    except FileError as exc:
        return {"ok": False, "error": str(exc)[:ERROR_CHARS]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]}
