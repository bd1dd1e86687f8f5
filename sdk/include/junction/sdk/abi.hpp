// The plugin ABI tag: a plain C struct every plugin exports, checked by the host
// before any C++ object of the plugin is touched (see DESIGN.md, "The plugin contract").
#pragma once

#include <cstddef>  // pulls in the C++ library config, so _GLIBCXX_USE_CXX11_ABI is defined
#include <cstdint>

#include <boost/version.hpp>

// Bump the major on any change to the virtual functions of an SDK interface or to
// the layout of a type that crosses the boundary; bump the minor for additions a
// newer host can take from an older plugin (e.g. a virtual appended to Context,
// which only the host implements).
#define JUNCTION_SDK_ABI_MAJOR 1
#define JUNCTION_SDK_ABI_MINOR 0
#define JUNCTION_SDK_VERSION "0.1.0"

#define JUNCTION_MANIFEST_MAGIC 0x4A4E4354u  // "JNCT"

#if defined(__clang__)
#define JUNCTION_COMPILER_ID 2
#define JUNCTION_COMPILER_MAJOR __clang_major__
#define JUNCTION_COMPILER_MINOR __clang_minor__
#elif defined(__GNUC__)
#define JUNCTION_COMPILER_ID 1
#define JUNCTION_COMPILER_MAJOR __GNUC__
#define JUNCTION_COMPILER_MINOR __GNUC_MINOR__
#elif defined(_MSC_VER)
#define JUNCTION_COMPILER_ID 3
#define JUNCTION_COMPILER_MAJOR (_MSC_VER / 100)
#define JUNCTION_COMPILER_MINOR (_MSC_VER % 100)
#else
#define JUNCTION_COMPILER_ID 0
#define JUNCTION_COMPILER_MAJOR 0
#define JUNCTION_COMPILER_MINOR 0
#endif

#if defined(_GLIBCXX_USE_CXX11_ABI)
#define JUNCTION_CXX11_ABI _GLIBCXX_USE_CXX11_ABI
#else
#define JUNCTION_CXX11_ABI 255  // not libstdc++
#endif

#if defined(__linux__) && defined(__x86_64__)
#define JUNCTION_PLATFORM "linux-x86_64"
#elif defined(__linux__) && defined(__aarch64__)
#define JUNCTION_PLATFORM "linux-aarch64"
#elif defined(_WIN64)
#define JUNCTION_PLATFORM "windows-x86_64"
#elif defined(__APPLE__)
#define JUNCTION_PLATFORM "macos"
#else
#define JUNCTION_PLATFORM "unknown"
#endif

extern "C" {

// Layout is frozen for ever: fields may only be appended (the host reads `size`
// before anything past it). Strings are static, NUL-terminated, owned by the plugin.
struct junction_plugin_manifest {
    std::uint32_t magic;  // JUNCTION_MANIFEST_MAGIC
    std::uint32_t size;   // sizeof(junction_plugin_manifest) as the plugin saw it
    std::uint16_t abi_major;
    std::uint16_t abi_minor;
    std::uint16_t compiler_id;  // 1 GCC, 2 Clang, 3 MSVC, 0 other
    std::uint16_t compiler_major;
    std::uint16_t compiler_minor;
    std::uint16_t cxx11_abi;      // _GLIBCXX_USE_CXX11_ABI, 255 when not libstdc++
    std::uint32_t boost_version;  // BOOST_VERSION
    const char* platform;
    const char* sdk_version;
    const char* name;     // the plugin's registry name, e.g. "files"
    const char* version;  // the plugin's own version
};

}  // extern "C"

// The symbol the host looks up first with dlsym; it must exist, be callable with
// no C++ ABI assumptions, and return a pointer to a constant-initialized struct.
#define JUNCTION_MANIFEST_SYMBOL "junction_plugin_manifest_v1"
// The Boost.DLL alias of the factory function, looked up only after the manifest passed.
#define JUNCTION_FACTORY_ALIAS "junction_create_factory"

#define JUNCTION_MANIFEST_INIT(NAME, VERSION)                                                                          \
    {                                                                                                                  \
        JUNCTION_MANIFEST_MAGIC, static_cast<std::uint32_t>(sizeof(::junction_plugin_manifest)),                       \
            JUNCTION_SDK_ABI_MAJOR, JUNCTION_SDK_ABI_MINOR, JUNCTION_COMPILER_ID, JUNCTION_COMPILER_MAJOR,             \
            JUNCTION_COMPILER_MINOR, JUNCTION_CXX11_ABI, BOOST_VERSION, JUNCTION_PLATFORM, JUNCTION_SDK_VERSION, NAME, \
            VERSION                                                                                                    \
    }
