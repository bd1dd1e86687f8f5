# Writes a C++ file holding the bytes of INPUT as `const char NAME[]` (NUL-terminated)
# and NAME_size: the status page is served from the binary, with no file to install.
# Usage: cmake -DINPUT=... -DOUTPUT=... -DNAME=... -P embed.cmake
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by host/http/embed.cmake: do not edit.\n#include <cstddef>\n"
  "namespace junction::http {\nextern const char ${NAME}[] = {${bytes}'\\0'};\n"
  "extern const std::size_t ${NAME}_size = ${size};\n}\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
