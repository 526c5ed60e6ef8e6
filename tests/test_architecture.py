"""The app layering and the tenancy escape hatches, checked from the source (DESIGN.md §3, §7).

Nothing here imports the code it checks: every module of the apps is parsed with ``ast``, so a
wrong-way or cyclic import is reported as one, with its file and line, instead of breaking
collection.

* Layering: dependencies run one way, ``portal`` ← ``applications`` ← ``pilots`` ←
  ``evaluation`` ← ``demo``. An app imports only apps to its left in ``LAYERS``; the core
  (``portal``) imports no app, apps register what it needs in ``AppConfig.ready()``; no cycle
  between apps, and no import cycle between the modules of one app. Imports inside functions
  count like top-level ones: deferring an import hides a dependency, it does not remove it.
  Only for cycles inside an app, imports under ``if TYPE_CHECKING:`` do not count (they never
  run).
* Escape hatches: every way around the tenancy guard (``HATCHES``) is used only in the files of
  ``ALLOWED``, at most as often as it lists reasons there, and each use has a comment saying why
  right above it.

Migrations and tests are not scanned.
"""

import ast
import io
import tokenize
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The declared order (DESIGN.md §7): an app may import the apps to its left, never to its right.
LAYERS = ("portal", "applications", "pilots", "evaluation", "demo")
RANK = {app: rank for rank, app in enumerate(LAYERS)}
CORE = "portal"
SKIPPED_DIRS = {"migrations", "tests", "__pycache__"}


# --- reading the source ---------------------------------------------------------------------------
@cache
def source_files() -> tuple[str, ...]:
    """Paths (relative to the repository, with ``/``) of every module the checks read."""
    files = []
    for app in LAYERS:
        if not (ROOT / app).is_dir():
            continue  # demo/ arrives with the restructuring
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if SKIPPED_DIRS & set(relative.parts[:-1]):
                continue
            if relative.name.startswith("test_") or relative.name == "conftest.py":
                continue
            files.append(relative.as_posix())
    return tuple(files)


