# A nested build of the whole project with another compiler and the sanitizers; its ctest must pass.
# One build covers both: clang++'s warnings and ASan+UBSan (a second full build for each
# would double the longest part of CI for little that one does not already catch).
if(VARIANT STREQUAL "clang_sanitizers")
  set(flags -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug
      # clang 14's -fsanitize=function cannot compile an inline coroutine ("Cannot represent a
      # difference across sections"), a compiler bug: the rest of UBSan stays on.
      # -O0 (Debug): measured at -O1, the tests ran in 140 s instead of about 270, but the build took
      # twice as long (the job 519 s against 442), and clang elided the allocation-counter test's
      # new/delete pairs.
      "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize=function -fno-omit-frame-pointer -fno-sanitize-recover=all"
      # Whether each header compiles alone does not change with the build's flags: the main build and
      # Debian 13's answer it, and every header is compiled here through the tests anyway.
      -DSWITCHBOARD_TEST_SINGLE_HEADER=OFF -DSWITCHBOARD_TEST_HEADERS=OFF
      # The compile-fail controls compile alike with any compiler: the main build compiles them.
      -DSWITCHBOARD_COMPILE_FAIL_CONTROL=OFF)
else()
  message(FATAL_ERROR "unknown VARIANT ${VARIANT}")
endif()
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${VARIANT}: failed: ${ARGN}")
  endif()
endfunction()
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK}" -G Ninja ${flags} -DSWITCHBOARD_WERROR=ON
    -DSWITCHBOARD_BUILD_BENCHMARKS=OFF -DSWITCHBOARD_TEST_MATRIX=OFF)
run(${CMAKE_COMMAND} --build "${WORK}" -j2)
run(${CMAKE_CTEST_COMMAND} --test-dir "${WORK}" --output-on-failure -j2
    -E "^(consumer\\.|single_header\\.fresh|packaging\\.)")
