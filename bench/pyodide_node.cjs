// Runs one script in Pyodide under Node the way pyodide-run runs it, so that
// run_workloads.py can time the same workloads in both:
//
//   node bench/pyodide_node.cjs PYODIDE_DIR SCRIPT [ARG...]
//
// PYODIDE_DIR is the unpacked npm package (./build.sh bench puts it in
// build/pyodide-npm). The script's directory is mounted at the same path, so
// it imports its sibling modules as it does under pyodide-run. CommonJS on
// purpose: pyodide.js then loads without the `ws` package, which only its ES
// module entry point imports, so nothing beyond the pinned tarball is needed.
"use strict";
const path = require("node:path");

async function main() {
  const [pyodideDir, script, ...args] = process.argv.slice(2);
  if (!pyodideDir || !script) {
    console.error("usage: node pyodide_node.cjs PYODIDE_DIR SCRIPT [ARG...]");
    return 2;
  }
  const { loadPyodide } = require(path.resolve(pyodideDir, "pyodide.js"));
  const pyodide = await loadPyodide({
    indexURL: path.resolve(pyodideDir) + path.sep,
    stdout: (line) => process.stdout.write(line + "\n"),
    stderr: (line) => process.stderr.write(line + "\n"),
  });
  const file = path.resolve(script);
  const dir = path.dirname(file);
  pyodide.FS.mkdirTree(dir);
  pyodide.mountNodeFS(dir, dir);
  pyodide.globals.set("_argv", pyodide.toPy([file, ...args]));
  try {
    pyodide.runPython(`
import os, runpy, sys
sys.argv = list(_argv)
del _argv
sys.path.insert(0, os.path.dirname(sys.argv[0]))
os.chdir(os.path.dirname(sys.argv[0]))
runpy.run_path(sys.argv[0], run_name="__main__")
`);
  } catch (e) {
    process.stderr.write(String(e.message || e) + "\n");
    return 1;
  }
  return 0;
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(String((e && e.stack) || e) + "\n");
  process.exit(1);
});
