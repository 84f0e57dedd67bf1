//! Which tasks are somewhere in a queue: pending, processing, delayed or dead. Used by the API's
//! sweep of runs whose task never reached Redis; it scans the queue's lists in chunks through the
//! broker's connection (cluster-aware, with its timeouts), so no caller reads raw keys.

use std::collections::HashSet;

use tracing::instrument;

use crate::broker::Broker;
use crate::connection::RedisConnection;
use crate::error::Result;
use crate::names::{QueueName, TaskId};

/// Elements read per Redis round trip.
const CHUNK: isize = 1000;

impl Broker {
    /// The ids among `ids` whose task is in `queue`'s pending, processing, delayed or dead
    /// elements. O(elements in the queue) in chunks of 1000; stops early once all are found.
    ///
    /// # Errors
    /// `Redis` when a read fails.
    #[instrument(name = "broker.find_tasks", skip_all, fields(queue = %queue, wanted = ids.len()), err)]
    pub async fn find_tasks(&self, queue: &QueueName, ids: &[TaskId]) -> Result<HashSet<TaskId>> {
        let mut con = self.connection();
        let keys = self.queue_keys(queue);
        let wanted: Vec<(TaskId, String)> = ids.iter().map(|id| (*id, id.to_string())).collect();
        let mut found = HashSet::new();
        for (key, is_list) in [
            (&keys.pending, true),
            (&keys.processing, true),
            (&keys.delayed, false),
            (&keys.dead, false),
        ] {
            let mut start = 0;
            loop {
                let chunk = range(&mut con, key, is_list, start).await?;
                let last = chunk.len() < usize::try_from(CHUNK).unwrap_or(usize::MAX);
                for element in &chunk {
                    // An element (or dead-letter record) holds its envelope's id as text.
                    found.extend(
                        wanted
                            .iter()
                            .filter(|(_, text)| element.contains(text.as_str()))
                            .map(|(id, _)| *id),
                    );
                }
                if last || found.len() == wanted.len() {
                    break;
                }
                start += CHUNK;
            }
        }
        Ok(found)
    }
}

async fn range(
    con: &mut RedisConnection,
    key: &str,
    is_list: bool,
    start: isize,
) -> Result<Vec<String>> {
    let command = if is_list { "LRANGE" } else { "ZRANGE" };
    Ok(redis::cmd(command)
        .arg(key)
        .arg(start)
        .arg(start + CHUNK - 1)
        .query_async(con)
        .await?)
}
