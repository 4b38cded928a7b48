//! Buffers: zero-copy views, strided access, type checks.
use pyodide::{ErrorKind, Runtime, Value};

#[test]
fn writes_through_as_mut_slice_are_seen_by_python() {
    let py = Runtime::new().unwrap();
    let ba = py.run("ba = bytearray(b'hello')\nba").unwrap().into_proxy().unwrap();
    let mut buf = ba.get_buffer(None).unwrap();
    assert_eq!(buf.format(), "B");
    assert_eq!((buf.ndim(), buf.itemsize(), buf.nbytes(), buf.len()), (1, 1, 5, 5));
    assert!(buf.is_c_contiguous() && !buf.readonly());
    assert_eq!(buf.as_slice::<u8>().unwrap(), b"hello");
    buf.as_mut_slice::<u8>().unwrap()[0] = b'J';
    assert_eq!(py.run("bytes(ba)").unwrap(), Value::Bytes(b"Jello".to_vec()));
    // Python's writes are visible in place too.
    py.exec("ba[4] = ord('y')").unwrap();
    assert_eq!(buf.as_bytes().unwrap(), b"Jelly");
    // While exported, Python refuses to resize.
    assert!(py.exec("ba.append(33)").unwrap_err().is_python("BufferError"));
    drop(buf);
    py.exec("ba.append(33)").unwrap();
    assert_eq!(py.run("bytes(ba)").unwrap(), Value::Bytes(b"Jelly!".to_vec()));
}

#[test]
fn typed_arrays_in_place() {
    let py = Runtime::new().unwrap();
    let a = py.run("import array\na = array.array('d', [1.5, 2.5, 3.5])\na").unwrap().into_proxy().unwrap();
    let mut buf = a.get_buffer(None).unwrap();
    assert_eq!(buf.format(), "d");
    let s = buf.as_mut_slice::<f64>().unwrap();
    assert_eq!(s, [1.5, 2.5, 3.5]);
    let ptr = s.as_ptr();
    s[2] = 9.25;
    assert_eq!(py.run("a[2]").unwrap(), Value::Float(9.25));
    // The same memory each time (no copy).
    assert_eq!(buf.as_slice::<f64>().unwrap().as_ptr(), ptr);
    assert_eq!(buf.get::<f64>(&[1]).unwrap(), 2.5);
    buf.set::<f64>(&[0], -1.0).unwrap();
    assert_eq!(py.run("a[0]").unwrap(), Value::Float(-1.0));

    // 32-bit 'l' of the wasm32 interpreter is spelled "<i".
    let l = py.run("array.array('l', [7, -8])").unwrap().into_proxy().unwrap();
    let lb = l.get_buffer(None).unwrap();
    assert_eq!(lb.format(), "<i");
    assert_eq!(lb.as_slice::<i32>().unwrap(), [7, -8]);
    // Reinterpreted with Pyodide's type names.
    let u = a.get_buffer(Some("u8")).unwrap();
    assert_eq!(u.len(), 24);
    assert_eq!(u.as_slice::<u8>().unwrap().len(), 24);
}

#[test]
fn wrong_element_types_and_readonly_are_errors() {
    let py = Runtime::new().unwrap();
    let a = py.run("import array\narray.array('d', [1.0])").unwrap().into_proxy().unwrap();
    let mut buf = a.get_buffer(None).unwrap();
    let err = buf.as_slice::<f32>().unwrap_err();
    assert_eq!(err.kind, ErrorKind::Usage);
    assert!(err.message.contains("8 bytes"), "{}", err.message);
    assert_eq!(buf.as_mut_slice::<u8>().unwrap_err().kind, ErrorKind::Usage);
    assert_eq!(buf.get::<i32>(&[0]).unwrap_err().kind, ErrorKind::Usage);
    assert_eq!(buf.get::<f64>(&[1]).unwrap_err().kind, ErrorKind::Usage); // out of range
    assert_eq!(buf.get::<f64>(&[0, 0]).unwrap_err().kind, ErrorKind::Usage); // wrong ndim
    // bytes are read-only.
    let b = py.to_py(&b"abc"[..]).unwrap();
    let mut rb = b.get_buffer(None).unwrap();
    assert!(rb.readonly());
    assert_eq!(rb.as_slice::<u8>().unwrap(), b"abc");
    assert_eq!(rb.as_mut_slice::<u8>().unwrap_err().kind, ErrorKind::Usage);
    assert_eq!(rb.set::<u8>(&[0], 1).unwrap_err().kind, ErrorKind::Usage);
    // No buffer protocol: a Python TypeError.
    let l = py.run("[1, 2]").unwrap().into_proxy().unwrap();
    assert!(l.get_buffer(None).unwrap_err().is_python("TypeError"));
    // An unknown type name is a usage error.
    assert_eq!(a.get_buffer(Some("complex")).unwrap_err().kind, ErrorKind::Usage);
}

