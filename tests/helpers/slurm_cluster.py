"""A real one-node SLURM cluster in a temporary folder (shared/DESIGN.md's recipe): its own
munge key and socket, its own ports, node address 127.0.0.1, so it cannot meet another
cluster on this machine. Needs root (SlurmUser=root) and Debian's slurm-wlm and munge.

    with Cluster(tmp_path) as cluster:      # sinfo shows the node idle
        subprocess.run(["sbatch", ...], env=cluster.env)
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
# Debian installs the daemons in /usr/sbin, which a non-login shell's PATH (a CI runner's,
# say) may lack: look there too, rather than skip a cluster that is installed
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])

CONF = """\
ClusterName=seqbench
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/log/ctld.log
SlurmdLogFile={root}/log/d.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SchedulerParameters=sched_interval=1
MinJobAge=30
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def missing_programs() -> list[str]:
    """The daemons and clients a cluster needs that this machine lacks."""
    needed = (*DAEMONS, "sbatch", "squeue", "sinfo", "scontrol", "scancel")
    return [name for name in needed if shutil.which(name, path=SEARCH_PATH) is None]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cluster_processes(root: Path) -> list[int]:
    """Processes that belong to the cluster under ``root``: daemons started with its files
    and everything that runs with its SLURM_CONF (job steps, training processes)."""
    marker = str(root).encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            files = [(proc / name).read_bytes() for name in ("cmdline", "environ")]
        except OSError:  # gone meanwhile, or a kernel thread
            continue
        if any(marker in data for data in files):
            found.append(int(proc.name))
    return found


class Cluster:
    """munged + slurmctld + slurmd on 127.0.0.1; :meth:`stop` ends them and every job."""

    def __init__(self, root: Path, cpus: int = 2, memory_mb: int = 8000) -> None:
        self.root = Path(root)
        self.cpus, self.memory_mb = cpus, memory_mb
        self.conf = self.root / "slurm.conf"
        self.munge_socket = self.root / "munge" / "munge.socket"
        self.env = os.environ | {"SLURM_CONF": str(self.conf), "PATH": SEARCH_PATH}
        self.pids: dict[str, int] = {}

    def __enter__(self) -> "Cluster":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        for folder in ("state", "spool", "log", "munge"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        (self.root / "munge").chmod(0o700)
        key = self.root / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        munge = self.root / "munge"
        cmd = ["munged", "--force", f"--key-file={key}", f"--socket={self.munge_socket}"]
        cmd += [f"--{name}-file={munge}/munged.{name}" for name in ("pid", "log", "seed")]
        self._daemon("munged", cmd, munge / "munged.pid")
        self.conf.write_text(CONF.format(
            host=socket.gethostname().split(".")[0], root=self.root, cpus=self.cpus,
            memory_mb=self.memory_mb, munge_socket=self.munge_socket,
            ctld_port=free_port(), d_port=free_port(),
        ))  # fmt: skip
        self._daemon("slurmctld", ["slurmctld", "-f", str(self.conf)], self.root / "slurmctld.pid")
        self._daemon("slurmd", ["slurmd", "-f", str(self.conf)], self.root / "slurmd.pid")
        self.wait_for(lambda: "idle" in self.run("sinfo", "-h", "-o", "%T").stdout, 60, "node idle")

    def _daemon(self, name: str, cmd: list[str], pid_file: Path) -> None:
        subprocess.run(cmd, env=self.env, check=True, capture_output=True, timeout=30)
        self.wait_for(pid_file.is_file, 30, f"{name} pid file")
        self.wait_for(lambda: pid_file.read_text().strip().isdigit(), 5, f"{name} pid")
        self.pids[name] = int(pid_file.read_text())

    def run(self, *cmd: str, check: bool = False) -> subprocess.CompletedProcess:
        """A SLURM client command against this cluster."""
        return subprocess.run(
            cmd, env=self.env, capture_output=True, text=True, timeout=60, check=check
        )

    def jobs(self) -> list[str]:
        """Lines of squeue: job id, state."""
        return self.run("squeue", "-h", "-o", "%i %T").stdout.split("\n")[:-1]

    @staticmethod
    def wait_for(condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise TimeoutError(f"SLURM test cluster: no {what} after {timeout} s")

    def stop(self) -> None:
        """Cancel every job, stop slurmd, slurmctld and munged (in that order) by their pids,
        then kill whatever still runs with this cluster's files (a stray job process)."""
        if "slurmctld" in self.pids:
            self.run("scancel", "--full", "--user=root")
            with contextlib.suppress(TimeoutError, subprocess.TimeoutExpired):
                self.wait_for(lambda: not self.jobs(), 30, "empty queue")
        for name in reversed(DAEMONS):
            pid = self.pids.pop(name, None)
            if pid is not None:
                _terminate(pid)
        for pid in cluster_processes(self.root):
            _terminate(pid)


def _terminate(pid: int, grace: float = 10) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; returns once the process is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while _alive(pid):
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    """Running and not a zombie (a daemon's exited child waits for init to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
