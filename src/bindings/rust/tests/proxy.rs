//! Proxies: items, attributes, calls, iteration, conversions, lifetimes.
use pyodide::{ErrorKind, Next, Runtime, ToValue, Value};

fn live_proxies(py: &Runtime) -> u64 {
    py.stats().unwrap().guest_objects
}

#[test]
fn items_get_set_has_delete_len() {
    let py = Runtime::new().unwrap();
    let d = py.run("d = {'a': 1}\nd").unwrap().into_proxy().unwrap();
    assert_eq!(d.type_name().unwrap(), "dict");
    assert_eq!(d.get("a").unwrap(), Value::Int(1));
    d.set("b", &Value::List(vec![Value::Int(2)])).unwrap();
    assert!(d.has("b").unwrap());
    assert!(!d.has("zz").unwrap());
    assert_eq!(d.len().unwrap(), 2);
    d.delete("a").unwrap();
    assert!(!d.has("a").unwrap());
    let err = d.get("a").unwrap_err();
    assert!(err.is_python("KeyError"), "{err:?}");
    assert!(d.delete("a").unwrap_err().is_python("KeyError"));
    assert_eq!(py.run("d").unwrap().into_proxy().unwrap().to_value(-1).unwrap(),
        Value::Dict(vec![(Value::Str("b".into()), Value::List(vec![Value::Int(2)]))]));
    // Lists: integer keys.
    let l = py.run("[10, 20, 30]").unwrap().into_proxy().unwrap();
    assert_eq!(l.get(&-1).unwrap(), Value::Int(30));
    assert!(l.get(&5).unwrap_err().is_python("IndexError"));
    // Wrong types are Python TypeErrors.
    let n = py.run("import fractions\nfractions.Fraction(1, 3)").unwrap().into_proxy().unwrap();
    assert_eq!(n.type_name().unwrap(), "fractions.Fraction");
    assert!(n.len().unwrap_err().is_python("TypeError"));
    assert!(n.get(&0).unwrap_err().is_python("TypeError"));
}

#[test]
fn globals_and_to_py() {
    let py = Runtime::new().unwrap();
    let g = py.globals().unwrap();
    g.set("name", "world").unwrap();
    assert_eq!(py.run("f'hello {name}'").unwrap(), Value::Str("hello world".into()));
    let p = py.to_py(&Value::List(vec![Value::Int(1), Value::Str("x".into())])).unwrap();
    assert_eq!(p.type_name().unwrap(), "list");
    assert_eq!(p.len().unwrap(), 2);
    let t = py.to_py(&b"bytes"[..]).unwrap();
    assert_eq!(t.type_name().unwrap(), "bytes");
    let err = py.to_py_depth(&Value::List(vec![Value::List(vec![])]), 1).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Usage);
}

#[test]
fn to_py_refuses_values_nested_too_deep() {
    // Safe Rust cannot build a value that contains itself (a Value owns its
    // items); the nearest shape is one nested past the library's limit, which
    // a value that contains itself would reach.
    let py = Runtime::new().unwrap();
    let nest = |levels: usize| (0..levels).fold(Value::Int(1), |inner, _| Value::List(vec![inner]));
    let deep = nest(600);
    for depth in [-1, 3] {
        let err = py.to_py_depth(&deep, depth).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Usage);
        assert!(err.message.contains("nests more than"), "{}", err.message);
    }
    assert_eq!(py.to_py_depth(&nest(3), 3).unwrap().len().unwrap(), 1);
}

