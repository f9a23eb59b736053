/**
 * Figures from /proc, for the orchestrator and the load generator (node
 * built-ins only): process trees, peak RSS (VmHWM), CPU time of a process
 * tree, and the whole machine's busy time (to tell how much of the cores
 * other processes took during a measurement).
 */
import { readdirSync, readFileSync } from "node:fs";

/** `pid` and all its live descendants. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

export interface ProcMemory {
  pid: number;
  name: string;
  /** Peak resident set (VmHWM), MB. */
  hwmMB: number;
  rssMB: number;
}

/** VmHWM/VmRSS of one process, or undefined if it is gone. */
export function procMemory(pid: number): ProcMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? "?";
    return { pid, name, hwmMB: kb("VmHWM") / 1024, rssMB: kb("VmRSS") / 1024 };
  } catch {
    return undefined;
  }
}

/** Memory of `pid` and its descendants. */
export function treeMemory(pid: number): ProcMemory[] {
  return processTree(pid)
    .map(procMemory)
    .filter((m): m is ProcMemory => m !== undefined);
}

const CLK_TCK = 100; // Linux USER_HZ

/** CPU time (user + system, ms) of `pid` and its live descendants, plus the reaped children they waited for. */
export function treeCpuMs(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // fields after ")": state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // gone
    }
  }
  return (ticks * 1000) / CLK_TCK;
}

/**
 * Busy and total CPU time of the whole machine so far, ms summed over cores
 * (the `cpu` line of /proc/stat); `irqMs` is the part spent in hard and soft
 * interrupts (loopback TCP processing lands there, charged to no process).
 */
export function machineCpuMs(): { busyMs: number; totalMs: number; irqMs: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal (guest time is already in user)
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const irq = (f[5] ?? 0) + (f[6] ?? 0);
  const ms = (ticks: number): number => (ticks * 1000) / CLK_TCK;
  return { busyMs: ms(total - idle), totalMs: ms(total), irqMs: ms(irq) };
}
