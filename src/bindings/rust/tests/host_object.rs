//! Host objects: Rust values Python uses as objects (the HostObject trait).
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pyodide::{Error, HostModule, HostObject, Runtime, Slot, Value};

/// A game entity: attributes, a method, a call, items, len, dir.
struct Entity {
    name: String,
    stats: Mutex<BTreeMap<String, i64>>,
    drops: Arc<AtomicUsize>,
}

impl Drop for Entity {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

impl Entity {
    fn new(name: &str, drops: &Arc<AtomicUsize>) -> Arc<Entity> {
        let stats = BTreeMap::from([("hp".to_string(), 10), ("mp".to_string(), 3)]);
        Arc::new(Entity { name: name.into(), stats: Mutex::new(stats), drops: Arc::clone(drops) })
    }
}

impl HostObject for Entity {
    const CLASS_NAME: &'static str = "Entity";
    const SLOTS: &'static [Slot] = &[Slot::GetAttr, Slot::SetAttr, Slot::Call, Slot::GetItem, Slot::SetItem, Slot::Len, Slot::Dir];
    const METHODS: &'static [&'static str] = &["heal", "rename"];

    fn get_attr<'r>(&self, _py: &'r Runtime, name: &str) -> pyodide::Result<Value<'r>> {
        if name == "name" {
            return Ok(Value::Str(self.name.clone()));
        }
        match self.stats.lock().unwrap().get(name) {
            Some(v) => Ok(Value::Int(*v)),
            None => Err(Error::python("AttributeError", format!("an Entity has no {name}"))),
        }
    }

    fn set_attr<'r>(&self, _py: &'r Runtime, name: &str, value: Option<&Value<'r>>) -> pyodide::Result<()> {
        let mut stats = self.stats.lock().unwrap();
        match value {
            None => stats.remove(name).map(drop).ok_or_else(|| Error::python("AttributeError", name.to_string())),
            Some(v) => {
                let v = v.as_i64().ok_or_else(|| Error::python("TypeError", "stats are ints"))?;
                stats.insert(name.to_string(), v);
                Ok(())
            }
        }
    }

    fn call<'r>(&self, _py: &'r Runtime, args: &[Value<'r>]) -> pyodide::Result<Value<'r>> {
        Ok(Value::Str(format!("{} called with {} args", self.name, args.len())))
    }

    fn call_method<'r>(&self, py: &'r Runtime, method: usize, args: &[Value<'r>]) -> pyodide::Result<Value<'r>> {
        match Self::METHODS[method] {
            "heal" => {
                let by = args.first().and_then(Value::as_i64).ok_or_else(|| Error::python("TypeError", "heal(by: int)"))?;
                let mut stats = self.stats.lock().unwrap();
                *stats.get_mut("hp").unwrap() += by;
                Ok(Value::Int(stats["hp"]))
            }
            // Calls back into Python.
            _ => py.run("'renamed'"),
        }
    }

    fn get_item<'r>(&self, _py: &'r Runtime, key: &Value<'r>) -> pyodide::Result<Value<'r>> {
        let key = key.as_str().ok_or_else(|| Error::python("TypeError", "keys are str"))?;
        self.stats.lock().unwrap().get(key).map(|v| Value::Int(*v)).ok_or_else(|| Error::python("KeyError", key.to_string()))
    }

    fn set_item<'r>(&self, py: &'r Runtime, key: &Value<'r>, value: Option<&Value<'r>>) -> pyodide::Result<()> {
        let key = key.as_str().ok_or_else(|| Error::python("TypeError", "keys are str"))?;
        self.set_attr(py, key, value)
    }

    fn len(&self, _py: &Runtime) -> pyodide::Result<usize> {
        Ok(self.stats.lock().unwrap().len())
    }

    fn dir(&self, _py: &Runtime) -> pyodide::Result<Vec<String>> {
        Ok(std::iter::once("name".to_string()).chain(self.stats.lock().unwrap().keys().cloned()).collect())
    }
}

