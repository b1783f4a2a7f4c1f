#pragma once
// The one place the version is written: CMake, the Conan recipe and the vcpkg port check it.
#define SWITCHBOARD_VERSION_MAJOR 0
#define SWITCHBOARD_VERSION_MINOR 1
#define SWITCHBOARD_VERSION_PATCH 0
#define SWITCHBOARD_VERSION_STRING "0.1.0"

namespace sb {
inline constexpr int version_major = SWITCHBOARD_VERSION_MAJOR;
inline constexpr int version_minor = SWITCHBOARD_VERSION_MINOR;
inline constexpr int version_patch = SWITCHBOARD_VERSION_PATCH;
inline constexpr const char* version_string = SWITCHBOARD_VERSION_STRING;
}  // namespace sb
