# Conan 2 recipe for switchboard, written to conan-center-index conventions for header-only
# libraries. It lives in the switchboard repository (packaging/conan), so instead of downloading
# a release tarball in source() it exports the sources from the checkout two directories up.
#
#   conan create packaging/conan --build=missing
#
# The version is not written here: set_version() reads it from include/switchboard/version.hpp,
# the single place it is defined (tests/packaging/check_packaging.py checks this stays true).
import os
import re

from conan import ConanFile
from conan.errors import ConanException, ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout
from conan.tools.scm import Version

required_conan_version = ">=2.0"

# Matches the version in include/switchboard/version.hpp; group 1 is the version.
# Kept at module level so tests/packaging/check_packaging.py can apply the very same pattern.
VERSION_PATTERN = r'(?m)^\s*#\s*define\s+SWITCHBOARD_VERSION_STRING\s+"(\d+\.\d+\.\d+[^"]*)"'


class SwitchboardConan(ConanFile):
    name = "switchboard"
    description = "Typed C++20 endpoints over HTTP, SSE, WebSocket and stdio"
    license = "BSL-1.0"
    url = "https://github.com/switchboard-cpp/switchboard"
    homepage = "https://github.com/switchboard-cpp/switchboard"
    topics = ("http", "sse", "websocket", "asio", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    # Only the headers are needed; Boost.PFR and the other Boost parts used are header-only.
    default_options = {"boost/*:header_only": True}
    # Header-only: nothing is built, so the sources need not be copied to a build folder.
    no_copy_source = True

    @property
    def _min_cppstd(self):
        return 20

    @property
    def _compilers_minimum_version(self):
        # Oldest compilers with the C++20 support switchboard relies on (concepts, coroutines).
        return {
            "gcc": "12",
            "clang": "14",
            "apple-clang": "14",
            "msvc": "193",
        }

    @property
    def _repo_root(self):
        # Only meaningful while the recipe is in the checkout (export time, set_version()).
        return os.path.join(self.recipe_folder, "..", "..")

    def set_version(self):
        header = os.path.join(self._repo_root, "include", "switchboard", "version.hpp")
        match = re.search(VERSION_PATTERN, load(self, header))
        if not match:
            raise ConanException(f"switchboard: SWITCHBOARD_VERSION_STRING not found in {header}")
        version = match.group(1)
        if self.version and str(self.version) != version:
            raise ConanException(
                f"switchboard: --version {self.version} does not match {version} from version.hpp")
        self.version = version

    def export_sources(self):
        # Paths are relative to the repository root, not to this recipe's folder.
        root = self._repo_root
        for folder in ("include", "cmake", "single_include"):
            copy(self, "*", src=os.path.join(root, folder),
                 dst=os.path.join(self.export_sources_folder, folder))
        copy(self, "CMakeLists.txt", src=root, dst=self.export_sources_folder)
        copy(self, "LICENSE", src=root, dst=self.export_sources_folder)

    def layout(self):
        # Exported sources land in the base source folder, so no "src" subfolder here.
        basic_layout(self)

    def requirements(self):
        # Direct dependencies of a header-library are included by its public headers,
        # and Conan propagates their headers to consumers.
        # Ranges whose ends are what CI builds and tests: Debian 12 (Asio 1.28.1, cpp-httplib 0.11.4,
        # Boost 1.81) and Debian 13 (Asio 1.30.2, cpp-httplib 0.18.7, Boost 1.88), both with -Werror.
        # Newer cpp-httplib APIs (TaskQueue::enqueue returning bool since 0.15, multipart in
        # Request::form since 0.23) are detected by the headers themselves, not by version numbers.
        self.requires("asio/[>=1.28.1 <2]")
        self.requires("cpp-httplib/[>=0.11.4 <1]")
        self.requires("boost/[>=1.81.0 <2]")

    def package_id(self):
        self.info.clear()

    def validate(self):
        check_min_cppstd(self, self._min_cppstd)
        minimum_version = self._compilers_minimum_version.get(str(self.settings.compiler), False)
        if minimum_version and Version(self.settings.compiler.version) < minimum_version:
            raise ConanInvalidConfiguration(
                f"{self.ref} requires C++{self._min_cppstd}, which your compiler does not support "
                f"(minimum {self.settings.compiler} {minimum_version}).")

    def build(self):
        pass

    def package(self):
        copy(self, "LICENSE", src=self.source_folder,
             dst=os.path.join(self.package_folder, "licenses"))
        # Same layout as the CMake install rules: include/switchboard/... plus the single
        # header as include/switchboard.hpp.
        copy(self, "*", src=os.path.join(self.source_folder, "include"),
             dst=os.path.join(self.package_folder, "include"))
        copy(self, "switchboard.hpp", src=os.path.join(self.source_folder, "single_include"),
             dst=os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "switchboard")
        self.cpp_info.set_property("cmake_target_name", "switchboard::switchboard")

        # Header-only: no libraries or executables.
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []

        # asio::asio, httplib::httplib and Boost::headers in CMake terms.
        self.cpp_info.requires = ["asio::asio", "cpp-httplib::cpp-httplib", "boost::headers"]