#[test]
fn attributes() {
    let py = Runtime::new().unwrap();
    let o = py.run("class C:\n  x = 1\nC()").unwrap().into_proxy().unwrap();
    assert_eq!(o.type_name().unwrap(), "C");
    assert_eq!(o.get_attr("x").unwrap(), Value::Int(1));
    o.set_attr("y", "why").unwrap();
    assert!(o.has_attr("y").unwrap());
    assert_eq!(o.get_attr("y").unwrap(), Value::Str("why".into()));
    o.del_attr("y").unwrap();
    assert!(!o.has_attr("y").unwrap());
    assert!(o.get_attr("y").unwrap_err().is_python("AttributeError"));
    assert!(o.del_attr("nope").unwrap_err().is_python("AttributeError"));
    let s = py.run("'a,b'").unwrap();
    assert_eq!(s, Value::Str("a,b".into()));
    let sp = py.to_py(&s).unwrap();
    let parts = sp.call_method("split", &[",".into()]).unwrap().into_proxy().unwrap();
    assert_eq!(parts.to_value(-1).unwrap(), Value::List(vec!["a".into(), "b".into()]));
}

#[test]
fn calls_with_args_and_kwargs() {
    let py = Runtime::new().unwrap();
    let f = py.run("def f(a, b=2, *, c=3):\n  return [a, b, c]\nf").unwrap().into_proxy().unwrap();
    let r = f.call(&[Value::Int(1)]).unwrap().into_proxy().unwrap();
    assert_eq!(r.to_value(-1).unwrap(), Value::List(vec![1.into(), 2.into(), 3.into()]));
    let r = f.call_kwargs(&["a".into()], &[("c", Value::Float(0.5)), ("b", Value::None)]).unwrap();
    assert_eq!(r.into_proxy().unwrap().to_value(-1).unwrap(), Value::List(vec!["a".into(), Value::None, 0.5.into()]));
    let err = f.call(&[]).unwrap_err();
    assert!(err.is_python("TypeError"), "{err:?}");
    let err = f.call_kwargs(&[1.into()], &[("nope", 1.into())]).unwrap_err();
    assert!(err.is_python("TypeError"));
    // Borrowed arguments of mixed types, including a proxy (not moved).
    let id = py.run("lambda *a: a").unwrap().into_proxy().unwrap();
    let r = id.call_with(&[&f as &dyn ToValue, &1, &"x", &vec![1.5, 2.5]]).unwrap().into_proxy().unwrap();
    assert_eq!(r.len().unwrap(), 4);
    assert_eq!(r.get(&0).unwrap().into_proxy().unwrap().type_name().unwrap(), "function");
    assert_eq!(id.call_with(&[1, 2]).unwrap().into_proxy().unwrap().len().unwrap(), 2);
    // Calling a non-callable.
    let n = py.run("[]").unwrap().into_proxy().unwrap();
    assert!(n.call(&[]).unwrap_err().is_python("TypeError"));
}

#[test]
fn iteration_and_generators() {
    let py = Runtime::new().unwrap();
    let r = py.run("range(5)").unwrap().into_proxy().unwrap();
    let items: Vec<i64> = r.iter().unwrap().map(|v| v.unwrap().extract().unwrap()).collect();
    assert_eq!(items, [0, 1, 2, 3, 4]);
    // An exception inside the iteration: one Err, then the end.
    let g = py.run("def g():\n  yield 1\n  raise ValueError('bad')\ng()").unwrap().into_proxy().unwrap();
    let mut it = g.iter().unwrap();
    assert_eq!(it.next().unwrap().unwrap(), Value::Int(1));
    assert!(it.next().unwrap().unwrap_err().is_python("ValueError"));
    assert!(it.next().is_none());
    // send() and a return value.
    let g = py
        .run("def acc():\n  total = 0\n  while True:\n    x = yield total\n    if x is None: return total\n    total += x\nacc()")
        .unwrap()
        .into_proxy()
        .unwrap();
    assert_eq!(g.next(None).unwrap(), Next::Yield(Value::Int(0)));
    assert_eq!(g.next(Some(&Value::Int(5))).unwrap(), Next::Yield(Value::Int(5)));
    assert_eq!(g.next(Some(&Value::Int(7))).unwrap(), Next::Yield(Value::Int(12)));
    assert_eq!(g.next(None).unwrap(), Next::Return(Value::Int(12)));
    // Not iterable.
    let n = py.run("import fractions\nfractions.Fraction(1)").unwrap().into_proxy().unwrap();
    assert!(n.iter().unwrap_err().is_python("TypeError"));
    // Dict iteration gives keys.
    let d = py.run("{'x': 1, 'y': 2}").unwrap().into_proxy().unwrap();
    let keys: Vec<String> = d.iter().unwrap().map(|k| k.unwrap().extract().unwrap()).collect();
    assert_eq!(keys, ["x", "y"]);
}

