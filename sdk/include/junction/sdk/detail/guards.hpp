// SDK glue, not for authors: the wrappers JUNCTION_PLUGIN puts around a plugin's factory
// and instances. They run in the plugin's own code, so no exception of the plugin ever
// unwinds into the host: whatever escapes becomes a fatal status naming the plugin.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <utility>

#include <boost/dll/alias.hpp>

#include "../plugin.hpp"

namespace junction::sdk::detail {

template <class F>
Status guarded(const char* plugin, const char* call, F&& f) noexcept {
    try {
        return std::forward<F>(f)();
    } catch (const std::exception& e) {
        try {
            return Status::fatal(std::string("plugin ") + plugin + " threw in " + call + ": " + e.what());
        } catch (...) {
            return Status::fatal({});
        }
    } catch (...) {
        try {
            return Status::fatal(std::string("plugin ") + plugin + " threw a non-standard exception in " + call);
        } catch (...) {
            return Status::fatal({});
        }
    }
}

class GuardedReader final : public Reader {
public:
    GuardedReader(std::unique_ptr<Reader> inner, const char* plugin) : inner_(std::move(inner)), plugin_(plugin) {}
    Status open(Context& c) override {
        return guarded(plugin_, "open", [&] { return inner_->open(c); });
    }
    Status read(Batch& out, std::size_t max, bool& end) override {
        return guarded(plugin_, "read", [&] { return inner_->read(out, max, end); });
    }
    Status acknowledge(const Acknowledgements& acks) override {
        return guarded(plugin_, "acknowledge", [&] { return inner_->acknowledge(acks); });
    }
    Status keep_alive() override {
        return guarded(plugin_, "keep_alive", [&] { return inner_->keep_alive(); });
    }
    std::chrono::milliseconds keep_alive_interval() const noexcept override {
        try {
            return inner_->keep_alive_interval();
        } catch (...) {
            return std::chrono::milliseconds(0);
        }
    }
    Status close() override {
        return guarded(plugin_, "close", [&] { return inner_->close(); });
    }

private:
    std::unique_ptr<Reader> inner_;
    const char* plugin_;
};

class GuardedTranslator final : public Translator {
public:
    GuardedTranslator(std::unique_ptr<Translator> inner, const char* plugin)
        : inner_(std::move(inner)), plugin_(plugin) {}
    Status open(Context& c) override {
        return guarded(plugin_, "open", [&] { return inner_->open(c); });
    }
    Status translate(Record& r) override {
        return guarded(plugin_, "translate", [&] { return inner_->translate(r); });
    }
    Status close() override {
        return guarded(plugin_, "close", [&] { return inner_->close(); });
    }

private:
    std::unique_ptr<Translator> inner_;
    const char* plugin_;
};

class GuardedWriter final : public Writer {
public:
    GuardedWriter(std::unique_ptr<Writer> inner, const char* plugin) : inner_(std::move(inner)), plugin_(plugin) {}
    Status open(Context& c) override {
        return guarded(plugin_, "open", [&] { return inner_->open(c); });
    }
    Status write(std::span<const Record> batch, std::vector<Rejection>& rejected) override {
        return guarded(plugin_, "write", [&] { return inner_->write(batch, rejected); });
    }
    Status flush() override {
        return guarded(plugin_, "flush", [&] { return inner_->flush(); });
    }
    Status close() override {
        return guarded(plugin_, "close", [&] { return inner_->close(); });
    }

private:
    std::unique_ptr<Writer> inner_;
    const char* plugin_;
};

class GuardedCollection final : public Collection {
public:
    GuardedCollection(std::unique_ptr<Collection> inner, const char* plugin)
        : inner_(std::move(inner)), plugin_(plugin) {}
    Status open(Context& c) override {
        return guarded(plugin_, "open", [&] { return inner_->open(c); });
    }
    Status list(const CollectionQuery& q, CollectionPage& out) override {
        return guarded(plugin_, "list", [&] { return inner_->list(q, out); });
    }
    Status get(std::string_view id, std::optional<boost::json::object>& out) override {
        return guarded(plugin_, "get", [&] { return inner_->get(id, out); });
    }
    Status close() override {
        return guarded(plugin_, "close", [&] { return inner_->close(); });
    }

private:
    std::unique_ptr<Collection> inner_;
    const char* plugin_;
};

class GuardedIntake final : public Intake {
public:
    GuardedIntake(std::unique_ptr<Intake> inner, const char* plugin) : inner_(std::move(inner)), plugin_(plugin) {}
    Status open(Context& c) override {
        return guarded(plugin_, "open", [&] { return inner_->open(c); });
    }
    Status submit(const Submission& s, Receipt& out) override {
        return guarded(plugin_, "submit", [&] { return inner_->submit(s, out); });
    }
    Status find(std::string_view id, std::optional<StoredSubmission>& out) override {
        return guarded(plugin_, "find", [&] { return inner_->find(id, out); });
    }
    Status close() override {
        return guarded(plugin_, "close", [&] { return inner_->close(); });
    }

private:
    std::unique_ptr<Intake> inner_;
    const char* plugin_;
};

// Stands in for an instance whose creation failed: it fails on open() with the reason.
class FailedReader final : public Reader {
public:
    explicit FailedReader(std::string why) : why_(std::move(why)) {}
    Status open(Context&) override { return Status::fatal(why_); }
    Status read(Batch&, std::size_t, bool& end) override {
        end = true;
        return Status::fatal(why_);
    }

private:
    std::string why_;
};

class FailedTranslator final : public Translator {
public:
    explicit FailedTranslator(std::string why) : why_(std::move(why)) {}
    Status open(Context&) override { return Status::fatal(why_); }
    Status translate(Record&) override { return Status::fatal(why_); }

private:
    std::string why_;
};

class FailedWriter final : public Writer {
public:
    explicit FailedWriter(std::string why) : why_(std::move(why)) {}
    Status open(Context&) override { return Status::fatal(why_); }
    Status write(std::span<const Record>, std::vector<Rejection>&) override { return Status::fatal(why_); }

private:
    std::string why_;
};

class FailedCollection final : public Collection {
public:
    explicit FailedCollection(std::string why) : why_(std::move(why)) {}
    Status open(Context&) override { return Status::fatal(why_); }
    Status list(const CollectionQuery&, CollectionPage&) override { return Status::fatal(why_); }
    Status get(std::string_view, std::optional<boost::json::object>&) override { return Status::fatal(why_); }

private:
    std::string why_;
};

class FailedIntake final : public Intake {
public:
    explicit FailedIntake(std::string why) : why_(std::move(why)) {}
    Status open(Context&) override { return Status::fatal(why_); }
    Status submit(const Submission&, Receipt&) override { return Status::fatal(why_); }
    Status find(std::string_view, std::optional<StoredSubmission>&) override { return Status::fatal(why_); }

private:
    std::string why_;
};

inline std::unique_ptr<Component> failed(Kind kind, std::string why) {
    switch (kind) {
        case Kind::reader:
            return std::make_unique<FailedReader>(std::move(why));
        case Kind::translator:
            return std::make_unique<FailedTranslator>(std::move(why));
        case Kind::writer:
            return std::make_unique<FailedWriter>(std::move(why));
        case Kind::collection:
            return std::make_unique<FailedCollection>(std::move(why));
        case Kind::intake:
            return std::make_unique<FailedIntake>(std::move(why));
    }
    return nullptr;
}

// Wraps what the plugin made in the guard of its kind (the instance's own kind() must
// be the one asked for).
inline std::unique_ptr<Component> guard(Kind kind, std::unique_ptr<Component> made, const char* plugin) {
    if (!made) return nullptr;
    if (made->kind() != kind)
        return failed(kind, std::string("plugin ") + plugin + " made a " + to_string(made->kind()) + " when asked for a " +
                                to_string(kind));
    switch (kind) {
        case Kind::reader:
            return std::make_unique<GuardedReader>(std::unique_ptr<Reader>(static_cast<Reader*>(made.release())),
                                                   plugin);
        case Kind::translator:
            return std::make_unique<GuardedTranslator>(
                std::unique_ptr<Translator>(static_cast<Translator*>(made.release())), plugin);
        case Kind::writer:
            return std::make_unique<GuardedWriter>(std::unique_ptr<Writer>(static_cast<Writer*>(made.release())),
                                                   plugin);
        case Kind::collection:
            return std::make_unique<GuardedCollection>(
                std::unique_ptr<Collection>(static_cast<Collection*>(made.release())), plugin);
        case Kind::intake:
            return std::make_unique<GuardedIntake>(std::unique_ptr<Intake>(static_cast<Intake*>(made.release())),
                                                   plugin);
    }
    return nullptr;
}

template <class F>
class GuardedFactory final : public PluginFactory {
public:
    GuardedFactory(const char* name, const char* version) : name_(name), version_(version) {}