fn install_entity(py: &Runtime, name: &str, entity: &Arc<Entity>) {
    py.globals().unwrap().set(name, &py.host_object(Arc::clone(entity)).unwrap()).unwrap();
}

#[test]
fn attributes_calls_items_len_and_methods() {
    let drops = Arc::new(AtomicUsize::new(0));
    let py = Runtime::new().unwrap();
    let hero = Entity::new("hero", &drops);
    install_entity(&py, "hero", &hero);
    assert_eq!(py.run("hero.name, hero.hp").unwrap().into_proxy().unwrap().to_value(-1).unwrap(),
        Value::List(vec![Value::Str("hero".into()), Value::Int(10)]));
    py.exec("hero.hp = 25\nhero['xp'] = 7").unwrap();
    assert_eq!(hero.stats.lock().unwrap()["hp"], 25);
    assert_eq!(hero.stats.lock().unwrap()["xp"], 7);
    assert_eq!(py.run("hero['xp'] + len(hero)").unwrap(), Value::Int(7 + 3));
    py.exec("del hero.mp\ndel hero['xp']").unwrap();
    assert_eq!(py.run("len(hero)").unwrap(), Value::Int(1));
    assert_eq!(py.run("hero(1, 2)").unwrap(), Value::Str("hero called with 2 args".into()));
    assert_eq!(py.run("hero.heal(5)").unwrap(), Value::Int(30));
    assert_eq!(py.run("hero.rename()").unwrap(), Value::Str("renamed".into()));
    assert_eq!(py.run("'heal' in dir(hero) and 'hp' in dir(hero) and 'name' in dir(hero)").unwrap(), Value::Bool(true));
    assert_eq!(py.run("import pyodide\nisinstance(hero, pyodide.HostObject) and type(hero).__name__").unwrap(), Value::Str("Entity".into()));
    assert!(matches!(py.run("repr(hero)").unwrap(), Value::Str(s) if s.contains("Entity")));
}

#[test]
fn errors_raise_in_python_and_missing_slots_behave_as_python_does() {
    let drops = Arc::new(AtomicUsize::new(0));
    let py = Runtime::new().unwrap();
    install_entity(&py, "e", &Entity::new("e", &drops));
    assert!(py.run("e.nothing").unwrap_err().is_python("AttributeError"));
    assert!(py.run("e['nothing']").unwrap_err().is_python("KeyError"));
    assert!(py.run("e.hp = 'x'").unwrap_err().is_python("TypeError"));
    assert!(py.run("e.heal('x')").unwrap_err().is_python("TypeError"));
    assert_eq!(py.run("try:\n e.nothing\nexcept AttributeError as x:\n r = str(x)\nr").unwrap(), Value::Str("an Entity has no nothing".into()));

    // A type with only attributes: not callable, no len, not iterable.
    struct Plain;
    impl HostObject for Plain {
        const CLASS_NAME: &'static str = "Plain";
        const SLOTS: &'static [Slot] = &[Slot::GetAttr];
        fn get_attr<'r>(&self, _py: &'r Runtime, _name: &str) -> pyodide::Result<Value<'r>> {
            panic!("attribute bug")
        }
    }
    py.globals().unwrap().set("p", &py.host_object(Arc::new(Plain)).unwrap()).unwrap();
    assert_eq!(py.run("callable(p)").unwrap(), Value::Bool(false));
    assert!(py.run("p()").unwrap_err().is_python("TypeError"));
    assert!(py.run("len(p)").unwrap_err().is_python("TypeError"));
    assert!(py.run("iter(p)").unwrap_err().is_python("TypeError"));
    assert!(py.run("p[0]").unwrap_err().is_python("TypeError"));
    // A panic raises RuntimeError and the runtime goes on.
    let err = py.run("p.x").unwrap_err();
    assert!(err.is_python("RuntimeError") && err.message.contains("attribute bug"), "{err:?}");
    assert_eq!(py.run("1 + 1").unwrap(), Value::Int(2));
    // A listed slot left at its default raises Python's error for it.
    struct Lazy;
    impl HostObject for Lazy {
        const CLASS_NAME: &'static str = "Lazy";
        const SLOTS: &'static [Slot] = &[Slot::Call, Slot::Len];
    }
    py.globals().unwrap().set("z", &py.host_object(Arc::new(Lazy)).unwrap()).unwrap();
    assert!(py.run("z()").unwrap_err().is_python("TypeError"));
    assert!(py.run("len(z)").unwrap_err().is_python("TypeError"));
}

