// The translation unit that carries the bundled plugins' precompiled header
// (plugins/CMakeLists.txt); it compiles to nothing.
