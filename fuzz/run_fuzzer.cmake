# Runs one libFuzzer target for the tests of fuzz/CMakeLists.txt:
#   cmake -DFUZZER=path -DMODE=regressions|short -DWORK=dir -DSECONDS=n -DOPTIONS=list
#         -DSEEDS=dir1;dir2 -P run_fuzzer.cmake
# regressions: every input of the SEEDS directories once (-runs=0), no fuzzing.
# short: SECONDS of fuzzing; the SEEDS directories are read, never written: new inputs go to
# WORK/corpus (emptied first, so every run starts from the committed seeds).
# Crash, leak and timeout inputs go to WORK/artifacts/ in both modes.
# A SEEDS directory that does not exist (no regressions yet) is left out.

set(dirs)
foreach(dir ${SEEDS})
  if(IS_DIRECTORY ${dir})
    list(APPEND dirs ${dir})
  endif()
endforeach()

file(MAKE_DIRECTORY ${WORK}/artifacts)
set(args -timeout=10 -rss_limit_mb=2048 -artifact_prefix=${WORK}/artifacts/ ${OPTIONS})
if(MODE STREQUAL "regressions")
  list(APPEND args -runs=0)
elseif(MODE STREQUAL "short")
  file(REMOVE_RECURSE ${WORK}/corpus)
  file(MAKE_DIRECTORY ${WORK}/corpus)
  list(APPEND args -max_total_time=${SECONDS} -print_final_stats=1 ${WORK}/corpus)
else()
  message(FATAL_ERROR "MODE must be regressions or short, not `${MODE}`")
endif()

message(STATUS "${FUZZER} ${args} ${dirs}")
execute_process(COMMAND ${FUZZER} ${args} ${dirs} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); inputs that failed are in ${WORK}/artifacts/")
endif()