#[test]
fn identity_and_objects_coming_back() {
    let drops = Arc::new(AtomicUsize::new(0));
    let py = Runtime::new().unwrap();
    let hero = Entity::new("hero", &drops);
    let a = py.host_object(Arc::clone(&hero)).unwrap();
    let b = py.host_object(Arc::clone(&hero)).unwrap();
    let g = py.globals().unwrap();
    g.set("a", &a).unwrap();
    g.set("b", &b).unwrap();
    assert_eq!(py.run("a is b").unwrap(), Value::Bool(true));
    let other = py.host_object(Entity::new("other", &drops)).unwrap();
    g.set("c", &other).unwrap();
    assert_eq!(py.run("a is c").unwrap(), Value::Bool(false));
    // Back in Rust: the very object.
    let back = py.run("a").unwrap();
    let entity = back.host::<Entity>().expect("an Entity");
    assert!(Arc::ptr_eq(&entity, &hero));
    assert!(back.as_host().unwrap().is::<Entity>());
    // And passed back into Python, it is the same Python object.
    let same = py.run("lambda x: x is a").unwrap().into_proxy().unwrap();
    assert_eq!(same.call(&[back]).unwrap(), Value::Bool(true));
    // As a host function's argument and result.
    let module = HostModule::new().function("name_of", |_py, args| {
        let e = args[0].host::<Entity>().ok_or_else(|| Error::python("TypeError", "want an Entity"))?;
        Ok(Value::Str(e.name.clone()))
    });
    py.register_module("game", module).unwrap();
    assert_eq!(py.run("import game\ngame.name_of(c)").unwrap(), Value::Str("other".into()));
    assert!(py.run("game.name_of(1)").unwrap_err().is_python("TypeError"));
}

#[test]
fn finalized_exactly_once_when_python_lets_go_or_the_runtime_goes() {
    let drops = Arc::new(AtomicUsize::new(0));
    let py = Runtime::new().unwrap();
    {
        let proxy = py.host_object(Entity::new("temp", &drops)).unwrap();
        py.globals().unwrap().set("t", &proxy).unwrap();
        py.exec("t2 = [t, t]").unwrap();
    }
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    py.exec("del t\ndel t2\nimport gc\ngc.collect()").unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1);

    // Kept by Rust too: Python's clone goes, the object stays; a later pass
    // makes a new Python object.
    let kept = Entity::new("kept", &drops);
    py.globals().unwrap().set("k", &py.host_object(Arc::clone(&kept)).unwrap()).unwrap();
    assert_eq!(Arc::strong_count(&kept), 2);
    py.exec("first = id(k)\ndel k").unwrap();
    assert_eq!(Arc::strong_count(&kept), 1);
    py.globals().unwrap().set("k", &py.host_object(Arc::clone(&kept)).unwrap()).unwrap();
    assert_eq!(Arc::strong_count(&kept), 2);

    // Still held by Python when the runtime is dropped.
    let held = Entity::new("held", &drops);
    py.globals().unwrap().set("h", &py.host_object(Arc::clone(&held)).unwrap()).unwrap();
    drop(held);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(py);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    assert_eq!(Arc::strong_count(&kept), 1);
    drop(kept);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}

/// A countdown: iter gives a fresh iterator object, which has next.
struct Countdown(i64);
struct CountdownIter(Mutex<i64>);

