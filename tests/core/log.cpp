#include <rampart/core/context.hpp>
#include <rampart/core/log.hpp>
#include <rampart/errors/envelope.hpp>

#include "support/run.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

using namespace rampart;

namespace {

/// Sends file descriptor 2 to a temporary file while it lives; text() reads what was written.
class stderr_capture {
public:
    stderr_capture() : file_(std::tmpfile()), saved_(::dup(STDERR_FILENO)) {
        REQUIRE(file_ != nullptr);
        REQUIRE(saved_ >= 0);
        REQUIRE(::dup2(::fileno(file_), STDERR_FILENO) == STDERR_FILENO);
    }
    ~stderr_capture() {
        restore();
        std::fclose(file_);
    }
    std::string text() {
        restore();
        std::string out;
        char buffer[512];
        ssize_t n;
        off_t at = 0;
        while ((n = ::pread(::fileno(file_), buffer, sizeof buffer, at)) > 0) {
            out.append(buffer, static_cast<std::size_t>(n));
            at += n;
        }
        return out;
    }

private:
    void restore() {
        if (saved_ >= 0) {
            ::dup2(saved_, STDERR_FILENO);
            ::close(saved_);
            saved_ = -1;
        }
    }
    std::FILE* file_;
    int saved_;
};

struct recorded {
    log_level level;
    std::string source;
    std::string message;
    const context* request;
    std::string cause;
};

struct record_collector {
    std::vector<recorded>* out;
    void operator()(const log_record& r) const {
        std::string cause;
        if (r.error) {
            try {
                std::rethrow_exception(r.error);
            } catch (const std::exception& e) {
                cause = e.what();
            } catch (...) {
                cause = "?";
            }
        }
        out->push_back({r.level, std::string(r.source), std::string(r.message), r.request, cause});
    }
};

} // namespace

TEST_CASE("log_sink is empty by default and for empty callables") {
    CHECK_FALSE(log_sink{});
    CHECK_FALSE(log_sink{nullptr});
    CHECK_FALSE(log_sink{std::function<void(std::string_view)>{}});
    CHECK_FALSE(log_sink{std::function<void(const log_record&)>{}});
    void (*none)(std::string_view) = nullptr;
    CHECK_FALSE(log_sink{none});
    log_sink{}(log_record{log_level::error, "x", "dropped"}); // calling an empty sink is a no-op
    CHECK(log_sink{stderr_sink{}});
}

TEST_CASE("log_sink hands records to record sinks and messages to line sinks") {
    std::vector<recorded> records;
    log_sink records_sink = record_collector{&records};
    context ctx{request{http::verb::get, "/x", 11}};
    records_sink(log_record{log_level::warning, "redis", "down", &ctx,
                            std::make_exception_ptr(std::runtime_error("cause"))});
    REQUIRE(records.size() == 1);
    CHECK(records[0].level == log_level::warning);
    CHECK(records[0].source == "redis");
    CHECK(records[0].message == "down");
    CHECK(records[0].request == &ctx);
    CHECK(records[0].cause == "cause");

    std::vector<std::string> lines;
    log_sink lines_sink = [&](std::string_view line) { lines.emplace_back(line); };
    lines_sink(log_record{log_level::info, "access", "GET / 200"});
    CHECK(lines == std::vector<std::string>{"GET / 200"});
}

TEST_CASE("a log_sink never throws, whatever the sink it wraps does") {
    log_sink throwing = [](const log_record&) { throw std::runtime_error("disk full"); };
    CHECK_NOTHROW(throwing(log_record{log_level::error, "errors", "x"}));
}

TEST_CASE("stderr_sink writes each message and a newline, records and lines alike") {
    stderr_capture capture;
    stderr_sink{}(log_record{log_level::info, "access", "first line"});
    stderr_sink{}(std::string_view{"second"});
    log_sink wrapped = stderr_sink{};
    wrapped(log_record{log_level::error, "sqlite", std::string(5000, 'x')});
    CHECK(capture.text() == "first line\nsecond\n" + std::string(5000, 'x') + "\n");
}

