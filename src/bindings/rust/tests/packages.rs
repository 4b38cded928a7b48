//! Packages from the lock-file index (native-tests/packages/make-fixture.sh:
//! Debian's python3-six as a wheel), pyimport, pyodide_py and the process
//! default runtime.
use std::path::PathBuf;
use std::process::Command;

use pyodide::{ErrorKind, Runtime, Value};

/// <repo>/build/fixtures/packages, made (or found up to date: a no-op) by the fixture script.
fn index() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..").canonicalize().unwrap();
    let dir = root.join("build/fixtures/packages");
    let made = Command::new("bash").arg(root.join("native-tests/packages/make-fixture.sh")).arg(&dir).status().unwrap();
    assert!(made.success(), "make-fixture.sh failed");
    dir
}

fn with_index() -> Runtime {
    Runtime::builder().index_url(index().to_str().unwrap()).load().unwrap()
}

#[test]
fn load_package_reports_progress_and_lists_what_it_loaded() {
    let py = with_index();
    assert_eq!(py.loaded_packages().unwrap(), vec![]);
    let (mut messages, mut errors) = (Vec::new(), Vec::new());
    py.load_package(&["six"], |m| messages.push(m.to_owned()), |e| errors.push(e.to_owned())).unwrap();
    assert!(messages.iter().any(|m| m == "Loading six"), "{messages:?}");
    assert!(messages.iter().any(|m| m.starts_with("Loaded six from ")), "{messages:?}");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(py.run("import six\nsix.ensure_str(b'x')").unwrap(), Value::Str("x".into()));
    let loaded = py.loaded_packages().unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].0, "six");
    assert!(loaded[0].1.ends_with(".whl") && loaded[0].1.contains("/six-"), "{loaded:?}");
    // Again: a message, not an error.
    messages.clear();
    py.load_package(&["SIX"], |m| messages.push(m.to_owned()), |_| {}).unwrap();
    assert!(messages.iter().any(|m| m.starts_with("six already loaded from ")), "{messages:?}");
}

#[test]
fn load_packages_from_imports_loads_what_code_imports() {
    let py = with_index();
    let mut messages = Vec::new();
    py.load_packages_from_imports("import six\nimport json, not_in_the_index", |m| messages.push(m.to_owned()), |_| {}).unwrap();
    assert!(messages.iter().any(|m| m.starts_with("Loaded six from ")), "{messages:?}");
    assert_eq!(py.run("import six\nsix.PY3").unwrap(), Value::Bool(true));
    assert!(py.load_packages_from_imports("import (", |_| {}, |_| {}).unwrap_err().is_python("SyntaxError"));
}

#[test]
fn package_failures_are_io_errors_and_bad_names_usage_errors() {
    let py = with_index();
    let mut errors = Vec::new();
    let err = py.load_package(&["no-such-package-xyz"], |_| {}, |e| errors.push(e.to_owned())).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Io);
    assert!(err.message.contains("no-such-package-xyz"), "{}", err.message);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("no-such-package-xyz"));
    assert_eq!(py.load_package(&[""], |_| {}, |_| {}).unwrap_err().kind, ErrorKind::Usage);
    assert_eq!(py.load_package(&["si\0x"], |_| {}, |_| {}).unwrap_err().kind, ErrorKind::Usage);
    // Nothing to load is fine.
    py.load_package(&[], |_| {}, |_| {}).unwrap();
    // Without an index, names are IO errors.
    let bare = Runtime::new().unwrap();
    assert_eq!(bare.load_package(&["six"], |_| {}, |_| {}).unwrap_err().kind, ErrorKind::Io);
}

#[test]
fn a_panicking_progress_callback_does_not_stop_the_load() {
    let py = with_index();
    py.load_package(&["six"], |_| panic!("progress bug"), |_| {}).unwrap();
    assert_eq!(py.run("import six\nsix.PY3").unwrap(), Value::Bool(true));
}

#[test]
#[allow(deprecated)]
fn pyimport_pyodide_py_and_the_process_default() {
    let py = Runtime::new().unwrap();
    py.exec("answer = 42").unwrap();
    assert_eq!(py.pyimport("answer").unwrap(), Value::Int(42));
    assert!(py.pyimport("missing").unwrap_err().is_python("KeyError"));
    assert_eq!(py.pyimport("a\0b").unwrap_err().kind, ErrorKind::Usage);
    let pyodide_py = py.pyodide_py().unwrap();
    let imports = pyodide_py.get_attr("find_imports").unwrap().into_proxy().unwrap().call(&["import six, json".into()]).unwrap();
    assert_eq!(imports.into_proxy().unwrap().to_value(-1).unwrap(), Value::List(vec!["six".into(), "json".into()]));
    let first = Runtime::process_default().unwrap();
    let second = Runtime::process_default().unwrap();
    assert_eq!(first.as_ptr(), second.as_ptr());
    first.exec("shared = 'yes'").unwrap();
    assert_eq!(second.run("shared").unwrap(), Value::Str("yes".into()));
}
