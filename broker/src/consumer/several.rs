//! Fetching from several queues: read every pending length (all `LLEN`s sent at once on the
//! multiplexed connection: one round trip), split the batch by the selection (weighted or
//! strict), claim each queue's share with its own script call (again all at once: each queue is
//! its own slot on a cluster, so no script spans two), and when every queue is empty wait for a
//! wake message (`wake.rs`) or `block_timeout`, then claim once more. Celery producers publish
//! no wake message, so a consumer of Celery lists looks again every `celery::POLL` instead.

use crate::config::millis;
use crate::delivery::Delivery;
use crate::error::Result;
use crate::names::QueueName;
use crate::scripts;

use super::{Consumer, new_token};

impl Consumer {
    pub(super) async fn fetch_several(
        &self,
        max: usize,
        skip: &[QueueName],
        out: &mut Vec<Delivery>,
    ) -> Result<()> {
        self.claim_several(max, skip, out).await?;
        if !out.is_empty() {
            return Ok(());
        }
        if let Some(waker) = &self.waker {
            waker.wait(self.idle_wait()).await;
        }
        self.claim_several(max, skip, out).await
    }

    /// One round of `LLEN`s, then one round of claims. What was claimed is accepted even
    /// when another queue's claim failed; that error is returned after.
    /// Queues of `skip` count as empty.
    async fn claim_several(
        &self,
        max: usize,
        skip: &[QueueName],
        out: &mut Vec<Delivery>,
    ) -> Result<()> {
        let con = self.broker.connection();
        let lengths = self.queues.iter().map(|(_, k)| {
            let mut con = con.clone();
            async move {
                // A Celery-fed queue holds its pending list and its Celery list (one slot).
                let mut pipe = redis::pipe();
                pipe.llen(&k.pending);
                if let Some(list) = &k.celery_list {
                    pipe.llen(list);
                }
                let lens: Vec<u64> = pipe.query_async(&mut con).await?;
                Ok::<u64, redis::RedisError>(lens.iter().sum())
            }
        });
        let mut lens = futures::future::join_all(lengths)
            .await
            .into_iter()
            .collect::<redis::RedisResult<Vec<u64>>>()?;
        for (len, (q, _)) in lens.iter_mut().zip(self.queues.iter()) {
            if skip.contains(q) {
                *len = 0;
            }
        }
        let shares = self.selection.allocate(&lens, max, &mut rand::rng());
        let picked: Vec<usize> = (0..shares.len()).filter(|&i| shares[i] > 0).collect();
        if picked.is_empty() {
            return Ok(());
        }
        let batch: Vec<_> = picked
            .iter()
            .map(|&i| (&self.queues[i].1, shares[i], new_token(0)))
            .collect();
        let lease = millis(self.broker.config().lease);
        let answers = scripts::claim_many(&con, &batch, lease).await;
        let mut failed = None;
        for (&i, answer) in picked.iter().zip(answers) {
            let (q, k) = &self.queues[i];
            match answer {
                Ok(claimed) => self.accept(q, k, claimed, out).await,
                Err(error) => failed = failed.or(Some(error)),
            }
        }
        failed.map_or(Ok(()), Err)
    }
}
