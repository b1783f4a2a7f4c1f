#!/usr/bin/env python3
"""Check that the Conan recipe and the vcpkg port agree with the sources.

Neither Conan nor vcpkg is needed: the recipe is only parsed (ast), never imported.

usage: check_packaging.py REPO_ROOT
"""
import ast
import json
import pathlib
import re
import sys

TARGET = "switchboard::switchboard"
# Dependencies every package manager must bring, as (what, accepted package names) pairs.
REQUIRED_DEPS = (
    ("asio", ("asio",)),
    ("cpp-httplib", ("cpp-httplib",)),
    ("boost", ("boost", "boost-pfr", "boost-headers")),
)
HEADER_VERSION = re.compile(r'(?m)^\s*#\s*define\s+SWITCHBOARD_VERSION_STRING\s+"([^"]*)"')
HEADER_PART = r'(?m)^\s*#\s*define\s+SWITCHBOARD_VERSION_{}\s+(\d+)\s*$'


class Failure(Exception):
    pass


class Repo:
    def __init__(self, root):
        self.root = root
        self.version_hpp = root / "include" / "switchboard" / "version.hpp"
        self.conanfile = root / "packaging" / "conan" / "conanfile.py"
        self.conan_test_package = root / "packaging" / "conan" / "test_package"
        self.port = root / "packaging" / "vcpkg" / "ports" / "switchboard"
        self._cache = {}

    def read(self, path):
        if path not in self._cache:
            if not path.is_file():
                raise Failure(f"{self.rel(path)} does not exist")
            self._cache[path] = path.read_text(encoding="utf-8")
        return self._cache[path]

    def rel(self, path):
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def header_version(self):
        match = HEADER_VERSION.search(self.read(self.version_hpp))
        if not match:
            raise Failure(f"no SWITCHBOARD_VERSION_STRING in {self.rel(self.version_hpp)}")
        return match.group(1)

    def vcpkg_manifest(self):
        path = self.port / "vcpkg.json"
        try:
            return json.loads(self.read(path))
        except json.JSONDecodeError as err:
            raise Failure(f"{self.rel(path)} is not valid JSON: {err}") from None

    def conan_tree(self):
        try:
            return ast.parse(self.read(self.conanfile), filename=str(self.conanfile))
        except SyntaxError as err:
            raise Failure(f"{self.rel(self.conanfile)} does not parse: {err}") from None


def string_constants(tree):
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def module_constant(tree, name):
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                raise Failure(f"{name} in conanfile.py is not a literal") from None
    raise Failure(f"conanfile.py has no module-level {name}")


def recipe_class(tree):
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and b.id == "ConanFile" for b in node.bases):
            return node
    raise Failure("conanfile.py defines no ConanFile subclass")


def class_attribute(cls, name):
    for node in cls.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    return None


def method(cls, name):
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


def min_cppstd(cls):
    """The standard validate() passes to check_min_cppstd, as an int (None if not called)."""
    validate = method(cls, "validate")
    if validate is None:
        raise Failure("conanfile.py has no validate() method")
    for node in ast.walk(validate):
        if not (isinstance(node, ast.Call) and len(node.args) >= 2 and (
                getattr(node.func, "id", None) == "check_min_cppstd"
                or getattr(node.func, "attr", None) == "check_min_cppstd")):
            continue
        arg = node.args[1]
        if isinstance(arg, ast.Constant):
            return int(arg.value)
        if isinstance(arg, ast.Attribute):  # self._min_cppstd: a property returning a literal
            prop = method(cls, arg.attr)
            if prop is not None:
                for stmt in ast.walk(prop):
                    if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Constant):
                        return int(stmt.value.value)
        return ast.unparse(arg)
    return None


def conan_requires(cls):
    """Package names passed to self.requires(...) in requirements()."""
    requirements = method(cls, "requirements")
    if requirements is None:
        raise Failure("conanfile.py has no requirements() method")
    names = []
    for node in ast.walk(requirements):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "requires" and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            names.append(node.args[0].value.split("/", 1)[0])
    return names