TEST_CASE("a context without an error sink logs an unknown exception to stderr, not to the "
          "client") {
    context ctx{request{http::verb::post, "/orders/?token=t", 11}};
    stderr_capture capture;
    auto res = ctx.render_error(std::make_exception_ptr(std::runtime_error("db at /var/x")));
    auto odd = ctx.render_error(std::make_exception_ptr(42));
    CHECK(capture.text() == "rampart: internal error on POST /orders/: db at /var/x\n"
                            "rampart: internal error on POST /orders/: unknown exception\n");
    // Byte for byte what the envelope answers for an internal error.
    auto expected = envelope_format{}(internal_error{});
    for (const auto* r : {&res, &odd}) {
        CHECK(r->result() == expected.result());
        CHECK(r->body() == expected.body());
        CHECK((*r)[http::field::content_type] == expected[http::field::content_type]);
        CHECK((*r)[http::field::cache_control] == expected[http::field::cache_control]);
        CHECK((*r)[http::field::content_length] == expected[http::field::content_length]);
    }
}

TEST_CASE("a context without an error sink renders an http_error itself, unlogged") {
    context ctx{request{http::verb::get, "/", 11}};
    stderr_capture capture;
    auto res = ctx.render_error(std::make_exception_ptr(method_not_allowed("PUT", {"GET"})));
    CHECK(capture.text().empty());
    auto expected = envelope_format{}(method_not_allowed("PUT", {"GET"}));
    CHECK(res.result() == http::status::method_not_allowed);
    CHECK(res.body() == expected.body());
    CHECK(res[http::field::allow] == "GET");
}

TEST_CASE("error_envelope gives its log_sink the cause and the request of each 500") {
    std::vector<recorded> records;
    auto app = stack(error_envelope<>{envelope_format{}, record_collector{&records}})
                   .wrap([](context& ctx) -> asio::awaitable<response> {
                       if (ctx.path() == "/503")
                           throw service_unavailable{};
                       if (ctx.path() == "/501")
                           throw http_error(http::status::not_implemented, "nope", "Not here.");
                       throw std::logic_error("broken invariant");
                       co_return response{};
                   });
    CHECK(test::call(app, test::make_request(http::verb::get, "/503")).result() ==
          http::status::service_unavailable);
    CHECK(records.empty());
    CHECK(test::call(app, test::make_request(http::verb::delete_, "/boom?x=1")).result() ==
          http::status::internal_server_error);
    CHECK(test::call(app, test::make_request(http::verb::get, "/501")).result() ==
          http::status::not_implemented);
    REQUIRE(records.size() == 2);
    CHECK(records[0].level == log_level::error);
    CHECK(records[0].source == "errors");
    CHECK(records[0].message == "rampart: internal error on DELETE /boom: broken invariant");
    CHECK(records[0].request != nullptr);
    CHECK(records[0].cause == "broken invariant");
    CHECK(records[1].message == "rampart: internal error on GET /501: Not here.");
}

TEST_CASE("error_envelope with an empty log_sink logs nothing") {
    stderr_capture capture;
    auto app = stack(error_envelope<>{envelope_format{}, {}})
                   .wrap([](context&) -> asio::awaitable<response> {
                       throw std::runtime_error("quiet");
                       co_return response{};
                   });
    CHECK(test::call(app, test::make_request(http::verb::get, "/")).result() ==
          http::status::internal_server_error);
    CHECK(capture.text().empty());
}

TEST_CASE("error_envelope's default sink is stderr") {
    stderr_capture capture;
    auto app = stack(error_envelope<>{}).wrap([](context&) -> asio::awaitable<response> {
        throw std::runtime_error("loud");
        co_return response{};
    });
    CHECK(test::call(app, test::make_request(http::verb::put, "/a%0Ab")).result() ==
          http::status::internal_server_error);
    CHECK(capture.text() == "rampart: internal error on PUT /a%0Ab: loud\n");
}
