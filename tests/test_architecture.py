"""The stages of meshcharts, read from the imports of its modules (docs/architecture.md explains
them): no module imports a later stage, the import graph has no cycle, an import made inside a
function (to keep it out of start-up) says why in a comment, and each third-party library is
imported in its one home."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "meshcharts"

# Earliest first. A module may import modules of its own stage and of earlier ones, never of a
# later one. A new module gets its place here: a command built on the pipeline (as lint is) goes
# after api, a new Go or Helm primitive into golang, a function templates call into template.
STAGES = [
    {"golang", "errors", "budget", "outputguard"},  # Go's and Helm's primitives; the error every
                                 # stage raises; a render's time and output budget; whole-or-nothing stdout
    {"cache"},                   # on-disk caches and per-object memos
    {"yamlio"},                  # YAML in and out, as Helm reads and writes it
    {"loader"},                  # chart directory -> Chart
    {"values"},                  # Chart + user sources -> coalesced Values, enabled children
    {"origin", "schema", "bundle"},  # where each value came from, the schema check, bundled charts
    {"template"},                # Chart + Values -> rendered texts (the only home of Jinja2)
    {"outputdir"},               # a directory replaced in one step
    {"manifest"},                # rendered texts -> Manifest of Documents
    {"registry", "structure", "selection", "guard"},  # images of a manifest; user values that would add
                                 # structure to it; Helm's hook and CRD switches; values that would go wrong silently
    {"api"},                     # RenderOptions -> Manifest: the pipeline in one call
    {"linting", "validate", "injection", "diff"},  # commands built on the pipeline
    {"mirror", "explain", "export"},  # GitOps: --output-dir as a mirror, values' origins, chart export
    {"cli", "gitops_cli"},       # the command line
    {"__init__", "__main__", "argocd"},  # the package's front doors
]
RANK = {name: rank for rank, names in enumerate(STAGES) for name in names}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _type_only(tree: ast.Module) -> set[ast.AST]:
    """The imports under ``if TYPE_CHECKING:``: names for annotations, never run."""
    return {node for block in tree.body if isinstance(block, ast.If) and isinstance(block.test, ast.Name)
            and block.test.id == "TYPE_CHECKING" for node in ast.walk(block)}


def _imports(module: str, path: Path, runtime_only: bool = False) -> list[tuple[str, ast.AST]]:
    """meshcharts modules that ``module`` imports, anywhere in it (inside functions too, and the
    type-checking block unless ``runtime_only``), with the import statement."""
    is_package = path.name == "__init__.py"
    package = module.split(".") if is_package else module.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_only(tree) if runtime_only else set()
    found = []
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node) for alias in node.names if alias.name.split(".")[0] == "meshcharts"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1] + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "meshcharts":
                base = node.module.split(".")
            else:
                continue
            for alias in node.names:  # `from . import runtime` imports the module runtime
                target = ".".join(base + [alias.name])
                found.append((target if target in MODULES else ".".join(base), node))
    return found


GRAPH = {module: sorted({target for target, _ in _imports(module, path) if target != module})
         for module, path in MODULES.items()}
# What runs: an annotation may name a type of a module that imports this one.
RUNTIME_GRAPH = {module: sorted({target for target, _ in _imports(module, path, True) if target != module})
                 for module, path in MODULES.items()}


def test_every_module_has_a_stage():
    assert sorted({_stage(m) for m in MODULES} - set(RANK)) == []


def test_no_module_imports_a_later_stage():
    upward = [f"{module} ({_stage(module)}) imports {target} ({_stage(target)})"
              for module, targets in GRAPH.items() for target in targets
              if RANK.get(_stage(target), 0) > RANK.get(_stage(module), 0)]
    assert upward == []


def test_the_import_graph_has_no_cycle():
    """Counting imports inside functions, which would otherwise hide one."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in RUNTIME_GRAPH.get(module, []):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in RUNTIME_GRAPH:
        if module not in state:
            visit(module, [module])
    assert cycles == []


def _lazy_imports(path: Path) -> list[tuple[int, bool]]:
    """Each import inside a function: its line and whether a comment says why (on its line, on
    the line before, or on the first of a run of imports it belongs to). An import in an
    ``except ImportError`` block is the fallback of the one it replaces and needs none."""
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines))
    out = []

    def explained(index: int) -> bool:
        while True:
            if "#" in lines[index]:
                return True
            index -= 1
            previous = lines[index].strip()
            if index < 0 or not previous:
                return False
            if not previous.startswith(("import ", "from ")) and "#" not in previous:
                return False

    def walk(node: ast.AST, in_function: bool, fallback: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)) and in_function and not fallback:
                out.append((child.lineno, explained(child.lineno - 1)))
            walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)),
                 fallback or isinstance(child, ast.ExceptHandler))

    walk(tree, False, False)
    return out


def test_imports_inside_functions_say_why():
    """An import inside a function keeps a library or a module out of the start of every process
    that does not need it (`--help`, a render of cached templates); the comment says which."""
    silent = [f"{path.relative_to(PACKAGE.parent)}:{line}" for path in MODULES.values()
              for line, ok in _lazy_imports(path) if not ok]
    assert silent == []


# Each third-party library has one home: the stage that needs it, and no other module.
HOMES = {"jinja2": "template", "yaml": "yamlio", "jsonschema": "schema"}


def test_each_library_is_imported_in_its_home_only():
    strays = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and not node.level and node.module else [])
            for name in names:
                home = HOMES.get(name.split(".")[0])
                if home is not None and _stage(module) != home:
                    strays.append(f"{module} imports {name}")
    assert strays == []
