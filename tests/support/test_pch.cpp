// The translation unit that carries the tests' precompiled header (test_pch.hpp);
// it compiles to nothing.
