//! Runtime is Send + Sync: moved to a thread, shared across scoped threads,
//! interrupted from another thread.
use std::time::{Duration, Instant};

use pyodide::{ErrorKind, Proxy, Runtime, SignalAction, Value};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn types_are_send_and_sync() {
    assert_send_sync::<Runtime>();
    assert_send_sync::<Proxy<'static>>();
    assert_send_sync::<Value<'static>>();
    assert_send_sync::<pyodide::Error>();
}

#[test]
fn a_runtime_moves_to_another_thread() {
    let py = Runtime::new().unwrap();
    py.exec("counter = 1").unwrap();
    let handle = std::thread::spawn(move || {
        py.exec("counter += 1").unwrap();
        py
    });
    let py = handle.join().unwrap();
    assert_eq!(py.run("counter").unwrap(), Value::Int(2));
}

#[test]
fn scoped_threads_share_a_runtime_and_its_proxies() {
    let py = Runtime::new().unwrap();
    let lst = py.run("import threading\nlock = threading.Lock()\nitems = []\nitems").unwrap().into_proxy().unwrap();
    let append = lst.get_attr("append").unwrap().into_proxy().unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let append = &append;
            s.spawn(move || {
                for i in 0..25 {
                    append.call(&[Value::Int(t * 100 + i)]).unwrap();
                }
            });
        }
    });
    assert_eq!(lst.len().unwrap(), 100);
}

/// A loop that ends by itself after a minute, so a lost interrupt fails the
/// test ("not interrupted") instead of hanging it; `n += 1` gives the loop a
/// body inside the `try` (an empty `while True: pass` is outside the handler's
/// range in CPython 3.11).
const INTERRUPTIBLE_LOOP: &str = "import time\nr = 'not interrupted'\nend = time.monotonic() + 60\nn = 0\n\
    try:\n    while time.monotonic() < end:\n        n += 1\nexcept KeyboardInterrupt:\n    r = 'interrupted'\nr";

#[test]
fn interrupt_from_another_thread() {
    let py = Runtime::new().unwrap();
    // An interrupt sent before the call starts is dropped (see the next test),
    // and the runner thread may start late on a loaded machine: interrupt
    // again until the call returns.
    let result = std::thread::scope(|s| {
        let runner = s.spawn(|| py.run(INTERRUPTIBLE_LOOP));
        let t0 = Instant::now();
        while !runner.is_finished() && t0.elapsed() < Duration::from_secs(90) {
            py.interrupt().unwrap();
            std::thread::sleep(Duration::from_millis(50));
        }
        runner.join().unwrap()
    });
    // The KeyboardInterrupt is caught in Python, or (a second interrupt
    // landing after the handler) escapes it, or the call is stopped hard.
    match result {
        Ok(v) => assert_eq!(v, Value::Str("interrupted".into())),
        Err(e) => assert!(e.kind == ErrorKind::Limit || e.is_python("KeyboardInterrupt"), "{e:?}"),
    }
}

#[test]
fn interrupt_without_a_running_call_does_nothing() {
    let py = Runtime::new().unwrap();
    py.interrupt().unwrap();
    assert_eq!(py.run("sum(range(100000))").unwrap(), Value::Int(4999950000));
}

#[test]
fn a_signal_reaches_pythons_own_handler_from_another_thread() {
    let py = Runtime::new().unwrap();
    py.run("import signal\ngot = []\nsignal.signal(signal.SIGTERM, lambda n, f: got.append(n))").unwrap();
    let result = std::thread::scope(|s| {
        let runner = s.spawn(|| py.run("while not got:\n    pass\ngot[0]"));
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(py.signal(15).unwrap(), SignalAction::Handled);
        runner.join().unwrap()
    });
    assert_eq!(result.unwrap(), Value::Int(15));
    // Python's defaults are left to the host; a number that is no signal is refused.
    assert_eq!(py.signal(2).unwrap(), SignalAction::Default);
    py.run("signal.signal(signal.SIGHUP, signal.SIG_IGN)").unwrap();
    assert_eq!(py.signal(1).unwrap(), SignalAction::Ignored);
    assert_eq!(py.signal(0).unwrap_err().kind, ErrorKind::Usage);
}

#[test]
fn a_timeout_is_a_limit_error_from_any_thread() {
    let py = Runtime::new().unwrap();
    py.set_timeout(Some(Duration::from_millis(200))).unwrap();
    let err = std::thread::spawn(move || py.run("while True: pass").unwrap_err()).join().unwrap();
    assert_eq!(err.kind, ErrorKind::Limit, "{err:?}");
}
