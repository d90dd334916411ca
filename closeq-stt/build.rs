//! Finds the prebuilt CTranslate2 engine for feature `stt-whisper-local`.
//!
//! ct2rs's `system` feature links `-lctranslate2` (the cuBLAS and
//! cpu_features names it also emits are satisfied by `ct2rs-stubs/`, see
//! `.cargo/config.toml`). `scripts/fetch-ctranslate2` lays out a directory
//! with the wheel's library and a `libctranslate2.so` link; this script runs
//! it when the directory is missing, then:
//! - adds the directory to the link search path (inherited by every crate
//!   that links closeq-stt);
//! - mirrors it under `OUT_DIR`, so `cargo run`, `cargo test` and
//!   `cargo bench` find the library at run time (Cargo puts link-search
//!   paths inside the target directory on the dynamic library path);
//! - sets an rpath on this crate's own tests and exports the directory as
//!   `DEP_CLOSEQ_CTRANSLATE2_LIBDIR` so the `closeq` binary sets its rpath.
//!
//! `CLOSEQ_CTRANSLATE2_DIR` overrides the directory (default
//! `~/.cache/closeq/engines/ctranslate2-4.8.4`).

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, exit};

const LIB: &str = "libctranslate2-42c542ff.so.4.8.4";

fn fail(message: &str) -> ! {
    eprintln!("\nerror: {message}\n");
    exit(1)
}

fn engine_dir() -> PathBuf {
    if let Some(dir) = env::var_os("CLOSEQ_CTRANSLATE2_DIR") {
        return PathBuf::from(dir);
    }
    let home = env::var_os("HOME").unwrap_or_else(|| {
        fail("HOME is not set; set CLOSEQ_CTRANSLATE2_DIR to the engine directory")
    });
    Path::new(&home).join(".cache/closeq/engines/ctranslate2-4.8.4")
}

fn fetch(dir: &Path) {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let script = manifest.join("../scripts/fetch-ctranslate2");
    if !script.is_file() {
        return;
    }
    let status = Command::new(&script)
        .env("CLOSEQ_CTRANSLATE2_DIR", dir)
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        fail(&format!(
            "fetching the prebuilt CTranslate2 engine failed ({}).\n  Run scripts/fetch-ctranslate2 by hand to see why, set CLOSEQ_CTRANSLATE2_DIR to a directory it made,\n  or build the engine from source with feature closeq-stt/stt-whisper-local-source (needs cmake; 25-35 min).",
            script.display()
        ));
    }
}

/// Symlinks every file of `dir` into `mirror` (recreated).
fn mirror(dir: &Path, mirror: &Path) {
    let _ = std::fs::remove_dir_all(mirror);
    if let Err(e) = std::fs::create_dir_all(mirror) {
        fail(&format!("cannot create {}: {e}", mirror.display()));
    }
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", dir.display())));
    for entry in entries.flatten() {
        let target = entry.path();
        if let Err(e) = std::os::unix::fs::symlink(&target, mirror.join(entry.file_name())) {
            fail(&format!(
                "cannot link {} into {}: {e}",
                target.display(),
                mirror.display()
            ));
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CLOSEQ_CTRANSLATE2_DIR");
    let prebuilt = env::var_os("CARGO_FEATURE_STT_WHISPER_LOCAL").is_some();
    let source = env::var_os("CARGO_FEATURE_STT_WHISPER_LOCAL_SOURCE").is_some();
    if prebuilt && source {
        fail(
            "closeq-stt: features `stt-whisper-local` (prebuilt CTranslate2) and `stt-whisper-local-source` \
             (CTranslate2 built from source) exclude each other; enable one.",
        );
    }
    if !prebuilt {
        return;
    }
    let dir = engine_dir();
    if !dir.join(LIB).is_file() {
        fetch(&dir);
    }
    if !dir.join(LIB).is_file() || !dir.join("libctranslate2.so").exists() {
        fail(&format!(
            "the prebuilt CTranslate2 engine is not in {}.\n  Run scripts/fetch-ctranslate2 (or set CLOSEQ_CTRANSLATE2_DIR to the directory it prints),\n  or build it from source with feature closeq-stt/stt-whisper-local-source.",
            dir.display()
        ));
    }
    println!("cargo:rerun-if-changed={}", dir.join(LIB).display());
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_else(|| fail("OUT_DIR is not set")));
    let local = out.join("ctranslate2");
    mirror(&dir, &local);
    println!("cargo:rustc-link-search=native={}", local.display());
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    println!("cargo:libdir={}", dir.display());
}