impl HostObject for Countdown {
    const CLASS_NAME: &'static str = "Countdown";
    const SLOTS: &'static [Slot] = &[Slot::Iter];
    fn iter<'r>(&self, py: &'r Runtime) -> pyodide::Result<Value<'r>> {
        Ok(Value::Proxy(py.host_object(Arc::new(CountdownIter(Mutex::new(self.0))))?))
    }
}

impl HostObject for CountdownIter {
    const CLASS_NAME: &'static str = "CountdownIter";
    const SLOTS: &'static [Slot] = &[Slot::Next];
    fn next<'r>(&self, _py: &'r Runtime) -> pyodide::Result<Option<Value<'r>>> {
        let mut n = self.0.lock().unwrap();
        if *n == 0 {
            return Ok(None);
        }
        *n -= 1;
        Ok(Some(Value::Int(*n + 1)))
    }
}

#[test]
fn iteration_and_nested_objects() {
    let py = Runtime::new().unwrap();
    py.globals().unwrap().set("c", &py.host_object(Arc::new(Countdown(3))).unwrap()).unwrap();
    assert_eq!(py.run("list(c) + list(c)").unwrap().into_proxy().unwrap().to_value(-1).unwrap(),
        Value::List([3, 2, 1, 3, 2, 1].map(Value::Int).into()));
    // A list as what iter gives.
    struct Pair;
    impl HostObject for Pair {
        const CLASS_NAME: &'static str = "Pair";
        const SLOTS: &'static [Slot] = &[Slot::Iter];
        fn iter<'r>(&self, _py: &'r Runtime) -> pyodide::Result<Value<'r>> {
            Ok(Value::List(vec![Value::Str("a".into()), Value::Str("b".into())]))
        }
    }
    py.globals().unwrap().set("p", &py.host_object(Arc::new(Pair)).unwrap()).unwrap();
    assert_eq!(py.run("'-'.join(p)").unwrap(), Value::Str("a-b".into()));
    // A host module holding a host object: a nested namespace.
    let drops = Arc::new(AtomicUsize::new(0));
    let boss = py.host_object(Entity::new("boss", &drops)).unwrap();
    py.register_module("world", HostModule::new().constant("boss", boss)).unwrap();
    assert_eq!(py.run("import world\nworld.boss.name + str(world.boss.heal(1))").unwrap(), Value::Str("boss11".into()));
}

#[test]
fn bad_class_definitions_are_usage_errors() {
    struct BadName;
    impl HostObject for BadName {
        const CLASS_NAME: &'static str = "Bad\0Name";
        const SLOTS: &'static [Slot] = &[];
    }
    struct BadMethod;
    impl HostObject for BadMethod {
        const CLASS_NAME: &'static str = "BadMethod";
        const SLOTS: &'static [Slot] = &[];
        const METHODS: &'static [&'static str] = &["not an identifier"];
    }
    struct EmptyName;
    impl HostObject for EmptyName {
        const CLASS_NAME: &'static str = "";
        const SLOTS: &'static [Slot] = &[];
    }
    let py = Runtime::new().unwrap();
    assert_eq!(py.host_object(Arc::new(BadName)).unwrap_err().kind, pyodide::ErrorKind::Usage);
    assert_eq!(py.host_object(Arc::new(BadMethod)).unwrap_err().kind, pyodide::ErrorKind::Usage);
    assert_eq!(py.host_object(Arc::new(EmptyName)).unwrap_err().kind, pyodide::ErrorKind::Usage);
    // The runtime is fine afterwards.
    assert_eq!(py.run("2 + 2").unwrap(), Value::Int(4));
}

