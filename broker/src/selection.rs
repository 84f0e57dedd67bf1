//! Which queues a consumer takes from, and how many of a fetch's slots each queue gets: weighted
//! (a non-empty queue is picked with probability proportional to its weight, the Asynq/Sidekiq
//! model) or strict (always the first listed non-empty queue).

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;

use rand::Rng;

use crate::error::BrokerError;
use crate::names::QueueName;

/// One queue of a worker and its weight (`Q` or `Q=WEIGHT`; the weight defaults to 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightedQueue {
    /// The queue.
    pub queue: QueueName,
    /// Its weight, at least 1.
    pub weight: NonZeroU32,
}

impl WeightedQueue {
    /// `queue` with weight 1.
    pub fn new(queue: QueueName) -> Self {
        Self {
            queue,
            weight: NonZeroU32::MIN,
        }
    }
}

impl FromStr for WeightedQueue {
    type Err = BrokerError;

    /// Reads `Q` or `Q=WEIGHT` (WEIGHT a whole number from 1 to 4294967295).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, weight) = match s.split_once('=') {
            None => (s, NonZeroU32::MIN),
            Some((name, weight)) => {
                let weight = weight.trim().parse::<NonZeroU32>().map_err(|_| {
                    BrokerError::Config(format!(
                        "invalid weight {weight:?} for queue {name:?}: a whole number of at least 1"
                    ))
                })?;
                (name, weight)
            }
        };
        Ok(Self {
            queue: QueueName::parse(name.trim())?,
            weight,
        })
    }
}

impl fmt::Display for WeightedQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.queue, self.weight)
    }
}

/// The queues of a consumer, in the order they were listed, and the rule between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    queues: Vec<WeightedQueue>,
    strict: bool,
    /// The group of each queue: a group is picked as one queue (its first listed non-empty
    /// member, with its weight). A native queue is a group of its own; the lists of a Celery
    /// queue are one group, highest priority first.
    groups: Vec<usize>,
    /// Whether each queue is fed by the Celery list of its name.
    celery: Vec<bool>,
}

impl Selection {
    /// Weighted choice among `queues` (or strict order when `strict`).
    ///
    /// # Errors
    /// `Config` when `queues` is empty or names a queue twice.
    pub fn new(queues: Vec<WeightedQueue>, strict: bool) -> Result<Self, BrokerError> {
        if queues.is_empty() {
            return Err(BrokerError::Config(
                "a consumer needs at least one queue".to_owned(),
            ));
        }
        for (i, q) in queues.iter().enumerate() {
            if queues[..i].iter().any(|earlier| earlier.queue == q.queue) {
                return Err(BrokerError::Config(format!(
                    "queue {} is listed twice",
                    q.queue
                )));
            }
        }
        let n = queues.len();
        Ok(Self {
            queues,
            strict,
            groups: (0..n).collect(),
            celery: vec![false; n],
        })
    }

    /// Adds the Celery queues `names` (`--celery-queue`), each with `weight`: each becomes the
    /// group of its plain list and priority lists (`celery::lists`), taken highest priority
    /// first, after the queues already listed.
    ///
    /// # Errors
    /// `Config` when a list is already a queue of the selection or a name is a priority list.
    pub fn with_celery(
        mut self,
        names: &[QueueName],
        weight: NonZeroU32,
    ) -> Result<Self, BrokerError> {
        for name in names {
            let group = self.groups.iter().max().map_or(0, |g| g + 1);
            for queue in crate::celery::lists(name)? {
                if self.queues.iter().any(|q| q.queue == queue) {
                    return Err(BrokerError::Config(format!(
                        "queue {queue:?} is listed twice"
                    )));
                }
                self.queues.push(WeightedQueue { queue, weight });
                self.groups.push(group);
                self.celery.push(true);
            }
        }
        Ok(self)
    }

    /// Whether the queue at `index` (of [`Selection::queues`]) is fed by a Celery list.
    pub fn is_celery(&self, index: usize) -> bool {
        self.celery.get(index).copied().unwrap_or(false)
    }

    /// Strict priority over `queues`, earlier first.
    ///
    /// # Errors
    /// As [`Selection::new`].
    pub fn strict(queues: Vec<QueueName>) -> Result<Self, BrokerError> {
        Self::new(queues.into_iter().map(WeightedQueue::new).collect(), true)
    }

    /// The queues, in the order they were listed.
    pub fn queues(&self) -> &[WeightedQueue] {
        &self.queues
    }

    /// Whether the first listed non-empty queue always wins.
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// How many of `max` slots each queue gets, given the queues' pending lengths `lens` (same
    /// order as [`Selection::queues`]); never more than a queue holds. Strict: in listed order.
    /// Weighted: each slot goes to a queue that still has elements, picked with probability
    /// proportional to its weight.
    pub(crate) fn allocate(&self, lens: &[u64], max: usize, rng: &mut impl Rng) -> Vec<usize> {
        let mut left: Vec<u64> = lens.to_vec();
        let mut out = vec![0_usize; self.queues.len()];
        for _ in 0..max {
            let Some(i) = self.pick(&left, rng) else {
                break;
            };
            left[i] -= 1;
            out[i] += 1;
        }
        out
    }

