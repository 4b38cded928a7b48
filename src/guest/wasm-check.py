"""Inspect and check a wasm module's imports and exports (no wabt needed).

Usage: wasm-check.py MODULE.wasm [--list] [--readme README.md]

Checks that
  - the module is a reactor: it exports `_initialize` and `memory`, not `_start`;
  - every import comes from `wasi_snapshot_preview1` or `pyodide` (an import
    from anywhere else is an unresolved symbol);
  - every `pyn_*` export takes and returns only i32 (the guest ABI);
  - with --readme: every export named in the README's "## Exports" table and
    every import in its "## Imports" table exists.
--list prints all imports and exports with their signatures.
Exits 1 with a message per problem.
"""

import re
import sys

VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128", 0x70: "funcref", 0x6F: "externref"}
KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}
ALLOWED_IMPORT_MODULES = {"wasi_snapshot_preview1", "pyodide"}


class Reader:
    def __init__(self, data, pos=0, end=None):
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uleb(self):
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def name(self):
        n = self.uleb()
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def limits(self):
        flags = self.byte()
        lo = self.uleb()
        hi = self.uleb() if flags & 1 else None
        return lo, hi


def parse(data):
    if data[:4] != b"\0asm":
        raise ValueError("not a wasm module")
    r = Reader(data, 8)
    types, imports, exports, func_types, mutable_globals = [], [], [], [], 0
    while r.pos < len(data):
        sid = r.byte()
        size = r.uleb()
        s = Reader(data, r.pos, r.pos + size)
        if sid == 1:  # type
            for _ in range(s.uleb()):
                assert s.byte() == 0x60
                params = [VALTYPES.get(s.byte(), "?") for _ in range(s.uleb())]
                results = [VALTYPES.get(s.byte(), "?") for _ in range(s.uleb())]
                types.append((params, results))
        elif sid == 2:  # import
            for _ in range(s.uleb()):
                mod, field, kind = s.name(), s.name(), s.byte()
                desc = None
                if kind == 0:
                    desc = s.uleb()
                    func_types.append(desc)
                elif kind == 1:
                    s.byte()
                    desc = s.limits()
                elif kind == 2:
                    desc = s.limits()
                elif kind == 3:
                    desc = (s.byte(), s.byte())
                elif kind == 4:
                    s.byte()
                    desc = s.uleb()
                imports.append((mod, field, KINDS.get(kind, "?"), desc))
        elif sid == 3:  # function
            for _ in range(s.uleb()):
                func_types.append(s.uleb())
        elif sid == 6:  # global: count the mutable ones
            for _ in range(s.uleb()):
                s.byte()
                mutable_globals += s.byte()
                op = s.byte()  # the initializer: one constant instruction, then end
                if op in (0x41, 0x42, 0x23):  # i32/i64.const (LEB), global.get
                    s.uleb()
                else:
                    s.pos += {0x43: 4, 0x44: 8}.get(op, 0)
                if s.byte() != 0x0B:
                    raise ValueError("unexpected global initializer")
        elif sid == 7:  # export
            for _ in range(s.uleb()):
                name, kind, index = s.name(), s.byte(), s.uleb()
                exports.append((name, KINDS.get(kind, "?"), index))
        r.pos += size
    return types, imports, exports, func_types, mutable_globals


def signature(types, typeidx):
    params, results = types[typeidx]
    return f"({', '.join(params)}) -> ({', '.join(results)})"


def readme_names(path, heading):
    """Names in the first column of the table under `## heading`."""
    names, inside = [], False
    for line in open(path, encoding="utf-8"):
        if line.startswith("## "):
            inside = line[3:].strip().lower().startswith(heading.lower())
            continue
        m = re.match(r"\|\s*`([A-Za-z_][A-Za-z0-9_]*)", line) if inside else None
        if m:
            names.append(m.group(1))
    return names


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    path, listing, readme = args[0], "--list" in args, None
    if "--readme" in args:
        readme = args[args.index("--readme") + 1]
    types, imports, exports, func_types, mutable_globals = parse(open(path, "rb").read())

    if listing:
        for mod, field, kind, desc in imports:
            extra = signature(types, desc) if kind == "func" else desc
            print(f"import {mod}.{field} {kind} {extra}")
        for name, kind, index in exports:
            extra = signature(types, func_types[index]) if kind == "func" else ""
            print(f"export {name} {kind} {extra}")

    problems = []
    export_names = {e[0]: e for e in exports}
    for needed in ("_initialize", "memory"):
        if needed not in export_names:
            problems.append(f"missing export {needed} (not a reactor?)")
    # Snapshots (Guest/GuestSnapshot.cs) copy linear memory only: that is the
    # whole state when the one mutable global is the stack pointer, which is
    # back at its initial value whenever no call is running.
    if mutable_globals != 1:
        problems.append(f"{mutable_globals} mutable globals: snapshots expect only __stack_pointer")
    if "_start" in export_names:
        problems.append("exports _start: linked as a command, not a reactor")
    for mod, field, kind, _ in imports:
        if mod not in ALLOWED_IMPORT_MODULES:
            problems.append(f"unexpected import {mod}.{field} ({kind}): an unresolved symbol?")
    for name, kind, index in exports:
        if name.startswith("pyn_") and kind == "func":
            params, results = types[func_types[index]]
            if any(t != "i32" for t in params + results):
                problems.append(f"export {name} has signature {signature(types, func_types[index])}: the guest ABI is i32 only")
    if readme:
        for name in readme_names(readme, "Exports"):
            if name not in export_names:
                problems.append(f"{readme} documents export {name}, the module does not export it")
        import_fields = {field for mod, field, _, _ in imports if mod == "pyodide"}
        for name in readme_names(readme, "Imports"):
            if name not in import_fields:
                problems.append(f"{readme} documents import pyodide.{name}, the module does not import it")

    for p in problems:
        print(f"wasm-check: {p}", file=sys.stderr)
    nfunc = sum(1 for e in exports if e[1] == "func")
    print(f"wasm-check: {path}: {len(imports)} imports, {nfunc} function exports, {'FAILED' if problems else 'ok'}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
