#!/usr/bin/env node
// Push native confq v1 envelopes from Node.js with ioredis (no confq code needed).
//
//   node enqueue.js sleep 250                    # confq.sleep {"ms": 250}
//   node enqueue.js ingest OBJECT_KEY FILENAME   # ingest.parse_upload {"object", "filename"}
//
// Environment: CONFQ_REDIS_URL (default redis://127.0.0.1:6379), CONFQ_KEY_PREFIX (default confq),
// CONFQ_QUEUE (default ingest). Prints the task id.
'use strict';
const { randomUUID } = require('node:crypto');
const Redis = require('ioredis');

function envelope(task, args) {
  return { v: 1, id: randomUUID(), task, args, attempt: 0, created_at: new Date().toISOString() };
}

async function main(argv) {
  let env;
  if (argv[0] === 'sleep' && argv.length >= 2) {
    env = envelope('confq.sleep', { ms: Number(argv[1]) });
  } else if (argv[0] === 'ingest' && argv.length >= 3) {
    env = envelope('ingest.parse_upload', { object: argv[1], filename: argv[2] });
  } else {
    console.error('usage: enqueue.js sleep MS | enqueue.js ingest OBJECT_KEY FILENAME');
    return 2;
  }
  const prefix = process.env.CONFQ_KEY_PREFIX || 'confq';
  const queue = process.env.CONFQ_QUEUE || 'ingest';
  const redis = new Redis(process.env.CONFQ_REDIS_URL || 'redis://127.0.0.1:6379');
  try {
    // The pending list of queue Q is <prefix>:{Q}:pending (CONTRACT §3).
    await redis.lpush(`${prefix}:{${queue}}:pending`, JSON.stringify(env));
  } finally {
    redis.disconnect();
  }
  console.log(env.id);
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  console.error(`enqueue failed: ${err.message}`);
  process.exit(1);
});