    fn pick(&self, left: &[u64], rng: &mut impl Rng) -> Option<usize> {
        // The first non-empty queue of each group (listed order inside a group).
        let open = || {
            (0..self.queues.len()).filter(|&i| {
                left[i] > 0 && !(0..i).any(|j| self.groups[j] == self.groups[i] && left[j] > 0)
            })
        };
        if self.strict {
            return open().next();
        }
        let total: u64 = open().map(|i| u64::from(self.queues[i].weight.get())).sum();
        if total == 0 {
            return None;
        }
        let mut draw = rng.random_range(0..total);
        for i in open() {
            let w = u64::from(self.queues[i].weight.get());
            if draw < w {
                return Some(i);
            }
            draw -= w;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{Selection, WeightedQueue};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn selection(spec: &[&str], strict: bool) -> Selection {
        let queues = spec.iter().map(|s| s.parse().unwrap()).collect();
        Selection::new(queues, strict).unwrap()
    }

    #[test]
    fn parses_names_and_weights() {
        let q: WeightedQueue = "critical=6".parse().unwrap();
        assert_eq!((q.queue.as_str(), q.weight.get()), ("critical", 6));
        let q: WeightedQueue = "low".parse().unwrap();
        assert_eq!(q.weight.get(), 1);
        for bad in ["a=0", "a=x", "a=-1", "a=", "bad name=2", "=3"] {
            assert!(bad.parse::<WeightedQueue>().is_err(), "{bad} accepted");
        }
        assert!(selection(&["a"], false).queues().len() == 1);
        let twice = vec!["a".parse().unwrap(), "a=2".parse().unwrap()];
        assert!(Selection::new(twice, false).is_err());
        assert!(Selection::new(Vec::new(), true).is_err());
    }

    #[test]
    fn strict_fills_in_listed_order_without_overdrawing() {
        let s = selection(&["a", "b", "c"], true);
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(s.allocate(&[3, 10, 10], 8, &mut rng), vec![3, 5, 0]);
        assert_eq!(s.allocate(&[0, 0, 2], 8, &mut rng), vec![0, 0, 2]);
        assert_eq!(s.allocate(&[0, 0, 0], 8, &mut rng), vec![0, 0, 0]);
    }

    #[test]
    fn weighted_shares_follow_the_weights_among_non_empty_queues() {
        let s = selection(&["critical=6", "default=3", "low=1"], false);
        let mut rng = StdRng::seed_from_u64(7);
        let big = u64::MAX / 2;
        let got = s.allocate(&[big, big, big], 100_000, &mut rng);
        let share = |n: usize| n as f64 / 100_000.0;
        assert!((share(got[0]) - 0.6).abs() < 0.01, "{got:?}");
        assert!((share(got[1]) - 0.3).abs() < 0.01, "{got:?}");
        assert!((share(got[2]) - 0.1).abs() < 0.01, "{got:?}");
        // An empty queue gets nothing; its share goes to the others.
        let got = s.allocate(&[0, big, big], 10_000, &mut rng);
        assert_eq!(got[0], 0);
        assert!(got[2] > 1_000 && got[1] > 6_000, "{got:?}");
        // Never more than a queue holds.
        assert_eq!(s.allocate(&[1, 0, 2], 32, &mut rng), vec![1, 0, 2]);
    }

    #[test]
    fn a_celery_queue_is_one_group_taken_highest_priority_first() {
        let celery = crate::QueueName::parse("celery").unwrap();
        let s = selection(&["ingest=3"], false)
            .with_celery(std::slice::from_ref(&celery), std::num::NonZeroU32::MIN)
            .unwrap();
        assert_eq!(s.queues().len(), 5);
        assert!(!s.is_celery(0) && (1..5).all(|i| s.is_celery(i)));
        let mut rng = StdRng::seed_from_u64(3);
        // One slot at a time: the plain list before 3, 6 and 9, whatever the draw.
        for _ in 0..50 {
            let got = s.allocate(&[0, 1, 1, 1, 1], 1, &mut rng);
            assert_eq!(got, vec![0, 1, 0, 0, 0]);
            let got = s.allocate(&[0, 0, 0, 1, 1], 1, &mut rng);
            assert_eq!(got, vec![0, 0, 0, 1, 0]);
        }
        // The group weighs as one queue: 3 to 1 against `ingest`.
        let big = u64::MAX / 2;
        let got = s.allocate(&[big, big, big, big, big], 40_000, &mut rng);
        assert!((got[0] as f64 / 40_000.0 - 0.75).abs() < 0.02, "{got:?}");
        assert_eq!(got[1] + got[0], 40_000, "{got:?}");
        assert!(
            s.clone()
                .with_celery(std::slice::from_ref(&celery), std::num::NonZeroU32::MIN)
                .is_err()
        );
        // Strict: the Celery lists come after the queues listed before them.
        let strict = selection(&["ingest"], true)
            .with_celery(&[celery], std::num::NonZeroU32::MIN)
            .unwrap();
        assert_eq!(
            strict.allocate(&[2, 1, 0, 0, 5], 4, &mut rng),
            vec![2, 1, 0, 0, 1]
        );
    }
}
