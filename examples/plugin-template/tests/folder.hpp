// A fresh temporary folder for one test case, removed after it.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

class Folder {
public:
    Folder()
        : path_(std::filesystem::temp_directory_path() / ("csvdir-test-" + std::to_string(std::random_device{}()))) {
        std::filesystem::create_directories(path_);
    }
    ~Folder() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    Folder(const Folder&) = delete;
    Folder& operator=(const Folder&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
    [[nodiscard]] bool has(const std::string& name) const { return std::filesystem::exists(path_ / name); }
    void write(const std::string& name, const std::string& text) const {
        std::filesystem::create_directories((path_ / name).parent_path());
        std::ofstream(path_ / name, std::ios::binary) << text;
    }

private:
    std::filesystem::path path_;
};
