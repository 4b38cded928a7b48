//! Running code, conversions, errors, configuration.
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyodide::{ErrorKind, Runtime, Value};

#[test]
fn runs_code_and_returns_the_last_expression() {
    let py = Runtime::new().unwrap();
    assert_eq!(py.run("x = 6\nx * 7").unwrap(), Value::Int(42));
    assert_eq!(py.run("x = 1").unwrap(), Value::None);
    py.exec("y = x + 1").unwrap();
    assert_eq!(py.run("y").unwrap().extract::<i64>().unwrap(), 2);
    assert!(!Runtime::version().is_empty());
}

#[test]
fn scalar_conversions_from_python() {
    let py = Runtime::new().unwrap();
    assert_eq!(py.run("None").unwrap(), Value::None);
    assert_eq!(py.run("True").unwrap(), Value::Bool(true));
    assert_eq!(py.run("-2**63").unwrap(), Value::Int(i64::MIN));
    assert_eq!(py.run("1.5").unwrap(), Value::Float(1.5));
    assert_eq!(py.run("'héllo ✓'").unwrap(), Value::Str("héllo ✓".into()));
    assert_eq!(py.run("'a\\0b'").unwrap(), Value::Str("a\0b".into()));
    assert_eq!(py.run("b'\\x00\\xff'").unwrap(), Value::Bytes(vec![0, 255]));
    // No exact host form: proxies.
    let big = py.run("2**64").unwrap().into_proxy().unwrap();
    assert_eq!(big.type_name().unwrap(), "int");
    let lone = py.run("'\\ud800'").unwrap();
    assert!(matches!(lone, Value::Proxy(_)));
    assert!(matches!(py.run("[1, 2]").unwrap(), Value::Proxy(_)));
}

#[test]
fn values_round_trip_into_python() {
    let py = Runtime::new().unwrap();
    let g = py.globals().unwrap();
    let v = Value::List(vec![
        Value::None,
        Value::Bool(false),
        Value::Int(-7),
        Value::Float(0.25),
        Value::Str("ü".into()),
        Value::Bytes(b"\x00b".to_vec()),
        Value::Dict(vec![(Value::Int(1), Value::Str("one".into())), (Value::Str("k".into()), Value::List(vec![]))]),
    ]);
    g.set("v", &v).unwrap();
    assert_eq!(
        py.run("v == [None, False, -7, 0.25, 'ü', b'\\x00b', {1: 'one', 'k': []}]").unwrap(),
        Value::Bool(true)
    );
    // And back with a deep conversion.
    let back = g.get("v").unwrap().into_proxy().unwrap().to_value(-1).unwrap();
    assert_eq!(back, v);
    // Plain Rust values work as arguments too.
    g.set("n", &5).unwrap();
    g.set("s", "text").unwrap();
    g.set("l", &[1, 2, 3]).unwrap();
    g.set("b", &b"raw"[..]).unwrap();
    g.set("o", &Option::<i32>::None).unwrap();
    let mut m = std::collections::BTreeMap::new();
    m.insert("a", 1.5);
    g.set("m", &m).unwrap();
    assert_eq!(
        py.run("(n, s, l, b, o, m) == (5, 'text', [1, 2, 3], b'raw', None, {'a': 1.5})").unwrap(),
        Value::Bool(true)
    );
}

#[test]
fn python_exceptions_are_errors_with_kind_and_type() {
    let py = Runtime::new().unwrap();
    let err = py.run("1 / 0").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Python);
    assert_eq!(err.type_name, "ZeroDivisionError");
    assert!(err.message.contains("Traceback"), "{}", err.message);
    assert!(err.message.contains("division by zero"));
    assert!(err.to_string().ends_with("ZeroDivisionError: division by zero"), "{err}");
    assert!(err.is_python("ZeroDivisionError"));
    let err = py.run("def f(:\n  pass").unwrap_err();
    assert_eq!((err.kind, err.type_name.as_str()), (ErrorKind::Python, "SyntaxError"));
    let err = py.run("class MyError(Exception): pass\nraise MyError('mine')").unwrap_err();
    assert_eq!(err.type_name, "MyError");
    // A std::error::Error.
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    assert!(boxed.to_string().contains("mine"));
    // The runtime is fine afterwards.
    assert_eq!(py.run("1 + 1").unwrap(), Value::Int(2));
}

#[test]
fn wrong_types_are_usage_errors() {
    let py = Runtime::new().unwrap();
    let err = py.run("'text'").unwrap().extract::<i64>().unwrap_err();
    assert_eq!(err.kind, ErrorKind::Usage);
    assert_eq!(err.type_name, "UsageError");
    assert!(err.message.contains("str"), "{}", err.message);
    assert_eq!(py.run("3").unwrap().into_proxy().unwrap_err().kind, ErrorKind::Usage);
    assert_eq!(py.run("2**40").unwrap().extract::<i32>().unwrap_err().kind, ErrorKind::Usage);
    assert_eq!(py.run("2").unwrap().extract::<f64>().unwrap(), 2.0);
    assert_eq!(py.run("None").unwrap().extract::<()>().unwrap(), ());
}

