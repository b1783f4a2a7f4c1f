include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SWITCHBOARD_CMAKE_DIR "${CMAKE_INSTALL_DATADIR}/switchboard/cmake"
    CACHE STRING "Where switchboardConfig.cmake is installed")

install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES single_include/switchboard.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})  # as <switchboard.hpp>
install(TARGETS switchboard switchboard_hub EXPORT switchboardTargets)
install(EXPORT switchboardTargets NAMESPACE switchboard:: DESTINATION ${SWITCHBOARD_CMAKE_DIR})

configure_package_config_file(cmake/switchboardConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/switchboardConfig.cmake"
  INSTALL_DESTINATION ${SWITCHBOARD_CMAKE_DIR})
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/switchboardConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES
  "${CMAKE_CURRENT_BINARY_DIR}/switchboardConfig.cmake"
  "${CMAKE_CURRENT_BINARY_DIR}/switchboardConfigVersion.cmake"
  cmake/Findasio.cmake cmake/Findhttplib.cmake
  DESTINATION ${SWITCHBOARD_CMAKE_DIR})
