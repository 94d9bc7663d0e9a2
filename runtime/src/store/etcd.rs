//! `etcd://HOST:PORT[,HOST:PORT...]`: the store in an etcd v3 cluster.
//!
//! [`Store::create`] and [`Store::swap`] are single etcd transactions (compare the key's
//! create revision or value, then put), so they are atomic across every client of the cluster.
//! Watches run in a background task that resumes from the last revision it saw after a
//! disconnect, and falls back to re-reading the key when etcd has compacted that history.
//!
//! Connection settings come from the URL's query (`user`, `password`, `ca`, `cert`, `key`,
//! `tls=1`) or from [`Options`], which win. `etcds://` or a CA file turn TLS on.

use std::time::Duration;

use async_trait::async_trait;
use etcd_client::{
    Certificate, Client, Compare, CompareOp, ConnectOptions, EventType, GetOptions, Identity,
    TlsOptions, Txn, TxnOp, WatchOptions,
};
use tokio::sync::mpsc;

use super::{Backoff, Error, Event, Options, Store, Watch, check_key};

/// Longest wait between reconnect attempts of a watch.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Parsed connection settings.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub endpoints: Vec<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub tls: bool,
    pub ca: Option<std::path::PathBuf>,
    pub cert: Option<std::path::PathBuf>,
    pub key: Option<std::path::PathBuf>,
}

impl Config {
    /// Parses `etcd://` or `etcds://` URLs; `options` override the query.
    pub fn parse(url: &str, options: &Options) -> Result<Self, Error> {
        let bad = |why: String| Error::Url {
            url: url.into(),
            why,
        };
        let (rest, tls) = if let Some(r) = url.strip_prefix("etcds://") {
            (r, true)
        } else if let Some(r) = url.strip_prefix("etcd://") {
            (r, false)
        } else {
            return Err(bad("expected `etcd://` or `etcds://`".into()));
        };
        let (hosts, query) = rest.split_once('?').unwrap_or((rest, ""));
        let hosts = hosts.trim_end_matches('/');
        if hosts.is_empty() {
            return Err(bad("expected HOST:PORT endpoints".into()));
        }
        let mut config = Config {
            tls,
            ..Config::default()
        };
        for host in hosts.split(',') {
            if host.is_empty() {
                return Err(bad("empty endpoint".into()));
            }
            if !host.contains(':') {
                return Err(bad(format!("endpoint `{host}` has no port")));
            }
            config.endpoints.push(host.to_string());
        }
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "user" => config.user = Some(v.into()),
                "password" => config.password = Some(v.into()),
                "ca" => config.ca = Some(v.into()),
                "cert" => config.cert = Some(v.into()),
                "key" => config.key = Some(v.into()),
                "tls" => config.tls = matches!(v, "1" | "true"),
                other => return Err(bad(format!("unknown query key `{other}`"))),
            }
        }
        config.user = options.user.clone().or(config.user);
        config.password = options.password.clone().or(config.password);
        config.ca = options.ca.clone().or(config.ca);
        config.cert = options.cert.clone().or(config.cert);
        config.key = options.key.clone().or(config.key);
        config.tls |= config.ca.is_some() || config.cert.is_some();
        if config.user.is_some() != config.password.is_some() {
            return Err(bad("a user needs a password and a password a user".into()));
        }
        if config.cert.is_some() != config.key.is_some() {
            return Err(bad(
                "a client certificate needs its key and a key its certificate".into(),
            ));
        }
        Ok(config)
    }

    fn connect_options(&self) -> Result<ConnectOptions, Error> {
        let mut o = ConnectOptions::new()
            .with_connect_timeout(Duration::from_secs(3))
            .with_timeout(Duration::from_secs(10))
            .with_keep_alive(Duration::from_secs(5), Duration::from_secs(3));
        if let (Some(u), Some(p)) = (&self.user, &self.password) {
            o = o.with_user(u, p);
        }
        if self.tls {
            let mut tls = TlsOptions::new();
            if let Some(ca) = &self.ca {
                let pem = std::fs::read(ca).map_err(|e| Error::io(ca, e))?;
                tls = tls.ca_certificate(Certificate::from_pem(pem));
            }
            if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
                let c = std::fs::read(cert).map_err(|e| Error::io(cert, e))?;
                let k = std::fs::read(key).map_err(|e| Error::io(key, e))?;
                tls = tls.identity(Identity::from_pem(c, k));
            }
            o = o.with_tls(tls);
        }
        Ok(o)
    }

    fn urls(&self) -> Vec<String> {
        let scheme = if self.tls { "https" } else { "http" };
        self.endpoints
            .iter()
            .map(|e| format!("{scheme}://{e}"))
            .collect()
    }
}

#[derive(Clone)]
pub struct Etcd {
    client: Client,
    config: Config,
}

impl std::fmt::Debug for Etcd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Etcd {
    /// Connects lazily: without credentials no request is made until the first operation, so an
    /// agent can start while etcd is down. With credentials the first token is fetched here.
    pub async fn connect(config: Config) -> Result<Self, Error> {
        let client = Client::connect(config.urls(), Some(config.connect_options()?)).await?;
        Ok(Etcd { client, config })
    }
}

