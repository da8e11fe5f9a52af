#!/usr/bin/env python3
"""isolab benchmarks against dpdk-testpmd, on one virtual link, alternated in one run.

  nf   isolab-nf vs testpmd as the NF (io forwarding; mac forwarding vs --mac-rewrite),
       both fed by isolab-gen at its maximum rate.  On a small VM the generator cannot
       saturate a PMD core, so Mpps at the receiver measures the generator; the figure
       that compares the NFs is their cost per packet, which both report from the inside:
       testpmd --record-core-cycles ("CPU cycles/packet", cycles of bursts that received
       packets), isolab-nf busy_cycles / rx (cycles of loop iterations that received
       packets).  Mpps per core = TSC Hz / cycles per packet.  On a shared host a burst
       that is preempted counts the time it was off the CPU, so the whole-run figure
       swings 2x between runs; both NFs are therefore also sampled every 250 ms
       (testpmd through its interactive "show fwd stats all") and compared on the 10th
       percentile of per-window cycles per packet: preemption only ever inflates a
       window, so the low end is the cost of the code.
  gen  isolab-gen (every packet stamped with sequence number and TSC) vs testpmd txonly,
       each alone on the generator CPU sending 64-byte frames as fast as it can into a
       testpmd rxonly sink on the other CPU: Mpps per core.
  nf-ovs
       OVS-DPDK (Debian's openvswitch-switch-dpdk: a private ovsdb-server and vswitchd, a
       netdev bridge, two dpdkvhostuserclient ports, the study's two flows, one PMD on CPU
       1) beside isolab-nf and testpmd (io), the three rotated in each round, fed by
       isolab-gen at its maximum rate.  OVS's cost per packet is its pmd-stats-show
       "processing cycles" over "packets received" (cycles of iterations that received
       packets, as the other two count theirs), sampled every 250 ms.  OVS's ports are
       vhost-user clients, so its generator is a virtio-user server of the sockets; the
       other two have the generator as the vhost-user backend: the same transport,
       reversed roles.
  gen-layout
       isolab-gen against a copy of itself built with the TX lcore's and the RX lcore's
       counters packed on shared cache lines (as before they were split), each with its
       TX lcore on CPU 0 and its RX lcore on CPU 1 (where the sink also runs), as fast as
       it can: what the split is worth, as a ratio split/shared.

Pairs are run A,B then B,A alternately so drift of this shared machine affects both;
ratios are reported with min/median/max over the pairs.  Never trust one absolute
figure here.  Needs root: it reserves 2 MiB hugepages and mounts a private hugetlbfs,
and puts both back however it ends.
"""
import argparse, json, os, queue, re, shutil, signal, statistics, subprocess, sys, tempfile, threading, time

BUILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build")
NR = "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages"
PAGES = 400  # three DPDK processes at -m 256 (128 pages each; OVS: socket-mem 256), and slack


