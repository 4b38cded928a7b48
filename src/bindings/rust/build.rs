//! Links libpyodide.so: from $PYODIDE_LIB_DIR when set, else <repo>/out/lib
//! (what ./build.sh produces). The rpath makes this crate's own tests and
//! examples find the library (and libwasmtime.so beside it) without
//! LD_LIBRARY_PATH; a program depending on this crate should add its own
//! rpath (DEP_PYODIDE_LIB_DIR gives the directory) or set LD_LIBRARY_PATH.
use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=PYODIDE_LIB_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    let lib_dir = match env::var_os("PYODIDE_LIB_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
            // src/bindings/rust -> repository root
            manifest.join("../../../out/lib")
        }
    };
    let lib_dir = lib_dir.canonicalize().unwrap_or(lib_dir);
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let lib_file = match target_os.as_str() {
        "windows" => "pyodide.lib",
        "macos" => "libpyodide.dylib",
        _ => "libpyodide.so",
    };
    if !lib_dir.join(lib_file).exists() {
        println!(
            "cargo:warning={} not found: run ./build.sh at the repository root, or set PYODIDE_LIB_DIR",
            lib_dir.join(lib_file).display()
        );
    }
    println!("cargo:rerun-if-changed={}", lib_dir.join(lib_file).display());
    println!("cargo:rustc-link-search=native={}", lib_dir.display());
    println!("cargo:rustc-link-lib=dylib=pyodide");
    if target_os != "windows" {
        // Applies to this package's tests, examples and benches.
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib_dir.display());
    }
    println!("cargo:lib_dir={}", lib_dir.display());
}
