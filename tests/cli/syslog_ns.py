#!/usr/bin/env python3
"""syslog_ns.py LOG COMMAND...: run COMMAND with a /dev/log of ours, write each message COMMAND
sends to syslog(3) to LOG, one a line as glibc sends it ("<PRIORITY>Mmm dd hh:mm:ss
IDENT[PID]: MESSAGE"), and exit with COMMAND's status.

glibc's syslog(3) sends to the fixed path /dev/log, where journald or a syslog daemon listens.
Run in a mount namespace of its own (`unshare -m`, or `unshare -rm` without root), this mounts
a tmpfs on /dev, inside that namespace only, and binds a datagram socket at /dev/log as a
syslog daemon does: the program under test takes its real path to syslog, and the machine's
/dev and syslog are never touched.
"""
import socket
import subprocess
import sys
import threading


def main():
    log, command = sys.argv[1], sys.argv[2:]
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "pcipt-test-dev", "/dev"],
                   check=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("/dev/log")
    # read while the command runs: a full queue would block its syslog(3)
    sock.settimeout(0.1)
    done = threading.Event()
    messages = []

    def read():
        while True:
            try:
                messages.append(sock.recv(65536))
            except socket.timeout:
                if done.is_set():
                    return

    reader = threading.Thread(target=read)
    reader.start()
    status = subprocess.run(command).returncode
    # what the command sent before it exited is queued: read until the queue is empty
    done.set()
    reader.join()
    with open(log, "ab") as f:
        for m in messages:
            f.write(m.rstrip(b"\n") + b"\n")
    sys.exit(status)


if __name__ == "__main__":
    main()
