# Overlay port for switchboard, built from the checkout this port lives in:
#   vcpkg install switchboard --overlay-ports=<repo>/packaging/vcpkg/ports
# or, in manifest mode, list this directory in "overlay-ports" of vcpkg-configuration.json.
#
# The source is the repository root, four levels up from this file
# (ports/switchboard -> ports -> vcpkg -> packaging -> root). vcpkg keys its binary cache on the
# port files, not on these sources: after editing the library, `vcpkg remove switchboard` (or
# bump "port-version") so the new headers are installed.
set(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../../../..")

# A port in a registry (the vcpkg curated registry, or a git registry) would fetch a release
# instead of the line above:
#
# vcpkg_from_github(
#     OUT_SOURCE_PATH SOURCE_PATH
#     REPO switchboard-cpp/switchboard
#     REF "v${VERSION}"
#     SHA512 <sha512 of the release tarball>
#     HEAD_REF main
# )

# Header-only: one (release) configuration is enough.
set(VCPKG_BUILD_TYPE release)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DSWITCHBOARD_BUILD_TESTS=OFF
        -DSWITCHBOARD_BUILD_EXAMPLES=OFF
        -DSWITCHBOARD_BUILD_BENCHMARKS=OFF
        -DSWITCHBOARD_INSTALL=ON
        -DSWITCHBOARD_CMAKE_DIR=share/switchboard
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME switchboard CONFIG_PATH share/switchboard)

# Nothing is compiled: drop the (empty) library and debug trees.
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug" "${CURRENT_PACKAGES_DIR}/lib")

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