#[test]
fn code_with_nul_runs_and_bad_globals_fail() {
    let py = Runtime::new().unwrap();
    // Code is passed with its length: an embedded NUL is Python's problem.
    let err = py.run("1\0+1").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Python);
    // run_in with a non-dict globals.
    let not_a_dict = py.run("[1]").unwrap().into_proxy().unwrap();
    let err = py.run_in("1", &not_a_dict).unwrap_err();
    assert!(matches!(err.kind, ErrorKind::Python | ErrorKind::Usage), "{err:?}");
    // A private namespace.
    let ns = py.run("{'a': 40}").unwrap().into_proxy().unwrap();
    assert_eq!(py.run_in("a + 2", &ns).unwrap(), Value::Int(42));
    assert!(py.run("a").unwrap_err().is_python("NameError"));
}

#[test]
fn stdout_and_stderr_go_to_closures() {
    let out = Arc::new(Mutex::new(Vec::new()));
    let err = Arc::new(Mutex::new(Vec::new()));
    let (o, e) = (out.clone(), err.clone());
    let py = Runtime::builder()
        .stdout(move |b| o.lock().unwrap().extend_from_slice(b))
        .stderr(move |b| e.lock().unwrap().extend_from_slice(b))
        .load()
        .unwrap();
    py.exec("import sys\nprint('to out', 1)\nprint('to err', file=sys.stderr)\nsys.stdout.flush(); sys.stderr.flush()")
        .unwrap();
    assert_eq!(String::from_utf8(out.lock().unwrap().clone()).unwrap(), "to out 1\n");
    assert_eq!(String::from_utf8(err.lock().unwrap().clone()).unwrap(), "to err\n");
}

#[test]
fn stdin_reads_from_any_reader() {
    let py = Runtime::builder().stdout(|_| {}).stdin(&b"Ada\nLovelace\n"[..]).load().unwrap();
    assert_eq!(py.run("input('name? ') + ' ' + input()").unwrap(), Value::Str("Ada Lovelace".into()));
    assert!(py.run("input()").unwrap_err().is_python("EOFError"));
    assert_eq!(py.run("import sys\nsys.stdin.isatty()").unwrap(), Value::Bool(false));
    let raw = Runtime::builder().stdin(std::io::Cursor::new(b"\xff\x00 raw".to_vec())).load().unwrap();
    assert_eq!(raw.run("import sys\nsys.stdin.buffer.read().hex()").unwrap(), Value::Str("ff0020726177".into()));
}

#[test]
fn stdin_errors_are_oserror_and_isatty_is_the_hosts() {
    struct Failing;
    impl std::io::Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let py = Runtime::builder().stdin(Failing).stdin_isatty(true).load().unwrap();
    assert!(py.run("input()").unwrap_err().is_python("OSError"));
    assert_eq!(py.run("import sys\nsys.stdin.isatty()").unwrap(), Value::Bool(true));
    assert_eq!(py.run("1 + 1").unwrap(), Value::Int(2));
}

#[test]
fn stdout_and_stderr_isatty_are_what_the_builder_says() {
    const TTYS: &str = "import sys\nf'{sys.stdout.isatty()} {sys.stderr.isatty()}'";
    let tty = Runtime::builder().stdout(|_| {}).stdout_isatty(true).stderr(|_| {}).load().unwrap();
    assert_eq!(tty.run(TTYS).unwrap(), Value::Str("True False".into()));
    let err_tty = Runtime::builder().stdout(|_| {}).stderr(|_| {}).stderr_isatty(true).load().unwrap();
    assert_eq!(err_tty.run(TTYS).unwrap(), Value::Str("False True".into()));
}

/// Fails every write with `error()`, as a pipe whose reader has gone does.
struct FailingWriter(fn() -> std::io::Error);

