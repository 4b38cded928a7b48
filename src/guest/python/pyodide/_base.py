"""Running source code the way Pyodide's ``runPython`` does."""
# For its side effect: importing _ast creates the ~120 node types once, before
# the built-in snapshot is taken. compile() needs them (it first checks whether
# its argument is a tree), and would build them in every runtime otherwise.
import _ast  # noqa: F401
import _pyodide_core

# Recently run sources and their compiled code. Hosts tend to run the same
# snippets repeatedly; parsing and compiling dominate the cost of small ones.
_CACHE_SIZE = 128
_compiled = {}


def _compile(source, filename, flags=0):
    """Compiles ``source`` into (statements, final expression or None)."""
    key = (source, filename, flags)
    hit = _compiled.get(key)
    if hit is not None:
        return hit
    try:
        # A final expression is the result, unless a trailing semicolon
        # silences it (as in Pyodide and IPython).
        split_last = not source.rstrip().endswith(";")
        statements, expression = _pyodide_core.compile(source, filename, flags, split_last)
    except (SyntaxError, ValueError) as error:
        # The parser's frames are ours, not the user's: report the error as
        # Python reports a syntax error in a script, with no traceback.
        # (3.11 raises ValueError for source containing NUL bytes.)
        raise error.with_traceback(None)
    if len(_compiled) >= _CACHE_SIZE:
        del _compiled[next(iter(_compiled))]
    _compiled[key] = (statements, expression)
    return statements, expression


def eval_code(source, globals=None, locals=None, filename="<exec>"):
    """Runs ``source`` and returns the value of its final expression, if any.

    ``globals`` defaults to ``__main__``'s namespace. A final expression
    statement becomes the result; a trailing ``;`` or a final statement of
    any other kind gives ``None``.
    """
    if globals is None:
        import __main__
        globals = __main__.__dict__
    if locals is None:
        locals = globals
    statements, expression = _compile(source, filename)
    exec(statements, globals, locals)
    if expression is None:
        return None
    return eval(expression, globals, locals)


_TOP_LEVEL_AWAIT = 0x2000  # ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


async def eval_code_async(source, globals=None, locals=None, filename="<exec>"):
    """eval_code with top-level ``await`` allowed (Pyodide's runPythonAsync):
    awaits the statements and the final expression as needed."""
    if globals is None:
        import __main__
        globals = __main__.__dict__
    if locals is None:
        locals = globals
    statements, expression = _compile(source, filename, _TOP_LEVEL_AWAIT)
    result = eval(statements, globals, locals)
    if _is_coroutine(result):
        await result
    if expression is None:
        return None
    result = eval(expression, globals, locals)
    if _is_coroutine(result):
        result = await result
    return result


def _is_coroutine(value):
    return type(value).__name__ == "coroutine" and hasattr(value, "send")


def find_imports(source):
    """The top-level names of the modules ``source`` imports, without duplicates.

    ``import a.b`` and ``from a.b import c`` both give ``a``; relative imports
    are skipped. A syntax error propagates.
    """
    import ast

    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found = [node.module]
        else:
            continue
        for name in found:
            top = name.partition(".")[0]
            if top not in names:
                names.append(top)
    return names
