//! `closeq serve` as a user runs it: a key from `closeq keys create`, a
//! `curl`-style multipart upload, the in-process worker analysing the
//! call, its scorecards over HTTP, a `call.analyzed` webhook to a receiver
//! on loopback, and a clean stop on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn closeq(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_closeq"));
    c.env("CLOSEQ_DATA_DIR", data)
        .env_remove("CLOSEQ_DATABASE_URL")
        .env_remove("CLOSEQ_AUDIO_URL");
    c
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A one-thread HTTP receiver answering 200 to everything; sends each
/// request's body.
fn receiver() -> (u16, mpsc::Receiver<String>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut len = 0usize;
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                if line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0u8; len];
            let _ = reader.read_exact(&mut body);
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
        }
    });
    (port, rx)
}

#[test]
fn serve_takes_an_upload_analyses_it_and_sends_the_webhook() {
    let data = tempfile::tempdir().unwrap();
    let out = closeq(data.path())
        .args([
            "keys",
            "create",
            "dialer",
            "--scope",
            "calls:write",
            "--scope",
            "calls:read",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap()
        .trim()
        .to_owned();
    assert!(key.starts_with("cq_live_"));

    let (hook_port, hooks) = receiver();
    let port = free_port();
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let mut server = closeq(data.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args([
            "--webhook-url",
            &format!("http://127.0.0.1:{hook_port}/hook"),
        ])
        .args(["--webhook-secret", secret, "--kinds", "analyze,webhook"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    rt.block_on(async {
        let started = Instant::now();
        while http.get(format!("{base}/healthz")).send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let transcript = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/01_discovery_won.txt"
        ))
        .unwrap();
        let form = reqwest::multipart::Form::new()
            .part(
                "metadata",
                reqwest::multipart::Part::text(r#"{"consent":"verbal"}"#)
                    .mime_str("application/json")
                    .unwrap(),
            )
            .part(
                "file",
                reqwest::multipart::Part::bytes(transcript)
                    .file_name("call.txt")
                    .mime_str("text/plain")
                    .unwrap(),
            );
        let res = http
            .post(format!("{base}/v1/calls"))
            .bearer_auth(&key)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
        let id = res.json::<serde_json::Value>().await.unwrap()["call_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let started = Instant::now();
        loop {
            let call: serde_json::Value = http
                .get(format!("{base}/v1/calls/{id}"))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if call["status"]["state"] == "analyzed" {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "not analysed: {call}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let cards: serde_json::Value = http
            .get(format!("{base}/v1/calls/{id}/scorecards"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(cards.as_array().unwrap().len(), 1);
        let hook = hooks
            .recv_timeout(Duration::from_secs(30))
            .expect("a webhook");
        let v: serde_json::Value = serde_json::from_str(&hook).unwrap();
        assert_eq!(
            (v["type"].as_str(), v["data"]["call_id"].as_str()),
            (Some("call.analyzed"), Some(id.as_str()))
        );
    });
    let pid = server.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let status = server.wait().unwrap();
    let mut err = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{err}");
    assert!(err.contains("closeq API on http://127.0.0.1:"), "{err}");
    assert!(!err.contains(&key[8..]), "the key in the log");
}
