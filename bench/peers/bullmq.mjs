// BullMQ side of the peer benchmark: `node bullmq.mjs enqueue N KEY` adds N jobs (addBulk, 1,000
// at a time); `node bullmq.mjs work` runs a Worker whose processor does one INCR.
import { Queue, Worker } from "bullmq";
import IORedis from "ioredis";

const url = new URL(process.env.PEERS_REDIS_URL);
const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null };
const [mode, n, key] = process.argv.slice(2);

if (mode === "enqueue") {
  const queue = new Queue("peers", { connection });
  for (let done = 0; done < Number(n); done += 1000) {
    const size = Math.min(1000, Number(n) - done);
    const jobs = Array.from({ length: size }, () => ({
      name: "incr",
      data: { key },
      opts: { removeOnComplete: true, removeOnFail: true },
    }));
    await queue.addBulk(jobs);
  }
  await queue.close();
} else {
  const redis = new IORedis(process.env.PEERS_REDIS_URL);
  const worker = new Worker("peers", async (job) => { await redis.incr(job.data.key); }, {
    connection,
    concurrency: Number(process.env.PEERS_CONCURRENCY || 16),
  });
  const stop = async () => { await worker.close(); await redis.quit(); process.exit(0); };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