@cache
def read(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


@cache
def parse(path: str) -> ast.Module:
    return ast.parse(read(path), filename=path)


def module_of(path: str) -> str:
    parts = path.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def known_modules() -> frozenset[str]:
    return frozenset(module_of(path) for path in source_files())


def app_of(module: str) -> str:
    return module.partition(".")[0]


# --- imports --------------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Import:
    file: str
    line: int
    importer: str  # the importing module, dotted
    target: str  # the imported module: the deepest of ours it names, else as written
    in_function: bool = False
    typing_only: bool = False

    @property
    def importer_app(self) -> str:
        return app_of(self.importer)

    @property
    def target_app(self) -> str:
        return app_of(self.target)

    def __str__(self) -> str:
        where = []
        if self.in_function:
            where.append("inside a function")
        if self.typing_only:
            where.append("under TYPE_CHECKING")
        note = f" ({', '.join(where)})" if where else ""
        return f"{self.file}:{self.line}: {self.importer} imports {self.target}{note}"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _callee_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _ours(dotted: str, modules: frozenset[str]) -> str:
    """The longest prefix of ``dotted`` that is one of our modules, else ``dotted`` itself."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return dotted


def _from_base(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a ``from … import`` names, relative levels resolved."""
    if node.level == 0:
        return node.module or ""
    package = importer if is_package else importer.rpartition(".")[0]
    for _level in range(node.level - 1):
        package = package.rpartition(".")[0]
    return ".".join(part for part in (package, node.module) if part)


def _named_modules(
    node: ast.AST, importer: str, is_package: bool, modules: frozenset[str]
) -> list[str]:
    """The modules an import statement (or a literal ``import_module``/``import_string`` call)
    names, as written or resolved from relative."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = _from_base(importer, is_package, node)
        # ``from pkg import module`` names the module; ``from module import name`` the module.
        submodules = (f"{base}.{alias.name}" for alias in node.names)
        return [name if name in modules else base for name in submodules]
    if (
        isinstance(node, ast.Call)
        and _callee_name(node) in ("import_module", "import_string")
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return [node.args[0].value]
    return []


def scan_imports(
    source: str, *, file: str, importer: str, is_package: bool, modules: frozenset[str]
) -> list[Import]:
    """Every import in ``source``: top level, inside functions and classes, under
    ``if TYPE_CHECKING:`` (marked), and ``import_module("…")`` / ``import_string("…")`` calls
    with a literal name."""
    found: set[Import] = set()

    def visit(node: ast.AST, in_function: bool, typing_only: bool) -> None:
        for dotted in _named_modules(node, importer, is_package, modules):
            target = _ours(dotted, modules)
            found.add(Import(file, node.lineno, importer, target, in_function, typing_only))
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, in_function, True)
            for child in node.orelse:
                visit(child, in_function, typing_only)
            return
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inner, typing_only)

    visit(ast.parse(source, filename=file), False, False)
    return sorted(found)


@cache
def all_imports() -> tuple[Import, ...]:
    modules = known_modules()
    imports: list[Import] = []
    for path in source_files():
        imports += scan_imports(
            read(path),
            file=path,
            importer=module_of(path),
            is_package=path.endswith("/__init__.py"),
            modules=modules,
        )
    return tuple(imports)


def app_edges() -> list[Import]:
    """Imports from one of our apps into another."""
    return [i for i in all_imports() if i.target_app in RANK and i.target_app != i.importer_app]


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for successor in graph.get(todo.pop(), ()):
            if successor not in seen:
                seen.add(successor)
                todo.append(successor)
    return seen


def cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The groups of nodes that all reach each other (strongly connected, more than one node),
    each sorted. The graphs are small (apps, or one app's modules), so plain reachability does."""
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in edges:
        if source != target:
            graph[source].add(target)
    reach = {node: _reachable(graph, node) for node in graph}
    components = {
        tuple(sorted(other for other in reached if node in reach.get(other, ())))
        for node, reached in reach.items()
        if node in reached
    }
    return sorted(list(component) for component in components)


def describe_cycles(
    edges: list[Import],
    key: Callable[[Import], tuple[str, str]],
    allowed: Callable[[str, str], bool] = lambda source, target: False,
) -> str:
    """Each cycle with the imports that form it, grouped by pair. A pair going the allowed way
    is summed up in one line; the imports that close the cycle are listed one by one."""
    lines = []
    for component in cycles(key(edge) for edge in edges):
        members = set(component)
        lines.append(f"cycle between {', '.join(component)}:")
        by_pair: dict[tuple[str, str], list[Import]] = defaultdict(list)
        for edge in edges:
            source, target = key(edge)
            if source in members and target in members and source != target:
                by_pair[source, target].append(edge)
        for (source, target), imports in sorted(by_pair.items()):
            imports.sort()
            if allowed(source, target):
                lines.append(
                    f"  {source} -> {target}: {len(imports)} import(s) the allowed way, "
                    f"e.g. {imports[0]}"
                )
            else:
                lines.append(f"  {source} -> {target}:")
                lines += [f"    {i}" for i in imports]
    return "\n".join(lines)


# --- the checker reads what it should ---------------------------------------------------------------
def test_the_checker_resolves_relative_nested_and_typing_only_imports():
    source = "\n".join(
        [
            "from typing import TYPE_CHECKING",
            "from . import models",
            "from .models import PilotEnterprise",
            "from .selectors import enterprises_for",  # no such module: the deepest that is
            "import portal.scoping",
            "if TYPE_CHECKING:",
            "    from evaluation.models import Assessment",
            "def build():",
            "    from applications.models import Application",
            "    return import_module('evaluation.scoring')",
        ]
    )
    modules = frozenset(
        {"pilots", "pilots.views", "pilots.models", "portal.scoping", "applications.models"}
        | {"evaluation.models", "evaluation.scoring"}
    )
    found = scan_imports(
        source, file="pilots/views.py", importer="pilots.views", is_package=False, modules=modules
    )
    assert {(i.line, i.target, i.in_function, i.typing_only) for i in found} == {
        (1, "typing", False, False),
        (2, "pilots.models", False, False),
        (3, "pilots.models", False, False),
        (4, "pilots", False, False),
        (5, "portal.scoping", False, False),
        (7, "evaluation.models", False, True),
        (9, "applications.models", True, False),
        (10, "evaluation.scoring", True, False),
    }
    package = scan_imports(
        "from . import views\nfrom .views import x\n",
        file="pilots/__init__.py",
        importer="pilots",
        is_package=True,
        modules=modules,
    )
    assert [i.target for i in package] == ["pilots.views", "pilots.views"]
    command = scan_imports(
        "from ...demo import build_world\nfrom ... import visibility\n",
        file="portal/management/commands/seed_demo.py",
        importer="portal.management.commands.seed_demo",
        is_package=False,
        modules=frozenset({"portal", "portal.demo", "portal.visibility"}),
    )
    assert [i.target for i in command] == ["portal.demo", "portal.visibility"]


def test_the_checker_finds_cycles():
    assert cycles([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("d", "d")]) == [["a", "b", "c"]]


def test_the_checker_reads_every_app():
    apps = {app_of(module_of(path)) for path in source_files()}
    assert {"portal", "applications", "pilots", "evaluation"} <= apps
    assert not [p for p in source_files() if "/migrations/" in p or "/tests/" in p]


# --- layering -------------------------------------------------------------------------------------
def test_the_core_imports_no_app():
    """The core keeps registries, not imports: apps register in AppConfig.ready() (§7)."""
    wrong = [str(i) for i in app_edges() if i.importer_app == CORE]
    assert not wrong, (
        f"{CORE} must not import an app; register what the core needs from the app's "
        f"AppConfig.ready() instead. {len(wrong)} import(s):\n" + "\n".join(wrong)
    )


def test_apps_import_only_apps_before_them_in_the_declared_order():
    wrong = [
        str(i)
        for i in app_edges()
        if i.importer_app != CORE and RANK[i.target_app] > RANK[i.importer_app]
    ]
    assert not wrong, (
        f"imports against the order {' < '.join(LAYERS)} (an app imports only apps to its left; "
        f"the core's own imports are reported by test_the_core_imports_no_app). "
        f"{len(wrong)} import(s):\n" + "\n".join(wrong)
    )


def test_no_import_cycle_between_apps():
    report = describe_cycles(
        app_edges(),
        key=lambda i: (i.importer_app, i.target_app),
        allowed=lambda importer, target: RANK[target] < RANK[importer],
    )
    assert not report, "apps import each other:\n" + report


def test_no_import_cycle_between_the_modules_of_an_app():
    """E.g. a document builder importing the services that import it. Imports inside functions
    count; ``if TYPE_CHECKING:`` imports do not (they never run)."""
    modules = known_modules()
    edges = [
        i
        for i in all_imports()
        if not i.typing_only
        and i.target in modules
        and i.target != i.importer
        and i.target_app == i.importer_app
    ]
    report = describe_cycles(edges, key=lambda i: (i.importer, i.target))
    assert not report, (
        "modules of one app import each other; move what both need into a third module:\n" + report
    )


# --- tenancy escape hatches -------------------------------------------------------------------------
# Every way to read tenant rows without the visibility scope deciding (DESIGN.md §3).
HATCHES = {
    "scopes_disabled()": "turns the tenancy guard off for everything inside it",
    "Visibility.system()": "a scope that sees every tenant's rows",
    "_base_manager": "a model's plain base manager: no scope, no visibility rule",
    "unscoped manager": "a plain models.Manager() declared on a model beside its VisibleManager",
    "unscoped manager use": "a read through such a manager (e.g. Membership.all_objects)",
    "raw SQL": "connection.cursor(), .raw(), .extra() or RawSQL: no manager at all",
}

# file -> hatch -> one reason per allowed use (the count of reasons is the maximum).
# When a file moves, move its entry; when a use goes away, drop its reason.
ALLOWED: dict[str, dict[str, tuple[str, ...]]] = {
    "portal/models/__init__.py": {
        "unscoped manager": (
            "Membership.all_objects: read only by portal.visibility and portal.selectors "
            "(system decisions)",
        ),
    },
    "portal/visibility.py": {
        "Visibility.system()": ("the definition of Visibility.system() itself",),
        "raw SQL": (
            "a user's own roles, read before a scope can exist: the scope is built from them",
            "a staff user's bureau subtree (bureaus are not tenant rows), building the scope",
        ),
        "_base_manager": (
            "the home bureaus of the user's own organizations, read while building the scope",
        ),
        "scopes_disabled()": (
            "visible_or_404 tells a denial from a miss for the audit trail; returns nothing",
        ),
    },
    "portal/members.py": {
        "unscoped manager use": (
            "whether a member holds a role elsewhere before an admin resets them: a yes/no",
        ),
    },
    "portal/selectors.py": {
        "unscoped manager use": (
            "members of organizations to notify, as the portal: ids only",
            "who works at a bureau, for notifications sent as the portal: ids only",
            "a bureau's expert pool as a subquery of ids, for assignment by its staff",
            "a yes/no about one membership for permission checks",
            "members of a batch of organizations to remind, as the portal: ids only",
        ),
    },
    "applications/services.py": {
        "_base_manager": (
            "a book's outcome notice after commit: its title and link to its own members",
        ),
    },
    "portal/services.py": {
        "_base_manager": (
            "an organization recorded by its code is found across tenants, never duplicated",
        ),
    },
    "portal/deadlines.py": {
        "Visibility.system()": (
            "a deadline is the portal's bookkeeping: set for any subject, whoever acts",
            "closing a deadline: the portal's bookkeeping, whoever finished the thing",
            "the beat plans reminders across every tenant",
            "the beat runs due actions across every tenant, claimed per deadline",
            "a changed policy re-plans the deadlines of its bureau's subtree, as the portal",
        ),
        "raw SQL": (
            "claiming reminders is one UPDATE … RETURNING over the portal's own queue table",
        ),
    },
    "portal/export_jobs.py": {
        "Visibility.system()": (
            "the worker claims a job by id before it knows whose; it writes in the user's scope",
            "the beat re-queues stalled jobs by id across users",
        ),
    },
    "portal/bundles.py": {
        "Visibility.system()": (
            "a document job is the portal's bookkeeping; the caller checked the subject",
            "the worker renders a claimed job for whoever asked",
            "the beat re-queues stalled renders by id across tenants",
        ),
        "scopes_disabled()": (
            "the public verify page looks across every tenant by design; returns no content",
        ),
        "_base_manager": (
            "a rule's subquery of the subjects the viewer sees, through the subject's own rules",
        ),
    },
    "portal/audit_chain.py": {
        "_base_manager": (
            "the audit chain is verified and archived over every tenant's records, as the portal",
        ),
        "raw SQL": (
            "the retention archive deletes the records it has just written to its archive file",
        ),
    },
    "portal/management/commands/reencrypt_personal_data.py": {
        "_base_manager": (
            "key rotation re-encrypts every tenant's personal data as the portal; nothing shown",
            "the same row written back re-encrypted, as the portal",
        ),
    },
    "portal/shipped.py": {
        "scopes_disabled()": ("the portal installs its shipped data, outside any user's scope",),
    },
    "demo/management/commands/seed_demo.py": {
        "scopes_disabled()": ("the demo seed acts as the portal itself, across every tenant",),
    },
    "portal/views.py": {
        "raw SQL": ("healthz: SELECT 1 to see that the database answers; no table",),
    },
    "evaluation/services.py": {
        "_base_manager": (
            "the conflict check reads the expert's employer as the portal, whoever assigns",
            "an anonymous objection is compared with the notice's earlier ones (no flooding)",
        ),
        "Visibility.system()": (
            "whether all sheets are in: the expert saving may not see the others' (blind)",
        ),
    },
    "evaluation/visibility.py": {
        "_base_manager": (
            "a rule's subquery of the expert's active assignments (not a join: no duplicates)",
            "a rule's subquery of the expert's rounds, evaluated inside scopes",
        ),
        "unscoped manager use": (
            "a rule's subquery of a bureau's expert pool: ids inside a rule, never returned",
        ),
    },
    "applications/visibility.py": {
        "raw SQL": (
            "a rule reads the ids of the calls of the viewer's bureau line, once per visibility",
        ),
    },
    "pilots/visibility.py": {
        "_base_manager": ("a rule's subquery of the counties where the viewer is a pilot party",),
    },
    "pilots/services/selection.py": {
        "_base_manager": (
            "which alliance partners are registered organizations, across tenants, to link them",
        ),
    },
    "pilots/services/alliances.py": {
        "_base_manager": (
            "a new alliance member linked to its registered organization across tenants",
        ),
    },
    "pilots/services/catalogue.py": {
        "_base_manager": (
            "a provider's duplicate check within the caller's own bureau: yes or no",
            "one demand list per sub-industry in the caller's bureau, as the constraint (附4)",
        ),
    },
    "portal/import_resources.py": {
        "_base_manager": (
            "an imported organization is found by its code across tenants, never duplicated",
        ),
    },
    "pilots/imports.py": {
        "_base_manager": (
            "a county enrols for the active leading units serving its area: published decisions",
        ),
    },
    "evaluation/experts.py": {
        "_base_manager": (
            "one expert profile per person across pools, filled when a pool adds them",
            "an imported expert's one profile across pools, found and never duplicated",
        ),
    },
    "pilots/services/enrolment.py": {
        "_base_manager": (
            "enrolled by any leading unit, including ones the enterprise cannot see: yes or no",
            "the organization's own pending request, the same check as the constraint",
        ),
    },
}

PLAIN_MANAGER_CALLS = {"Manager"}  # models.Manager(), Manager()
RAW_SQL_METHODS = {"cursor", "raw", "extra"}


@dataclass(frozen=True, order=True)
class Hatch:
    file: str
    line: int
    statement_line: int  # where the statement holding it starts
    kind: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.kind} ({HATCHES[self.kind]})"


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _statement_line(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> int:
    while not isinstance(node, ast.stmt) and node in parents:
        node = parents[node]
    return getattr(node, "lineno", 0)


def _plain_managers(tree: ast.AST) -> Iterator[ast.Assign]:
    """``name = models.Manager()`` in a class body (``objects`` is Django's own default)."""
    for cls in ast.walk(tree):
        if isinstance(cls, ast.ClassDef):
            for stmt in cls.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and isinstance(stmt.value, ast.Call)
                    and _callee_name(stmt.value) in PLAIN_MANAGER_CALLS
                    and not any(isinstance(t, ast.Name) and t.id == "objects" for t in stmt.targets)
                ):
                    yield stmt


