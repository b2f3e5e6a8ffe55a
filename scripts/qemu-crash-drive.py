#!/usr/bin/env python3
"""Drives one QEMU guest through a real crash for scripts/real-kdump.sh.

Starts QEMU with its serial port and HMP monitor on unix sockets, waits for the guest's init to
report KSIM-READY (capture kernel loaded with kexec -p), stops the VM, records `info registers
-a` and takes dump-guest-memory (ELF, and optionally -z) of that stopped state, resumes it, tells
the guest on its console to panic (echo c > /proc/sysrq-trigger), and waits for the capture
kernel's init to report that /proc/vmcore was copied onto the virtio disk. Every wait is bounded
and QEMU is killed on every exit path. Exit 0 on success, 1 with the reason on stderr.
"""
import argparse
import os
import ctypes
import re
import signal
import socket
import subprocess
import sys
import threading
import time


class Serial:
    """The guest console: everything it prints goes to a log; markers are awaited."""

    def __init__(self, path, log_path):
        self.sock = connect(path, 60)
        self.log = open(log_path, "wb")
        self.text = ""
        self.cond = threading.Condition()
        self.closed = False
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            with self.cond:
                if not chunk:
                    self.closed = True
                    self.cond.notify_all()
                    return
                self.log.write(chunk)
                self.log.flush()
                self.text += chunk.decode("latin-1")
                self.cond.notify_all()

    def wait_for(self, pattern, timeout, what):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                m = re.search(pattern, self.text)
                if m:
                    return m
                fail = re.search(r"KSIM-FAIL[^\r\n]*", self.text)
                if fail:
                    raise Failure("guest reported " + fail.group(0) + " while waiting for " + what)
                if re.search(r"Kernel panic - not syncing: (?!sysrq)[^\r\n]*", self.text) and "KSIM-CAPTURE" in self.text:
                    raise Failure("capture kernel panicked while waiting for " + what)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure("no " + what + " after " + str(timeout) + " s")
                if self.closed:
                    raise Failure("QEMU closed the console before " + what)
                self.cond.wait(min(left, 1.0))

    def send(self, text):
        self.sock.sendall(text.encode())


class Monitor:
    """QEMU's human monitor (HMP): one command at a time, answered up to the next prompt."""

    def __init__(self, path):
        self.sock = connect(path, 30)
        self.command(None, 30)

    def command(self, line, timeout):
        if line is not None:
            self.sock.sendall((line + "\n").encode())
        self.sock.settimeout(timeout)
        buf = b""
        try:
            while not buf.endswith(b"(qemu) "):
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
        except socket.timeout:
            raise Failure("monitor did not answer " + repr(line) + " in " + str(timeout) + " s")
        out = buf.decode("latin-1").replace("\r", "")
        if out.endswith("(qemu) "):
            out = out[: -len("(qemu) ")]
        # HMP echoes the command line first (with terminal escapes): drop that line.
        return out.split("\n", 1)[1] if line is not None and "\n" in out else out


class Failure(Exception):
    pass


def connect(path, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise Failure("cannot connect to " + path)
            time.sleep(0.1)


def die_with_parent():
    """In QEMU's child before exec: SIGKILL it when this driver dies, however it dies (prctl(2))."""
    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def on_signal(signum, frame):
    # Turn SIGTERM/SIGHUP into an exception so that the finally below kills QEMU.
    raise Failure("stopped by signal " + str(signum))


def main():
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, on_signal)
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--cpu")
    ap.add_argument("--mem", default="1G")
    ap.add_argument("--smp", default="2")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--append", required=True)
    ap.add_argument("--disk", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--elf", help="dump-guest-memory ELF of the running guest, before the panic")
    ap.add_argument("--zdump", help="dump-guest-memory -z (kdump-compressed, zlib) of the same state")
    ap.add_argument("--boot-timeout", type=int, default=300)
    ap.add_argument("--capture-timeout", type=int, default=600)
    a = ap.parse_args()

    serial_sock = os.path.join(a.out, "serial.sock")
    mon_sock = os.path.join(a.out, "monitor.sock")
    for p in (serial_sock, mon_sock):
        if os.path.exists(p):
            os.unlink(p)
    cmd = [a.qemu, "-accel", "tcg", "-m", a.mem, "-smp", a.smp, "-display", "none", "-no-reboot",
           "-nodefaults", "-kernel", a.kernel, "-initrd", a.initrd, "-append", a.append,
           "-chardev", "socket,id=ser0,path=" + serial_sock + ",server=on,wait=on",
           "-serial", "chardev:ser0",
           "-monitor", "unix:" + mon_sock + ",server=on,wait=off",
           "-drive", "file=" + a.disk + ",format=raw,if=virtio,cache=unsafe"]
    if a.cpu:
        cmd += ["-cpu", a.cpu]
    qlog = open(os.path.join(a.out, "qemu.log"), "wb")
    qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=qlog, stderr=subprocess.STDOUT,
                            preexec_fn=die_with_parent)
    t0 = time.monotonic()
    try:
        serial = Serial(serial_sock, os.path.join(a.out, "serial.log"))
        serial.wait_for(r"KSIM-READY", a.boot_timeout, "KSIM-READY (kernel booted, capture kernel loaded)")
        t_ready = time.monotonic()
        mon = Monitor(mon_sock)
        mon.command("stop", 30)
        with open(os.path.join(a.out, "registers.txt"), "w") as f:
            f.write(mon.command("info registers -a", 30))
        for path, flag in ((a.elf, ""), (a.zdump, "-z ")):
            if path:
                out = mon.command("dump-guest-memory " + flag + path, 600)
                if not os.path.exists(path) or out.strip():
                    raise Failure("dump-guest-memory " + flag + path + " failed: " + out.strip())
        mon.command("cont", 30)
        t_dumped = time.monotonic()
        serial.send("panic\n")
        size = serial.wait_for(r"KSIM-VMCORE-SIZE (\d+)\r?\n", a.capture_timeout, "capture kernel with /proc/vmcore")
        serial.wait_for(r"KSIM-VMCORE-DONE", a.capture_timeout, "KSIM-VMCORE-DONE (vmcore copied to disk)")
        t_done = time.monotonic()
        with open(os.path.join(a.out, "vmcore.size"), "w") as f:
            f.write(size.group(1) + "\n")
        try:
            mon.command("quit", 10)
        except Failure:
            pass
        qemu.wait(30)
        print("qemu-crash-drive: boot %.0f s, QEMU dumps %.0f s, panic to vmcore on disk %.0f s"
              % (t_ready - t0, t_dumped - t_ready, t_done - t_dumped), file=sys.stderr)
        return 0
    except (Failure, subprocess.TimeoutExpired) as e:
        print("qemu-crash-drive: " + str(e) + " (see " + os.path.join(a.out, "serial.log") + ")", file=sys.stderr)
        return 1
    finally:
        if qemu.poll() is None:
            qemu.kill()
            qemu.wait(30)


if __name__ == "__main__":
    sys.exit(main())
