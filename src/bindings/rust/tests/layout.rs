//! The `sys` module matches include/pyodide.h: struct layouts (checked
//! against the C compiler's) and the exact list of functions.
use std::mem::{offset_of, size_of};
use std::path::PathBuf;
use std::process::Command;

use pyodide::sys::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..").canonicalize().unwrap()
}

#[test]
fn struct_sizes_and_offsets() {
    assert_eq!(size_of::<pyodide_value_t>(), 32);
    assert_eq!(offset_of!(pyodide_value_t, of), 8);
    assert_eq!(size_of::<pybuffer_t>(), 96);
    assert_eq!(size_of::<pyodide_config_t>(), 144);
    assert_eq!(size_of::<pyodide_mount_t>(), 24);
    assert_eq!(size_of::<pyodide_stats_t>(), 40);
    assert_eq!(size_of::<pyodide_host_class_t>(), 120);
    assert_eq!(offset_of!(pybuffer_t, readonly), 80);
    assert_eq!(offset_of!(pybuffer_t, reserved), 88);
    assert_eq!(offset_of!(pyodide_config_t, io_env), 72);
}

/// Every field offset and struct size, as the C compiler lays them out.
#[test]
fn layouts_match_the_c_compiler() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let src = dir.join("layout.c");
    let exe = dir.join("layout");
    let fields: &[(&str, &[&str])] = &[
        ("pyodide_value_t", &["kind", "of", "of.b", "of.i", "of.f", "of.str.ptr", "of.str.len", "of.list.items", "of.list.len", "of.dict.keys", "of.dict.values", "of.dict.len", "of.proxy", "of.host.cls", "of.host.obj"]),
        ("pyodide_mount_t", &["host_path", "guest_path", "read_only"]),
        ("pyodide_config_t", &["size", "asset_dir", "index_url", "memory_limit", "timeout_s", "mounts", "nmounts", "stdout_fn", "stderr_fn", "io_env", "unguarded", "stdin_fn", "stdin_isatty", "snapshot", "stdout_isatty", "stderr_isatty", "stdout_status_fn", "stderr_status_fn", "terminal_size_fn"]),
        ("pybuffer_t", &["data", "offset", "first", "nbytes", "itemsize", "ndim", "shape", "strides", "byte_strides", "format", "readonly", "c_contiguous", "f_contiguous", "reserved"]),
        ("pyodide_stats_t", &["size", "memory_bytes", "guest_objects", "process_proxies", "process_buffers"]),
        ("pyodide_host_member_t", &["name", "fn", "value"]),
        ("pyodide_host_class_t", &["size", "name", "get_attr", "set_attr", "call", "get_item", "length", "finalize", "dir", "set_item", "iter", "next", "methods", "nmethods", "call_method"]),
    ];
    let mut c = String::from("#include <stdio.h>\n#include <stddef.h>\n#include \"pyodide.h\"\nint main(void) {\n");
    for (ty, fs) in fields {
        c += &format!("  printf(\"{ty} size %zu\\n\", sizeof({ty}));\n");
        for f in *fs {
            c += &format!("  printf(\"{ty} {f} %zu\\n\", offsetof({ty}, {f}));\n");
        }
    }
    c += "  printf(\"enum size %zu\\n\", sizeof(pyodide_kind_t));\n  return 0;\n}\n";
    std::fs::write(&src, c).unwrap();
    let msvc = cfg!(target_env = "msvc");
    let cc = std::env::var("CC").unwrap_or_else(|_| if msvc { "cl" } else { "cc" }.into());
    let mut cmd = Command::new(&cc);
    if msvc {
        cmd.current_dir(&dir).arg("/nologo").arg("/I").arg(repo().join("include")).arg(&src).arg(format!("/Fe:{}", exe.display()));
    } else {
        cmd.arg("-I").arg(repo().join("include")).arg(&src).arg("-o").arg(&exe);
    }
    let status = cmd.status().unwrap_or_else(|e| panic!("cannot run the C compiler {cc}: {e}"));
    assert!(status.success(), "compiling layout.c failed");
    let out = String::from_utf8(Command::new(&exe).output().unwrap().stdout).unwrap();

    let rust: Vec<(&str, &str, usize)> = vec![
        ("pyodide_value_t", "size", size_of::<pyodide_value_t>()),
        ("pyodide_value_t", "kind", offset_of!(pyodide_value_t, kind)),
        ("pyodide_value_t", "of", offset_of!(pyodide_value_t, of)),
        ("pyodide_value_t", "of.b", offset_of!(pyodide_value_t, of.b)),
        ("pyodide_value_t", "of.i", offset_of!(pyodide_value_t, of.i)),
        ("pyodide_value_t", "of.f", offset_of!(pyodide_value_t, of.f)),
        ("pyodide_value_t", "of.str.ptr", offset_of!(pyodide_value_t, of) + offset_of!(pyodide_value_str, ptr)),
        ("pyodide_value_t", "of.str.len", offset_of!(pyodide_value_t, of) + offset_of!(pyodide_value_str, len)),
        ("pyodide_value_t", "of.list.items", offset_of!(pyodide_value_t, of) + offset_of!(pyodide_value_list, items)),
        ("pyodide_value_t", "of.list.len", offset_of!(pyodide_value_t, of) + offset_of!(pyodide_value_list, len)),
        ("pyodide_value_t", "of.dict.keys", offset_of!(pyodide_value_t, of) + offset_of!(pyodide_value_dict, keys)),
        ("pyodide_value_t", "of.dict.values", offset_of!(pyodide_value_t, of) + offset_of!(pyodide_value_dict, values)),
        ("pyodide_value_t", "of.dict.len", offset_of!(pyodide_value_t, of) + offset_of!(pyodide_value_dict, len)),
        ("pyodide_value_t", "of.proxy", offset_of!(pyodide_value_t, of.proxy)),
        ("pyodide_value_t", "of.host.cls", offset_of!(pyodide_value_t, of) + offset_of!(pyodide_value_host, cls)),
        ("pyodide_value_t", "of.host.obj", offset_of!(pyodide_value_t, of) + offset_of!(pyodide_value_host, obj)),
        ("pyodide_mount_t", "size", size_of::<pyodide_mount_t>()),
        ("pyodide_mount_t", "host_path", offset_of!(pyodide_mount_t, host_path)),
        ("pyodide_mount_t", "guest_path", offset_of!(pyodide_mount_t, guest_path)),
        ("pyodide_mount_t", "read_only", offset_of!(pyodide_mount_t, read_only)),
        ("pyodide_config_t", "size", size_of::<pyodide_config_t>()),
        ("pyodide_config_t", "size", offset_of!(pyodide_config_t, size)),
        ("pyodide_config_t", "asset_dir", offset_of!(pyodide_config_t, asset_dir)),
        ("pyodide_config_t", "index_url", offset_of!(pyodide_config_t, index_url)),
        ("pyodide_config_t", "memory_limit", offset_of!(pyodide_config_t, memory_limit)),
        ("pyodide_config_t", "timeout_s", offset_of!(pyodide_config_t, timeout_s)),
        ("pyodide_config_t", "mounts", offset_of!(pyodide_config_t, mounts)),
        ("pyodide_config_t", "nmounts", offset_of!(pyodide_config_t, nmounts)),
        ("pyodide_config_t", "stdout_fn", offset_of!(pyodide_config_t, stdout_fn)),
        ("pyodide_config_t", "stderr_fn", offset_of!(pyodide_config_t, stderr_fn)),
        ("pyodide_config_t", "io_env", offset_of!(pyodide_config_t, io_env)),
        ("pyodide_config_t", "unguarded", offset_of!(pyodide_config_t, unguarded)),
        ("pyodide_config_t", "stdin_fn", offset_of!(pyodide_config_t, stdin_fn)),
        ("pyodide_config_t", "stdin_isatty", offset_of!(pyodide_config_t, stdin_isatty)),
        ("pyodide_config_t", "snapshot", offset_of!(pyodide_config_t, snapshot)),
        ("pyodide_config_t", "stdout_isatty", offset_of!(pyodide_config_t, stdout_isatty)),
        ("pyodide_config_t", "stderr_isatty", offset_of!(pyodide_config_t, stderr_isatty)),
        ("pyodide_config_t", "stdout_status_fn", offset_of!(pyodide_config_t, stdout_status_fn)),
        ("pyodide_config_t", "stderr_status_fn", offset_of!(pyodide_config_t, stderr_status_fn)),
        ("pyodide_config_t", "terminal_size_fn", offset_of!(pyodide_config_t, terminal_size_fn)),
        ("pybuffer_t", "size", size_of::<pybuffer_t>()),
        ("pybuffer_t", "data", offset_of!(pybuffer_t, data)),
        ("pybuffer_t", "offset", offset_of!(pybuffer_t, offset)),
        ("pybuffer_t", "first", offset_of!(pybuffer_t, first)),
        ("pybuffer_t", "nbytes", offset_of!(pybuffer_t, nbytes)),
        ("pybuffer_t", "itemsize", offset_of!(pybuffer_t, itemsize)),
        ("pybuffer_t", "ndim", offset_of!(pybuffer_t, ndim)),
        ("pybuffer_t", "shape", offset_of!(pybuffer_t, shape)),
        ("pybuffer_t", "strides", offset_of!(pybuffer_t, strides)),
        ("pybuffer_t", "byte_strides", offset_of!(pybuffer_t, byte_strides)),
        ("pybuffer_t", "format", offset_of!(pybuffer_t, format)),
        ("pybuffer_t", "readonly", offset_of!(pybuffer_t, readonly)),
        ("pybuffer_t", "c_contiguous", offset_of!(pybuffer_t, c_contiguous)),
        ("pybuffer_t", "f_contiguous", offset_of!(pybuffer_t, f_contiguous)),
        ("pybuffer_t", "reserved", offset_of!(pybuffer_t, reserved)),
        ("pyodide_stats_t", "size", size_of::<pyodide_stats_t>()),
        ("pyodide_stats_t", "size", offset_of!(pyodide_stats_t, size)),
        ("pyodide_stats_t", "memory_bytes", offset_of!(pyodide_stats_t, memory_bytes)),
        ("pyodide_stats_t", "guest_objects", offset_of!(pyodide_stats_t, guest_objects)),
        ("pyodide_stats_t", "process_proxies", offset_of!(pyodide_stats_t, process_proxies)),
        ("pyodide_stats_t", "process_buffers", offset_of!(pyodide_stats_t, process_buffers)),
        ("pyodide_host_member_t", "size", size_of::<pyodide_host_member_t>()),
        ("pyodide_host_member_t", "name", offset_of!(pyodide_host_member_t, name)),
        ("pyodide_host_member_t", "fn", offset_of!(pyodide_host_member_t, fn_)),
        ("pyodide_host_member_t", "value", offset_of!(pyodide_host_member_t, value)),
        ("pyodide_host_class_t", "size", size_of::<pyodide_host_class_t>()),
        ("pyodide_host_class_t", "size", offset_of!(pyodide_host_class_t, size)),
        ("pyodide_host_class_t", "name", offset_of!(pyodide_host_class_t, name)),
        ("pyodide_host_class_t", "get_attr", offset_of!(pyodide_host_class_t, get_attr)),
        ("pyodide_host_class_t", "set_attr", offset_of!(pyodide_host_class_t, set_attr)),
        ("pyodide_host_class_t", "call", offset_of!(pyodide_host_class_t, call)),
        ("pyodide_host_class_t", "get_item", offset_of!(pyodide_host_class_t, get_item)),
        ("pyodide_host_class_t", "length", offset_of!(pyodide_host_class_t, length)),
        ("pyodide_host_class_t", "finalize", offset_of!(pyodide_host_class_t, finalize)),
        ("pyodide_host_class_t", "dir", offset_of!(pyodide_host_class_t, dir)),
        ("pyodide_host_class_t", "set_item", offset_of!(pyodide_host_class_t, set_item)),
        ("pyodide_host_class_t", "iter", offset_of!(pyodide_host_class_t, iter)),
        ("pyodide_host_class_t", "next", offset_of!(pyodide_host_class_t, next)),
        ("pyodide_host_class_t", "methods", offset_of!(pyodide_host_class_t, methods)),
        ("pyodide_host_class_t", "nmethods", offset_of!(pyodide_host_class_t, nmethods)),
        ("pyodide_host_class_t", "call_method", offset_of!(pyodide_host_class_t, call_method)),
        ("enum", "size", size_of::<pyodide_kind_t>()),
    ];
    let mut c_lines: Vec<&str> = out.lines().collect();
    let mut rust_lines: Vec<String> = rust.iter().map(|(t, f, n)| format!("{t} {f} {n}")).collect();
    c_lines.sort();
    c_lines.dedup();
    rust_lines.sort();
    rust_lines.dedup();
    assert_eq!(rust_lines, c_lines);
}

