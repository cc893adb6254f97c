"""Start benchmark children from a small process, and report each one's own rusage.

On Linux a process's ``ru_maxrss`` starts at the high-water RSS of the process it was
launched from (``exec`` keeps the old address space's peak). Launched straight from the
benchmark, a child would inherit the benchmark's own peak; launched from this helper, run as
``python -I -S``, it inherits only this helper's (about 8 MiB), the floor of the measurement.

Protocol, one job per line on stdin: ``stdout NUL stderr NUL argv0 NUL argv1 ...``; one
answer per line on stdout: ``wall_seconds maxrss_kib user_seconds sys_seconds exit_code``.
Only ``os``, ``sys`` and ``time``: every import would raise the floor.
"""

from __future__ import annotations

import os
import sys
import time


def run(job: bytes) -> str:
    out_path, err_path, *argv = job.split(b"\0")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fds = [os.open(os.devnull, os.O_RDONLY), os.open(out_path, flags, 0o600),
           os.open(err_path, flags, 0o600)]
    actions = [(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(fds)]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    for fd in fds:
        os.close(fd)
    code = os.waitstatus_to_exitcode(status)
    return f"{wall:.6f} {usage.ru_maxrss} {usage.ru_utime:.6f} {usage.ru_stime:.6f} {code}\n"


def main() -> None:
    for line in sys.stdin.buffer:
        job = line.rstrip(b"\n")
        if not job:
            break
        try:
            answer = run(job)
        except OSError as exc:
            answer = f"error {exc}\n"
        sys.stdout.write(answer)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
