//! Async: run_async, run_pending, wait, then/catch/finally, host futures.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyodide::{Error, ErrorKind, HostModule, Runtime, Value};

#[test]
fn run_async_awaits_at_top_level() {
    let py = Runtime::new().unwrap();
    let t0 = Instant::now();
    let v = py.run_async("import asyncio\nawait asyncio.sleep(0.02)\n6 * 7").unwrap();
    assert_eq!(v, Value::Int(42));
    assert!(t0.elapsed() >= Duration::from_millis(18));
    let g = py.run("{}").unwrap().into_proxy().unwrap();
    py.run_async_in("import asyncio\nx = await asyncio.sleep(0, 'in globals')", &g).unwrap();
    assert_eq!(g.get("x").unwrap(), Value::Str("in globals".into()));
    assert!(py.run_async("await missing()").unwrap_err().is_python("NameError"));
}

#[test]
fn run_pending_drives_tasks_and_reports_idle() {
    let py = Runtime::new().unwrap();
    py.exec("import asyncio\nlog = []\nasync def step():\n    log.append(1)\n    await asyncio.sleep(0.01)\n    log.append(2)\nt = asyncio.ensure_future(step())").unwrap();
    // Only what is ready now: the first half.
    assert!(!py.run_pending(Some(Duration::ZERO)).unwrap());
    assert_eq!(py.run("log == [1]").unwrap(), Value::Bool(true));
    // Until idle.
    assert!(py.run_pending(None).unwrap());
    assert_eq!(py.run("log == [1, 2] and t.done()").unwrap(), Value::Bool(true));
}

#[test]
fn wait_returns_results_errors_and_times_out() {
    let py = Runtime::new().unwrap();
    let coro = py.run("import asyncio\nasync def f(x):\n    await asyncio.sleep(0)\n    return x * 2\nf(21)").unwrap().into_proxy().unwrap();
    assert_eq!(coro.wait(None).unwrap(), Value::Int(42));
    let failing = py.run("async def g():\n    raise KeyError('k')\ng()").unwrap().into_proxy().unwrap();
    assert!(failing.wait(None).unwrap_err().is_python("KeyError"));
    let slow = py.run("asyncio.ensure_future(asyncio.sleep(5))").unwrap().into_proxy().unwrap();
    let err = slow.wait(Some(Duration::from_millis(20))).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Limit);
    assert_eq!(py.run("asyncio.sleep").unwrap().into_proxy().unwrap().wait(None).unwrap_err().type_name, "TypeError");
}

#[test]
fn then_catch_finally_chain() {
    let py = Runtime::new().unwrap();
    let fut = py.run("import asyncio\nasync def f():\n    return 20\nf()").unwrap().into_proxy().unwrap();
    let doubled = fut.then(|_py, v| Ok(Value::Int(v.as_i64().unwrap() * 2))).unwrap();
    let plus = doubled.then(|py, v| py.run(&format!("{} + 2", v.as_i64().unwrap()))).unwrap();
    assert_eq!(plus.wait(None).unwrap(), Value::Int(42));

    // An error in the callback fails the chain; a panic too.
    let bad = py.run("f()").unwrap().into_proxy().unwrap().then(|_py, _| Err(Error::python("ValueError", "nope"))).unwrap();
    assert!(bad.wait(None).unwrap_err().is_python("ValueError"));
    let boom = py.run("f()").unwrap().into_proxy().unwrap().then(|_py, _| panic!("then bug")).unwrap();
    let err = boom.wait(None).unwrap_err();
    assert!(err.is_python("RuntimeError") && err.message.contains("then bug"), "{err:?}");

    // catch gets the exception; a failure skips then.
    let called = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&called);
    let failing = py.run("async def g():\n    raise KeyError('k')\ng()").unwrap().into_proxy().unwrap();
    let skipped = failing
        .then(move |_py, _| {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(Value::None)
        })
        .unwrap();
    let caught = skipped.catch(|_py, e| Ok(Value::Str(e.as_proxy().unwrap().type_name()?))).unwrap();
    assert_eq!(caught.wait(None).unwrap(), Value::Str("KeyError".into()));
    assert_eq!(called.load(Ordering::SeqCst), 0);

    // finally runs either way and passes the outcome on.
    let ran = Arc::new(Mutex::new(0));
    let r = Arc::clone(&ran);
    let fin = py.run("f()").unwrap().into_proxy().unwrap().finally(move |_py| {
        *r.lock().unwrap() += 1;
        Ok(())
    }).unwrap();
    assert_eq!(fin.wait(None).unwrap(), Value::Int(20));
    assert_eq!(*ran.lock().unwrap(), 1);
    let fin_err = py.run("f()").unwrap().into_proxy().unwrap().finally(|_py| Err(Error::python("OSError", "cleanup failed"))).unwrap();
    assert!(fin_err.wait(None).unwrap_err().is_python("OSError"));
}

