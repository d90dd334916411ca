//! Gives the `closeq` binary an rpath to the prebuilt CTranslate2 engine
//! (exported by closeq-stt's build script), then `$ORIGIN`, so the binary
//! runs from the target directory without `LD_LIBRARY_PATH`, and a copy
//! placed next to the engine's files runs anywhere.

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_CLOSEQ_CTRANSLATE2_LIBDIR");
    if let Some(dir) = std::env::var_os("DEP_CLOSEQ_CTRANSLATE2_LIBDIR") {
        let dir = dir.to_string_lossy();
        println!("cargo:rustc-link-arg-bins=-Wl,-rpath,{dir}");
        println!("cargo:rustc-link-arg-bins=-Wl,-rpath,$ORIGIN");
    }
}
