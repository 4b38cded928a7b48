//! Host modules: Rust functions and constants Python imports.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pyodide::{Error, ErrorKind, HostModule, Runtime, Value, MAX_MODULE_FUNCTIONS};

/// Counts its drops: a closure capturing one is dropped exactly when the
/// library finalizes the callback that holds it.
struct DropCounter(Arc<AtomicUsize>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn functions_and_constants_are_importable() {
    let py = Runtime::new().unwrap();
    let module = HostModule::new()
        .function("add", |_py, args| match args {
            [Value::Int(a), Value::Int(b)] => Ok(Value::Int(a + b)),
            _ => Err(Error::python("TypeError", "add(a: int, b: int)")),
        })
        .function("greet", |_py, args| Ok(Value::Str(format!("hello {}", args[0].as_str().unwrap_or("?")))))
        .constant("version", "1.2")
        .constant("limits", Value::List(vec![Value::Int(1), Value::Float(2.5)]));
    py.register_module("hostmod", module).unwrap();
    assert_eq!(py.run("import hostmod\nhostmod.add(40, 2)").unwrap(), Value::Int(42));
    assert_eq!(py.run("hostmod.greet('world')").unwrap(), Value::Str("hello world".into()));
    assert_eq!(py.run("hostmod.version, hostmod.limits == [1, 2.5]").unwrap().into_proxy().unwrap().to_value(-1).unwrap(),
        Value::List(vec![Value::Str("1.2".into()), Value::Bool(true)]));
    let err = py.run("hostmod.add('a', 1)").unwrap_err();
    assert!(err.is_python("TypeError"), "{err:?}");
    assert!(err.message.contains("add(a: int, b: int)"), "{}", err.message);
}

#[test]
fn arguments_and_results_of_every_kind() {
    let py = Runtime::new().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let module = HostModule::new()
        .function("kinds", move |_py, args| {
            log.lock().unwrap().extend(args.iter().map(|a| a.kind_name()));
            Ok(Value::None)
        })
        .function("echo_type", |_py, args| {
            // A proxy argument works during the call.
            let p = args[0].as_proxy().ok_or_else(|| Error::python("TypeError", "want an object"))?;
            Ok(Value::Str(p.type_name()?))
        })
        .function("make", |_py, _args| {
            Ok(Value::Dict(vec![
                (Value::Str("s".into()), Value::Str("ü".into())),
                (Value::Str("b".into()), Value::Bytes(vec![0, 255])),
                (Value::Str("l".into()), Value::List(vec![Value::None, Value::Bool(true), Value::Float(0.5)])),
                (Value::Int(7), Value::Int(-7)),
            ]))
        });
    py.register_module("kindmod", module).unwrap();
    py.exec("import kindmod\nkindmod.kinds(None, True, 3, 1.5, 'x', b'y', [1], {'a': 1}, object())").unwrap();
    assert_eq!(*seen.lock().unwrap(), ["None", "bool", "int", "float", "str", "bytes", "proxy", "proxy", "proxy"]);
    assert_eq!(py.run("kindmod.echo_type({})").unwrap(), Value::Str("dict".into()));
    assert_eq!(
        py.run("kindmod.make() == {'s': 'ü', 'b': b'\\x00\\xff', 'l': [None, True, 0.5], 7: -7}").unwrap(),
        Value::Bool(true)
    );
    // Borrowed argument handles are not leaked nor destroyed twice.
    let before = py.stats().unwrap().guest_objects;
    py.exec("for _ in range(200): kindmod.echo_type([])").unwrap();
    assert_eq!(py.stats().unwrap().guest_objects, before);
}

#[test]
fn results_may_be_proxies_made_in_the_call() {
    let py = Runtime::new().unwrap();
    let module = HostModule::new()
        .function("pair", |py, args| {
            // Re-entering the runtime from inside a call.
            let tuple = py.run("lambda a, b: (a, b)")?.into_proxy()?.call(&[Value::Int(1), args[0].as_proxy().unwrap().try_clone()?.into()])?;
            Ok(tuple)
        })
        .function("keep", |_py, args| Ok(args[0].as_proxy().unwrap().try_clone()?.into()));
    py.register_module("proxymod", module).unwrap();
    assert_eq!(py.run("import proxymod\nx = [9]\nproxymod.pair(x) == (1, [9]) and proxymod.pair(x)[1] is x").unwrap(), Value::Bool(true));
    assert_eq!(py.run("proxymod.keep(x) is x").unwrap(), Value::Bool(true));
}

#[test]
fn errors_raise_python_exceptions() {
    let py = Runtime::new().unwrap();
    let module = HostModule::new()
        .function("key_error", |_py, _| Err(Error::python("KeyError", "missing")))
        .function("custom", |_py, _| Err(Error::python("QuotaExceeded", "too many")))
        .function("usage", |_py, _| Err(Error::new(ErrorKind::Io, "disk on fire")))
        .function("nested", |py, _| py.run("1 / 0"));
    py.register_module("errmod", module).unwrap();
    py.exec("import errmod, pyodide").unwrap();
    assert_eq!(py.run("try:\n errmod.key_error()\nexcept KeyError as e:\n r = repr(e)\nr").unwrap(), Value::Str("KeyError('missing')".into()));
    assert_eq!(
        py.run("try:\n errmod.custom()\nexcept pyodide.HostError as e:\n r = (type(e).__name__, str(e))\nr").unwrap().into_proxy().unwrap().to_value(-1).unwrap(),
        Value::List(vec![Value::Str("QuotaExceeded".into()), Value::Str("too many".into())])
    );
    let err = py.run("errmod.usage()").unwrap_err();
    assert!(err.is_python("RuntimeError"), "{err:?}");
    assert!(err.message.contains("IOError: disk on fire"), "{}", err.message);
    assert!(py.run("errmod.nested()").unwrap_err().is_python("ZeroDivisionError"));
}

#[test]
fn a_panic_raises_runtime_error_and_does_not_unwind_into_the_library() {
    let py = Runtime::new().unwrap();
    let module = HostModule::new()
        .function("boom", |_py, _| panic!("host bug {}", 42))
        .function("fine", |_py, _| Ok(Value::Int(1)));
    py.register_module("panicmod", module).unwrap();
    let err = py.run("import panicmod\npanicmod.boom()").unwrap_err();
    assert!(err.is_python("RuntimeError"), "{err:?}");
    assert!(err.message.contains("panicked: host bug 42"), "{}", err.message);
    // Python can catch it, and the runtime goes on.
    assert_eq!(py.run("try:\n panicmod.boom()\nexcept RuntimeError:\n r = 'caught'\nr").unwrap(), Value::Str("caught".into()));
    assert_eq!(py.run("panicmod.fine()").unwrap(), Value::Int(1));
}

#[test]
fn functions_are_dropped_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let py = Runtime::new().unwrap();
    let module = |drops: &Arc<AtomicUsize>| {
        let a = DropCounter(Arc::clone(drops));
        let b = DropCounter(Arc::clone(drops));
        HostModule::new()
            .function("a", move |_py, _| Ok(Value::Int(a.0.load(Ordering::SeqCst) as i64)))
            .function("b", move |_py, _| Ok(Value::Int(b.0.load(Ordering::SeqCst) as i64)))
    };
    py.register_module("oncemod", module(&drops)).unwrap();
    assert_eq!(py.run("import oncemod\noncemod.a()").unwrap(), Value::Int(0));
    py.unregister_module("oncemod").unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    // Imported already: it stays, but calling raises RuntimeError.
    assert!(py.run("oncemod.a()").unwrap_err().is_python("RuntimeError"));
    assert!(py.run("import sys\ndel sys.modules['oncemod']\nimport oncemod").unwrap_err().is_python("ModuleNotFoundError"));
    // Unregistering twice is a usage error; the name can be used again.
    assert_eq!(py.unregister_module("oncemod").unwrap_err().kind, ErrorKind::Usage);
    py.register_module("oncemod", module(&drops)).unwrap();
    // A failed registration drops its functions at once.
    assert_eq!(py.register_module("oncemod", module(&drops)).unwrap_err().kind, ErrorKind::Usage);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
    // Destroying the runtime drops the rest.
    drop(py);
    assert_eq!(drops.load(Ordering::SeqCst), 6);
}