def missing_deps(names):
    return [what for what, accepted in REQUIRED_DEPS if not any(n in accepted for n in names)]


# ---------------------------------------------------------------------------------------------
# checks: each returns a short description of what it verified, or raises Failure


def check_header_version_parts(repo):
    text = repo.read(repo.version_hpp)
    parts = []
    for part in ("MAJOR", "MINOR", "PATCH"):
        match = re.search(HEADER_PART.format(part), text)
        if not match:
            raise Failure(f"no SWITCHBOARD_VERSION_{part} in {repo.rel(repo.version_hpp)}")
        parts.append(match.group(1))
    version = repo.header_version()
    if ".".join(parts) != version:
        raise Failure(f"version.hpp: MAJOR.MINOR.PATCH is {'.'.join(parts)} "
                      f"but SWITCHBOARD_VERSION_STRING is {version}")
    return f"version.hpp is consistent ({version})"


def check_vcpkg_version(repo):
    manifest = repo.vcpkg_manifest()
    fields = [k for k in ("version", "version-semver", "version-string", "version-date")
              if k in manifest]
    if fields != ["version"]:
        raise Failure(f"vcpkg.json must have exactly one version field, \"version\"; found {fields}")
    header = repo.header_version()
    if manifest["version"] != header:
        raise Failure(f"vcpkg.json version {manifest['version']!r} != "
                      f"SWITCHBOARD_VERSION_STRING {header!r} in version.hpp")
    if manifest.get("name") != "switchboard":
        raise Failure(f"vcpkg.json name is {manifest.get('name')!r}, expected 'switchboard'")
    return f"vcpkg.json version is {header}"


def check_conan_recipe(repo):
    tree = repo.conan_tree()
    strings = string_constants(tree)
    for needle in (TARGET, "header-library"):
        if needle not in strings:
            raise Failure(f"conanfile.py has no string {needle!r}")
    cls = recipe_class(tree)
    cppstd = min_cppstd(cls)
    if cppstd != 20:
        raise Failure(f"conanfile.py: validate() must check_min_cppstd(self, 20); found {cppstd!r}")
    if class_attribute(cls, "name") != "switchboard":
        raise Failure("conanfile.py: name is not 'switchboard'")
    if class_attribute(cls, "package_type") != "header-library":
        raise Failure("conanfile.py: package_type is not 'header-library'")
    if class_attribute(cls, "version") is not None:
        raise Failure("conanfile.py hard-codes version; set_version() must read version.hpp")
    for name in ("set_version", "export_sources", "package_id", "validate", "package",
                 "package_info"):
        if method(cls, name) is None:
            raise Failure(f"conanfile.py has no {name}() method")
    return "conanfile.py parses and is a header-library recipe for switchboard::switchboard"


def check_conan_version_pattern(repo):
    tree = repo.conan_tree()
    pattern = module_constant(tree, "VERSION_PATTERN")
    if "VERSION_PATTERN" not in ast.unparse(method(recipe_class(tree), "set_version")):
        raise Failure("conanfile.py: set_version() does not use VERSION_PATTERN")
    try:
        match = re.search(pattern, repo.read(repo.version_hpp))
    except re.error as err:
        raise Failure(f"conanfile.py: VERSION_PATTERN is not a valid regex: {err}") from None
    if not match:
        raise Failure("conanfile.py: VERSION_PATTERN does not match version.hpp")
    header = repo.header_version()
    if match.group(1) != header:
        raise Failure(f"conanfile.py: VERSION_PATTERN yields {match.group(1)!r}, "
                      f"version.hpp says {header!r}")
    return f"conanfile.py set_version() pattern yields {header}"


def check_vcpkg_usage(repo):
    usage = repo.read(repo.port / "usage")
    for needle in ("find_package(switchboard CONFIG REQUIRED)", TARGET):
        if needle not in usage:
            raise Failure(f"vcpkg usage does not contain {needle!r}")
    portfile = repo.read(repo.port / "portfile.cmake")
    if not re.search(r'file\s*\(\s*INSTALL\s+"?\$\{CMAKE_CURRENT_LIST_DIR\}/usage', portfile):
        raise Failure("portfile.cmake does not install the usage file")
    return "vcpkg usage names switchboard::switchboard"