fn functions(text: &str, pattern_start: &str) -> Vec<String> {
    let mut names = Vec::new();
    for part in text.split(pattern_start).skip(1) {
        let name: String = part.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        names.push(name);
    }
    names.sort();
    names.dedup();
    names
}

/// Every function the header declares is declared in sys.rs, and no other.
#[test]
fn sys_declares_exactly_the_header_functions() {
    let header = std::fs::read_to_string(repo().join("include/pyodide.h")).unwrap();
    // Declarations are "PYODIDE_API <type> <name>(": take the identifier
    // right before the first "(" of each PYODIDE_API line.
    let mut declared: Vec<String> = header
        .split("PYODIDE_API ")
        .skip(1)
        .filter_map(|decl| {
            let head = decl.split('(').next()?;
            let name = head.rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next()?;
            (!name.is_empty()).then(|| name.to_string())
        })
        .collect();
    declared.retain(|n| n != "__declspec");
    declared.sort();
    declared.dedup();
    let sys = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/sys.rs")).unwrap();
    let ours = functions(&sys, "pub fn ");
    let ours: Vec<String> = ours.into_iter().filter(|n| n != "none" && n != "zeroed").collect();
    assert!(declared.len() > 30, "parsed too few declarations: {declared:?}");
    assert_eq!(ours, declared);
}

#[test]
fn enum_values_match() {
    // The header lists the kinds in this order starting at 0, and the error
    // kinds from 1.
    assert_eq!(
        [PYODIDE_NONE, PYODIDE_BOOL, PYODIDE_INT, PYODIDE_FLOAT, PYODIDE_STR, PYODIDE_BYTES, PYODIDE_LIST, PYODIDE_DICT, PYODIDE_PROXY, PYODIDE_HOST],
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    );
    assert_eq!(
        [PYODIDE_ERROR_PYTHON, PYODIDE_ERROR_USAGE, PYODIDE_ERROR_LIMIT, PYODIDE_ERROR_IO, PYODIDE_ERROR_FATAL],
        [1, 2, 3, 4, 5]
    );
    assert_eq!(PYODIDE_STRLEN, usize::MAX);
}
