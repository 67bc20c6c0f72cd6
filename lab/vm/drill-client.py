#!/usr/bin/env python3
# The client side of the vm-tier kernel-client drill: workloads on an NFS mount through the
# VIP, each logging every operation (start, end, ok or errno) as JSON lines, until a stop file
# appears. Run on the client guest:
#   drill-client.py <dir on the NFS mount> <local log dir>
# Workloads (one thread each, one operation every ~0.2 s):
#   holder  one file opened once; write a line + fsync on the same descriptor
#   reopen  open(O_APPEND) + write a line + fsync + close, each time
#   lister  listdir of the directory + stat of the reopen file
# A line is "<workload> <seq>"; an "ok" write was acknowledged (write and fsync returned).
import errno
import json
import os
import sys
import threading
import time

d, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
stop = os.path.join(out, 'stop')
PERIOD = 0.2


def logger(name):
    f = open(os.path.join(out, f'{name}.jsonl'), 'a', buffering=1)

    def log(seq, t0, ok, err=None):
        rec = {'w': name, 'seq': seq, 't0': round(t0, 3), 't1': round(time.time(), 3), 'ok': ok}
        if err is not None:
            rec['err'] = errno.errorcode.get(err, str(err))
        f.write(json.dumps(rec) + '\n')

    return log


def paced(fn):
    seq = 0
    while not os.path.exists(stop):
        t0 = time.time()
        fn(seq, t0)
        seq += 1
        time.sleep(max(0.0, PERIOD - (time.time() - t0)))


def holder():
    log = logger('holder')
    fd = os.open(os.path.join(d, 'holder.log'), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def op(seq, t0):
        try:
            os.write(fd, f'holder {seq}\n'.encode())
            os.fsync(fd)
            log(seq, t0, True)
        except OSError as e:
            log(seq, t0, False, e.errno)

    paced(op)


def reopen():
    log = logger('reopen')

    def op(seq, t0):
        try:
            fd = os.open(os.path.join(d, 'reopen.log'), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, f'reopen {seq}\n'.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            log(seq, t0, True)
        except OSError as e:
            log(seq, t0, False, e.errno)

    paced(op)


def lister():
    log = logger('lister')

    def op(seq, t0):
        try:
            os.listdir(d)
            os.stat(os.path.join(d, 'reopen.log'))
            log(seq, t0, True)
        except OSError as e:
            log(seq, t0, False, e.errno)

    paced(op)


os.makedirs(d, exist_ok=True)
threads = [threading.Thread(target=t, daemon=True) for t in (holder, reopen, lister)]
for t in threads:
    t.start()
with open(os.path.join(out, 'started'), 'w') as f:
    f.write(str(time.time()))
# a workload stuck in a hard-mount wait does not keep the drill from ending
while not os.path.exists(stop):
    time.sleep(0.2)
for t in threads:
    t.join(timeout=5)
