"""Load a seccomp profile in the OCI / Kubernetes "Localhost" JSON format with libseccomp, as a
container runtime does, then exec a command under it: the tests run the real server, bwrap and
Python under the profile shipped in deploy/kubernetes/seccomp/.

    seccomp-exec.py PROFILE.json COMMAND [ARG...]

Supports what that profile uses: defaultAction / defaultErrnoRet, and per-name rules with
SCMP_ACT_ALLOW or SCMP_ACT_ERRNO (errnoRet) and SCMP_CMP_EQ / SCMP_CMP_MASKED_EQ argument
conditions. Names this architecture lacks are skipped, as runc skips them.
"""
import json
import os
import sys

import seccomp


def action(name, errno_ret):
    if name == "SCMP_ACT_ALLOW":
        return seccomp.ALLOW
    if name == "SCMP_ACT_ERRNO":
        return seccomp.ERRNO(errno_ret)
    if name == "SCMP_ACT_KILL_PROCESS":
        return seccomp.KILL_PROCESS
    raise SystemExit(f"seccomp-exec: unsupported action {name}")


def condition(arg):
    op = arg["op"]
    if op == "SCMP_CMP_EQ":
        return seccomp.Arg(arg["index"], seccomp.EQ, arg["value"])
    if op == "SCMP_CMP_MASKED_EQ":
        return seccomp.Arg(arg["index"], seccomp.MASKED_EQ, arg["value"], arg["valueTwo"])
    raise SystemExit(f"seccomp-exec: unsupported operator {op}")


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        profile = json.load(f)
    default_errno = profile.get("defaultErrnoRet", 1)
    filt = seccomp.SyscallFilter(action(profile["defaultAction"], default_errno))
    for rule in profile["syscalls"]:
        act = action(rule["action"], rule.get("errnoRet", default_errno))
        args = [condition(a) for a in rule.get("args", [])]
        for name in rule["names"]:
            try:
                seccomp.resolve_syscall(seccomp.Arch.NATIVE, name)
            except (ValueError, RuntimeError):
                continue
            filt.add_rule(act, name, *args)
    # no_new_privs is set by load(), as runc sets it for allowPrivilegeEscalation: false.
    filt.load()
    os.execv(sys.argv[2], sys.argv[2:])


main()
