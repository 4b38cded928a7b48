//! Runs Python from Rust: `cargo run --example hello`.
use pyodide::{Runtime, Value};

fn main() -> pyodide::Result<()> {
    let py = Runtime::new()?;
    let answer = py.run("x = 6\nx * 7")?; // the last expression's value
    println!("6 * 7 = {}", answer.extract::<i64>()?);
    let greet = py.run("lambda who: f'hello {who}'")?.into_proxy()?;
    println!("{}", greet.call(&[Value::from("world")])?.extract::<String>()?);
    let err = py.run("1 / 0").unwrap_err(); // Python exceptions are Errs
    println!("{} ({:?})", err.type_name, err.kind);
    Ok(())
}