def check_vcpkg_portfile(repo):
    portfile = repo.read(repo.port / "portfile.cmake")
    match = re.search(r'^\s*set\s*\(\s*SOURCE_PATH\s+"\$\{CMAKE_CURRENT_LIST_DIR\}/([^"]*)"\s*\)',
                      portfile, re.MULTILINE)
    if not match:
        raise Failure("portfile.cmake does not set SOURCE_PATH relative to CMAKE_CURRENT_LIST_DIR")
    source = (repo.port / match.group(1)).resolve()
    if source != repo.root.resolve():
        raise Failure(f"portfile.cmake SOURCE_PATH resolves to {source}, not the repository root")
    for needle in ("-DSWITCHBOARD_BUILD_TESTS=OFF", "-DSWITCHBOARD_CMAKE_DIR=share/switchboard",
                   "vcpkg_cmake_config_fixup(PACKAGE_NAME switchboard CONFIG_PATH share/switchboard)",
                   "vcpkg_install_copyright("):
        if needle not in portfile:
            raise Failure(f"portfile.cmake does not contain {needle!r}")
    return "portfile.cmake builds the checkout it lives in"


def check_dependencies(repo):
    manifest = repo.vcpkg_manifest()
    vcpkg_names = [d if isinstance(d, str) else d.get("name") for d in manifest.get("dependencies", [])]
    missing = missing_deps(vcpkg_names)
    if missing:
        raise Failure(f"vcpkg.json dependencies {vcpkg_names} lack {', '.join(missing)}")
    for host in ("vcpkg-cmake", "vcpkg-cmake-config"):
        entry = next((d for d in manifest["dependencies"]
                      if isinstance(d, dict) and d.get("name") == host), None)
        if not entry or entry.get("host") is not True:
            raise Failure(f"vcpkg.json must list {host} as a host dependency")
    conan_names = conan_requires(recipe_class(repo.conan_tree()))
    missing = missing_deps(conan_names)
    if missing:
        raise Failure(f"conanfile.py requirements {conan_names} lack {', '.join(missing)}")
    return "vcpkg.json and conanfile.py both require asio, cpp-httplib and boost"


def check_conan_test_package(repo):
    cpp = repo.read(repo.conan_test_package / "test_package.cpp")
    if "#include <switchboard/version.hpp>" not in cpp or "sb::version_string" not in cpp:
        raise Failure("test_package.cpp must include <switchboard/version.hpp> and print sb::version_string")
    cmake = repo.read(repo.conan_test_package / "CMakeLists.txt")
    if "find_package(switchboard" not in cmake or TARGET not in cmake:
        raise Failure("test_package/CMakeLists.txt must find_package(switchboard) and link " + TARGET)
    try:
        ast.parse(repo.read(repo.conan_test_package / "conanfile.py"))
    except SyntaxError as err:
        raise Failure(f"test_package/conanfile.py does not parse: {err}") from None
    return "conan test_package uses switchboard::switchboard"


CHECKS = (
    check_header_version_parts,
    check_vcpkg_version,
    check_conan_recipe,
    check_conan_version_pattern,
    check_vcpkg_usage,
    check_vcpkg_portfile,
    check_dependencies,
    check_conan_test_package,
)


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    root = pathlib.Path(argv[1])
    if not (root / "include" / "switchboard").is_dir():
        print(f"packaging: {root} is not the switchboard repository root", file=sys.stderr)
        return 2
    repo = Repo(root)
    passed = failed = 0
    for check in CHECKS:
        name = check.__name__.removeprefix("check_")
        try:
            detail = check(repo)
        except Failure as err:
            failed += 1
            print(f"FAIL {name}: {err}")
        else:
            passed += 1
            print(f"ok   {name}: {detail}")
    print(f"packaging: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