#[test]
fn to_value_depth_and_proxies_inside() {
    let py = Runtime::new().unwrap();
    let p = py.run("import fractions\nx = [1, (2, [3]), {'k': {4}}, fractions.Fraction(1, 2)]\nx").unwrap().into_proxy().unwrap();
    let all = p.to_value(-1).unwrap();
    let items = all.as_list().unwrap();
    assert_eq!(items[0], Value::Int(1));
    assert_eq!(items[1], Value::List(vec![2.into(), Value::List(vec![3.into()])]));
    assert_eq!(items[2].dict_get(&"k".into()).unwrap(), &Value::List(vec![4.into()]));
    let frac = items[3].as_proxy().unwrap();
    assert_eq!(frac.type_name().unwrap(), "fractions.Fraction");
    assert_eq!(frac.get_attr("denominator").unwrap(), Value::Int(2));
    // depth 1: the inner containers stay proxies.
    let shallow = p.to_value(1).unwrap();
    let inner = shallow.as_list().unwrap()[1].as_proxy().unwrap();
    assert_eq!(inner.type_name().unwrap(), "tuple");
    // depth 0: the object itself stays a proxy.
    assert!(matches!(p.to_value(0).unwrap(), Value::Proxy(_)));
    // A cycle stays a proxy instead of recursing forever.
    let c = py.run("c = []\nc.append(c)\nc").unwrap().into_proxy().unwrap();
    let v = c.to_value(-1).unwrap();
    assert!(matches!(v.as_list().unwrap()[0], Value::Proxy(_)));
}

#[test]
fn dropped_proxies_are_released() {
    let py = Runtime::new().unwrap();
    let base = live_proxies(&py);
    {
        let g = py.globals().unwrap();
        let list = py.run("[object(), object()]").unwrap().into_proxy().unwrap();
        let deep = list.to_value(-1).unwrap(); // holds two inner proxies
        assert_eq!(deep.as_list().unwrap().len(), 2);
        let copy = list.try_clone().unwrap();
        assert_eq!(copy.len().unwrap(), 2);
        assert_ne!(copy.as_ptr(), list.as_ptr());
        assert!(live_proxies(&py) >= base + 5, "{} vs {base}", live_proxies(&py));
        drop(g);
    }
    assert_eq!(live_proxies(&py), base);
    // The Python object is freed with its last proxy.
    py.exec("import weakref\nclass T: pass\nt = T()\nr = weakref.ref(t)").unwrap();
    let t = py.run("t").unwrap().into_proxy().unwrap();
    py.exec("del t").unwrap();
    assert_eq!(py.run("r() is None").unwrap(), Value::Bool(false));
    drop(t);
    assert_eq!(py.run("import gc; gc.collect(); r() is None").unwrap(), Value::Bool(true));
}

#[test]
fn raw_handles_after_destroy_report_usage() {
    // The borrow checker keeps safe code from using a proxy after its
    // runtime (see the compile_fail doctests in lib.rs); through the raw
    // layer, the library itself reports it as a Usage error.
    let raw = {
        let py = Runtime::new().unwrap();
        py.globals().unwrap().into_raw()
    };
    unsafe {
        assert!(pyodide::sys::pyodide_is_pyproxy(raw as *const _));
        let mut n = 0usize;
        let err = pyodide::sys::pyproxy_length(raw, &mut n);
        assert!(!err.is_null());
        assert_eq!(pyodide::sys::pyodide_error_kind(err), pyodide::sys::PYODIDE_ERROR_USAGE);
        pyodide::sys::pyodide_error_delete(err);
        pyodide::sys::pyproxy_destroy(raw);
        assert!(!pyodide::sys::pyodide_is_pyproxy(raw as *const _));
    }
}