#[test]
fn one_object_in_two_runtimes() {
    let drops = Arc::new(AtomicUsize::new(0));
    let shared = Entity::new("shared", &drops);
    let (a, b) = (Runtime::new().unwrap(), Runtime::new().unwrap());
    install_entity(&a, "e", &shared);
    install_entity(&b, "e", &shared);
    a.exec("e.hp = 1").unwrap();
    assert_eq!(b.run("e.hp").unwrap(), Value::Int(1));
    assert_eq!(Arc::strong_count(&shared), 3);
    drop(a);
    assert_eq!(Arc::strong_count(&shared), 2);
    assert_eq!(b.run("e.name").unwrap(), Value::Str("shared".into()));
    drop(b);
    assert_eq!(Arc::strong_count(&shared), 1);
}

/// Making a host object on one thread while Python lets go of it on
/// another: the registry never frees a cell that is being passed.
#[test]
fn identity_races_with_finalization_safely() {
    let drops = Arc::new(AtomicUsize::new(0));
    let py = Runtime::new().unwrap();
    let shared = Entity::new("raced", &drops);
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..2000 {
                let p = py.host_object(Arc::clone(&shared)).unwrap();
                py.globals().unwrap().set("r", &p).unwrap();
            }
        });
        s.spawn(|| {
            for _ in 0..2000 {
                py.exec("r = None").unwrap();
            }
        });
    });
    py.exec("r = None").unwrap();
    assert_eq!(Arc::strong_count(&shared), 1);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
}

/// A host object whose class was made through the C ABI (not a HostObject):
/// it comes back as a HostRef with the raw pointers, and passing that back
/// to Python gives the same object.
#[test]
fn host_objects_of_c_classes_come_back_raw() {
    use pyodide::sys;
    use std::ffi::c_void;
    static FINALIZED: AtomicUsize = AtomicUsize::new(0);
    unsafe extern "C" fn get_attr(_obj: *mut c_void, _name: *const std::ffi::c_char, _len: usize, out: *mut sys::pyodide_value_t) -> *mut sys::pyodide_error_t {
        (*out).kind = sys::PYODIDE_INT;
        (*out).of.i = 7;
        std::ptr::null_mut()
    }
    unsafe extern "C" fn finalize(_obj: *mut c_void) {
        FINALIZED.fetch_add(1, Ordering::SeqCst);
    }
    struct Class(sys::pyodide_host_class_t);
    // SAFETY: immutable after construction; the pointers are static.
    unsafe impl Sync for Class {}
    static CLASS: Class = Class(sys::pyodide_host_class_t {
        size: std::mem::size_of::<sys::pyodide_host_class_t>(),
        name: c"Raw".as_ptr(),
        get_attr: Some(get_attr),
        set_attr: None,
        call: None,
        get_item: None,
        length: None,
        finalize: Some(finalize),
        dir: None,
        set_item: None,
        iter: None,
        next: None,
        methods: std::ptr::null(),
        nmethods: 0,
        call_method: None,
    });
    static OBJECT: u8 = 0;
    let py = Runtime::new().unwrap();
    let mut raw = std::ptr::null_mut();
    // SAFETY: a static class and object; raw receives an owned proxy.
    let proxy = unsafe {
        assert!(sys::pyodide_host_object_new(py.as_ptr(), &CLASS.0, &OBJECT as *const u8 as *mut c_void, &mut raw).is_null());
        pyodide::Proxy::from_raw(&py, raw)
    };
    py.globals().unwrap().set("raw", &proxy).unwrap();
    drop(proxy);
    assert_eq!(py.run("raw.anything").unwrap(), Value::Int(7));
    let back = py.run("raw").unwrap();
    let host = back.as_host().unwrap();
    assert_eq!(host.class_ptr(), &CLASS.0 as *const _);
    assert_eq!(host.object_ptr() as *const u8, &OBJECT as *const u8);
    assert!(host.proxy().is_none() && host.downcast::<Entity>().is_none());
    let same = py.run("lambda x: x is raw").unwrap().into_proxy().unwrap();
    assert_eq!(same.call(&[back]).unwrap(), Value::Bool(true));
    drop(same);
    drop(py);
    assert_eq!(FINALIZED.load(Ordering::SeqCst), 1);
}
