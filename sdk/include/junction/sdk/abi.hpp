// The plugin ABI tag: a plain C struct every plugin exports, checked by the host
// before any C++ object of the plugin is touched. A plugin that does not fit is skipped
// with one line naming both sides and the fix; the host goes on with the others.
#pragma once

#include <cstddef>  // pulls in the C++ library config, so _GLIBCXX_USE_CXX11_ABI is defined
#include <cstdint>

#include <boost/version.hpp>

// The SDK's version is its ABI version: SDK 2.1.x builds plugins for ABI 2.1, and a host
// of ABI 2.N loads plugins built for 2.0 up to 2.N. The CMake package has the same
// version, read from the macros below: find_package(JunctionSDK 2.1) takes any 2.x from
// 2.1 on, and a plugin is built for the minor of the SDK it was compiled against.
//   - Major: any change to the virtual functions of a plugin-implemented interface
//     (PluginFactory, Component, Reader, Translator, Writer, Collection, Intake) or to the layout of a type
//     that crosses the boundary. Plugins must be rebuilt.
//   - Minor: additions a newer host can take from an older plugin: a virtual appended to
//     a host-implemented class (Context, the services, Acknowledgements), a field
//     appended to the manifest, a new Kind. An older plugin never calls what it did not
//     know; a plugin built for a newer minor than the host is refused.
// A refused plugin gets one line, e.g.
//   plugin acme (<file>): built for SDK ABI 2.2, newer than this host's 2.1: upgrade the
//     host to 2.2 or later, or rebuild the plugin against SDK 2.1
//   plugin acme (<file>): built for SDK ABI 1.0 with GCC 12, host is 2.1 with GCC 12:
//     rebuild it against SDK 2.x (2.0 to 2.1)
// History: 1.0 was the pre-release SDK 0.1 (its plugins are refused: major 1).
//   2.0: components created by kind, per-partition positions, acknowledgement of commits.
//   2.1: host services on the Context (http, credentials, metrics, clock); the manifest's
//        layout_flags.
//   2.2: Context::pushes(), the push log of writers to ingestion APIs.
//   2.3: Kind::collection (collection.hpp), a store's documents served read-only.
//   2.4: Kind::intake (intake.hpp), the store behind an intake endpoint.
#define JUNCTION_SDK_ABI_MAJOR 2
#define JUNCTION_SDK_ABI_MINOR 4
#define JUNCTION_SDK_VERSION "2.4.0"

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

// Build settings that change the layout of standard-library types crossing the boundary
// (std::string, std::vector, std::map, std::optional): _GLIBCXX_DEBUG swaps in the
// checked containers, so plugin and host must agree on it. _GLIBCXX_ASSERTIONS adds
// checks but no layout change: recorded, not compared.
#define JUNCTION_LAYOUT_GLIBCXX_DEBUG 0x1u
#define JUNCTION_LAYOUT_GLIBCXX_ASSERTIONS 0x2u
#if defined(_GLIBCXX_DEBUG)
#define JUNCTION_LAYOUT_DEBUG_BIT JUNCTION_LAYOUT_GLIBCXX_DEBUG
#else
#define JUNCTION_LAYOUT_DEBUG_BIT 0u
#endif
#if defined(_GLIBCXX_ASSERTIONS)
#define JUNCTION_LAYOUT_ASSERTIONS_BIT JUNCTION_LAYOUT_GLIBCXX_ASSERTIONS
#else
#define JUNCTION_LAYOUT_ASSERTIONS_BIT 0u
#endif
#define JUNCTION_LAYOUT_FLAGS (JUNCTION_LAYOUT_DEBUG_BIT | JUNCTION_LAYOUT_ASSERTIONS_BIT)

// Compilers. The types that cross the boundary are libstdc++'s std::string, vector,
// map, optional, span and chrono types (C++11 ABI, layouts unchanged since GCC 5, span
// and chrono header-only PODs) and Boost.JSON's (the Boost version is compared). No
// std::stop_token, std::function or other C++20 library type whose libstdc++ ABI is not
// frozen crosses it. So a plugin built by an older major of the host's compiler is
// accepted (its libstdc++ symbols resolve against the host's newer, backward-compatible
// library), from the first major with the C++20 support the SDK needs (GCC 11, Clang
// 14); a newer major is refused (it may need symbols the host's libstdc++ lacks), and so
// is another compiler family (not tested together).
#define JUNCTION_MIN_GCC_MAJOR 11
#define JUNCTION_MIN_CLANG_MAJOR 14

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

// Layout is frozen for ever: fields may only be appended (the host reads `size` before
// anything past it, and defaults the fields a smaller manifest lacks). Strings are
// static, NUL-terminated, owned by the plugin.
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
    // ---- since 2.1 (a 2.0 manifest ends above; the host reads these as 0)
    std::uint32_t layout_flags;  // JUNCTION_LAYOUT_* of the plugin's build
    std::uint32_t reserved;      // 0
};

// The size of the smallest manifest a host of this major accepts: the 2.0 layout.
#define JUNCTION_MANIFEST_MIN_SIZE (offsetof(junction_plugin_manifest, layout_flags))

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
            VERSION, JUNCTION_LAYOUT_FLAGS, 0u                                                                         \
    }
