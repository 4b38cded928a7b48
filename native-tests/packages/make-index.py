"""make-index.py OUT DIST_PACKAGES... — writes the micropip test index (see make-index.sh).

Each DIST_PACKAGES is the dist-packages directory of one unpacked Debian
package: its modules and its .dist-info (or .egg-info) metadata become one
wheel. Then come projects of the index's own, each there to exercise one
rule of the resolver or the host; their wheels say so in their Summary.
"""
import base64
import hashlib
import html
import json
import os
import sys
import zipfile

OUT = sys.argv[1]
FILES = os.path.join(OUT, "files")
EPOCH = (1980, 1, 1, 0, 0, 0)


def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_wheel(filename, files, dist_info, tag="py3-none-any"):
    """A wheel of `files` (path -> bytes) plus WHEEL and RECORD in `dist_info`."""
    files = dict(files)
    files[f"{dist_info}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: pyodide-native make-index.py\n"
                                   f"Root-Is-Purelib: true\nTag: {tag}\n").encode()
    record = "".join(f"{name},{record_hash(data)},{len(data)}\n" for name, data in sorted(files.items()))
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    path = os.path.join(FILES, filename)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, files[name])
    return path


def field(metadata, name):
    return next(line.split(":", 1)[1].strip() for line in metadata.decode().splitlines()
                if line.startswith(name + ":"))


def repack(dist_packages):
    """The wheel of one Debian package: (project, filename)."""
    entries = sorted(os.listdir(dist_packages))
    info = [e for e in entries if e.endswith((".dist-info", ".egg-info"))]
    if len(info) != 1:
        sys.exit(f"[index] expected one .dist-info or .egg-info in {dist_packages}, found {info}")
    info_dir = os.path.join(dist_packages, info[0])
    if os.path.exists(os.path.join(info_dir, "requires.txt")):
        sys.exit(f"[index] {info_dir} has a requires.txt, which this script does not convert")
    metadata = open(os.path.join(info_dir, "METADATA" if info[0].endswith(".dist-info") else "PKG-INFO"), "rb").read()
    name, version = field(metadata, "Name"), field(metadata, "Version")
    stem = f"{name.replace('-', '_')}-{version}"
    dist_info = f"{stem}.dist-info"
    files = {f"{dist_info}/METADATA": metadata}
    top_level = os.path.join(info_dir, "top_level.txt")
    if os.path.exists(top_level):
        files[f"{dist_info}/top_level.txt"] = open(top_level, "rb").read()
    for entry in entries:
        if entry == info[0] or entry == "__pycache__":
            continue
        path = os.path.join(dist_packages, entry)
        for folder, dirs, names in os.walk(path) if os.path.isdir(path) else [(dist_packages, [], [entry])]:
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for n in sorted(names):
                full = os.path.join(folder, n)
                files[os.path.relpath(full, dist_packages)] = open(full, "rb").read()
    filename = f"{stem}-py3-none-any.whl"
    write_wheel(filename, files, dist_info)
    return name, filename


def made_up(name, version, requires=(), requires_python=None, extra_files=None, metadata_name=None,
            tag="py3-none-any", why=""):
    """A small project of the index's own: one module that records its version."""
    module = name.replace("-", "_")
    stem = f"{module}-{version}"
    lines = ["Metadata-Version: 2.1", f"Name: {metadata_name or name}", f"Version: {version}",
             f"Summary: pyodide-native test fixture: {why}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Requires-Dist: {r}" for r in requires]
    files = {f"{module}.py": f"VERSION = {version!r}\n".encode(),
             f"{stem}.dist-info/METADATA": ("\n".join(lines) + "\n").encode()}
    files.update(extra_files or {})
    filename = f"{stem}-{tag}.whl"
    write_wheel(filename, files, f"{stem}.dist-info", tag)
    return filename


def sha256(filename):
    return hashlib.sha256(open(os.path.join(FILES, filename), "rb").read()).hexdigest()