class Env:
    """Hugepages and a private mount for the run; undone in close()."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="isolab-bench-")
        os.chmod(self.dir, 0o700)
        self.huge = os.path.join(self.dir, "huge")
        os.mkdir(self.huge, 0o700)
        self.saved = int(open(NR).read())
        self.mounted = False
        self.prefixes = []
        open(NR, "w").write(str(self.saved + PAGES))
        got = int(open(NR).read()) - self.saved
        if got < PAGES:
            raise SystemExit(f"bench: the kernel granted {got} of {PAGES} 2 MiB pages on node 0")
        subprocess.run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M,mode=0700", "nodev", self.huge], check=True)
        self.mounted = True

    def eal(self, prefix, lcores, vdevs):
        self.prefixes.append(prefix)
        args = ["--lcores", lcores, "--file-prefix", prefix, "--huge-dir", self.huge, "-m", "256",
                "--single-file-segments", "--no-pci", "--log-level", "*:error"]
        for v in vdevs:
            args += ["--vdev", v]
        return args

    def sock(self, name):
        return os.path.join(self.dir, name)

    def close(self):
        if self.mounted:
            subprocess.run(["umount", self.huge])
        open(NR, "w").write(str(self.saved))
        for p in self.prefixes:
            shutil.rmtree(f"/var/run/dpdk/{p}", ignore_errors=True)
        try:
            os.rmdir("/var/run/dpdk")
        except OSError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Agent:
    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def req(self, **o):
        self.p.stdin.write(json.dumps(o) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.p.args[0]} exited ({self.p.wait()})")
        r = json.loads(line)
        if not r.get("ok"):
            raise RuntimeError(r.get("error"))
        return r

    def close(self):
        try:
            self.req(cmd="quit")
        except Exception:
            pass
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def testpmd(env, prefix, lcores, vdevs, args):
    # testpmd's default mbuf pool is sized for 32 ports (hundreds of MB): the next DPDK
    # process of the pair then finds no hugepage memory.  16384 mbufs, as the sweep gives it.
    return subprocess.Popen(["dpdk-testpmd", *env.eal(prefix, lcores, vdevs), "--", *args, "--nb-cores=1", "-a",
                             "--no-mlockall", "--total-num-mbufs=16384"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def alive(p, what):
    """Raises with p's output when p (a testpmd) has already exited."""
    time.sleep(0.5)
    if p.poll() is not None:
        raise RuntimeError(f"{what} exited at once:\n" + p.communicate()[0][-2000:])


def stop(p):
    p.send_signal(signal.SIGINT)
    try:
        return p.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        p.kill()
        return p.communicate()[0]


def p10(values):
    v = sorted(values)
    return v[max(0, int(len(v) * 0.1) - 1)] if v else float("nan")


def windows(samples):
    """Cycles per packet of each window between consecutive (cycles, packets) samples."""
    out = []
    for (c0, p0), (c1, p1) in zip(samples, samples[1:]):
        if p1 - p0 > 10000:
            out.append((c1 - c0) / (p1 - p0))
    return out


