#!/usr/bin/env python3
"""Chaos: a FullAndIncremental migration survives faults without losing or repeating a change.

The real tidemark-runner migrates a source into a target (both from tidemark-sandbox --control)
while four writers change the source:
  - sysbench oltp_read_write at a steady rate (database sbtest),
  - chaos.dup_rows: no keys, identical rows, FLOAT/DOUBLE columns, UPDATE/DELETE ... LIMIT 1,
  - chaos.uk_only: only a UNIQUE key over nullable columns (rows with a NULL in it repeat),
  - chaos.ddl_t: rows changed while ADD/DROP COLUMN and ADD/DROP INDEX run every few seconds.
At random instants during the copy and during replay one fault strikes, once the previous one
was recovered from (both servers answer):
  runner_kill     SIGKILL the runner
  target_kill     SIGKILL the target server, start it again on its port and data directory
  source_restart  shut the source down cleanly and start it again (its binlog rotates)
  conn_kill       KILL the runner's sessions on the source, the target or both
The runner is restarted whenever it is not running, as its pod would be: plain after a kill or
a crash, with --restart after it exited with a retryable error (exit status 3). Exit status 1
or 2 (the job failed) fails the run unless --tolerate-failed (then it restarts with --restart,
as a user setting spec.restartToken would). At the end the writers stop, replay catches up
(the runner's appliedPosition reaches the source's binlog position), the runner stops on
SIGTERM, and every table of the source is compared with the target's as a multiset of rows
(every column, duplicates counted).

  tests/chaos/chaos.py [--faults N] [--seed S] [--servers mariadb|mysql] [BUILD_DIR]
  (hack/chaos.sh is the same; --help lists the knobs)
To reduce a failure: --kinds runner_kill (one fault kind), --phases copy|replay (faults only
then), --ddl-after-copy (no DDL while the copy runs), fewer --faults; the same seed draws the
same faults and gaps (the writers' interleaving with them is not reproducible to the statement).

Exit status: 0 nothing lost or duplicated, 1 a difference or a failure (the work directory with
every log is kept and named), 77 skipped (sysbench or the server flavor is missing).
"""
import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_RETRYABLE = 0, 1, 2, 3  # runner/cli/commands.h
SKIP = 77
FAULT_KINDS = ("runner_kill", "target_kill", "source_restart", "conn_kill")
RUNNER_USER = "tmchaos"  # the runner's own account, so its sessions can be found and killed
MARIADB = shutil.which("mariadb") or "/usr/bin/mariadb"


class ChaosFailure(Exception):
    """The run failed: the message says what diverged or broke."""


class Log:
    """The harness's timeline: stdout and WORK/chaos.log, each line with seconds since start."""

    def __init__(self, path):
        self.t0 = time.monotonic()
        self.f = open(path, "a", buffering=1)
        self.mu = threading.Lock()

    def __call__(self, msg, quiet=False):
        line = "chaos: [%7.2fs] %s" % (time.monotonic() - self.t0, msg)
        with self.mu:
            self.f.write(line + "\n")
            if not quiet:
                print(line, flush=True)


def sql(port, statement, user="root", timeout=60, database=None, check=True, errors=None):
    """Runs `statement` with the mariadb client; returns its stdout (bytes, tab-separated rows).
    A failure raises ChaosFailure, or with check=False returns None (its message appended to
    `errors` when given)."""
    cmd = [MARIADB, "--protocol=tcp", "-h127.0.0.1", "-P%d" % port, "-u" + user, "-N", "-B", "--quick",
           "--connect-timeout=5"]
    if database:
        cmd.append("-D" + database)
    cmd += ["-e", statement]
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        if errors is not None:
            errors.append("timed out after %ds" % timeout)
        if check:
            raise ChaosFailure("127.0.0.1:%d: statement timed out after %ds: %s" % (port, timeout, statement[:200]))
        return None
    if r.returncode != 0:
        if errors is not None:
            errors.append(r.stderr.decode(errors="replace").strip())
        if check:
            raise ChaosFailure("127.0.0.1:%d: %s: %s" % (port, statement[:200], r.stderr.decode(errors="replace").strip()))
        return None
    return r.stdout


def sql_rows(port, statement, **kw):
    out = sql(port, statement, **kw)
    return [] if out is None else [line.split(b"\t") for line in out.split(b"\n") if line]