def write_page(project, files):
    """PEP 503 HTML and PEP 691 JSON pages for `files`: dicts with filename,
    and optionally href, sha256, requires_python, yanked."""
    folder = os.path.join(OUT, "simple", project)
    os.makedirs(folder)
    anchors, entries = [], []
    for f in files:
        href = f.get("href", f"../../files/{f['filename']}")
        digest = f.get("sha256", sha256(f["filename"]) if "href" not in f else None)
        attrs = ""
        if f.get("requires_python"):
            attrs += f' data-requires-python="{html.escape(f["requires_python"])}"'
        if f.get("yanked"):
            attrs += f' data-yanked="{html.escape(f["yanked"])}"'
        anchors.append(f'<a href="{html.escape(href)}{"#sha256=" + digest if digest else ""}"{attrs}>{f["filename"]}</a><br>')
        entry = {"filename": f["filename"], "url": href, "hashes": {"sha256": digest} if digest else {}}
        if f.get("requires_python"):
            entry["requires-python"] = f["requires_python"]
        if f.get("yanked"):
            entry["yanked"] = f["yanked"]
        entries.append(entry)
    with open(os.path.join(folder, "index.html"), "w") as out:
        out.write(f"<!DOCTYPE html>\n<html><body><h1>Links for {project}</h1>\n" + "\n".join(anchors) + "\n</body></html>\n")
    with open(os.path.join(folder, "index.json"), "w") as out:
        json.dump({"meta": {"api-version": "1.0"}, "name": project, "files": entries}, out, indent=1)


def main():
    os.makedirs(FILES)
    pages = {}
    real = []
    for dist_packages in sys.argv[2:]:
        name, filename = repack(dist_packages)
        project = name.lower().replace("_", "-").replace(".", "-")
        pages[project] = [{"filename": filename}]
        real.append(filename)

    def page(project, *files):
        pages[project] = [f if isinstance(f, dict) else {"filename": f} for f in files]

    page("pick-zipp",
         made_up("pick-zipp", "1.0", ["zipp>=1.0"], why="the version to backtrack to"),
         made_up("pick-zipp", "2.0", ["zipp<1.0"], why="needs a zipp the index does not have"))
    page("extras-demo", made_up("extras-demo", "1.0", ["six", 'idna; extra == "idna"'], why="an extra"))
    page("yanked-demo", made_up("yanked-demo", "1.0", why="the version to fall back to"),
         {"filename": made_up("yanked-demo", "2.0", why="yanked"), "yanked": "broken release"})
    page("only-yanked", {"filename": made_up("only-yanked", "1.0", why="yanked"), "yanked": "withdrawn"})
    page("pre-demo", made_up("pre-demo", "1.0", why="the final release"),
         made_up("pre-demo", "2.0b1", why="a pre-release"))
    page("new-python", {"filename": made_up("new-python", "1.0", requires_python=">=3.12", why="needs a newer Python"),
                        "requires_python": ">=3.12"})
    page("needs-old-six", made_up("needs-old-six", "1.0", ["six<1.0"], why="cannot be satisfied"))
    page("wrong-hash", {"filename": made_up("wrong-hash", "1.0", why="its index entry has another hash"),
                        "sha256": "0" * 64})
    page("misnamed", made_up("other-thing", "1.0", why="listed under another project's name"))
    page("lying-name", made_up("lying-name", "1.0", metadata_name="six", why="its metadata names another project"))
    page("offsite", {"filename": "offsite-1.0-py3-none-any.whl",
                     "href": "http://127.0.0.2:9/files/offsite-1.0-py3-none-any.whl"})
    page("dotdot", made_up("dotdot", "1.0", extra_files={"../escaped.py": b"ESCAPED = True\n"},
                           why="writes outside site-packages"))
    page("zip-bomb", made_up("zip-bomb", "1.0", extra_files={"zip_bomb_data.bin": bytes(64 << 20)},
                             why="expands 64 MiB of zeros"))
    page("platform-demo", made_up("platform-demo", "1.0", tag="cp311-cp311-manylinux_2_17_x86_64",
                                  why="a platform wheel"))
    for project, files in sorted(pages.items()):
        write_page(project, files)
    with open(os.path.join(OUT, "simple", "index.html"), "w") as out:
        out.write("<!DOCTYPE html>\n<html><body>\n" + "\n".join(
            f'<a href="{p}/">{p}</a><br>' for p in sorted(pages)) + "\n</body></html>\n")
    flat = os.path.join(OUT, "flat")
    os.makedirs(flat)
    for filename in real:
        os.link(os.path.join(FILES, filename), os.path.join(flat, filename))
    print(f"[index] {OUT}: {len(os.listdir(FILES))} wheels, {len(pages)} projects", file=sys.stderr)


main()