#[test]
fn registration_errors_are_usage_errors() {
    let py = Runtime::new().unwrap();
    let bad = |name: &str| py.register_module(name, HostModule::new().constant("x", 1)).unwrap_err();
    assert_eq!(bad("").kind, ErrorKind::Usage);
    assert_eq!(bad("not a name").kind, ErrorKind::Usage);
    assert_eq!(bad("nul\0inside").kind, ErrorKind::Usage);
    let unnamed = HostModule::new().function("", |_py, _| Ok(Value::None));
    assert_eq!(py.register_module("m", unnamed).unwrap_err().kind, ErrorKind::Usage);
    let err = py.register_module("m", HostModule::new().constant("bad", Value::Bytes(vec![1])).constant("x\0y", 1)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Usage);
    assert!(err.message.contains("NUL"), "{}", err.message);
    let mut big = HostModule::new();
    for i in 0..=MAX_MODULE_FUNCTIONS {
        big = big.function(&format!("f{i}"), |_py, _| Ok(Value::None));
    }
    let err = py.register_module("big", big).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Usage);
    assert!(err.message.contains("at most 256"), "{}", err.message);
    assert_eq!(py.unregister_module("never").unwrap_err().kind, ErrorKind::Usage);
}

#[test]
fn every_trampoline_calls_its_own_function() {
    let py = Runtime::new().unwrap();
    let mut module = HostModule::new();
    for i in 0..MAX_MODULE_FUNCTIONS as i64 {
        module = module.function(&format!("f{i}"), move |_py, _| Ok(Value::Int(i)));
    }
    py.register_module("wide", module).unwrap();
    assert_eq!(
        py.run("import wide\nall(getattr(wide, f'f{i}')() == i for i in range(256))").unwrap(),
        Value::Bool(true)
    );
}

#[test]
fn proxies_of_the_runtime_as_constants() {
    let py = Runtime::new().unwrap();
    let list = py.run("[1, 2, 3]").unwrap().into_proxy().unwrap();
    py.register_module("constmod", HostModule::new().constant("items", list)).unwrap();
    assert_eq!(py.run("import constmod\nsum(constmod.items)").unwrap(), Value::Int(6));
}
