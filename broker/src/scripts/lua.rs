//! A Lua script called by its SHA1, sent whole when the node that serves the call does not know it.
//!
//! `redis::Script` answers `NOSCRIPT` with a `SCRIPT LOAD`, which a cluster connection sends to
//! every node it knows: while a failed master is still in the client's slot map that load fails,
//! and the call with it. Here `NOSCRIPT` is answered with `EVAL <body>`, routed by the call's first
//! key like the `EVALSHA` was: only the node that serves the slot is asked, and it caches the
//! script for the next `EVALSHA` (a freshly promoted replica, a restarted Redis, `SCRIPT FLUSH`).

use redis::aio::ConnectionLike;
use redis::{ErrorKind, FromRedisValue, RedisResult, ServerErrorKind, ToRedisArgs};
use tracing::debug;

/// A script's body and its SHA1.
pub(crate) struct Lua {
    code: &'static str,
    hash: String,
}

impl Lua {
    /// The script `code`.
    pub(crate) fn new(code: &'static str) -> Self {
        Self {
            code,
            hash: redis::Script::new(code).get_hash().to_owned(),
        }
    }

    /// A call with no key or argument yet.
    pub(crate) fn prepare_invoke(&self) -> Call<'_> {
        Call {
            lua: self,
            keys: Vec::new(),
            args: Vec::new(),
        }
    }

    /// A call whose first key is `key`.
    pub(crate) fn key<T: ToRedisArgs>(&self, key: T) -> Call<'_> {
        let mut call = self.prepare_invoke();
        call.key(key);
        call
    }
}

/// One call of a [`Lua`] script: its KEYS and ARGV.
pub(crate) struct Call<'a> {
    lua: &'a Lua,
    keys: Vec<Vec<u8>>,
    args: Vec<Vec<u8>>,
}

impl Call<'_> {
    /// Adds a key (`KEYS[i]`).
    pub(crate) fn key<T: ToRedisArgs>(&mut self, key: T) -> &mut Self {
        key.write_redis_args(&mut self.keys);
        self
    }

    /// Adds an argument (`ARGV[i]`).
    pub(crate) fn arg<T: ToRedisArgs>(&mut self, arg: T) -> &mut Self {
        arg.write_redis_args(&mut self.args);
        self
    }

    /// `EVALSHA`, and on `NOSCRIPT` the same call as `EVAL` with the body, on the same node.
    pub(crate) async fn invoke_async<T: FromRedisValue>(
        &self,
        con: &mut impl ConnectionLike,
    ) -> RedisResult<T> {
        match self
            .command("EVALSHA", &self.lua.hash)
            .query_async(con)
            .await
        {
            Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                debug!(sha = %self.lua.hash, "script not cached on its node, sending its body");
                self.command("EVAL", self.lua.code).query_async(con).await
            }
            other => other,
        }
    }

    fn command(&self, verb: &str, script: &str) -> redis::Cmd {
        let mut cmd = redis::cmd(verb);
        cmd.arg(script)
            .arg(self.keys.len())
            .arg(&*self.keys)
            .arg(&*self.args);
        cmd
    }
}