    PluginInfo info() const override {
        PluginInfo i;
        try {
            i = inner_.info();
        } catch (const std::exception& e) {
            i = PluginInfo{};
            i.description = std::string("(info() failed: ") + e.what() + ")";
        } catch (...) {
            i = PluginInfo{};
        }
        i.name = name_;
        i.version = version_;
        return i;
    }
    std::unique_ptr<Component> create(Kind kind) override {
        try {
            return guard(kind, inner_.create(kind), name_);
        } catch (const std::exception& e) {
            try {
                return failed(kind, std::string("plugin ") + name_ + " failed to create its " + to_string(kind) +
                                        ": " + e.what());
            } catch (...) {
                return nullptr;
            }
        } catch (...) {
            return nullptr;
        }
    }
    Status check_options(Kind kind, const Options& options) const override {
        return guarded(name_, "check_options", [&] { return inner_.check_options(kind, options); });
    }

private:
    F inner_;
    const char* name_;
    const char* version_;
};

template <class F>
PluginFactory* make_factory(const char* name, const char* version, std::string* error) noexcept {
    try {
        return new GuardedFactory<F>(name, version);
    } catch (const std::exception& e) {
        if (error != nullptr) {
            try {
                *error = e.what();
            } catch (...) {
            }
        }
    } catch (...) {
        if (error != nullptr) {
            try {
                *error = "unknown exception";
            } catch (...) {
            }
        }
    }
    return nullptr;
}

}  // namespace junction::sdk::detail
