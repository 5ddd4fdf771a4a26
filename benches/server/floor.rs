//! Phase (h) of `benches/server`: the floor of low-rate fan-out on this machine. At 100 msg/s
//! every message is alone in each subscriber's queue, so the server makes one `write` per
//! delivery whatever it does in user space. Here S loopback TCP connections get one frame-sized
//! write each, in turn, for R rounds, from a plain thread, while tokio tasks of this process read
//! them. The writing thread's own CPU (user + system, `/proc/thread-self/stat`) per write is what
//! the kernel charges the sender for one small delivery — TCP send, the loopback hop, queueing at
//! the receiver and waking its reader — and so the least server CPU per delivery that one write
//! per delivery can cost here. No chatify code runs in this phase.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::AsyncReadExt;

use crate::common::{heading, per_second, process_cpu, thousands};

/// Runs the floor phase: `connections` sockets, `rounds` writes of `frame_bytes` to each.
pub async fn floor_phase(
    connections: usize,
    rounds: usize,
    frame_bytes: usize,
) -> anyhow::Result<()> {
    heading(&format!(
        "(h) floor: one write syscall per delivery, {} loopback sockets × {rounds} writes of {frame_bytes} bytes, from one thread",
        thousands(connections as u64)
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let mut writers = Vec::with_capacity(connections);
    let mut readers = Vec::with_capacity(connections);
    for _ in 0..connections {
        let writer = TcpStream::connect(address).context("connecting a floor socket")?;
        writer.set_nodelay(true)?;
        let (reader, _) = listener.accept().await?;
        writers.push(writer);
        readers.push(tokio::spawn(read_to_end(reader)));
    }
    let _ = process_cpu("thread-self"); // reads the clock tick rate once, before measuring
    let frame = vec![b'x'; frame_bytes];
    let writing = std::thread::spawn(move || -> std::io::Result<(Duration, Duration)> {
        let cpu_before = process_cpu("thread-self").unwrap_or_default();
        let started = Instant::now();
        for _ in 0..rounds {
            for writer in writers.iter_mut() {
                writer.write_all(&frame)?;
            }
        }
        let cpu = process_cpu("thread-self")
            .unwrap_or_default()
            .saturating_sub(cpu_before);
        Ok((cpu, started.elapsed()))
    });
    let joined = tokio::task::spawn_blocking(move || writing.join()).await?;
    let (cpu, elapsed) = joined.map_err(|_| anyhow::anyhow!("the writing thread panicked"))??;
    let mut received = 0u64;
    for reader in readers {
        received += reader.await??;
    }
    let writes = (connections * rounds) as u64;
    println!(
        "{} writes in {:.2} s = {}; writing thread CPU {:.2} s = {:.2} µs per write; {} bytes read",
        thousands(writes),
        elapsed.as_secs_f64(),
        per_second(writes, elapsed),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / writes.max(1) as f64,
        thousands(received)
    );
    Ok(())
}

/// Reads until the writer closes; returns the bytes read.
async fn read_to_end(mut stream: tokio::net::TcpStream) -> std::io::Result<u64> {
    let mut buffer = [0u8; 4096];
    let mut total = 0u64;
    loop {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Ok(total);
        }
        total += read as u64;
    }
}
