# Warnings for switchboard's own targets (tests, examples, benchmarks), never pushed on users.
option(SWITCHBOARD_WERROR "Treat warnings as errors in switchboard's own targets" OFF)
add_library(switchboard_warnings INTERFACE)
target_compile_options(switchboard_warnings INTERFACE -Wall -Wextra -Wpedantic
  $<$<BOOL:${SWITCHBOARD_WERROR}>:-Werror>)
