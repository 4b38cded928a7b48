//! Snapshot files: `Runtime::save_snapshot` and `RuntimeBuilder::snapshot`.
use pyodide::{ErrorKind, Runtime, Value};

fn temp_file(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("pyodide-rust-{name}-{}.snapshot", std::process::id()))
}

#[test]
fn a_saved_runtime_loads_with_its_state_and_a_new_hash_secret() {
    let path = temp_file("state");
    let saver = Runtime::new().unwrap();
    saver.exec("import json\nbig = {f'k{i}': i for i in range(10_000)}\nsaved_hash = hash('abc')").unwrap();
    saver.save_snapshot(&path).unwrap();
    drop(saver);

    let a = Runtime::builder().snapshot(&path).load().unwrap();
    let b = Runtime::builder().snapshot(&path).load().unwrap();
    assert_eq!(a.run("big['k' + str(9999)]").unwrap(), Value::Int(9999));
    assert_eq!(a.run("json.dumps([1])").unwrap(), Value::Str("[1]".into()));
    // Equal by chance with a probability of at most 2^-32.
    assert_ne!(a.run("hash('abc')").unwrap(), b.run("hash('abc')").unwrap());
    assert_ne!(a.run("hash('abc')").unwrap(), a.run("saved_hash").unwrap());
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn damaged_files_and_unsaveable_state_are_errors() {
    let path = temp_file("damaged");
    std::fs::write(&path, b"not a snapshot at all").unwrap();
    let err = Runtime::builder().snapshot(&path).load().err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Io);
    std::fs::remove_file(&path).unwrap();

    let py = Runtime::new().unwrap();
    py.exec("f = open('/home/pyodide/x', 'w')").unwrap();
    let err = py.save_snapshot(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Python);
    assert!(err.message().contains("open"), "{}", err.message());
    assert!(!path.exists());
}
