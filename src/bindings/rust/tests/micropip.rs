//! micropip from Rust: set_index_urls and install against the test index
//! (native-tests/packages/make-index.sh) served by `python3.11 -m http.server`.
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use pyodide::{ErrorKind, Runtime, Value};

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_index() -> Server {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..").canonicalize().unwrap();
    let index = root.join("build/fixtures/micropip-index");
    let made = Command::new("bash").arg(root.join("native-tests/packages/make-index.sh")).arg(&index).status().unwrap();
    assert!(made.success(), "make-index.sh failed");
    let mut child = Command::new("/usr/bin/python3.11")
        .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory"])
        .arg(&index)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.split(" port ").nth(1).and_then(|rest| rest.split(' ').next()).expect("http.server's port").to_string();
    Server { child, url: format!("http://127.0.0.1:{port}/simple/") }
}

#[test]
fn installs_a_dependency_chain_and_reports_conflicts() {
    let server = serve_index();
    let py = Runtime::new().unwrap();
    py.set_index_urls(&[&server.url]).unwrap();
    let mut messages = Vec::new();
    py.install(&["importlib-metadata", "extras-demo[idna]"], |m| messages.push(m.to_string())).unwrap();
    assert_eq!(
        py.run("import importlib_metadata, zipp, idna, six\nimportlib_metadata.version('zipp')").unwrap(),
        Value::Str("1.0.0".into())
    );
    assert!(messages.iter().any(|m| m.starts_with("Loaded zipp from http://127.0.0.1:")), "{messages:?}");

    let err = py.install(&["needs-old-six"], |_| {}).unwrap_err();
    assert!(err.is_python("ValueError"), "{err:?}");
    assert!(err.message().contains("six<1.0 (required by needs-old-six 1.0)"), "{}", err.message());
}

#[test]
fn bad_requirements_and_indexes_are_usage_errors() {
    let py = Runtime::new().unwrap();
    assert_eq!(py.install(&["si\0x"], |_| {}).unwrap_err().kind(), ErrorKind::Usage);
    assert_eq!(py.install(&[""], |_| {}).unwrap_err().kind(), ErrorKind::Usage);
    assert_eq!(py.set_index_urls(&["ftp://example.com/"]).unwrap_err().kind(), ErrorKind::Usage);
    // No index configured: nothing to install from.
    assert!(py.install(&["six"], |_| {}).unwrap_err().is_python("ValueError"));
}
