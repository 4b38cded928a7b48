//! The example builds (cargo test builds examples) and runs.
use std::process::Command;

#[test]
fn hello_example_runs() {
    // target/debug/deps/example-xxxx -> target/debug/examples/hello
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let hello = dir.join(format!("hello{}", std::env::consts::EXE_SUFFIX));
    assert!(hello.exists(), "{} was not built", hello.display());
    let out = Command::new(&hello).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "6 * 7 = 42\nhello world\nZeroDivisionError (Python)\n"
    );
}
