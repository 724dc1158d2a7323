#ifndef RAMPART_TESTS_SUPPORT_OPENAPI_VALIDATOR_HPP
#define RAMPART_TESTS_SUPPORT_OPENAPI_VALIDATOR_HPP

// An independent check of generated documents: npm's @seriousme/openapi-schema-validator
// (installed by cmake/dev.sh into RAMPART_NPM_DIR, run by node, offline) validates a document
// against the OpenAPI 3.1 schema.

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#ifndef RAMPART_NPM_DIR
#error "RAMPART_NPM_DIR: the test's CMakeLists defines it"
#endif

namespace rampart::test {

struct openapi_verdict {
    bool valid = false;
    /// What the validator printed (its errors when not valid).
    std::string report;
};

/// The validator's script, or why it cannot run (for the test's skip message).
inline std::optional<std::string> openapi_validator_missing(std::string& node, std::string& cli) {
    cli = std::string(RAMPART_NPM_DIR) +
          "/node_modules/@seriousme/openapi-schema-validator/bin/validate-api-cli.js";
    if (!std::filesystem::exists(cli))
        return "the OpenAPI validator is not installed at " + cli + " (run: cmake/dev.sh deps)";
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/bin";
    while (true) {
        auto colon = dirs.find(':');
        std::filesystem::path candidate = std::filesystem::path(dirs.substr(0, colon)) / "node";
        if (std::filesystem::exists(candidate)) {
            node = candidate.string();
            return std::nullopt;
        }
        if (colon == std::string_view::npos)
            return "node is not on PATH (run: cmake/dev.sh deps)";
        dirs.remove_prefix(colon + 1);
    }
}

/// Validates `document` (JSON text); nullopt with `why` set when the validator is missing.
inline std::optional<openapi_verdict> validate_openapi(const std::string& document,
                                                       std::string& why) {
    std::string node, cli;
    if (auto missing = openapi_validator_missing(node, cli)) {
        why = *missing;
        return std::nullopt;
    }
    temp_dir dir;
    std::string file = dir.file("openapi.json");
    std::ofstream(file) << document;
    process p{node, {cli, file}};
    // Generous: node is slow to start on a loaded machine (the bound only stops a hung child).
    std::optional<int> code = p.wait(std::chrono::minutes{10});
    openapi_verdict v;
    v.report = (code ? "exit " + std::to_string(*code) : std::string("no exit in 10 minutes")) +
               "\n" + p.output() + p.errors();
    v.valid = code == 0 && v.report.find("\"valid\": true") != std::string::npos;
    return v;
}

} // namespace rampart::test

#endif