#[async_trait]
impl Store for Etcd {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        check_key(key)?;
        let mut c = self.client.clone();
        let mut resp = c.get(key, None).await?;
        Ok(resp.take_kvs().into_iter().next().map(|kv| {
            let (_, v) = kv.into_key_value();
            v
        }))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        check_key(prefix.trim_end_matches('/'))?;
        let mut c = self.client.clone();
        let resp = c
            .get(
                prefix,
                Some(GetOptions::new().with_prefix().with_keys_only()),
            )
            .await?;
        let mut keys: Vec<String> = resp
            .kvs()
            .iter()
            .map(|kv| String::from_utf8_lossy(kv.key()).into_owned())
            .collect();
        keys.sort();
        Ok(keys)
    }

    async fn create(&self, key: &str, value: &[u8]) -> Result<bool, Error> {
        check_key(key)?;
        let txn = Txn::new()
            .when([Compare::create_revision(key, CompareOp::Equal, 0)])
            .and_then([TxnOp::put(key, value, None)]);
        let mut c = self.client.clone();
        Ok(c.txn(txn).await?.succeeded())
    }

    async fn swap(&self, key: &str, expected: Option<&[u8]>, value: &[u8]) -> Result<bool, Error> {
        check_key(key)?;
        let cmp = match expected {
            Some(v) => Compare::value(key, CompareOp::Equal, v),
            None => Compare::create_revision(key, CompareOp::Equal, 0),
        };
        let txn = Txn::new()
            .when([cmp])
            .and_then([TxnOp::put(key, value, None)]);
        let mut c = self.client.clone();
        Ok(c.txn(txn).await?.succeeded())
    }

    async fn put(&self, key: &str, value: &[u8]) -> Result<(), Error> {
        check_key(key)?;
        let mut c = self.client.clone();
        c.put(key, value, None).await?;
        Ok(())
    }

    fn watch(&self, key: &str) -> Watch {
        let (tx, rx) = mpsc::channel(16);
        let client = self.client.clone();
        let key = key.to_string();
        tokio::spawn(watch_loop(client, key, tx));
        rx
    }

    fn describe(&self) -> String {
        let scheme = if self.config.tls { "etcds" } else { "etcd" };
        format!("{scheme}://{}", self.config.endpoints.join(","))
    }
}

/// One watch session: reads the key, then follows its changes from the revision after that read.
/// Returns the error that ended it; `Ok` when the receiver went away.
async fn session(
    client: &mut Client,
    key: &str,
    tx: &mpsc::Sender<Event>,
    first: &mut bool,
    connected: &mut bool,
) -> Result<(), Error> {
    let mut resp = client.get(key, None).await?;
    let revision = resp.header().map_or(0, |h| h.revision());
    let value = resp.take_kvs().into_iter().next().map(|kv| {
        let (_, v) = kv.into_key_value();
        v
    });
    let opts = WatchOptions::new().with_start_revision(revision + 1);
    let mut stream = client.watch(key, Some(opts)).await?;
    if !*first && tx.send(Event::Reconnected).await.is_err() {
        return Ok(());
    }
    *first = false;
    *connected = true;
    if tx.send(Event::Changed(value)).await.is_err() {
        return Ok(());
    }
    loop {
        let msg = tokio::select! {
            m = stream.message() => m?,
            () = tx.closed() => return Ok(()),
        };
        let Some(msg) = msg else {
            return Err(Error::Read {
                path: key.into(),
                why: "watch stream ended".into(),
            });
        };
        if msg.canceled() {
            // Compacted or cancelled by the server: the next session re-reads the key.
            return Err(Error::Read {
                path: key.into(),
                why: format!("watch cancelled: {}", msg.cancel_reason()),
            });
        }
        for ev in msg.events() {
            let value = match ev.event_type() {
                EventType::Put => ev.kv().map(|kv| kv.value().to_vec()),
                EventType::Delete => None,
            };
            if tx.send(Event::Changed(value)).await.is_err() {
                return Ok(());
            }
        }
    }
}

async fn watch_loop(mut client: Client, key: String, tx: mpsc::Sender<Event>) {
    let mut backoff = Backoff::new(MAX_BACKOFF);
    let mut first = true;
    loop {
        let mut connected = false;
        match session(&mut client, &key, &tx, &mut first, &mut connected).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(key, error = %e, "etcd watch lost");
                if tx.send(Event::Lost(e.to_string())).await.is_err() {
                    return;
                }
            }
        }
        if connected {
            backoff.reset();
        }
        tokio::select! {
            () = tokio::time::sleep(backoff.next_delay()) => {}
            () = tx.closed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_query_and_options() {
        let c = Config::parse(
            "etcd://10.0.0.1:2379,10.0.0.2:2379?user=ops&password=pw",
            &Options::default(),
        )
        .unwrap();
        assert_eq!(c.endpoints, ["10.0.0.1:2379", "10.0.0.2:2379"]);
        assert_eq!(c.user.as_deref(), Some("ops"));
        assert!(!c.tls);
        assert_eq!(c.urls(), ["http://10.0.0.1:2379", "http://10.0.0.2:2379"]);

        let o = Options {
            user: Some("admin".into()),
            password: Some("secret".into()),
            ca: Some("ca.pem".into()),
            ..Options::default()
        };
        let c = Config::parse("etcd://h:2379?user=ops&password=pw", &o).unwrap();
        assert_eq!(c.user.as_deref(), Some("admin"));
        assert!(c.tls, "a CA file implies TLS");
        assert_eq!(c.urls(), ["https://h:2379"]);
        assert!(
            Config::parse("etcds://h:1", &Options::default())
                .unwrap()
                .tls
        );
    }

    #[test]
    fn incomplete_credentials_are_refused() {
        for (url, why) in [
            (
                "etcd://h:1?user=u",
                "a user needs a password and a password a user",
            ),
            (
                "etcd://h:1?cert=c.pem",
                "a client certificate needs its key and a key its certificate",
            ),
            ("etcd://h", "endpoint `h` has no port"),
        ] {
            match Config::parse(url, &Options::default()) {
                Err(Error::Url { why: w, .. }) => assert_eq!(w, why, "{url}"),
                other => panic!("{url}: {other:?}"),
            }
        }
    }
}