class Sandbox:
    """tidemark-sandbox --control: a source and a target it can crash and restart on request."""

    def __init__(self, binary, work, log):
        self.work, self.log = work, log
        self.out = open(os.path.join(work, "sandbox.log"), "w")
        self.proc = subprocess.Popen([binary, "--state-dir", work, "--control"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.out, text=True)
        ready = self.proc.stdout.readline()
        if not ready.startswith("ready"):
            self.proc.wait()
            self.out.flush()
            raise RuntimeError(open(os.path.join(work, "sandbox.log")).read().strip() or "tidemark-sandbox failed")
        self.source_port = int(open(os.path.join(work, "source.port")).read())
        self.target_port = int(open(os.path.join(work, "target.port")).read())
        self.dirs = {s: open(os.path.join(work, s + ".dir")).read().strip() for s in ("source", "target")}
        self.mu = threading.Lock()

    def command(self, line):
        with self.mu:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline().strip()
        if not answer.startswith("ok"):
            raise ChaosFailure("tidemark-sandbox '%s': %s" % (line, answer or "no answer (it exited)"))
        return answer

    def keep_logs(self, into):
        for server, d in self.dirs.items():
            for name in ("error.log", "stdout.log"):
                p = os.path.join(d, name)
                if os.path.exists(p):
                    shutil.copy(p, os.path.join(into, "%s-%s" % (server, name)))

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Runner:
    """tidemark-runner run, restarted whenever it is not running, as the operator restarts its pod."""

    def __init__(self, binary, job, secrets, work, log, tolerate_failed):
        self.binary, self.job, self.secrets, self.work, self.log = binary, job, secrets, work, log
        self.tolerate_failed = tolerate_failed
        self.mu = threading.Lock()
        self.proc = None
        self.incarnation = 0
        self.started_at = 0.0
        self.next_restart_flag = False
        self.backoff = 0.0
        self.killed_by_us = False
        self.replicating = False  # a runner said "replicating ..." (the full copy is done)
        self.copy_done_note = ""
        self.incremental = {}  # the last status.incremental a runner printed
        self.exits = collections.Counter()  # how runners ended: "SIGKILL", "exit 3", ...
        self.failure = None  # why the job failed (exit 1/2 without --tolerate-failed)
        self.stopping = False
        self.thread = None
        self.supervising = False

    def err_path(self, n=None):
        return os.path.join(self.work, "runner-%d.err" % (n or self.incarnation))

    def _start(self):
        self.incarnation += 1
        n = self.incarnation
        args = [self.binary, "run", "-f", self.job, "--secrets-dir", self.secrets, "--output", "json",
                "--skip-precheck"]
        if self.next_restart_flag:
            args.append("--restart")
        err = open(self.err_path(n), "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True)
        err.close()
        self.started_at = time.monotonic()
        self.killed_by_us = False
        self.log("runner #%d started%s (pid %d)" % (n, " with --restart" if self.next_restart_flag else "",
                                                    self.proc.pid), quiet=n > 1)
        threading.Thread(target=self._read, args=(self.proc, n), daemon=True).start()

    def _read(self, proc, n):
        with open(os.path.join(self.work, "runner-%d.out" % n), "w") as out:
            for line in proc.stdout:
                out.write(line)
                try:
                    j = json.loads(line)
                except ValueError:
                    continue
                note = j.get("note", "")
                with self.mu:
                    if note.startswith("replicating"):
                        self.replicating = True
                    elif note.startswith("full copy done"):
                        self.copy_done_note = note
                    elif j.get("block") == "incremental" and isinstance(j.get("status"), dict):
                        self.incremental = j["status"]

    def last_error_line(self, n=None):
        try:
            lines = [l for l in open(self.err_path(n)).read().splitlines() if l.strip()]
        except OSError:
            return ""
        return lines[-1] if lines else ""

    def _on_exit(self, code):
        n = self.incarnation
        ran = time.monotonic() - self.started_at
        how = "SIGKILL" if code == -signal.SIGKILL else ("signal %d" % -code if code < 0 else "exit %d" % code)
        self.exits[how] += 1
        self.proc = None
        if code < 0:
            # Killed or crashed: the pod restarts with the same arguments.
            self.backoff = 0.2 if self.killed_by_us else 1.0
            if not self.killed_by_us:
                self.log("runner #%d died of %s: %s" % (n, how, self.last_error_line(n)))
            return
        self.log("runner #%d ended with %s after %.1fs: %s" % (n, how, ran, self.last_error_line(n)),
                 quiet=code == EXIT_RETRYABLE)
        if code == EXIT_RETRYABLE:
            self.next_restart_flag = True
            # The operator's exponential backoff, short: a retry that works resets it.
            self.backoff = 0.5 if ran > 20 else min(max(self.backoff * 2, 0.5), 4.0)
        elif code == EXIT_OK:
            # `run` of a FullAndIncremental job returns 0 only when asked to stop.
            self.next_restart_flag = False
            self.backoff = 0.5
        else:
            if not self.tolerate_failed:
                self.failure = "runner #%d failed with %s (the job would be Failed): %s" % (
                    n, how, self.last_error_line(n))
                return
            self.log("--tolerate-failed: restarting with --restart, as a new spec.restartToken would")
            self.next_restart_flag = True
            self.backoff = 1.0

    def _supervise(self):
        while self.supervising:
            with self.mu:
                if self.proc is not None:
                    code = self.proc.poll()
                    if code is not None and not self.stopping:
                        self._on_exit(code)
                        self.restart_due = time.monotonic() + self.backoff
                elif self.failure is None and not self.stopping and time.monotonic() >= self.restart_due:
                    self._start()
            time.sleep(0.05)

    def start(self):
        with self.mu:
            self._start()
        self.supervising = True
        self.restart_due = 0.0
        self.thread = threading.Thread(target=self._supervise, daemon=True)
        self.thread.start()

    def running(self):
        with self.mu:
            return self.proc is not None and self.proc.poll() is None

    def wait_running(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.failure:
                raise ChaosFailure(self.failure)
            if self.running() and time.monotonic() - self.started_at > 0.3:
                return True
            time.sleep(0.05)
        return False

    def kill(self):
        with self.mu:
            if self.proc is None or self.proc.poll() is not None:
                return False
            self.killed_by_us = True
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            return True

    def stop(self):
        """SIGTERM, as a pod's deletion; returns the exit status of the last runner."""
        with self.mu:
            self.stopping = True
            proc = self.proc
        self.supervising = False
        if self.thread:
            self.thread.join()
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                return proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise ChaosFailure("runner #%d did not stop within 120 s of SIGTERM" % self.incarnation)
        return proc.returncode


class Writers:
    """The source's load: sysbench plus the chaos tables' writers, each surviving source restarts."""

    def __init__(self, args, sandbox, work, log, seed):
        self.args, self.sb, self.work, self.log = args, sandbox, work, log
        self.port = sandbox.source_port
        self.seed = seed
        self.stop_flag = threading.Event()
        self.threads = []
        self.counts = collections.Counter()
        self.errors = collections.Counter()
        self.mu = threading.Lock()
        self.sysbench = None
        self.ddl_gate = lambda: True  # --ddl-after-copy: no DDL until replay runs
        self.ddl_log = open(os.path.join(work, "ddl.log"), "w", buffering=1)
        self.error_log = open(os.path.join(work, "writer-errors.log"), "w", buffering=1)

    # --- data set -----------------------------------------------------------------------
    def sysbench_args(self):
        return ["sysbench", "oltp_read_write", "--db-driver=mysql", "--mysql-host=127.0.0.1",
                "--mysql-port=%d" % self.port, "--mysql-user=root", "--mysql-db=sbtest",
                "--tables=%d" % self.args.tables, "--table-size=%d" % self.args.table_size]

    def prepare(self):
        sql(self.port, "CREATE DATABASE sbtest; CREATE DATABASE chaos")
        with open(os.path.join(self.work, "sysbench-prepare.log"), "w") as f:
            subprocess.run(self.sysbench_args() + ["--threads=%d" % min(self.args.tables, 4), "prepare"],
                           stdout=f, stderr=subprocess.STDOUT, check=True)
        sql(self.port, """
            CREATE TABLE dup_rows (a INT, b VARCHAR(8), c DOUBLE, d DOUBLE NULL, e FLOAT NULL) ENGINE=InnoDB;
            CREATE TABLE uk_only (u1 INT NULL, u2 VARCHAR(10) NULL, v INT NULL, w DOUBLE NULL,
                                  UNIQUE KEY uk (u1, u2)) ENGINE=InnoDB;
            CREATE TABLE ddl_t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL, s VARCHAR(32)) ENGINE=InnoDB;
        """, database="chaos")
        rng = random.Random(self.seed)
        for start in range(0, self.args.keyless_rows, 500):
            rows = []
            for _ in range(min(500, self.args.keyless_rows - start)):
                row = self.dup_row(rng)
                rows += [row] * rng.choice((1, 1, 2, 3))
            sql(self.port, "INSERT INTO dup_rows VALUES " + ",".join(rows), database="chaos")
        for start in range(0, self.args.keyless_rows // 4, 500):
            rows = [self.uk_row(rng) for _ in range(500)]
            sql(self.port, "INSERT IGNORE INTO uk_only VALUES " + ",".join(rows), database="chaos")
            rows = ["(%d, 'row %d')" % (rng.randrange(1000), start + i) for i in range(500)]
            sql(self.port, "INSERT INTO ddl_t (v, s) VALUES " + ",".join(rows), database="chaos")

    # Values whose printed forms are long (1/3, 0.1+0.2) or tiny, so a row matched by a rounded
    # double picks the wrong duplicate.
    DOUBLES = ("1/3e0", "2/3e0", "0.1e0+0.2e0", "1e0", "-2.5e-7", "1e300", "123456.789e0", "7/9e0")

    def dup_row(self, rng):
        c = rng.choice(self.DOUBLES)
        d = rng.choice(("NULL", "(%s)*3" % c, "1/7e0"))
        e = rng.choice(("NULL", "0.1", "1/3", "2.5"))
        return "(%d, '%s', %s, %s, %s)" % (rng.randrange(1, 6), rng.choice("xyz"), c, d, e)

    def uk_row(self, rng):
        u2 = rng.choice(("NULL", "NULL", "'a'", "'b'", "'c'"))
        return "(%s, %s, %d, %s)" % (rng.choice(("NULL",) + tuple(str(i) for i in range(1, 400))), u2,
                                     rng.randrange(100), rng.choice(("NULL", "1/3e0", "0.1e0+0.2e0")))

    # --- one writer per table -------------------------------------------------------------
    def dup_ops(self, rng):
        a, b = rng.randrange(1, 6), rng.choice("xyz")
        r = rng.random()
        if r < 0.35:
            row = self.dup_row(rng)
            return "INSERT INTO dup_rows VALUES " + ",".join([row] * rng.choice((1, 2, 3)))
        if r < 0.55:
            return "UPDATE dup_rows SET c = c + 10 WHERE a = %d AND c > 0.5 AND c < 0.9 LIMIT 1" % a
        if r < 0.7:
            return "UPDATE dup_rows SET d = c / 7, e = e * 2 WHERE a = %d AND b = '%s' LIMIT 1" % (a, b)
        if r < 0.8:
            return "UPDATE dup_rows SET b = '%s' WHERE a = %d AND c = %s LIMIT 2" % (
                rng.choice("xyz"), a, rng.choice(self.DOUBLES))
        return "DELETE FROM dup_rows WHERE a = %d AND b = '%s' LIMIT 1" % (a, b)

    def uk_ops(self, rng):
        u1 = rng.randrange(1, 400)
        r = rng.random()
        if r < 0.3:
            return "INSERT INTO uk_only VALUES %s ON DUPLICATE KEY UPDATE v = v + 1" % self.uk_row(rng)
        if r < 0.45:
            return "UPDATE uk_only SET v = v + 1, w = w / 3 WHERE u1 = %d LIMIT 1" % u1
        if r < 0.55:
            return "UPDATE uk_only SET u2 = NULL WHERE u1 = %d AND u2 IS NOT NULL LIMIT 1" % u1
        if r < 0.65:
            return "UPDATE uk_only SET u2 = '%s' WHERE u1 = %d AND u2 IS NULL LIMIT 1" % (rng.choice("abc"), u1)
        if r < 0.75:
            return "UPDATE uk_only SET v = v - 1 WHERE u1 IS NULL LIMIT 1"
        if r < 0.85:
            return "REPLACE INTO uk_only VALUES %s" % self.uk_row(rng)
        return "DELETE FROM uk_only WHERE u1 = %d LIMIT 1" % u1

    def ddl_t_ops(self, rng):
        r = rng.random()
        if r < 0.4:
            self.ddl_t_max_id += 1
            return "INSERT INTO ddl_t (v, s) VALUES (%d, 'w%d')" % (rng.randrange(1000), rng.randrange(10 ** 6))
        top = self.ddl_t_max_id
        if r < 0.8:
            return "UPDATE ddl_t SET v = v + 1, s = CONCAT(LEFT(s, 20), 'u') WHERE id = %d" % rng.randint(1, top)
        return "DELETE FROM ddl_t WHERE id = %d" % rng.randint(1, top)

    def ddl_statement(self, rng):
        cols = [r[0].decode() for r in sql_rows(self.port, "SELECT COLUMN_NAME FROM information_schema.COLUMNS "
                                                "WHERE TABLE_SCHEMA='chaos' AND TABLE_NAME='ddl_t'")]
        idx = {r[0].decode() for r in sql_rows(self.port, "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS "
                                               "WHERE TABLE_SCHEMA='chaos' AND TABLE_NAME='ddl_t'")}
        extra = [c for c in cols if c.startswith("x")]
        choices = []
        if len(extra) < 3:
            self.ddl_counter += 1
            n = self.ddl_counter
            choices.append("ALTER TABLE ddl_t ADD COLUMN x%d INT NOT NULL DEFAULT %d" % (n, n))
        if extra:
            choices.append("ALTER TABLE ddl_t DROP COLUMN %s" % rng.choice(extra))
        if "ix_v" in idx:
            choices.append("ALTER TABLE ddl_t DROP INDEX ix_v")
        else:
            choices.append("ALTER TABLE ddl_t ADD INDEX ix_v (v)")
        if extra:
            x = rng.choice(extra)
            if "ix_" + x in idx:
                choices.append("DROP INDEX ix_%s ON ddl_t" % x)
            else:
                choices.append("CREATE INDEX ix_%s ON ddl_t (%s, v)" % (x, x))
        return rng.choice(choices)

    def _loop(self, name, rng, make, per_second):
        while not self.stop_flag.is_set():
            if name == "ddl" and not self.ddl_gate():
                self.stop_flag.wait(0.2)
                continue
            try:
                statement = make(rng)
            except ChaosFailure:  # the source is restarting
                self.stop_flag.wait(0.3)
                continue
            err = []
            ok = sql(self.port, statement, database="chaos", check=False, timeout=30, errors=err) is not None
            with self.mu:
                self.counts[name] += 1
                if not ok:
                    self.errors[name] += 1
                    self.error_log.write("%s: %s: %s\n" % (name, statement[:120], " ".join(err)))
            if name == "ddl":
                self.ddl_log.write("%s %s\n" % ("ok " if ok else "ERR", statement))
            self.stop_flag.wait(rng.expovariate(per_second))

    def _sysbench_loop(self):
        out = open(os.path.join(self.work, "sysbench.log"), "a")
        while not self.stop_flag.is_set():
            # Connection errors are ignored (sysbench reconnects); should it still exit, run it again.
            self.sysbench = subprocess.Popen(
                self.sysbench_args() + ["--threads=2", "--rate=%d" % self.args.rate, "--time=0",
                                        "--report-interval=0", "--mysql-ignore-errors=all", "run"],
                stdout=out, stderr=subprocess.STDOUT)
            code = self.sysbench.wait()
            with self.mu:
                self.counts["sysbench runs"] += 1
            if not self.stop_flag.is_set():
                self.log("sysbench exited with %d; running it again" % code, quiet=True)
                self.stop_flag.wait(0.5)

    def start(self):
        self.ddl_counter = 0
        self.ddl_t_max_id = int(sql_rows(self.port, "SELECT COALESCE(MAX(id), 1) FROM chaos.ddl_t")[0][0])
        plan = [("sysbench", None, None, None),
                ("dup_rows", random.Random(self.seed * 7 + 1), self.dup_ops, self.args.writer_rate),
                ("uk_only", random.Random(self.seed * 7 + 2), self.uk_ops, self.args.writer_rate),
                ("ddl_t", random.Random(self.seed * 7 + 3), self.ddl_t_ops, self.args.writer_rate),
                ("ddl", random.Random(self.seed * 7 + 4), self.ddl_statement, 1.0 / self.args.ddl_every)]
        for name, rng, make, rate in plan:
            t = threading.Thread(target=self._sysbench_loop if name == "sysbench" else self._loop,
                                 args=() if name == "sysbench" else (name, rng, make, rate), daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self):
        self.stop_flag.set()
        if self.sysbench and self.sysbench.poll() is None:
            self.sysbench.terminate()
        for t in self.threads:
            t.join(timeout=120)
        if self.sysbench and self.sysbench.poll() is None:
            self.sysbench.kill()


# --- comparison ----------------------------------------------------------------------------
def tables_of(port, databases):
    rows = sql_rows(port, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE='BASE TABLE' "
                          "AND TABLE_SCHEMA IN (%s) ORDER BY 1, 2" % ",".join("'%s'" % d for d in databases))
    return [(r[0].decode(), r[1].decode()) for r in rows]


def columns_of(port, db, table):
    rows = sql_rows(port, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='%s' AND "
                          "TABLE_NAME='%s' ORDER BY ORDINAL_POSITION" % (db, table))
    return [r[0].decode() for r in rows]


def row_multiset(port, db, table, columns):
    """Every row of the table as printed by the server (doubles print exactly: shortest round-trip),
    counted: an order-independent digest that sees a lost and a repeated row alike."""
    out = sql(port, "SELECT %s FROM `%s`.`%s`" % (", ".join("`%s`" % c for c in columns), db, table), timeout=600)
    return collections.Counter(out.split(b"\n")[:-1])


def compare(sandbox, databases):
    """[(table, rows compared)] when equal; raises ChaosFailure naming the first differing table."""
    src, tgt = sandbox.source_port, sandbox.target_port
    s_tables, t_tables = tables_of(src, databases), tables_of(tgt, databases)
    if s_tables != t_tables:
        raise ChaosFailure("the tables differ: only on the source %s, only on the target %s" % (
            sorted(set(s_tables) - set(t_tables)), sorted(set(t_tables) - set(s_tables))))
    report = []
    for db, table in s_tables:
        s_cols, t_cols = columns_of(src, db, table), columns_of(tgt, db, table)
        if s_cols != t_cols:
            raise ChaosFailure("%s.%s: columns differ: source %s, target %s" % (db, table, s_cols, t_cols))
        a, b = row_multiset(src, db, table, s_cols), row_multiset(tgt, db, table, s_cols)
        if a != b:
            lost, extra = a - b, b - a
            def show(c):
                return "; ".join("%dx (%s)" % (n, row.decode(errors="replace").replace("\t", ", "))
                                 for row, n in list(c.items())[:5])
            raise ChaosFailure(
                "%s.%s differs: source %d rows, target %d rows; %d rows missing or too few on the target, "
                "%d extra or repeated there\n  columns: %s\n  missing on the target: %s\n  extra on the target: %s" % (
                    db, table, sum(a.values()), sum(b.values()), sum(lost.values()), sum(extra.values()),
                    ", ".join(s_cols), show(lost) or "-", show(extra) or "-"))
        report.append(("%s.%s" % (db, table), sum(a.values())))
    return report


def source_position(port):
    for statement in ("SHOW BINARY LOG STATUS", "SHOW MASTER STATUS"):
        rows = sql_rows(port, statement, check=False)
        if rows:
            return "%s:%s" % (rows[0][0].decode(), rows[0][1].decode())
    return None


# --- faults --------------------------------------------------------------------------------
def runner_sessions(port):
    return [int(r[0]) for r in sql_rows(port, "SELECT ID FROM information_schema.PROCESSLIST WHERE USER='%s'"
                                              % RUNNER_USER, check=False)]


def wait_servers_up(sandbox, timeout=120):
    deadline = time.monotonic() + timeout
    for port in (sandbox.source_port, sandbox.target_port):
        while sql(port, "SELECT 1", check=False, timeout=10) is None:
            if time.monotonic() > deadline:
                raise ChaosFailure("127.0.0.1:%d does not answer %ds after a fault" % (port, timeout))
            time.sleep(0.2)


def inject(kind, rng, sandbox, runner, log):
    """Strikes one fault; returns a short description once it has been recovered from."""
    if kind == "runner_kill":
        if not runner.wait_running(60):
            raise ChaosFailure("the runner is not running 60 s after its restart")
        runner.kill()
        return "runner #%d SIGKILLed" % runner.incarnation
    if kind == "target_kill":
        sandbox.command("crash target")
        return "target SIGKILLed and started again"
    if kind == "source_restart":
        before = source_position(sandbox.source_port)
        sandbox.command("restart source")
        return "source restarted (binlog %s -> %s)" % (before, source_position(sandbox.source_port))
    # conn_kill: the runner's sessions, as a DBA (or a proxy's failover) would end them.
    where = rng.choice((("source",), ("target",), ("source", "target")))
    for _ in range(100):
        if runner.running() and any(runner_sessions(sandbox.source_port if w == "source" else sandbox.target_port)
                                    for w in where):
            break
        time.sleep(0.1)
    killed = 0
    for w in where:
        port = sandbox.source_port if w == "source" else sandbox.target_port
        for sid in runner_sessions(port):
            if sql(port, "KILL %d" % sid, check=False) is not None:
                killed += 1
    return "killed %d runner sessions on the %s" % (killed, " and the ".join(where))


def phase_of(runner):
    with runner.mu:
        return "replay" if runner.replicating else "copy"


def wait_caught_up(sandbox, runner, log, timeout):
    """Waits until a running runner reports the source's current binlog position as applied."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if runner.failure:
            raise ChaosFailure(runner.failure)
        want = source_position(sandbox.source_port)
        with runner.mu:
            applied = runner.incremental.get("appliedPosition")
        if want and applied == want and runner.running():
            return applied
        if applied != last:
            log("catching up: applied %s, source at %s" % (applied, want), quiet=True)
            last = applied
        time.sleep(0.5)
    return None


def write_job(work, sandbox, flavor, capacity):
    secrets = os.path.join(work, "secrets")
    for name in ("src", "tgt"):
        os.makedirs(os.path.join(secrets, name))
        open(os.path.join(secrets, name, "username"), "w").write(RUNNER_USER)
        open(os.path.join(secrets, name, "password"), "w").write("")
    job = os.path.join(work, "job.yaml")
    open(job, "w").write("""apiVersion: tidemark.dev/v1alpha1
kind: MigrationJob
metadata: {name: chaos}
spec:
  type: FullAndIncremental
  source: {flavor: %s, host: 127.0.0.1, port: %d, credentialsSecret: {name: src}}
  target: {host: 127.0.0.1, port: %d, credentialsSecret: {name: tgt}}
  objects: {include: [{database: sbtest}, {database: chaos}]}
  capacity: %d
  precheck: {ignoreWarnings: true}
""" % (flavor, sandbox.source_port, sandbox.target_port, capacity))
    return job, secrets


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("build", nargs="?", default="build", help="the build directory (default: build)")
    p.add_argument("--faults", type=int, default=30, help="how many faults to strike (default 30)")
    p.add_argument("--seed", type=int, default=None, help="the random seed (default: a new one, printed)")
    p.add_argument("--servers", choices=("mariadb", "mysql"), default=None,
                   help="source and target flavor (default: $TIDEMARK_TEST_SERVERS or mariadb)")
    p.add_argument("--kinds", default=",".join(FAULT_KINDS), help="the fault kinds to draw from, comma-separated")
    p.add_argument("--tables", type=int, default=4, help="sysbench tables (default 4)")
    p.add_argument("--table-size", type=int, default=25000, help="rows per sysbench table (default 25000)")
    p.add_argument("--keyless-rows", type=int, default=8000, help="initial rows of chaos.dup_rows (default 8000)")
    p.add_argument("--rate", type=int, default=40, help="sysbench transactions per second (default 40)")
    p.add_argument("--writer-rate", type=float, default=8, help="statements per second per chaos table (default 8)")
    p.add_argument("--ddl-every", type=float, default=4, help="seconds between DDL statements on chaos.ddl_t (default 4)")
    p.add_argument("--gap", type=float, nargs=2, default=(1.0, 4.0), metavar=("MIN", "MAX"),
                   help="seconds from one recovery to the next fault during replay (default 1 4)")
    p.add_argument("--copy-gap", type=float, nargs=2, default=(0.3, 1.5), metavar=("MIN", "MAX"),
                   help="the same during the full copy (default 0.3 1.5)")
    p.add_argument("--phases", default="copy,replay",
                   help="when faults strike: copy, replay or both (default copy,replay)")
    p.add_argument("--ddl-after-copy", action="store_true",
                   help="no DDL on chaos.ddl_t until the full copy is done (DDL starts with the load otherwise)")
    p.add_argument("--capacity", type=int, default=2, help="spec.capacity (replay workers; default 2)")
    p.add_argument("--catch-up-timeout", type=float, default=300, help="seconds replay may take to catch up")
    p.add_argument("--tolerate-failed", action="store_true",
                   help="restart a failed runner (exit 1/2) with --restart instead of failing the run")
    p.add_argument("--keep", action="store_true", help="keep the work directory after a passing run")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if args.servers:
        os.environ["TIDEMARK_TEST_SERVERS"] = args.servers
    flavor_key = os.environ.get("TIDEMARK_TEST_SERVERS", "mariadb").split(",")[0] or "mariadb"
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10 ** 6)
    kinds = [k for k in args.kinds.split(",") if k]
    if not set(args.phases.split(",")) <= {"copy", "replay"} or not args.phases:
        print("chaos: --phases takes copy, replay or copy,replay", file=sys.stderr)
        return 2
    if not kinds or any(k not in FAULT_KINDS for k in kinds):
        print("chaos: --kinds takes some of %s" % ",".join(FAULT_KINDS), file=sys.stderr)
        return 2
    print("chaos: seed=%d faults=%d servers=%s kinds=%s" % (seed, args.faults, flavor_key, ",".join(kinds)), flush=True)
    print("chaos: rerun with: hack/chaos.sh --faults %d --seed %d --servers %s %s" % (
        args.faults, seed, flavor_key, args.build), flush=True)
    build = os.path.abspath(args.build)
    runner_bin = os.path.join(build, "runner", "cli", "tidemark-runner")
    sandbox_bin = os.path.join(build, "tests", "support", "tidemark-sandbox")
    for f in (runner_bin, sandbox_bin):
        if not os.access(f, os.X_OK):
            print("chaos: %s is missing (build tidemark-runner and tidemark-sandbox)" % f, file=sys.stderr)
            return 2
    if not shutil.which("sysbench"):
        print("chaos: skipped: sysbench is missing (hack/install-deps.sh installs it)")
        return SKIP

    work = tempfile.mkdtemp(prefix="tidemark-chaos-%s-%d-" % (flavor_key, seed))
    log = Log(os.path.join(work, "chaos.log"))
    log("work directory %s" % work)
    try:
        sandbox = Sandbox(sandbox_bin, work, log)
    except RuntimeError as e:
        if "cannot start a MySQL server" in str(e):
            print("chaos: skipped: %s" % str(e).splitlines()[-1])
            shutil.rmtree(work, ignore_errors=True)
            return SKIP
        print("chaos: the sandbox did not start: %s" % e, file=sys.stderr)
        return 1
    writers = runner = None
    ok = False
    try:
        flavor = "MariaDB" if b"mariadb" in sql(sandbox.source_port, "SELECT VERSION()").lower() else "MySQL"
        log("source and target: %s %s" % (flavor, sql(sandbox.source_port, "SELECT VERSION()").decode().strip()))
        for port in (sandbox.source_port, sandbox.target_port):
            sql(port, "CREATE USER '%s'@'%%' IDENTIFIED BY ''; GRANT ALL PRIVILEGES ON *.* TO '%s'@'%%' "
                      "WITH GRANT OPTION" % (RUNNER_USER, RUNNER_USER))
        writers = Writers(args, sandbox, work, log, seed)
        writers.prepare()
        job, secrets = write_job(work, sandbox, flavor, args.capacity)
        log("data set ready: sysbench %dx%d rows, chaos.dup_rows ~%d rows; load starts" % (
            args.tables, args.table_size, args.keyless_rows * 7 // 4))
        writers.start()
        time.sleep(1)
        # The operator runs the precheck in a pod of its own, then `run --skip-precheck` pods.
        pre = subprocess.run([runner_bin, "precheck", "-f", job, "--secrets-dir", secrets, "--output", "json"],
                             stdout=open(os.path.join(work, "precheck.json"), "w"), stderr=subprocess.PIPE, text=True)
        if pre.returncode != 0:
            raise ChaosFailure("the precheck refused the job (exit %d): %s; see %s/precheck.json" % (
                pre.returncode, pre.stderr.strip(), work))
        runner = Runner(runner_bin, job, secrets, work, log, args.tolerate_failed)
        if args.ddl_after_copy:
            writers.ddl_gate = lambda: runner.replicating
        runner.start()

        rng = random.Random(seed)
        survived = collections.Counter()
        by_phase = collections.Counter()
        phases = set(args.phases.split(","))
        for i in range(1, args.faults + 1):
            phase = phase_of(runner)
            if phase not in phases:
                if phase == "replay":
                    log("the full copy is done; --phases %s strikes no more faults" % args.phases)
                    break
                while phase_of(runner) == "copy":  # --phases replay: wait for the copy to end
                    if runner.failure:
                        raise ChaosFailure(runner.failure)
                    time.sleep(0.1)
                phase = "replay"
            gap = rng.uniform(*(args.copy_gap if phase == "copy" else args.gap))
            kind = rng.choice(kinds)
            deadline = time.monotonic() + gap
            while time.monotonic() < deadline:
                if runner.failure:
                    raise ChaosFailure(runner.failure)
                time.sleep(0.05)
            phase = phase_of(runner)
            struck = time.monotonic()
            what = inject(kind, rng, sandbox, runner, log)
            wait_servers_up(sandbox)
            what += " (%.1fs)" % (time.monotonic() - struck)
            survived[kind] += 1
            by_phase[phase] += 1
            log("fault %d/%d %-14s during %-6s %s" % (i, args.faults, kind, phase, what))
        log("faults done; replay runs on under the load for 5 s")
        time.sleep(5)
        writers.stop()
        with writers.mu:
            log("load stopped: %s statements (%s failed, mostly while the source restarted)" % (
                dict(writers.counts), dict(writers.errors)))
        if not runner.replicating:
            log("the full copy is still running; waiting for replay")
        applied = wait_caught_up(sandbox, runner, log, args.catch_up_timeout)
        if applied is None:
            with runner.mu:
                inc = dict(runner.incremental)
            raise ChaosFailure("replay did not catch up within %ds: source at %s, runner status %s" % (
                args.catch_up_timeout, source_position(sandbox.source_port), json.dumps(inc)))
        log("replay caught up at %s" % applied)
        databases = ("sbtest", "chaos")
        # While the runner still runs, then after it stopped: equal both times.
        compare(sandbox, databases)
        code = runner.stop()
        log("runner #%d stopped on SIGTERM with exit %s" % (runner.incarnation, code))
        if code != EXIT_OK:
            raise ChaosFailure("runner #%d exited %s on SIGTERM (expected 0): %s" % (
                runner.incarnation, code, runner.last_error_line()))
        if source_position(sandbox.source_port) != applied:
            raise ChaosFailure("the source's binlog moved after the load stopped")
        report = compare(sandbox, databases)
        total = sum(n for _, n in report)
        for table, n in report:
            log("  %-22s %8d rows equal" % (table, n))
        print("chaos: SUMMARY seed=%d servers=%s faults=%d: %s" % (
            seed, flavor_key, sum(survived.values()),
            ", ".join("%s %d" % (k, survived[k]) for k in FAULT_KINDS if survived[k])), flush=True)
        print("chaos: SUMMARY faults by phase: %s; runners started %d, ended by %s" % (
            ", ".join("%s %d" % kv for kv in sorted(by_phase.items())), runner.incarnation,
            dict(runner.exits)), flush=True)
        print("chaos: SUMMARY %d tables, %d rows compared row for row (duplicates counted): "
              "nothing lost or duplicated" % (len(report), total), flush=True)
        ok = True
        return 0
    except ChaosFailure as e:
        print("chaos: FAILED seed=%d servers=%s: %s" % (seed, flavor_key, e), file=sys.stderr, flush=True)
        return 1
    finally:
        if writers:
            writers.stop()
        if runner:
            try:
                runner.stop()
            except ChaosFailure:
                pass
        if not ok or args.keep:
            sandbox.keep_logs(work)
        sandbox.close()
        if ok and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            if runner and not ok:
                err = runner.err_path()
                print("chaos: last runner's stderr (%s), tail:" % err, file=sys.stderr)
                try:
                    for line in open(err).read().splitlines()[-15:]:
                        print("  " + line, file=sys.stderr)
                except OSError:
                    pass
            print("chaos: logs kept in %s (chaos.log, runner-N.out/.err, ddl.log, sysbench.log, "
                  "source-/target-error.log)" % work, file=sys.stderr if not ok else sys.stdout, flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