impl std::io::Write for FailingWriter {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err((self.0)())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_writer_that_fails_fails_pythons_write() {
    const OUTCOMES: &str = "import os, sys\n\
        def outcome(write):\n    try:\n        write()\n    except OSError as e:\n        return f'{type(e).__name__} {e.errno}'\n    return 'written'\n\
        ', '.join(outcome(w) for w in (lambda: print('x'), lambda: os.write(1, b'x'), lambda: print('x', file=sys.stderr)))";
    let cases: [(fn() -> std::io::Error, &str); 3] = [
        (|| std::io::Error::from_raw_os_error(32), "BrokenPipeError 32, BrokenPipeError 32, written"),
        (|| std::io::ErrorKind::BrokenPipe.into(), "BrokenPipeError 32, BrokenPipeError 32, written"),
        (|| std::io::Error::new(std::io::ErrorKind::Other, "gone"), "OSError 5, OSError 5, written"),
    ];
    for (error, want) in cases {
        let py = Runtime::builder().stdout_writer(FailingWriter(error)).stderr_writer(std::io::sink()).load().unwrap();
        assert_eq!(py.run(OUTCOMES).unwrap(), Value::Str(want.into()));
        assert_eq!(py.run("1 + 1").unwrap(), Value::Int(2));
    }
}

#[test]
fn os_exit_ends_the_runtime_with_its_status() {
    let py = Runtime::new().unwrap();
    let e = py.run("import sys\nsys.exit(3)").unwrap_err();
    assert!(e.is_python("SystemExit") && e.exit_status().is_none());
    let e = py.run("import os\nos._exit(7)").unwrap_err();
    assert_eq!((e.kind(), e.exit_status()), (ErrorKind::Fatal, Some(7)));
    assert!(e.message().contains("os._exit(7)"), "{}", e.message());
    assert_eq!(py.run("1").unwrap_err().exit_status(), Some(7));
}

#[test]
fn terminal_size_is_what_the_builder_says() {
    const SIZES: &str = "import os, shutil\n\
        def size(fd):\n    try:\n        return tuple(os.get_terminal_size(fd))\n    except OSError as e:\n        return e.errno\n\
        f'{size(0)} {size(1)} {tuple(shutil.get_terminal_size())}'";
    let py = Runtime::builder().stdout(|_| {}).terminal_size(|fd| (fd == 1).then_some((77, 22))).load().unwrap();
    assert_eq!(py.run(SIZES).unwrap(), Value::Str("25 (77, 22) (77, 22)".into()));
    let panics = Runtime::builder().stdout(|_| {}).terminal_size(|_| panic!("no size")).load().unwrap();
    assert_eq!(panics.run(SIZES).unwrap(), Value::Str("25 25 (80, 24)".into()));
}

#[test]
fn a_panicking_output_closure_does_not_crash() {
    let py = Runtime::builder().stdout(|_| panic!("boom")).load().unwrap();
    py.exec("print('x')").unwrap();
    assert_eq!(py.run("2").unwrap(), Value::Int(2));
}

#[test]
fn mounts_expose_host_directories() {
    let dir = std::env::temp_dir().join(format!("pyodide-rust-mount-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("in.txt"), "from the host").unwrap();
    {
        let py = Runtime::builder().mount(&dir, "/data", false).load().unwrap();
        assert_eq!(py.run("open('/data/in.txt').read()").unwrap(), Value::Str("from the host".into()));
        py.exec("open('/data/out.txt', 'w').write('from python')").unwrap();
        // Nothing else of the host is visible.
        assert_eq!(py.run("import os\nos.path.exists('/etc/passwd')").unwrap(), Value::Bool(false));
    }
    assert_eq!(std::fs::read_to_string(dir.join("out.txt")).unwrap(), "from python");
    {
        let py = Runtime::builder().mount(&dir, "/ro", true).load().unwrap();
        let err = py.run("open('/ro/x.txt', 'w')").unwrap_err();
        assert_eq!(err.kind, ErrorKind::Python, "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn configuration_errors() {
    let err = Runtime::builder().asset_dir("/nonexistent/assets").load().unwrap_err();
    assert_eq!(err.kind, ErrorKind::Io, "{err}");
    let err = Runtime::builder().asset_dir("bad\0path").load().unwrap_err();
    assert_eq!(err.kind, ErrorKind::Usage);
    let err = Runtime::builder().mount("/nonexistent/dir/x", "/x", true).load().unwrap_err();
    assert!(matches!(err.kind, ErrorKind::Usage | ErrorKind::Io), "{err:?}");
}

#[test]
fn timeouts_are_limit_errors() {
    let py = Runtime::builder().timeout(Duration::from_millis(200)).load().unwrap();
    // The configured deadline can be lifted for a call and set again.
    py.set_timeout(None).unwrap();
    assert_eq!(py.run("import time\nt = time.monotonic()\nwhile time.monotonic() - t < 0.4: pass\n1").unwrap(), Value::Int(1));
    py.set_timeout(Some(Duration::from_millis(200))).unwrap();
    let t0 = Instant::now();
    let err = py.run("while True: pass").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Limit, "{err}");
    assert_eq!(err.type_name, "LimitError");
    assert!(t0.elapsed() < Duration::from_secs(10));
    // Python honoured the interrupt (a pure-Python loop): the runtime lives on.
    assert_eq!(py.run("1").unwrap(), Value::Int(1));
}

#[test]
fn memory_limit_is_enforced() {
    let py = Runtime::builder().memory_limit(64 << 20).load().unwrap();
    let err = py.run("b = bytearray(200 * 1024 * 1024)").unwrap_err();
    assert!(matches!(err.kind, ErrorKind::Limit | ErrorKind::Python), "{err:?}");
    assert!(py.stats().unwrap().memory_bytes <= 64 << 20);
}

#[test]
fn runtimes_are_isolated() {
    let a = Runtime::new().unwrap();
    let b = Runtime::new().unwrap();
    a.exec("x = 'a'").unwrap();
    assert!(b.run("x").unwrap_err().is_python("NameError"));
    // A proxy of one runtime used in another is refused.
    let pa = a.run("[1]").unwrap().into_proxy().unwrap();
    let gb = b.globals().unwrap();
    let err = gb.set("p", &pa).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Usage, "{err}");
}
