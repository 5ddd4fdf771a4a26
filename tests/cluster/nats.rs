//! A real three-node NATS JetStream cluster on loopback ports picked by binding port 0, each
//! `nats-server` a child process with its own temp store directory, killed (SIGKILL) when the
//! fixture is dropped. Ready once every server accepts clients.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The three servers.
pub struct NatsCluster {
    pub urls: Vec<String>,
    children: Vec<Option<Child>>,
    _dir: tempfile::TempDir,
}

/// `nats-server` from the PATH, or where Debian's package puts it.
fn nats_server_binary() -> &'static str {
    let on_path = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| dir.join("nats-server").is_file())
    });
    if on_path {
        "nats-server"
    } else {
        "/usr/sbin/nats-server"
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("addr").port()
}

impl NatsCluster {
    /// Starts three JetStream servers routed to each other and waits until JetStream answers.
    pub async fn start() -> NatsCluster {
        let dir = tempfile::tempdir().expect("temp dir");
        let client_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let route_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let routes = route_ports
            .iter()
            .map(|port| format!("nats://127.0.0.1:{port}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut children = Vec::new();
        for node in 0..3 {
            let store = dir.path().join(format!("n{node}"));
            let log =
                std::fs::File::create(dir.path().join(format!("n{node}.log"))).expect("log file");
            let child = Command::new(nats_server_binary())
                .args(["-a", "127.0.0.1", "-p", &client_ports[node].to_string()])
                .args(["-n", &format!("n{node}"), "--cluster_name", "chatify-test"])
                .args([
                    "--cluster",
                    &format!("nats://127.0.0.1:{}", route_ports[node]),
                ])
                .args(["--routes", &routes, "-js", "-sd"])
                .arg(&store)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("nats-server is installed (apt-get install nats-server)");
            children.push(Some(child));
        }
        let urls = client_ports
            .iter()
            .map(|port| format!("nats://127.0.0.1:{port}"))
            .collect();
        let cluster = NatsCluster {
            urls,
            children,
            _dir: dir,
        };
        cluster.wait_for_jetstream().await;
        cluster
    }

    /// Waits until all three servers accept clients.
    async fn wait_for_jetstream(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // Every server accepts clients (JetStream itself may still be electing: the
            // nodes retry creating the stream).
            let attempt = async {
                for url in &self.urls {
                    async_nats::connect(url.as_str()).await.ok()?;
                }
                Some(())
            };
            if tokio::time::timeout(Duration::from_secs(5), attempt)
                .await
                .ok()
                .flatten()
                .is_some()
            {
                return;
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(self._dir.path().join("n0.log"));
                let log = log.unwrap_or_default();
                let tail = &log[log.len().saturating_sub(2500)..];
                panic!("JetStream cluster not ready in 60 s; n0 log ends: {tail}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGKILLs server `node`.
    pub fn kill(&mut self, node: usize) {
        if let Some(mut child) = self.children[node].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for node in 0..self.children.len() {
            self.kill(node);
        }
    }
}