class Testpmd:
    """testpmd in interactive mode, so its cumulative cycle counters can be sampled."""

    def __init__(self, env, prefix, vdevs, mode):
        # Line-buffered: testpmd writes to a pipe with stdio, which would hold the
        # counters until it exits.
        self.p = subprocess.Popen(["stdbuf", "-oL", "dpdk-testpmd", *env.eal(prefix, "0@0,1@1", vdevs), "--", "-i",
                                   f"--forward-mode={mode}", "--record-core-cycles", "--nb-cores=1",
                                   "--total-num-mbufs=16384", "--no-mlockall"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.send("start")

    def _read(self):
        for line in self.p.stdout:
            m = re.search(r"total cycles=(\d+) / total \w+ packets=(\d+)\) at (\d+) MHz", line)
            if m:
                self.q.put((int(m.group(1)), int(m.group(2)), int(m.group(3)) * 1e6))

    def send(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()

    def sample(self):
        self.send("show fwd stats all")
        try:
            return self.q.get(timeout=2)
        except queue.Empty:
            return None

    def close(self):
        try:
            self.send("stop")
            self.send("quit")
            self.p.wait(20)
        except Exception:
            self.p.kill()
            self.p.wait()


def nf_once(env, kind, mode, duration, n):
    s0, s1 = env.sock(f"nf{n}-0"), env.sock(f"nf{n}-1")
    gen = Agent([os.path.join(BUILD, "isolab-gen"), *env.eal(f"bench-gen-{n}", "0@0,1@0",
                [f"net_vhost0,iface={s0},queues=1", f"net_vhost1,iface={s1},queues=1"]), "--"])
    vdevs = [f"net_virtio_user0,path={s0},queues=1", f"net_virtio_user1,path={s1},queues=1"]
    result, samples, hz = {}, [], 0
    try:
        gen.req(cmd="hello")
        if kind == "isolab":
            nf = Agent([os.path.join(BUILD, "isolab-nf"), *env.eal(f"bench-nf-{n}", "0@0,1@1", vdevs), "--",
                        *(["--mac-rewrite"] if mode == "mac" else [])])

            def sample():
                st = nf.req(cmd="stats")
                lc = st["lcores"][0]
                return lc["busy_cycles"], lc["rx"], st["tsc_hz"]
        else:
            nf = Testpmd(env, f"bench-tp-{n}", vdevs, mode)
            time.sleep(1.5)
            sample = nf.sample
        try:
            t = threading.Thread(target=lambda: result.update(
                gen.req(cmd="trial", frame_size=64, rate="max", duration=duration)["result"]))
            t.start()
            while t.is_alive():
                got = sample()
                if got:
                    samples.append(got[:2])
                    hz = got[2]
                time.sleep(0.25)
            t.join()
            got = sample()
            if got:
                samples.append(got[:2])
        finally:
            nf.close()
        if kind != "isolab":
            # testpmd's main lcore shares a CPU with busy pollers here and may not answer
            # "show fwd stats" during the trial; its counters at "stop" still give the
            # whole run (cycles of bursts that received packets: the idle time before the
            # trial adds nothing).  Windows then are missing, and the p10 comparison says so.
            final = None
            while not nf.q.empty():
                final = nf.q.get()
            if final and (not samples or final[1] > samples[-1][1]):
                if len(samples) < 2:
                    samples = [samples[0] if samples else (0, 0)]
                samples.append(final[:2])
                hz = final[2]
        if len(samples) < 2 or samples[-1][1] == samples[0][1]:
            return {"mpps_per_core": 0, "mpps_per_core_p10": 0, "rx_mpps": result.get("mpps", 0)}
        cpp = (samples[-1][0] - samples[0][0]) / (samples[-1][1] - samples[0][1])
        w = windows(samples)
        return {"cycles_per_packet": cpp, "mpps_per_core": hz / cpp / 1e6,
                "mpps_per_core_p10": hz / p10(w) / 1e6 if w else 0, "windows": len(w), "rx_mpps": result["mpps"]}
    finally:
        gen.close()


OVS = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"


class Ovs:
    """A private Open vSwitch with DPDK in env's directory: database, vswitchd, bridge br0
    with ports p0/p1 on the generator's virtio-user server sockets s0/s1, and the study's
    two flows.  Never the system's: every path is ours, stopped by pid in close()."""

    def __init__(self, env, n, s0, s1):
        self.dir = env.sock(f"ovs{n}")
        os.mkdir(self.dir, 0o700)
        self.prefix = f"bench-ovs-{n}"
        env.prefixes.append(self.prefix)
        self.db = os.path.join(self.dir, "db.sock")
        self.ctl = os.path.join(self.dir, "vswitchd.ctl")
        self.vs = self.dbpid = None
        self.log = open(os.path.join(self.dir, "ovs-vswitchd.log"), "w+")
        conf = os.path.join(self.dir, "conf.db")
        subprocess.run(["ovsdb-tool", "create", conf, "/usr/share/openvswitch/vswitch.ovsschema"], check=True)
        subprocess.run(["ovsdb-server", conf, f"--remote=punix:{self.db}", f"--pidfile={self.dir}/ovsdb-server.pid",
                        f"--unixctl={self.dir}/ovsdb-server.ctl", f"--log-file={self.dir}/ovsdb-server.log", "--detach",
                        "--no-chdir"], check=True)
        self.dbpid = int(open(f"{self.dir}/ovsdb-server.pid").read())
        self.vsctl("--no-wait", "init")
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                   "other_config:dpdk-socket-mem=256", "other_config:dpdk-socket-limit=256",
                   "other_config:pmd-cpu-mask=0x2", "other_config:dpdk-lcore-mask=0x1",
                   f"other_config:dpdk-extra=--file-prefix={self.prefix} --no-pci --huge-dir={env.huge}")
        self.vs = subprocess.Popen(["env", f"OVS_RUNDIR={self.dir}", OVS, f"unix:{self.db}",
                                    f"--pidfile={self.dir}/ovs-vswitchd.pid", f"--unixctl={self.ctl}", "--no-chdir",
                                    "-vconsole:info", "-vsyslog:off"], stdout=self.log, stderr=subprocess.STDOUT)
        self.vsctl("add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
                   "--", "add-port", "br0", "p0", "--", "set", "Interface", "p0", "type=dpdkvhostuserclient",
                   f"options:vhost-server-path={s0}", "ofport_request=1",
                   "--", "add-port", "br0", "p1", "--", "set", "Interface", "p1", "type=dpdkvhostuserclient",
                   f"options:vhost-server-path={s1}", "ofport_request=2")
        mgmt = os.path.join(self.dir, "br0.mgmt")
        subprocess.run(["ovs-ofctl", "del-flows", mgmt], check=True)
        for flow in ("in_port=1,actions=output:2", "in_port=2,actions=output:1"):
            subprocess.run(["ovs-ofctl", "add-flow", mgmt, flow], check=True)

    def vsctl(self, *args):
        subprocess.run(["ovs-vsctl", "--timeout=20", f"--db=unix:{self.db}", *args], check=True,
                        stdout=subprocess.DEVNULL)

    def appctl(self, *args):
        return subprocess.run(["ovs-appctl", "-t", self.ctl, *args], check=True, capture_output=True, text=True).stdout

    def wait_ports(self, timeout=20.0):
        """OVS reconnects to the generator's sockets once a second."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            out = self.appctl("dpif-netdev/pmd-rxq-show")
            if "port: p0" in out and "port: p1" in out and "disabled" not in out:
                return
            time.sleep(0.1)
        raise RuntimeError("OVS's ports did not come up:\n" + self.appctl("dpif-netdev/pmd-rxq-show"))

    def tsc_hz(self):
        self.log.flush()
        self.log.seek(0)
        m = re.search(r"TSC frequency: (\d+) KHz", self.log.read())
        return int(m.group(1)) * 1e3 if m else 0

    def sample(self):
        out = self.appctl("dpif-netdev/pmd-stats-show")
        m = re.search(r"pmd thread.*?packets received: (\d+).*?processing cycles: (\d+)", out, re.S)
        return (int(m.group(2)), int(m.group(1)), self.tsc_hz()) if m else None

    def close(self):
        if self.vs is not None:
            self.vs.terminate()
            try:
                self.vs.wait(15)
            except subprocess.TimeoutExpired:
                self.vs.kill()
                self.vs.wait()
        if self.dbpid:
            try:
                os.kill(self.dbpid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self.log.close()


def ovs_once(env, duration, n):
    s0, s1 = env.sock(f"ovs{n}-0"), env.sock(f"ovs{n}-1")
    ovs = Ovs(env, n, s0, s1)
    gen = None
    result, samples, hz = {}, [], 0
    try:
        # The generator serves the sockets OVS connects to; its EAL init returns once it has.
        gen = Agent([os.path.join(BUILD, "isolab-gen"), *env.eal(f"bench-ovsgen-{n}", "0@0,1@0",
                    [f"net_virtio_user0,path={s0},queues=1,server=1", f"net_virtio_user1,path={s1},queues=1,server=1"]),
                     "--"])
        gen.req(cmd="hello")
        ovs.wait_ports()
        t = threading.Thread(target=lambda: result.update(
            gen.req(cmd="trial", frame_size=64, rate="max", duration=duration)["result"]))
        t.start()
        while t.is_alive():
            got = ovs.sample()
            if got:
                samples.append(got[:2])
                hz = got[2]
            time.sleep(0.25)
        t.join()
        got = ovs.sample()
        if got:
            samples.append(got[:2])
    finally:
        if gen is not None:
            gen.close()
        ovs.close()
    if len(samples) < 2 or samples[-1][1] == samples[0][1] or not hz:
        return {"mpps_per_core": 0, "mpps_per_core_p10": 0, "rx_mpps": result.get("mpps", 0)}
    cpp = (samples[-1][0] - samples[0][0]) / (samples[-1][1] - samples[0][1])
    w = windows(samples)
    return {"cycles_per_packet": cpp, "mpps_per_core": hz / cpp / 1e6, "mpps_per_core_p10": hz / p10(w) / 1e6 if w else 0,
            "windows": len(w), "rx_mpps": result["mpps"]}


def rotated(name, rounds, kinds, run, key, base="testpmd"):
    """Each round runs every kind once, in an order rotated by one per round; each kind's
    figure as a ratio to base's of the same round, with min/median/max over the rounds."""
    ratios = {k: [] for k in kinds if k != base}
    cpp = {k: [] for k in kinds}
    for i in range(rounds):
        order = kinds[i % len(kinds):] + kinds[:i % len(kinds)]
        got = {k: run(k, i) for k in order}
        if key.endswith("_p10") and not all(got[k][key] for k in kinds):
            # A side without 250 ms windows (testpmd that did not answer during the trial).
            print(f"  round {i + 1}: left out, no windows for " + ", ".join(k for k in kinds if not got[k][key]), flush=True)
            continue
        for k in kinds:
            if not got[k][key]:
                raise SystemExit(f"bench: {name} round {i + 1}: {k} measured nothing ({got[k]}); nothing is compared")
            if "cycles_per_packet" in got[k]:
                cpp[k].append(got[k]["cycles_per_packet"])
        for k in ratios:
            ratios[k].append(got[k][key] / got[base][key])
        print(f"  round {i + 1} ({', '.join(order)}): " +
              "  ".join(f"{k} {got[k][key]:6.2f}" for k in kinds), flush=True)
    for k, r in ratios.items():
        if not r:
            print(f"{name}: {k}/{base} {key}: no round had it", flush=True)
            continue
        print(f"{name}: {k}/{base} {key}: min {min(r):.3f}  median {statistics.median(r):.3f}  max {max(r):.3f}  "
              f"over {len(r)} of {rounds} rounds", flush=True)
    if not key.endswith("_p10"):
        print("  cycles per packet, median over the rounds (whole run): " +
              "  ".join(f"{k} {statistics.median(v):.0f}" for k, v in cpp.items() if v), flush=True)
    print(flush=True)
    return ratios


def wait_for_socket(path, timeout=15.0):
    """A vhost port creates its socket only when started; a virtio-user that comes
    earlier finds nothing to attach to."""
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise RuntimeError(f"{path} did not appear within {timeout} s")
        time.sleep(0.05)


GEN_BINARY = {"isolab": "isolab-gen", "split": "isolab-gen", "shared": os.path.join("bench", "isolab-gen-shared-lines")}


def gen_once(env, kind, duration, n):
    s0 = env.sock(f"gen{n}")
    vhost = [f"net_vhost0,iface={s0},queues=1"]
    if kind in GEN_BINARY:
        # isolab: one worker lcore (TX and RX) on CPU 0; split and shared: TX on CPU 0, RX on CPU 1.
        lcores = "0@0,1@0" if kind == "isolab" else "0@0,1@0,2@1"
        g = Agent([os.path.join(BUILD, GEN_BINARY[kind]), *env.eal(f"bench-g-{n}", lcores, vhost), "--",
                   "--tx-port", "0", "--rx-port", "0"])
    else:
        g = testpmd(env, f"bench-g-{n}", "0@0,1@0", vhost,
                    ["--forward-mode=txonly", "--txpkts=60", "--stats-period", "1"])
    wait_for_socket(s0)
    sink = testpmd(env, f"bench-sink-{n}", "0@0,1@1", [f"net_virtio_user0,path={s0},queues=1"],
                   ["--forward-mode=rxonly", "--stats-period", "3600"])
    try:
        alive(sink, "the rxonly sink")
        if kind in GEN_BINARY:
            g.req(cmd="hello")
            time.sleep(1.5)
            res = g.req(cmd="trial", frame_size=64, rate="max", duration=duration)["result"]
            sent = res["tx"]["sent"]
            out = stop(sink)
            sink = None
            got = sum(int(x) for x in re.findall(r"RX-packets:\s+(\d+)", out.split("Accumulated")[-1])[:1])
            # Cross-check: what the sink counted is what the generator says it sent.
            if got < 0.99 * sent:
                raise RuntimeError(f"the sink received {got} of the {sent} packets {GEN_BINARY[kind]} reports sent")
            return {"mpps_per_core": res["tx"]["pps"] / 1e6, "mpps": res["tx"]["pps"] / 1e6, "sink_rx": got, "sent": sent}
        time.sleep(2.0 + duration)
        out = stop(g)
        g = None
        pps = [int(x) for x in re.findall(r"Tx-pps:\s+(\d+)", out)]
        steady = pps[2:] or pps  # the first periods include the link coming up
        if not steady or statistics.median(steady) == 0:
            raise RuntimeError("testpmd txonly sent nothing:\n" + out[-2000:])
        sent = sum(int(x) for x in re.findall(r"TX-packets:\s+(\d+)", out.split("Accumulated")[-1])[:1])
        sout = stop(sink)
        sink = None
        got = sum(int(x) for x in re.findall(r"RX-packets:\s+(\d+)", sout.split("Accumulated")[-1])[:1])
        # The same cross-check as for isolab-gen: the sink counted what testpmd says it sent.
        if got < 0.99 * sent:
            raise RuntimeError(f"the sink received {got} of the {sent} packets testpmd txonly reports sent")
        return {"mpps_per_core": statistics.median(steady) / 1e6, "sink_rx": got, "sent": sent}
    finally:
        if isinstance(g, Agent):
            g.close()
        elif g is not None:
            stop(g)
        if sink is not None:
            stop(sink)


def compare(name, pairs, fa, fb, key, higher_better=True, labels=("isolab", "testpmd")):
    a, b = labels
    rows, ratios = [], []
    for i in range(pairs):
        order = ((a, fa), (b, fb)) if i % 2 == 0 else ((b, fb), (a, fa))
        got = {k: f(i) for k, f in order}
        if key.endswith("_p10") and (not got[a][key] or not got[b][key]):
            print(f"  pair {i + 1}: left out, no 250 ms windows for " +
                  ", ".join(k for k in (a, b) if not got[k][key]), flush=True)
            continue
        if not got[a][key] or not got[b][key]:
            # A side that measured nothing (a link that never came up) makes the comparison
            # meaningless: the benchmark fails, loudly, rather than report fewer pairs.
            raise SystemExit(f"bench: {name} pair {i + 1}: a side measured nothing ({a} {got[a][key]:.2f}, "
                             f"{b} {got[b][key]:.2f}); nothing is compared")
        ratio = got[a][key] / got[b][key]
        ratios.append(ratio if higher_better else 1 / ratio)
        rows.append((got[a], got[b], ratios[-1]))
        extra = ""
        if "sink_rx" in got[a]:
            extra = (f"  (sink counted {got[a]['sink_rx']} of {got[a]['sent']} sent by {a}, "
                     f"{got[b]['sink_rx']} of {got[b]['sent']} by {b})")
        print(f"  pair {i + 1}: {a} {got[a][key]:8.2f}  {b} {got[b][key]:8.2f}  ratio {ratios[-1]:.3f}" + extra, flush=True)
    if not ratios:
        print(f"{name}: no valid pair\n", flush=True)
        return ratios
    print(f"{name}: {a}/{b} {key}: min {min(ratios):.3f}  median {statistics.median(ratios):.3f}  "
          f"max {max(ratios):.3f}  over {len(ratios)} of {pairs} pairs\n", flush=True)
    return ratios


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--duration", type=float, default=3.0, help="seconds of traffic per run")
    ap.add_argument("what", nargs="*", default=None, help="nf-io, nf-mac, nf-ovs, gen, gen-layout (default: all but "
                    "gen-layout; nf-ovs when Open vSwitch with DPDK is installed)")
    a = ap.parse_args()
    if not a.what:
        a.what = ["nf-io", "nf-mac", "gen"] + (["nf-ovs"] if os.access(OVS, os.X_OK) else [])
        if not os.access(OVS, os.X_OK):
            print(f"bench: nf-ovs left out: {OVS} is missing (make deps installs openvswitch-switch-dpdk)")
    if "nf-ovs" in a.what and not os.access(OVS, os.X_OK):
        raise SystemExit(f"bench: nf-ovs needs {OVS}: make deps installs Debian's openvswitch-switch-dpdk")
    if os.geteuid() != 0:
        raise SystemExit("bench: needs root (hugepages, hugetlbfs mount, DPDK)")
    if shutil.which("dpdk-testpmd") is None:
        raise SystemExit("bench: dpdk-testpmd not found: make deps installs it (Debian package dpdk-dev)")
    env = Env()
    n = [0]

    def seq():
        n[0] += 1
        return n[0]

    try:
        print(f"isolab bench: {a.pairs} pairs, {a.duration} s per run, 64-byte frames, vhost-user <-> virtio-user\n")
        for w in a.what:
            if w in ("nf-io", "nf-mac"):
                mode = w[3:]
                print(f"NF, {mode} forwarding: Mpps per PMD core from cycles per packet (higher is better)")
                runs = {}

                def run(kind, i, mode=mode):
                    key = (kind, i)
                    if key not in runs:
                        runs[key] = nf_once(env, kind, mode, a.duration, seq())
                    return runs[key]
                compare(f"nf-{mode}", a.pairs, lambda i: run("isolab", i), lambda i: run("testpmd", i), "mpps_per_core")
                print("  the same runs, on the 10th percentile of 250 ms windows (robust to preemption):")
                compare(f"nf-{mode}-p10", a.pairs, lambda i: run("isolab", i), lambda i: run("testpmd", i),
                        "mpps_per_core_p10")
            elif w == "nf-ovs":
                print("NF: OVS-DPDK, isolab-nf and testpmd (io), rotated: Mpps per PMD core from cycles per packet "
                      "(higher is better)")
                runs = {}

                def run3(kind, i):
                    key = (kind, i)
                    if key not in runs:
                        runs[key] = ovs_once(env, a.duration, seq()) if kind == "ovs" else \
                            nf_once(env, kind, "io", a.duration, seq())
                    return runs[key]
                kinds = ["ovs", "isolab", "testpmd"]
                rotated("nf-ovs", a.pairs, kinds, run3, "mpps_per_core")
                print("  the same runs, on the 10th percentile of 250 ms windows (robust to preemption):")
                rotated("nf-ovs-p10", a.pairs, kinds, run3, "mpps_per_core_p10")
            elif w == "gen":
                print("generator, 64 B as fast as possible into an rxonly sink: Mpps per core (higher is better)")
                compare("gen", a.pairs, lambda i: gen_once(env, "isolab", a.duration, seq()),
                        lambda i: gen_once(env, "testpmd", a.duration, seq()), "mpps_per_core")
            elif w == "gen-layout":
                print("generator, TX lcore on CPU 0 and RX lcore on CPU 1, counters on lines of their own (split) or "
                      "shared: Mpps sent (higher is better)")
                compare("gen-layout", a.pairs, lambda i: gen_once(env, "split", a.duration, seq()),
                        lambda i: gen_once(env, "shared", a.duration, seq()), "mpps", labels=("split", "shared"))
            else:
                raise SystemExit(f"bench: unknown benchmark {w!r}; use nf-io, nf-mac, nf-ovs, gen or gen-layout")
    finally:
        env.close()


if __name__ == "__main__":
    main()
