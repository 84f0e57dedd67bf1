//! Deleting a bench's keys afterwards: every key under its random prefix (standalone Redis).

use broker::Broker;

/// Any error of a bench.
type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Deletes every key under `broker`'s prefix, on a connection of its own.
pub async fn cleanup(broker: &Broker) -> Result<(), Failure> {
    let client = redis::Client::open(broker.config().redis_url.as_str())?;
    let mut con = client.get_multiplexed_async_connection().await?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:*", broker.config().key_prefix))
        .query_async(&mut con)
        .await?;
    if !keys.is_empty() {
        redis::cmd("DEL")
            .arg(keys)
            .query_async::<()>(&mut con)
            .await?;
    }
    Ok(())
}
