# junction_add_plugin(<name> SOURCES <files...> [LIBRARIES <targets...>])
# Builds lib/junction_<name>.so as a MODULE against the SDK alone: hidden visibility
# (only the manifest and the factory alias are exported) and no undefined symbols
# left for load time. In the Junction tree the result lands in the bundled plugin
# folder and is installed with the host.
function(junction_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  set(target junction_plugin_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  if(TARGET JunctionSDK::sdk)
    target_link_libraries(${target} PRIVATE JunctionSDK::sdk ${ARG_LIBRARIES})
  endif()
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME junction_${name}
    PREFIX lib
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # (Not under clang's sanitizers: clang links their runtime into the executable alone,
  # which exports it, so a sanitized plugin leaves those symbols for load time.)
  if(NOT APPLE AND NOT WIN32 AND NOT (CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND CMAKE_CXX_FLAGS MATCHES "-fsanitize="))
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  # GCC marks statics of inline functions (even libstdc++'s, e.g. std::to_string's
  # digit table) STB_GNU_UNIQUE, and glibc never unloads a library that has one: the
  # host could not unload a plugin after its last instance is gone.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -fno-gnu-unique)
  endif()
  if(DEFINED JUNCTION_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${JUNCTION_PLUGIN_OUTPUT_DIR}")
    install(TARGETS ${target} LIBRARY DESTINATION ${JUNCTION_PLUGIN_INSTALL_DIR})
  elseif(DEFINED JUNCTION_PLUGIN_INSTALL_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION ${JUNCTION_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