@cache
def unscoped_manager_names() -> frozenset[str]:
    return frozenset(
        target.id
        for path in source_files()
        for stmt in _plain_managers(parse(path))
        for target in stmt.targets
        if isinstance(target, ast.Name)
    )


def _call_hatch(call: ast.Call) -> str:
    """The hatch a call opens, or ""."""
    name = _callee_name(call)
    on_object = isinstance(call.func, ast.Attribute)
    if name == "scopes_disabled":
        return "scopes_disabled()"
    if name == "system" and on_object and _names(call.func.value, "Visibility"):
        return "Visibility.system()"
    if any(k.arg == "is_system" and _maybe_true(k.value) for k in call.keywords):
        return "Visibility.system()"
    if (on_object and name in RAW_SQL_METHODS) or name == "RawSQL":
        return "raw SQL"
    return ""


def _maybe_true(value: ast.expr) -> bool:
    return not (isinstance(value, ast.Constant) and not value.value)


def scan_hatches(source: str, *, file: str, manager_names: frozenset[str]) -> list[Hatch]:
    tree = ast.parse(source, filename=file)
    parents = _parents(tree)
    found = [(stmt, "unscoped manager") for stmt in _plain_managers(tree)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            found.append((node, _call_hatch(node)))
        elif isinstance(node, ast.Attribute) and node.attr in ("_base_manager", "base_manager"):
            found.append((node, "_base_manager"))
        elif isinstance(node, ast.Attribute) and node.attr in manager_names:
            found.append((node, "unscoped manager use"))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            # A renamed escape hatch would hide from the checks above.
            found += [
                (node, "scopes_disabled()")
                for alias in node.names
                if alias.asname and alias.name.rpartition(".")[2] == "scopes_disabled"
            ]
    return sorted(
        Hatch(file, node.lineno, _statement_line(node, parents), kind)
        for node, kind in found
        if kind
    )


def _names(node: ast.expr, name: str) -> bool:
    return (isinstance(node, ast.Name) and node.id == name) or (
        isinstance(node, ast.Attribute) and node.attr == name
    )


def comment_lines(source: str) -> set[int]:
    """Lines carrying a comment that says something (not just a ``noqa`` or ``type:``)."""
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            text = token.string.lstrip("#").strip()
            if text and not text.startswith(("noqa", "type:", "fmt:")):
                lines.add(token.start[0])
    return lines


@cache
def all_hatches() -> tuple[Hatch, ...]:
    names = unscoped_manager_names()
    return tuple(
        hatch
        for path in source_files()
        for hatch in scan_hatches(read(path), file=path, manager_names=names)
    )


def _uses_by_file() -> dict[str, Counter[str]]:
    uses: dict[str, Counter[str]] = defaultdict(Counter)
    for hatch in all_hatches():
        uses[hatch.file][hatch.kind] += 1
    return uses


def test_the_checker_finds_every_kind_of_escape_hatch():
    source = "\n".join(
        [
            "class Membership(models.Model):",
            "    objects = VisibleManager()",
            "    everything = models.Manager()",
            "def f():",
            "    with scopes_disabled():",
            "        pass",
            "    with visibility_scope(Visibility.system()):",
            "        pass",
            "    Organization._base_manager.filter(uscc=code)",
            "    Membership.everything.filter(user_id=1)",
            "    connection.cursor()",
            "    Organization.objects.raw('SELECT 1')",
            "    Visibility(user_id=None, is_system=True)",
            "    Organization._meta.base_manager.all()",
            "from portal.scoping import scopes_disabled as unguarded",
        ]
    )
    found = scan_hatches(source, file="x.py", manager_names=frozenset({"everything"}))
    assert [(h.line, h.kind) for h in found] == [
        (3, "unscoped manager"),
        (5, "scopes_disabled()"),
        (7, "Visibility.system()"),
        (9, "_base_manager"),
        (10, "unscoped manager use"),
        (11, "raw SQL"),
        (12, "raw SQL"),
        (13, "Visibility.system()"),
        (14, "_base_manager"),
        (15, "scopes_disabled()"),
    ]


def test_escape_hatches_are_used_only_where_the_allow_list_says():
    uses = _uses_by_file()
    failures = []
    for hatch in all_hatches():
        allowed = len(ALLOWED.get(hatch.file, {}).get(hatch.kind, ()))
        used = uses[hatch.file][hatch.kind]
        if used > allowed:
            failures.append(f"{hatch}  [{used} use(s) in this file, {allowed} allowed]")
    moved = [path for path in ALLOWED if not (ROOT / path).exists()]
    assert not failures, (
        "Tenancy escape hatches beyond the allow-list. Prefer a scoped query; if the hatch is "
        "really needed, justify it: a comment right above it saying why, and the reason added "
        "to ALLOWED in tests/test_architecture.py (reviewed like any other change).\n"
        + "\n".join(sorted(failures))
        + (
            "\nALLOWED lists files that no longer exist; if the uses above moved from them, "
            "move their entries: " + ", ".join(moved)
            if moved
            else ""
        )
    )


def test_the_escape_hatch_allow_list_is_not_stale():
    """A use that went away gives its allowance back, so it cannot silently come back."""
    uses = _uses_by_file()
    stale = []
    for path, kinds in sorted(ALLOWED.items()):
        if not (ROOT / path).exists():
            stale.append(f"{path}: no longer exists; if it moved, move its entry to the new path")
            continue
        for kind, reasons in sorted(kinds.items()):
            assert kind in HATCHES, f"{path}: unknown hatch {kind!r}"
            if uses[path][kind] < len(reasons):
                stale.append(
                    f"{path}: {kind} used {uses[path][kind]} time(s), {len(reasons)} allowed; "
                    "drop the reasons that no longer apply"
                )
    assert not stale, "ALLOWED in tests/test_architecture.py is out of date:\n" + "\n".join(stale)


def test_every_escape_hatch_says_why_in_a_comment_right_above_it():
    unexplained = []
    for hatch in all_hatches():
        comments = comment_lines(read(hatch.file))
        window = range(min(hatch.line, hatch.statement_line) - 3, hatch.line + 1)
        if not comments.intersection(window):
            unexplained.append(str(hatch))
    assert not unexplained, (
        "Each escape hatch needs a comment within the three lines above it saying why it is "
        "safe (what is read, for whom, what is never shown):\n" + "\n".join(unexplained)
    )