#[test]
fn strided_and_multidimensional_views() {
    let py = Runtime::new().unwrap();
    let m = py.run("m = memoryview(bytearray(range(12))).cast('B', (3, 4))\nm").unwrap().into_proxy().unwrap();
    let mut b = m.get_buffer(None).unwrap();
    assert_eq!(b.shape(), [3, 4]);
    assert_eq!(b.strides(), [4, 1]);
    assert_eq!(b.byte_strides(), [4, 1]);
    assert_eq!(b.get::<u8>(&[2, 3]).unwrap(), 11);
    b.set::<u8>(&[1, 1], 99).unwrap();
    assert_eq!(py.run("m[1, 1]").unwrap(), Value::Int(99));
    assert_eq!(b.as_slice::<u8>().unwrap().len(), 12);

    let r = py.run("memoryview(bytearray(range(10)))[::-1]").unwrap().into_proxy().unwrap();
    let rb = r.get_buffer(None).unwrap();
    assert_eq!(rb.strides(), [-1]);
    assert!(!rb.is_c_contiguous());
    assert_eq!(rb.as_slice::<u8>().unwrap_err().kind, ErrorKind::Usage);
    let reversed: Vec<u8> = (0..10).map(|i| rb.get::<u8>(&[i]).unwrap()).collect();
    assert_eq!(reversed, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);

    let s = py.run("memoryview(bytearray(range(10)))[1::3]").unwrap().into_proxy().unwrap();
    let sb = s.get_buffer(None).unwrap();
    assert_eq!(sb.shape(), [3]);
    assert_eq!([sb.get::<u8>(&[0]).unwrap(), sb.get::<u8>(&[1]).unwrap(), sb.get::<u8>(&[2]).unwrap()], [1, 4, 7]);

    let e = py.run("bytearray()").unwrap().into_proxy().unwrap();
    let eb = e.get_buffer(None).unwrap();
    assert!(eb.is_empty());
    assert_eq!(eb.as_slice::<u8>().unwrap(), b"");
}

#[test]
fn buffers_are_released_on_drop_and_survive_heap_growth() {
    let py = Runtime::new().unwrap();
    // This runtime's count: the process-wide one also moves with the tests that
    // cargo runs on other threads at the same time.
    let before = py.stats().unwrap().guest_objects;
    let ba = py.run("ba = bytearray(range(256)) * 4\nba").unwrap().into_proxy().unwrap();
    let with_proxy = py.stats().unwrap().guest_objects;
    let buf = ba.get_buffer(None).unwrap();
    let ptr = buf.as_ptr();
    assert!(py.stats().unwrap().guest_objects > with_proxy);
    // Grow Python's heap a lot: the buffer's memory does not move.
    py.exec("junk = [bytearray(1 << 20) for _ in range(32)]").unwrap();
    assert_eq!(buf.as_ptr(), ptr);
    assert_eq!(buf.as_slice::<u8>().unwrap()[255], 255);
    drop(buf);
    assert_eq!(py.stats().unwrap().guest_objects, with_proxy);
    drop(ba);
    assert_eq!(py.stats().unwrap().guest_objects, before);
}
