"""Peer benchmark driver (run by run.sh, never by CI): for each system, N tasks each doing one
INCR are enqueued with the system's own client, then its worker starts and drains them, on the
same private redis-server (FLUSHALL between runs). Medians of RUNS runs. Prints one table and
writes an SVG bar chart.

Measured per run, from INFO before the enqueue to the moment the counter reaches N:
- jobs/s: the drain, from the first INCR seen to the last (worker start-up left out);
- Redis CPU µs/job: used_cpu_user + used_cpu_sys (INFO cpu) over enqueue + drain, / N;
- commands/job: total_commands_processed (INFO stats; a script call counts once) over the same
  span, less this driver's own polls, / N.
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid

import redis

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "peers:counter"
SYSTEMS = ["confq", "celery", "rq", "arq", "bullmq"]
CONCURRENCY = 16  # tasks in flight for the single-process async workers
PROCESSES = 2  # worker processes for the forking ones (one per core)


def server_figures(r):
    cpu = r.info("cpu")
    stats = r.info("stats")
    return cpu["used_cpu_user"] + cpu["used_cpu_sys"], stats["total_commands_processed"]


def enqueue(system, n, env, r):
    if system == "confq":
        # confq's wire format (docs/contract.md): a JSON envelope LPUSHed onto the queue's list.
        pipe = r.pipeline(transaction=False)
        for i in range(n):
            envelope = {"v": 1, "id": str(uuid.uuid4()), "task": "example.incr", "args": {"key": KEY}}
            pipe.lpush("confq:{ingest}:pending", json.dumps(envelope))
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
    elif system == "bullmq":
        subprocess.run(["node", "bullmq.mjs", "enqueue", str(n), KEY], env=env, check=True,
                       cwd=env["PEERS_NODE_DIR"])
    else:
        python = os.path.join(env["PEERS_SCRATCH"], f"venv-{system}", "bin", "python")
        subprocess.run([python, os.path.join(HERE, "enqueue.py"), system, str(n), KEY], env=env, check=True)


def bin_dir(env, system):
    return os.path.join(env["PEERS_SCRATCH"], f"venv-{system}", "bin")


def workers(system, env):
    def spawn(args, cwd=HERE):
        return subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    if system == "confq":
        return [spawn([env["PEERS_CONFQ_WORKER"], "--concurrency", str(CONCURRENCY)])]
    if system == "celery":
        return [spawn([os.path.join(bin_dir(env, "celery"), "celery"), "-A", "celery_app", "worker", "-P", "prefork",
                       "-c", str(PROCESSES), "--without-heartbeat", "--without-gossip", "--without-mingle"])]
    if system == "rq":
        return [spawn([os.path.join(bin_dir(env, "rq"), "rq"), "worker", "-u", env["PEERS_REDIS_URL"], "peers"])
                for _ in range(PROCESSES)]
    if system == "arq":
        return [spawn([os.path.join(bin_dir(env, "arq"), "arq"), "arq_worker.WorkerSettings"])]
    if system == "bullmq":
        return [spawn(["node", "bullmq.mjs", "work"], cwd=env["PEERS_NODE_DIR"])]
    raise ValueError(system)


def stop(processes):
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def one_run(system, n, r, env, limit):
    r.flushall()
    time.sleep(0.2)
    cpu0, commands0 = server_figures(r)
    enqueue(system, n, env, r)
    processes = workers(system, env)
    polls = 0
    began = time.monotonic()
    first = None
    try:
        while True:
            count = int(r.get(KEY) or 0)
            polls += 1
            now = time.monotonic()
            if count and first is None:
                first = (now, count)
            if count >= n:
                break
            if now - began > limit:
                raise RuntimeError(f"{system}: {count} of {n} tasks done after {limit} s")
            if any(process.poll() is not None for process in processes):
                raise RuntimeError(f"{system}: a worker exited early")
            time.sleep(0.005)
        cpu1, commands1 = server_figures(r)
    finally:
        stop(processes)
    drained = now - first[0]
    rate = (n - first[1]) / drained if drained > 0 else float("nan")
    return {
        "jobs_per_s": rate,
        "cpu_us_per_job": (cpu1 - cpu0) * 1e6 / n,
        "commands_per_job": (commands1 - commands0 - polls - 2) / n,
    }


def medians(runs):
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def table(results, n, runs):
    confq = results.get("confq")
    lines = [
        f"N = {n} tasks (one INCR each), medians of {runs} runs",
        "| system | jobs/s | Redis CPU µs/job | Redis commands/job | confq jobs/s ÷ system's | system's CPU/job ÷ confq's |",
        "|---|---|---|---|---|---|",
    ]
    for system, figures in results.items():
        ratio = cpu_ratio = "—"
        if confq and system != "confq":
            ratio = f"{confq['jobs_per_s'] / figures['jobs_per_s']:.2f}×"
            cpu_ratio = f"{figures['cpu_us_per_job'] / confq['cpu_us_per_job']:.2f}×"
        lines.append(
            f"| {system} | {figures['jobs_per_s']:,.0f} | {figures['cpu_us_per_job']:.1f} | "
            f"{figures['commands_per_job']:.1f} | {ratio} | {cpu_ratio} |"
        )
    return "\n".join(lines)


def svg(results, title):
    """Two horizontal bar panels: jobs/s and Redis CPU µs per job."""
    systems = list(results)
    row, left, width = 26, 90, 300
    panels = [("jobs/s (more is better)", "jobs_per_s", "#3b7dd8", "{:,.0f}"),
              ("Redis CPU µs per job (less is better)", "cpu_us_per_job", "#d8843b", "{:.1f}")]
    height = 40 + len(panels) * (30 + row * len(systems))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 120}" height="{height}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="100%" height="100%" fill="white"/>',
             f'<text x="8" y="20" font-size="14" font-weight="bold">{title}</text>']
    y = 40
    for label, key, colour, fmt in panels:
        parts.append(f'<text x="8" y="{y + 12}" font-weight="bold">{label}</text>')
        y += 22
        top = max(results[s][key] for s in systems) or 1
        for system in systems:
            value = results[system][key]
            bar = max(1, int(width * value / top))
            parts.append(f'<text x="8" y="{y + 14}">{system}</text>')
            parts.append(f'<rect x="{left}" y="{y + 2}" width="{bar}" height="{row - 8}" fill="{colour}"/>')
            parts.append(f'<text x="{left + bar + 6}" y="{y + 14}">{fmt.format(value)}</text>')
            y += row
        y += 8
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--svg", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--limit", type=float, default=600.0)
    args = parser.parse_args()
    env = dict(os.environ)
    r = redis.Redis.from_url(env["PEERS_REDIS_URL"])
    results = {}
    for system in args.systems.split(","):
        runs = []
        for i in range(args.runs):
            figures = one_run(system, args.n, r, env, args.limit)
            print(f"{system} run {i + 1}: {figures['jobs_per_s']:,.0f} jobs/s, "
                  f"{figures['cpu_us_per_job']:.1f} µs CPU/job, {figures['commands_per_job']:.1f} commands/job",
                  flush=True)
            runs.append(figures)
        results[system] = medians(runs)
        results[system]["runs"] = runs
    print()
    print(table(results, args.n, args.runs))
    title = f"One INCR per task, N = {args.n:,}, medians of {args.runs} ({time.strftime('%Y-%m-%d')})"
    with open(args.svg, "w") as out:
        out.write(svg(results, title))
    with open(args.json, "w") as out:
        json.dump({"n": args.n, "runs": args.runs, "date": time.strftime("%Y-%m-%d"),
                   "results": results}, out, indent=1)


if __name__ == "__main__":
    main()