#[test]
fn callbacks_are_dropped_once_settled_or_with_the_runtime() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let py = Runtime::new().unwrap();
    let settled = py.run("import asyncio\nasync def f():\n    return 1\nf()").unwrap().into_proxy().unwrap();
    let counted = Counted(Arc::clone(&drops));
    let next = settled.then(move |_py, v| {
        let _keep = &counted;
        Ok(Value::Int(v.as_i64().unwrap()))
    }).unwrap();
    next.wait(None).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    // Never settled (Python keeps the future): dropped when the runtime is destroyed.
    let pending = py.run("kept = asyncio.get_event_loop().create_future()\nkept").unwrap().into_proxy().unwrap();
    let counted = Counted(Arc::clone(&drops));
    let never = pending.then(move |_py, _| {
        let _keep = &counted;
        Ok(Value::None)
    }).unwrap();
    drop((never, pending, settled, next));
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(py);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn then_on_something_not_awaitable_is_an_error() {
    let py = Runtime::new().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let d = Arc::clone(&drops);
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let counted = Counted(d);
    let not_awaitable = py.run("[1]").unwrap().into_proxy().unwrap();
    let err = not_awaitable.then(move |_py, _| {
        let _keep = &counted;
        Ok(Value::None)
    }).unwrap_err();
    assert!(matches!(err.kind, ErrorKind::Python | ErrorKind::Usage), "{err:?}");
    // The failed call dropped the closure at once.
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn host_future_resolved_from_another_thread() {
    let py = Runtime::new().unwrap();
    let workers = Arc::new(Mutex::new(Vec::new()));
    let spawned = Arc::clone(&workers);
    let module = HostModule::new().function("fetch", move |py, args| {
        let (future, resolver) = py.new_future()?;
        let fail = args.first().and_then(|a| a.as_bool()).unwrap_or(false);
        spawned.lock().unwrap().push(std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            if fail {
                resolver.reject(&Error::python("KeyError", "gone")).unwrap();
            } else {
                resolver.resolve(&Value::List(vec![Value::Str("payload".into()), Value::Int(30)])).unwrap();
            }
            // Completing twice is a Python InvalidStateError.
            resolver.resolve(&1).unwrap_err()
        }));
        Ok(future.into())
    });
    py.register_module("hostasync", module).unwrap();
    let t0 = Instant::now();
    assert_eq!(py.run_async("import hostasync\nv = await hostasync.fetch()\nv == ['payload', 30]").unwrap(), Value::Bool(true));
    assert!(t0.elapsed() >= Duration::from_millis(18));
    assert_eq!(
        py.run_async("try:\n    await hostasync.fetch(True)\nexcept KeyError as e:\n    r = repr(e)\nr").unwrap(),
        Value::Str("KeyError('gone')".into())
    );
    for worker in workers.lock().unwrap().drain(..) {
        assert_eq!(worker.join().unwrap().type_name, "InvalidStateError");
    }
}

#[test]
fn a_resolver_outliving_its_runtime_reports_usage_errors() {
    let py = Runtime::new().unwrap();
    let (future, resolver) = py.new_future().unwrap();
    drop(future);
    drop(py);
    let err = resolver.resolve(&1).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Usage);
    assert_eq!(resolver.reject(&Error::python("ValueError", "x")).unwrap_err().kind, ErrorKind::Usage);
    drop(resolver);
}
