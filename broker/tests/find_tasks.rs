//! `Broker::find_tasks`: which task ids are anywhere in a queue (pending, processing, delayed,
//! dead), for the API's sweep of runs whose task never reached Redis.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use broker::TaskId;
use common::{broker, cleanup, queue, task, worker};

#[tokio::test]
async fn find_tasks_sees_every_state_and_nothing_else() {
    let b = broker().await;
    let tasks: Vec<_> = (0..4).map(task).collect();
    // Pending: 0, 1, 2, 3; the consumer takes 0, 1, 2 (FIFO) and leaves 3 pending.
    b.producer().enqueue_many(&queue(), &tasks).await.unwrap();
    let c = b.consumer(vec![queue()], worker()).await.unwrap();
    let taken = c.fetch(3).await.unwrap();
    // 0 stays processing, 1 goes to delayed, 2 to dead.
    c.retry_later(&taken[1], Duration::from_secs(3600), "later")
        .await
        .unwrap();
    c.dead_letter(&taken[2], "gone").await.unwrap();

    let absent = TaskId::new();
    let mut ids: Vec<TaskId> = tasks.iter().map(|t| t.id).collect();
    ids.push(absent);
    let found = b.find_tasks(&queue(), &ids).await.unwrap();
    let expected: HashSet<TaskId> = tasks.iter().map(|t| t.id).collect();
    assert_eq!(found, expected, "all four states found, the absent id not");
    assert!(b.find_tasks(&queue(), &[]).await.unwrap().is_empty());
    cleanup(&b).await;
}
