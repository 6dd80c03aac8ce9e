# `make install PREFIX=... [DESTDIR=...]` runs `cmake --install` with these rules (the prefix is
# given at install time, so changing it rebuilds nothing).  Layout under the prefix:
#   bin/                  sc-broker sc-worker sc-balancer sc-conformance
#   include/scluster/     the toolkit's public headers (worker.h, types.h) and json.h (the DOM
#                         behind sc::Json::to_value, from common/)
#   lib/libscluster.a     the toolkit: libsc_worker + its HTTP part + libsc_common in one archive
#   lib/pkgconfig/scluster.pc
#   share/scluster/       socketcluster-client.min.js (found by bin/ as ../share/scluster/),
#                         public/ (sc-worker's demo page), scripts/ (scripts/*.sh, create-app.sh
#                         and its app-template/)
#   lib/systemd/system/   packaging/systemd/*.service and *.target, when that directory exists
# Globs are CONFIGURE_DEPENDS: a script or unit added later is picked up by the next build.

# One archive for apps, made of the objects the build already compiled (nothing compiles twice).
add_library(scluster STATIC $<TARGET_OBJECTS:sc_worker> $<TARGET_OBJECTS:sc_worker_http>
                            $<TARGET_OBJECTS:sc_common>)
set_target_properties(scluster PROPERTIES LINKER_LANGUAGE CXX)
add_dependencies(scluster sc_worker sc_worker_http sc_common)

install(TARGETS sc-broker sc-worker sc-conformance RUNTIME DESTINATION bin)
if(TARGET sc-balancer)
  install(TARGETS sc-balancer RUNTIME DESTINATION bin)
endif()
install(TARGETS scluster ARCHIVE DESTINATION lib)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/worker/include/scluster DESTINATION include
        FILES_MATCHING PATTERN "*.h")
install(FILES ${CMAKE_SOURCE_DIR}/common/json.h DESTINATION include/scluster)

configure_file(${CMAKE_SOURCE_DIR}/cmake/scluster.pc.in ${CMAKE_BINARY_DIR}/scluster.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/scluster.pc DESTINATION lib/pkgconfig)

if(TARGET sc-client-bundle)
  install(FILES ${CMAKE_BINARY_DIR}/share/scluster/socketcluster-client.min.js
          DESTINATION share/scluster)
endif()
install(DIRECTORY ${CMAKE_SOURCE_DIR}/worker/app/public DESTINATION share/scluster)

file(GLOB SC_SCRIPTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/scripts/*.sh)
install(PROGRAMS ${SC_SCRIPTS} DESTINATION share/scluster/scripts)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/scripts/app-template DESTINATION share/scluster/scripts)

file(GLOB SC_UNITS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/packaging/systemd/*.service
     ${CMAKE_SOURCE_DIR}/packaging/systemd/*.target)
# The units name /usr/local/bin; installed under another prefix they name PREFIX/bin instead
# (the prefix is known only at install time, so the substitution runs then).
foreach(unit IN LISTS SC_UNITS)
  get_filename_component(unit_name ${unit} NAME)
  install(CODE "
    file(READ \"${unit}\" text)
    string(REPLACE \"/usr/local/bin/\" \"\${CMAKE_INSTALL_PREFIX}/bin/\" text \"\${text}\")
    set(dest \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
    file(MAKE_DIRECTORY \"\${dest}\")
    message(STATUS \"Installing: \${dest}/${unit_name}\")
    file(WRITE \"\${dest}/${unit_name}\" \"\${text}\")")
endforeach()
